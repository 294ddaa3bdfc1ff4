package storage

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage/driver"
)

// The argument checks every call passes before it reaches a driver, the
// page tokens, and the normal form of what goes in and comes out.

func checkString(op, field, s string, required bool) error {
	if required && s == "" {
		return errcode.New(errcode.Invalid, op, field+" is empty")
	}
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return errcode.New(errcode.Invalid, op, field+" is not valid UTF-8 text without NUL bytes")
	}
	return nil
}

func checkNamespace(op, namespace string) error {
	return checkString(op, "namespace", namespace, true)
}

// checkKey checks a (namespace, name) key.
func checkKey(op, namespace, name string) error {
	if err := checkNamespace(op, namespace); err != nil {
		return err
	}
	return checkString(op, "name", name, true)
}

// checkCiphertextKey checks a (namespace, name, valueID) key.
func checkCiphertextKey(op, namespace, name, valueID string) error {
	if err := checkKey(op, namespace, name); err != nil {
		return err
	}
	return checkString(op, "value ID", valueID, true)
}

// checkMetadata checks the key and the text fields of m.
func checkMetadata(op string, m *Metadata) error {
	if m == nil {
		return errcode.New(errcode.Invalid, op, "metadata is nil")
	}
	if err := checkKey(op, m.Namespace, m.Name); err != nil {
		return err
	}
	for _, f := range []struct{ field, s string }{
		{"description", m.Description}, {"value ID", m.ValueID},
		{"created by", m.CreatedBy}, {"updated by", m.UpdatedBy}, {"incarnation", m.Incarnation},
	} {
		if err := checkString(op, f.field, f.s, false); err != nil {
			return err
		}
	}
	for k, v := range m.Labels {
		if err := checkString(op, "label key", k, true); err != nil {
			return err
		}
		if err := checkString(op, "label value", v, false); err != nil {
			return err
		}
	}
	for _, d := range m.Decrypters {
		if err := checkString(op, "decrypter", d, true); err != nil {
			return err
		}
	}
	if m.KeepVersions < 0 || m.KeepVersions > driver.MaxKeepVersions {
		return errcode.New(errcode.Invalid, op, "keep versions is out of range 0-100")
	}
	if len(m.History) > driver.MaxKeepVersions+1 {
		return errcode.New(errcode.Invalid, op, "history has more than 101 entries")
	}
	for i, h := range m.History {
		if h.Version < 1 || (i > 0 && h.Version >= m.History[i-1].Version) {
			return errcode.New(errcode.Invalid, op, "history versions are not positive and newest first")
		}
		if err := checkString(op, "history value ID", h.ValueID, false); err != nil {
			return err
		}
		if err := checkString(op, "history created by", h.CreatedBy, false); err != nil {
			return err
		}
	}
	return nil
}

// referenced reports whether m points at the ciphertext of valueID: as its
// current value or as a kept one.
func referenced(m *Metadata, valueID string) bool {
	if valueID == "" {
		return false
	}
	if m.ValueID == valueID {
		return true
	}
	for _, h := range m.History {
		if h.ValueID == valueID {
			return true
		}
	}
	return false
}

// checkDrop returns the value IDs a write removes, checked: real keys, at
// most MaxKeepVersions+1, none that the new metadata m still references (dropping
// one would leave metadata pointing at nothing). Empty IDs, c's own and
// repeats are left out, as no-ops (a caller passes the old current value
// ID, which may be empty).
func checkDrop(op string, m *Metadata, c *Ciphertext, drop []string) ([]string, error) {
	if len(drop) > driver.MaxKeepVersions+1 {
		return nil, errcode.New(errcode.Invalid, op, "more than 101 ciphertexts to drop")
	}
	var out []string
	for _, id := range drop {
		if id == "" || (c != nil && c.ValueID == id) || slices.Contains(out, id) {
			continue
		}
		if err := checkCiphertextKey(op, m.Namespace, m.Name, id); err != nil {
			return nil, err
		}
		if referenced(m, id) {
			return nil, errcode.New(errcode.Invalid, op, "a ciphertext to drop is still referenced by the metadata")
		}
		out = append(out, id)
	}
	return out, nil
}

// checkCiphertext checks c's key; the data is opaque.
func checkCiphertext(op string, c *Ciphertext) error {
	if c == nil {
		return errcode.New(errcode.Invalid, op, "ciphertext is nil")
	}
	return checkCiphertextKey(op, c.Namespace, c.Name, c.ValueID)
}

// normTime is how every time is stored: UTC, truncated to the
// microsecond, without a monotonic reading. Zero stays zero.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.Round(0).Truncate(time.Microsecond).UTC()
}

// normMetadata returns the copy of m a driver receives or a caller gets
// back, with revision rev: times normalized, empty lists nil.
func normMetadata(m *Metadata, rev int64) *Metadata {
	c := normResult(m.Clone())
	c.Revision = rev
	return c
}

// normResult normalizes, in place, metadata a driver returned.
func normResult(m *Metadata) *Metadata {
	if m == nil {
		return nil
	}
	m.CreateTime = normTime(m.CreateTime)
	m.UpdateTime = normTime(m.UpdateTime)
	if len(m.Labels) == 0 {
		m.Labels = nil
	}
	if len(m.Decrypters) == 0 {
		m.Decrypters = nil
	}
	if len(m.History) == 0 {
		m.History = nil
	}
	for i := range m.History {
		m.History[i].CreateTime = normTime(m.History[i].CreateTime)
	}
	return m
}

// normCiphertext returns the copy of c a driver receives.
func normCiphertext(c *Ciphertext) *Ciphertext {
	n := *c
	n.Data = bytes.Clone(c.Data)
	if n.Data == nil {
		n.Data = []byte{}
	}
	n.CreateTime = normTime(c.CreateTime)
	return &n
}

// normCiphertextResult normalizes, in place, a ciphertext a driver
// returned.
func normCiphertextResult(c *Ciphertext) *Ciphertext {
	if c == nil {
		return nil
	}
	if c.Data == nil {
		c.Data = []byte{}
	}
	c.CreateTime = normTime(c.CreateTime)
	return c
}

// encodeToken makes an opaque page token from the last key returned.
func encodeToken(lastKey string) string {
	return "v1." + base64.RawURLEncoding.EncodeToString([]byte(lastKey))
}

// decodeToken returns the key a token continues after; "" for the empty
// token. A malformed token is secrets.ErrInvalid.
func decodeToken(op, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	rest, ok := strings.CutPrefix(token, "v1.")
	if !ok {
		return "", errcode.New(errcode.Invalid, op, "malformed page token")
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(b) == 0 || !utf8.Valid(b) {
		return "", errcode.New(errcode.Invalid, op, "malformed page token")
	}
	return string(b), nil
}

// ciphertextToken is the page token after ref: its key, NUL-separated
// (no key part holds a NUL).
func ciphertextToken(ref CiphertextRef) string {
	return encodeToken(ref.Namespace + "\x00" + ref.Name + "\x00" + ref.ValueID)
}

// decodeCiphertextToken returns the key a ListCiphertexts token of
// namespace ("" for all) continues after.
func decodeCiphertextToken(op, namespace, token string) (CiphertextRef, error) {
	key, err := decodeToken(op, token)
	if err != nil || key == "" {
		return CiphertextRef{}, err
	}
	parts := strings.Split(key, "\x00")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return CiphertextRef{}, errcode.New(errcode.Invalid, op, "malformed page token")
	}
	if namespace != "" && parts[0] != namespace {
		return CiphertextRef{}, errcode.New(errcode.Invalid, op, "page token of another namespace")
	}
	return CiphertextRef{Namespace: parts[0], Name: parts[1], ValueID: parts[2]}, nil
}

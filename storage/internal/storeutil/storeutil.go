// Package storeutil holds what every strongbox storage backend shares: the
// closing gate, argument checks, page tokens and time normalization, so
// that backends agree on behaviour the conformance suite checks.
package storeutil

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
)

// Gate tracks calls in flight so that Close can wait for them and later
// calls fail. The zero value is open.
type Gate struct {
	mu       sync.RWMutex
	closed   bool
	inflight sync.WaitGroup
}

// Enter registers a call; it fails with storage.ErrClosed (code
// FailedPrecondition) after Close. A successful Enter must be paired with
// Leave.
func (g *Gate) Enter(op string) error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return errcode.Wrap(errcode.FailedPrecondition, op, storage.ErrClosed)
	}
	g.inflight.Add(1)
	return nil
}

// Leave ends a call registered by Enter.
func (g *Gate) Leave() { g.inflight.Done() }

// Close makes later Enter calls fail and waits for calls in flight. It
// reports whether this was the first Close.
func (g *Gate) Close() bool {
	g.mu.Lock()
	first := !g.closed
	g.closed = true
	g.mu.Unlock()
	g.inflight.Wait()
	return first
}

// Begin is Enter plus a context check, the common start of a Store method.
// On success the caller must call Leave.
func (g *Gate) Begin(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return g.Enter(op)
}

// Error converts a backend error: context errors (when ctx is done) pass
// through unchanged, errors that already carry a code keep it, anything
// else gets code.
func Error(ctx context.Context, code errcode.Code, op string, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil && errcode.IsContext(err) {
		return cerr
	}
	if errcode.IsContext(err) {
		return err
	}
	var e *errcode.Error
	if errors.As(err, &e) {
		return err
	}
	return errcode.Wrap(code, op, err)
}

func checkString(op, field, s string, required bool) error {
	if required && s == "" {
		return errcode.New(errcode.Invalid, op, field+" is empty")
	}
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return errcode.New(errcode.Invalid, op, field+" is not valid UTF-8 text without NUL bytes")
	}
	return nil
}

// CheckKey checks a (namespace, name) key.
func CheckKey(op, namespace, name string) error {
	if err := checkString(op, "namespace", namespace, true); err != nil {
		return err
	}
	return checkString(op, "name", name, true)
}

// CheckCiphertextKey checks a (namespace, name, valueID) key.
func CheckCiphertextKey(op, namespace, name, valueID string) error {
	if err := CheckKey(op, namespace, name); err != nil {
		return err
	}
	return checkString(op, "value ID", valueID, true)
}

// CheckMetadata checks the key and the text fields of m.
func CheckMetadata(op string, m *storage.Metadata) error {
	if m == nil {
		return errcode.New(errcode.Invalid, op, "metadata is nil")
	}
	if err := CheckKey(op, m.Namespace, m.Name); err != nil {
		return err
	}
	for _, f := range []struct{ field, s string }{
		{"description", m.Description}, {"value ID", m.ValueID},
		{"created by", m.CreatedBy}, {"updated by", m.UpdatedBy},
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
	return nil
}

// CheckCiphertext checks c's key; the data is opaque.
func CheckCiphertext(op string, c *storage.Ciphertext) error {
	if c == nil {
		return errcode.New(errcode.Invalid, op, "ciphertext is nil")
	}
	return CheckCiphertextKey(op, c.Namespace, c.Name, c.ValueID)
}

// Time normalizes t the way every backend stores it: UTC, truncated to the
// microsecond, without a monotonic reading. Zero stays zero.
func Time(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.Round(0).Truncate(time.Microsecond).UTC()
}

// Micros converts t to Unix microseconds, the SQL representation.
// The zero time maps to its own (negative) value, so it round-trips.
func Micros(t time.Time) int64 { return Time(t).UnixMicro() }

// FromMicros is the inverse of Micros.
func FromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// EncodeToken makes an opaque page token from the last key returned.
func EncodeToken(lastKey string) string {
	return "v1." + base64.RawURLEncoding.EncodeToString([]byte(lastKey))
}

// DecodeToken returns the key a token continues after; "" for the empty
// token. A malformed token is ErrInvalid.
func DecodeToken(op, token string) (string, error) {
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

// CiphertextPageSize applies the ListOptions page size rules to a
// ListCiphertexts page size.
func CiphertextPageSize(n int) int {
	return storage.ListOptions{PageSize: n}.EffectivePageSize()
}

// Fetch reads up to limit metadata records of a namespace whose names come
// after after, in name order, calling emit for each with its name and the
// record (nil for a record to skip, such as a deletion mark). It stops
// early when emit returns false, and returns how many records it read.
type Fetch func(after string, limit int, emit func(name string, m *storage.Metadata) bool) (read int, err error)

// ListPage is the ListMetadata paging every backend shares: keyset pages
// by name (the token is the last name returned) with the label filter
// applied in memory, reading batches until the page is full or the
// namespace ends. fetch's errors are returned as they are.
func ListPage(op string, opts storage.ListOptions, fetch Fetch) ([]*storage.Metadata, string, error) {
	after, err := DecodeToken(op, opts.PageToken)
	if err != nil {
		return nil, "", err
	}
	size := opts.EffectivePageSize()
	batch := size + 1 // one more than the page shows whether a next page exists
	if len(opts.Labels) > 0 && batch < 100 {
		batch = 100 // a filter skips records: read more per round trip
	}
	var out []*storage.Metadata
	for len(out) <= size {
		n, err := fetch(after, batch, func(name string, m *storage.Metadata) bool {
			after = name
			if m != nil && storage.MatchLabels(m.Labels, opts.Labels) {
				out = append(out, m)
			}
			return len(out) <= size
		})
		if err != nil {
			return nil, "", err
		}
		if n < batch {
			break // the namespace is exhausted, or the page is full
		}
	}
	next := ""
	if len(out) > size {
		out = out[:size]
		next = EncodeToken(out[size-1].Name)
	}
	return out, next, nil
}

// Package names holds the rules for secret names, namespaces and service
// identities that both package secrets and package runtoken apply, so that
// runtoken checks a token's claims without importing secrets (and the
// storage and keeper code behind it), and the "name@N" reference syntax
// (ParseRef) that secrets, httpapi, the sources and the command share.
// secrets re-exports the limits and applies the checks (secrets.Validate);
// users never import this package.
package names

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// Limits of names, namespaces, descriptions, labels and decrypter lists;
// package secrets applies them and documents them in its # Limits section,
// and secrets/webui shows them in its forms.
const (
	MaxDescriptionRunes = 253
	MaxLabels           = 10
	MaxLabelKeyLength   = 63
	MaxLabelValueLength = 63
	MaxNameLength       = 253
	MaxNamespaceLength  = 253
	MaxDecrypters       = 64
	MaxDecrypterLength  = 253
	// MaxRevealNames is the most names one Reveal call may ask for, and
	// one run token may list.
	MaxRevealNames = 100
)

// invalid is an error of code Invalid. Messages name the field, the
// position and the rule broken; rejected input is never echoed, not even in
// part, since it may hold control characters that forge log lines or be a
// value pasted into the wrong field.
func invalid(op, format string, args ...any) error {
	return errcode.New(errcode.Invalid, op, fmt.Sprintf(format, args...))
}

// IsNameByte reports whether c may appear in a name or namespace: letters,
// digits, hyphen and underscore.
func IsNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// IsLabelByte adds the dot to the name bytes, so label keys such as
// "app.kubernetes.io" fit.
func IsLabelByte(c byte) bool { return IsNameByte(c) || c == '.' }

// isDecrypterByte adds ':', '@' and '/' to the label bytes, for service
// identities such as "spiffe://cluster/ns/sa".
func isDecrypterByte(c byte) bool {
	return IsLabelByte(c) || c == ':' || c == '@' || c == '/'
}

// FirstBadByte returns the index of the first byte of s that ok rejects, or
// -1.
func FirstBadByte(s string, ok func(byte) bool) int {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return i
		}
	}
	return -1
}

// Name checks a secret name: 1-253 letters, digits, hyphens and
// underscores.
func Name(op, name string) error { return ident(op, "name", name, MaxNameLength) }

// Namespace checks a namespace with the same rules as a name.
func Namespace(op, ns string) error { return ident(op, "namespace", ns, MaxNamespaceLength) }

func ident(op, field, s string, limit int) error {
	switch {
	case s == "":
		return invalid(op, "%s is empty; it must have 1 to %d characters", field, limit)
	case len(s) > limit:
		return invalid(op, "%s has %d characters; the limit is %d", field, len(s), limit)
	}
	if i := FirstBadByte(s, IsNameByte); i >= 0 {
		return invalid(op, "%s has a character at position %d that is not a letter, digit, hyphen or underscore", field, i+1)
	}
	return nil
}

// Decrypters checks a list of service identities: at most 64, each 1-253
// characters of letters, digits and - _ . : @ /, no duplicates.
func Decrypters(op string, ids []string) error {
	if len(ids) > MaxDecrypters {
		return invalid(op, "%d decrypters; the limit is %d", len(ids), MaxDecrypters)
	}
	seen := make(map[string]int, len(ids))
	for i, id := range ids {
		switch {
		case id == "" || len(id) > MaxDecrypterLength:
			return invalid(op, "decrypter %d must have 1 to %d characters", i+1, MaxDecrypterLength)
		case FirstBadByte(id, isDecrypterByte) >= 0:
			return invalid(op, "decrypter %d has a character other than letters, digits and - _ . : @ /", i+1)
		case seen[id] > 0:
			return invalid(op, "decrypters %d and %d are the same", seen[id], i+1)
		}
		seen[id] = i + 1
	}
	return nil
}

// ParseRef splits a reference to a secret's value, "name" or "name@N",
// into the name and the version N (0 for "name": the current value). N is
// a decimal version of at least 1, without sign or leading zeros; names
// cannot contain '@', so the syntax is unambiguous. The name is checked
// like Name. Errors have code Invalid and never repeat the input.
func ParseRef(s string) (name string, version int64, err error) {
	name, v, pinned := strings.Cut(s, "@")
	if err := Name("", name); err != nil {
		return "", 0, err
	}
	if !pinned {
		return name, 0, nil
	}
	if !validVersionText(v) {
		return "", 0, errcode.New(errcode.Invalid, "",
			fmt.Sprintf("the version after '@' in the reference to %q must be a decimal number from 1, without sign or leading zeros", name))
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return "", 0, errcode.New(errcode.Invalid, "",
			fmt.Sprintf("the version after '@' in the reference to %q is too large", name))
	}
	return name, n, nil
}

// validVersionText reports whether v is 1-19 decimal digits not starting
// with 0.
func validVersionText(v string) bool {
	if v == "" || len(v) > 19 || v[0] == '0' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

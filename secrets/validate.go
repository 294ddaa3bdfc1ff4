package secrets

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/names"
)

// MaxValueBytes is the largest value: one that fits is accepted by every
// backend. The other limits (names, descriptions, labels, decrypters, the
// names of one Reveal call, list pages) are listed in the package
// documentation's # Limits section; Validate and the Manager's methods
// apply them.
const MaxValueBytes = 24 * 1024 // 24 KiB

// Limits kept unexported: users meet them through Validate's errors, and
// the package documentation lists them.
const (
	maxNameLength       = names.MaxNameLength
	maxDescriptionRunes = names.MaxDescriptionRunes
	maxLabels           = names.MaxLabels
	maxLabelKeyLength   = names.MaxLabelKeyLength
	maxLabelValueLength = names.MaxLabelValueLength
	maxRevealNames      = names.MaxRevealNames
)

// invalid is an ErrInvalid error. Messages name the field, the position and
// the rule broken, and quote only input that passed its own checks (a valid
// label key, say): rejected input is never echoed, not even in part, since
// it may hold control characters that forge log lines or be a value pasted
// into the wrong field.
func invalid(op, format string, args ...any) error {
	return errcode.New(errcode.Invalid, op, fmt.Sprintf(format, args...))
}

// The rules of names, namespaces and decrypters live in internal/names,
// which runtoken shares; the limits above are theirs (internal/names tests
// that they agree).

func isNameByte(c byte) bool                        { return names.IsNameByte(c) }
func isLabelByte(c byte) bool                       { return names.IsLabelByte(c) }
func firstBadByte(s string, ok func(byte) bool) int { return names.FirstBadByte(s, ok) }

// Validate checks the fields of s that are set against the limits (see
// # Limits): Name when not empty, Description, Labels, Decrypters when not
// nil, and Value when not empty. So it checks a whole Spec as well as one
// form field (Validate(Spec{Labels: l})). The first broken rule is
// returned, matching ErrInvalid; its message starts with the field
// ("name ...", "description ...", "a label key ...", "decrypter 2 ...") and
// never quotes rejected input. Create also requires a Name and a Value;
// ValidateValue checks one value, an empty one refused; a Spec with only
// a Name checks that name.
func Validate(s Spec) error {
	var errs []error
	if s.Name != "" {
		errs = append(errs, validateName(s.Name))
	}
	errs = append(errs, validateDescription(s.Description), validateLabels(s.Labels))
	if s.Decrypters != nil {
		errs = append(errs, validateDecrypters(s.Decrypters))
	}
	if s.Value.Len() != 0 {
		errs = append(errs, ValidateValue(s.Value))
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// validateDescription checks a description: valid UTF-8 without NUL bytes
// (which no SQL text column stores), at most 253 characters.
func validateDescription(d string) error {
	const op = "secrets.Validate"
	if !utf8.ValidString(d) {
		return invalid(op, "description is not valid UTF-8")
	}
	if strings.IndexByte(d, 0) >= 0 {
		return invalid(op, "description contains a NUL byte")
	}
	if n := utf8.RuneCountInString(d); n > maxDescriptionRunes {
		return invalid(op, "description has %d characters; the limit is %d", n, maxDescriptionRunes)
	}
	return nil
}

// validateLabels checks labels: at most 10; keys 1-63 and values 0-63
// characters of letters, digits, hyphens, underscores and dots.
func validateLabels(labels map[string]string) error {
	const op = "secrets.Validate"
	if len(labels) > maxLabels {
		return invalid(op, "%d labels; the limit is %d", len(labels), maxLabels)
	}
	for _, k := range sortedKeys(labels) {
		if err := validateLabelPart(op, k, labels[k]); err != nil {
			return err
		}
	}
	return nil
}

func validateLabelPart(op, k, v string) error {
	switch {
	case k == "":
		return invalid(op, "a label key is empty; keys have 1 to %d characters", maxLabelKeyLength)
	case len(k) > maxLabelKeyLength:
		return invalid(op, "a label key has %d characters; the limit is %d", len(k), maxLabelKeyLength)
	case firstBadByte(k, isLabelByte) >= 0:
		return invalid(op, "label key at position %d of its label has a character other than letters, digits, '-', '_', '.'", firstBadByte(k, isLabelByte)+1)
	case len(v) > maxLabelValueLength:
		return invalid(op, "label %q has a value of %d characters; the limit is %d", k, len(v), maxLabelValueLength)
	case firstBadByte(v, isLabelByte) >= 0:
		return invalid(op, "label %q has a value with a character other than letters, digits, '-', '_', '.'", k)
	}
	return nil
}

// validateDecrypters checks a list of service identities: at most 64, each
// 1-253 characters of letters, digits and - _ . : @ /, no duplicates.
func validateDecrypters(ids []string) error {
	return names.Decrypters("secrets.Validate", ids)
}

// ValidateValue checks a value: valid UTF-8 text of 1 to 24,576 bytes. The
// error names the limit, never the value.
func ValidateValue(v Value) error {
	const op = "secrets.ValidateValue"
	switch n := v.Len(); {
	case n == 0:
		return invalid(op, "value is empty; it must have 1 to %d bytes", MaxValueBytes)
	case n > MaxValueBytes:
		return invalid(op, "value has %d bytes; the limit is %d", n, MaxValueBytes)
	case !utf8.ValidString(v.str()):
		return invalid(op, "value is not valid UTF-8 text")
	}
	return nil
}

// ParseSelector parses a label selector of the form "env=prod,team=checkout"
// into the labels a secret must all have. Spaces around items are ignored;
// an empty selector selects everything.
func ParseSelector(s string) (map[string]string, error) {
	const op = "secrets.ParseSelector"
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return nil, invalid(op, "selector item %d has no '='; items are key=value", i+1)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if err := validateLabelPart(op, k, v); err != nil {
			return nil, err
		}
		if old, dup := out[k]; dup && old != v {
			return nil, invalid(op, "selector names label %q twice with different values", k)
		}
		out[k] = v
	}
	if len(out) > maxLabels {
		return nil, invalid(op, "selector has %d labels; the limit is %d", len(out), maxLabels)
	}
	return out, nil
}

// formatSelector is the inverse of ParseSelector, with keys sorted.
func formatSelector(labels map[string]string) string {
	var b strings.Builder
	for i, k := range sortedKeys(labels) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(labels[k])
	}
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// validateName and validateNamespace check a name and a namespace (see
// # Limits), with the Manager's error codes.
func validateName(name string) error { return names.Name("secrets.ValidateName", name) }

func validateNamespace(ns string) error { return names.Namespace("secrets.ValidateNamespace", ns) }

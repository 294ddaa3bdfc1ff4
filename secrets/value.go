package secrets

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
)

// redactedText is what a Value prints as, everywhere.
const redactedText = "[REDACTED]"

// Value holds a secret value. It never prints: String, Format (every verb),
// GoString, MarshalJSON, MarshalText and LogValue all give [REDACTED].
// Reading the value is one explicit call, DangerouslyExpose.
//
// The zero Value is empty. Values are immutable and safe to copy. Compare
// them with Equal: == compares identity, not content.
type Value struct {
	// p is unexported and a pointer: fmt prints a Value held in an
	// unexported field of another struct (where it cannot call the
	// methods below) by reflection, and it prints a nested pointer as an
	// address, never what it points at. encoding/json skips unexported
	// fields; everything else goes through the methods below.
	p *string
}

// NewValue wraps s. It does not validate; the Manager checks the limits.
func NewValue(s string) Value {
	if s == "" {
		return Value{}
	}
	return Value{p: &s}
}

func (v Value) str() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

// DangerouslyExpose returns the plaintext. Every call is a place where a
// secret leaves strongbox's protection: keep the result out of logs, errors
// and responses.
func (v Value) DangerouslyExpose() string { return v.str() }

// Len returns the length of the value in bytes, which is not secret.
func (v Value) Len() int { return len(v.str()) }

// Equal reports whether two values are the same, without exposing either.
// It takes time that depends on the lengths (which are not secret, see
// Len) but not on the contents, and copies neither.
func (v Value) Equal(o Value) bool {
	a, b := v.str(), o.str()
	if len(a) != len(b) {
		return false
	}
	var diff byte
	for i := 0; i < len(a); i++ {
		diff |= a[i] ^ b[i]
	}
	return subtle.ConstantTimeByteEq(diff, 0) == 1
}

// String returns [REDACTED].
func (Value) String() string { return redactedText }

// GoString returns [REDACTED].
func (Value) GoString() string { return redactedText }

// Format prints [REDACTED] for every verb and flag.
func (Value) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redactedText)) }

// MarshalJSON returns the JSON string "[REDACTED]".
func (Value) MarshalJSON() ([]byte, error) { return []byte(`"` + redactedText + `"`), nil }

// MarshalText returns [REDACTED].
func (Value) MarshalText() ([]byte, error) { return []byte(redactedText), nil }

// LogValue makes slog print [REDACTED].
func (Value) LogValue() slog.Value { return slog.StringValue(redactedText) }

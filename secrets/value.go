package secrets

import (
	"fmt"
	"log/slog"
)

// redactedText is what a Value prints as, everywhere.
const redactedText = "[REDACTED]"

// Value holds a secret value. It never prints: String, Format (every verb),
// GoString, MarshalJSON, MarshalText and LogValue all give [REDACTED].
// Reading the value is one explicit call, DangerouslyExpose.
//
// The zero Value is empty. Values are immutable and safe to copy.
type Value struct {
	// s is unexported and behind a pointer-free string so that reflection
	// based printers (fmt %+v on a containing struct, encoding/json) cannot
	// reach it: they go through the methods below.
	s string
}

// NewValue wraps s. It does not validate; the Manager checks the limits.
func NewValue(s string) Value { return Value{s: s} }

// DangerouslyExpose returns the plaintext. Every call is a place where a
// secret leaves strongbox's protection: keep the result out of logs, errors
// and responses.
func (v Value) DangerouslyExpose() string { return v.s }

// Len returns the length of the value in bytes, which is not secret.
func (v Value) Len() int { return len(v.s) }

// IsZero reports whether the value is empty.
func (v Value) IsZero() bool { return v.s == "" }

// Equal reports whether two values are the same, without exposing either.
func (v Value) Equal(o Value) bool { return v.s == o.s }

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

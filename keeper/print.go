package keeper

import (
	"fmt"
	"io"
	"log/slog"
)

// Printed forms. A KEK, which may hold a URL that is a key, prints only
// its non-secret identity under fmt (every verb), encoding/json and every
// encoder that uses encoding.TextMarshaler (slog's handlers too); see the
// package doc's # Security. EnvelopeOptions print their KEKs that way, and
// an Envelope's state sits behind a pointer.

// text is the one printed form of a KEK: its id, its URL redacted, and
// whether a Wrapper is set.
func (k KEK) text() string {
	s := fmt.Sprintf("KEK{ID:%q", k.ID)
	if k.URL != "" {
		s += fmt.Sprintf(" URL:%q", redactURL(k.URL))
	}
	if k.Wrapper != nil {
		s += " Wrapper:set"
	}
	return s + "}"
}

// Format prints the id, the URL redacted and whether Wrapper is set,
// under every verb (%v %+v %#v %s %q %x ...).
func (k KEK) Format(f fmt.State, verb rune) { io.WriteString(f, k.text()) }

// MarshalText returns what Format prints, for encoding/json, slog and
// every other encoder that uses encoding.TextMarshaler. It is for logs: a
// marshalled KEK cannot be read back into a working one.
func (k KEK) MarshalText() ([]byte, error) { return []byte(k.text()), nil }

// unprintable, embedded first in an internal type, makes every printed
// form of it a fixed mark: the internal types hold data keys, wrapped data
// keys and opened KEKs, and a stray %v must not show them.
type unprintable struct{}

const unprintableMark = "[keeper internal: REDACTED]"

func (unprintable) String() string               { return unprintableMark }
func (unprintable) GoString() string             { return unprintableMark }
func (unprintable) Format(f fmt.State, _ rune)   { io.WriteString(f, unprintableMark) }
func (unprintable) MarshalText() ([]byte, error) { return []byte(unprintableMark), nil }
func (unprintable) LogValue() slog.Value         { return slog.StringValue(unprintableMark) }

package redact

import (
	"errors"
	"testing"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// TestSentinelsCarryCodes: every redact sentinel carries a strongbox error
// code (issue #12), and a blank secret is refused with ErrShortSecret.
func TestSentinelsCarryCodes(t *testing.T) {
	blank := New(Options{}).Add("   ")
	short := New(Options{}).Add("ab")
	for _, tc := range []struct {
		name string
		err  error
		is   error
		code errcode.Code
	}{
		{"ErrShortSecret", ErrShortSecret, ErrShortSecret, errcode.Invalid},
		{"ErrClosed", ErrClosed, ErrClosed, errcode.FailedPrecondition},
		{"blank secret", blank, ErrShortSecret, errcode.Invalid},
		{"short secret", short, ErrShortSecret, errcode.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", tc.err, tc.is)
			}
			if got := errcode.Of(tc.err); got != tc.code {
				t.Errorf("code = %v, want %v", got, tc.code)
			}
		})
	}
}

package errcode

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestErrorPrintsCodeOnce is the regression test for errors that printed
// their code twice ("secrets.Reveal: not found: not found: ...") when an
// operation wrapped an error of the same code.
func TestErrorPrintsCodeOnce(t *testing.T) {
	inner := New(NotFound, "", `no secret "db" in namespace "ns"`)
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"plain", New(NotFound, "secrets.Get", "gone"), "secrets.Get: not found: gone"},
		{"same code wrapped", &Error{Code: NotFound, Op: "secrets.Reveal", Err: inner},
			`secrets.Reveal: not found: no secret "db" in namespace "ns"`},
		{"same code twice wrapped", &Error{Code: NotFound, Op: "secrets.Reveal", Err: &Error{Code: NotFound, Op: "storage.GetMetadata", Err: inner}},
			`secrets.Reveal: storage.GetMetadata: not found: no secret "db" in namespace "ns"`},
		{"sentinel wrapped", Wrap(Invalid, "secrets.New", Invalid), "secrets.New: invalid"},
		{"other code kept", Wrap(PermissionDenied, "secrets.Create", New(Invalid, "", "bad")), "secrets.Create: permission denied: invalid: bad"},
		{"through fmt", &Error{Code: Internal, Op: "secrets.Reveal", Err: fmt.Errorf("version 2: %w", New(Internal, "keeper.Decrypt", "wrong key"))},
			"secrets.Reveal: version 2: keeper.Decrypt: internal: wrong key"},
		{"plain cause", Wrap(Unavailable, "storage.Get", errors.New("connection refused")), "storage.Get: unavailable: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if !errors.Is(tt.err, Of(tt.err)) {
				t.Errorf("errors.Is(err, %v) = false", Of(tt.err))
			}
		})
	}
	wrapped := &Error{Code: NotFound, Op: "secrets.Reveal", Err: inner}
	if !errors.Is(wrapped, NotFound) || !errors.Is(wrapped, inner) || errors.Is(wrapped, Invalid) {
		t.Error("errors.Is no longer follows the code and the cause")
	}
	ctxErr := Wrap(Unavailable, "op", context.Canceled)
	if !errors.Is(ctxErr, context.Canceled) {
		t.Error("a wrapped context error no longer matches")
	}
}

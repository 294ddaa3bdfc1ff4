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

// TestOfAndIsContextFastPaths: Of and IsContext answer for an *Error at the
// top of the chain what the errors.As and errors.Is walks answer, without
// allocating.
func TestOfAndIsContextFastPaths(t *testing.T) {
	walkOf := func(err error) Code {
		var c Code
		if errors.As(err, &c) {
			return c
		}
		return Internal
	}
	walkIsContext := func(err error) bool {
		return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	}
	for _, err := range []error{
		New(NotFound, "storage.GetRecord", "record not found"),
		&Error{Code: Unavailable, Op: "storage.Get", Err: context.DeadlineExceeded},
		&Error{Code: NotFound, Op: "secrets.Reveal", Err: New(Internal, "", "inner")},
		&Error{Code: Conflict},
	} {
		if got, want := Of(err), walkOf(err); got != want {
			t.Errorf("Of(%v) = %v, want %v", err, got, want)
		}
		if got, want := IsContext(err), walkIsContext(err); got != want {
			t.Errorf("IsContext(%v) = %v, want %v", err, got, want)
		}
	}
	err := error(New(NotFound, "storage.GetRecord", "record not found"))
	if n := testing.AllocsPerRun(100, func() {
		if Of(err) != NotFound || IsContext(err) {
			t.Fatal("wrong answer")
		}
	}); n != 0 {
		t.Errorf("Of and IsContext allocate %v times for an *Error", n)
	}
}

package telemetry

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
)

func TestOutcome(t *testing.T) {
	secret := leakcheck.NewValue("v")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, "ok"},
		{context.Canceled, "canceled"},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), "deadline_exceeded"},
		{errcode.New(errcode.NotFound, "op", "secret "+secret), "not_found"},
		{errcode.New(errcode.AlreadyExists, "op", ""), "already_exists"},
		{errcode.New(errcode.Invalid, "op", ""), "invalid"},
		{errcode.New(errcode.Conflict, "op", ""), "conflict"},
		{errcode.New(errcode.PermissionDenied, "op", ""), "permission_denied"},
		{errcode.New(errcode.FailedPrecondition, "op", ""), "failed_precondition"},
		{errcode.Wrap(errcode.Unavailable, "op", errors.New(secret)), "unavailable"},
		{errors.New(secret), "internal"},
	} {
		if got := Outcome(tc.err); got != tc.want {
			t.Errorf("Outcome(%v) = %q, want %q", errcode.Of(tc.err), got, tc.want)
		}
	}
}

func TestMain(m *testing.M) { leakcheck.Main(m) }

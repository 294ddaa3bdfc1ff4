package httpapi_test

import (
	"errors"
	"testing"

	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
)

// TestErrUnauthenticatedHasCode is the regression test for a sentinel
// without a code: every sentinel matches one of secrets' error codes.
func TestErrUnauthenticatedHasCode(t *testing.T) {
	if !errors.Is(httpapi.ErrUnauthenticated, secrets.ErrPermissionDenied) {
		t.Errorf("ErrUnauthenticated (%v) has code %v, want PermissionDenied", httpapi.ErrUnauthenticated, secrets.ErrorCode(httpapi.ErrUnauthenticated))
	}
}

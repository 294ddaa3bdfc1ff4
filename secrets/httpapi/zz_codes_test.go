package httpapi_test

import (
	"errors"
	"testing"

	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
)

// TestUnauthenticatedCarriesCode: the httpapi sentinels carry a strongbox
// error code (issue #12), the one a client sees for a 401 answer.
func TestUnauthenticatedCarriesCode(t *testing.T) {
	for name, err := range map[string]error{"ErrUnauthenticated": httpapi.ErrUnauthenticated, "ErrNoCredentials": httpapi.ErrNoCredentials} {
		if !errors.Is(err, secrets.ErrPermissionDenied) {
			t.Errorf("%s does not match secrets.ErrPermissionDenied", name)
		}
		if !errors.Is(err, httpapi.ErrUnauthenticated) {
			t.Errorf("%s does not match ErrUnauthenticated", name)
		}
	}
}

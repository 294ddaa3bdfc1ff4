package httpapi

import (
	"errors"
	"testing"

	"github.com/strongbox-go/strongbox/secrets"
)

// A client must get the same errors.Is answers as a caller of the Manager.
func TestErrorMatchesManagerErrors(t *testing.T) {
	tests := []struct {
		code  string
		match []error
		not   []error
	}{
		{codeRevoked, []error{secrets.ErrRevoked, secrets.ErrFailedPrecondition}, []error{secrets.ErrConflict}},
		{codeFailedPrecondition, []error{secrets.ErrFailedPrecondition}, []error{secrets.ErrRevoked}},
		{codeNotFound, []error{secrets.ErrNotFound}, []error{secrets.ErrRevoked, secrets.ErrInternal}},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			err := error(&Error{Code: tc.code})
			for _, want := range tc.match {
				if !errors.Is(err, want) {
					t.Errorf("errors.Is(%s, %v) = false", tc.code, want)
				}
			}
			for _, not := range tc.not {
				if errors.Is(err, not) {
					t.Errorf("errors.Is(%s, %v) = true", tc.code, not)
				}
			}
		})
	}
}

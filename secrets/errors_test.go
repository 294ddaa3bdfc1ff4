package secrets_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/strongbox-go/strongbox/secrets"
)

// TestErrorCodeIsASentinel: ErrorCode gives one of the Err values, so a
// switch on it needs no second type.
func TestErrorCodeIsASentinel(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"nil", nil, nil},
		{"sentinel", secrets.ErrConflict, secrets.ErrConflict},
		{"wrapped", fmt.Errorf("get: %w", secrets.ErrNotFound), secrets.ErrNotFound},
		{"revoked", secrets.ErrRevoked, secrets.ErrFailedPrecondition},
		{"context", context.Canceled, secrets.ErrUnavailable},
		{"plain", errors.New("boom"), secrets.ErrInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := secrets.ErrorCode(tt.err); got != tt.want {
				t.Errorf("ErrorCode(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

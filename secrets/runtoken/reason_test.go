package runtoken_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// TestReasonNamesEachRefusal checks that Reason, which replaced the
// exported refusal sentinels (issue #12), names every refusal, also
// wrapped, and nothing else.
func TestReasonNamesEachRefusal(t *testing.T) {
	for want, err := range map[string]error{
		"malformed":     runtoken.ErrMalformed,
		"unknown_key":   runtoken.ErrUnknownKey,
		"signature":     runtoken.ErrSignature,
		"lifetime":      runtoken.ErrLifetime,
		"expired":       runtoken.ErrExpired,
		"not_yet_valid": runtoken.ErrNotYetValid,
		"revoked":       runtoken.ErrTokenRevoked,
		"":              nil,
	} {
		t.Run(want, func(t *testing.T) {
			if got := runtoken.Reason(fmt.Errorf("verify: %w", err)); got != want {
				t.Errorf("Reason(%v) = %q, want %q", err, got, want)
			}
			if err != nil && !errors.Is(err, runtoken.ErrInvalidToken) {
				t.Errorf("%v does not match ErrInvalidToken", err)
			}
		})
	}
	for _, err := range []error{runtoken.ErrInvalidToken, errors.New("other")} {
		if got := runtoken.Reason(err); got != "" {
			t.Errorf("Reason(%v) = %q, want \"\"", err, got)
		}
	}
}

package runtoken_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// TestRevokeWithZeroExpiryHolds: a revocation holds until the token
// expires whatever expiry the caller passes (zero, past, or earlier than
// the token's), also after the revocation set sweeps, on the Verifier
// itself and on a second Verifier sharing the set.
func TestRevokeWithZeroExpiryHolds(t *testing.T) {
	ctx := context.Background()
	for name, expiry := range map[string]func(c *clock) time.Time{
		"zero expiry":            func(*clock) time.Time { return time.Time{} },
		"past expiry":            func(c *clock) time.Time { return c.Now().Add(-time.Hour) },
		"now":                    func(c *clock) time.Time { return c.Now() },
		"before the token's end": func(c *clock) time.Time { return c.Now().Add(time.Minute) },
	} {
		t.Run(name, func(t *testing.T) {
			c := newClock()
			k := mustKey(t, runtoken.AlgHMACSHA256, "k")
			revs := runtoken.NewMemoryRevocations(c.Now)
			iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: k, Revocations: revs, Clock: c.Now})
			if err != nil {
				t.Fatal(err)
			}
			v, err := runtoken.NewVerifier(runtoken.VerifierOptions{Keys: []*runtoken.Key{k}, Revocations: revs, Clock: c.Now})
			if err != nil {
				t.Fatal(err)
			}
			tok, claims, err := iss.Issue(ctx, runtoken.Grant{Namespace: "ns", Subject: "run", AllNames: true, TTL: 24 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Revoke(ctx, claims.ID, expiry(c)); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			// Step through the token's life; each Revoke of another id
			// gives the set a chance to sweep.
			for step := time.Duration(0); step < 24*time.Hour; step += 2 * time.Hour {
				if _, err := v.Verify(ctx, tok); !errors.Is(err, runtoken.ErrTokenRevoked) {
					t.Fatalf("%s after Revoke: Verify err = %v, want ErrTokenRevoked", step, err)
				}
				if _, err := iss.Verifier().Verify(ctx, tok); !errors.Is(err, runtoken.ErrTokenRevoked) {
					t.Fatalf("%s after Revoke, issuer: Verify err = %v, want ErrTokenRevoked", step, err)
				}
				c.Add(2 * time.Hour)
				if err := v.Revoke(ctx, "BBBBBBBBBBBBBBBBBBBBBB", c.Now().Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestRevocationRetentionBounded: the entry a revocation adds is dropped
// once no token with that id can still verify, so the set does not grow
// forever.
func TestRevocationRetentionBounded(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	k := mustKey(t, runtoken.AlgHMACSHA256, "k")
	revs := runtoken.NewMemoryRevocations(c.Now)
	v, err := runtoken.NewVerifier(runtoken.VerifierOptions{Keys: []*runtoken.Key{k}, Revocations: revs, Clock: c.Now, MaxLifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Revoke(ctx, "AAAAAAAAAAAAAAAAAAAAAA", time.Time{}); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Hour + 2*time.Minute) // max lifetime + leeway + sweep interval
	if err := v.Revoke(ctx, "BBBBBBBBBBBBBBBBBBBBBB", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if revs.Len() != 1 {
		t.Errorf("revocation set holds %d ids, want 1", revs.Len())
	}
}

// TestRevokeInvalid: Revoke refuses an id that no token can carry (a
// pasted token, an empty string) instead of recording it, and the
// in-memory set refuses a retention time that is already past rather than
// dropping the entry at once.
func TestRevokeInvalid(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	k := mustKey(t, runtoken.AlgHMACSHA256, "k")
	iss := newIssuer(t, k, c)
	tok, _, _ := iss.Issue(ctx, runtoken.Grant{Namespace: "ns", Subject: "run", AllNames: true})
	for _, id := range []string{"", tok, "AAAAAAAAAAAAAAAAAAAAA.", "short"} {
		if err := iss.Verifier().Revoke(ctx, id, time.Time{}); !errors.Is(err, secrets.ErrInvalid) {
			t.Errorf("Verifier.Revoke(%d chars): err = %v, want ErrInvalid", len(id), err)
		}
	}
	revs := runtoken.NewMemoryRevocations(c.Now)
	if err := revs.Revoke(ctx, "AAAAAAAAAAAAAAAAAAAAAA", c.Now()); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("MemoryRevocations.Revoke until now: err = %v, want ErrInvalid", err)
	}
}

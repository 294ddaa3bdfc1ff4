package runtoken_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// TestVerifyCachedTokenStillChecked: a token verified once (its parse is
// cached) is still refused once revoked and once expired, a tampered copy
// is still refused, and the Names a caller gets are its own.
func TestVerifyCachedTokenStillChecked(t *testing.T) {
	ctx := context.Background()
	for _, step := range []string{"revoked", "expired", "tampered", "names"} {
		t.Run(step, func(t *testing.T) {
			c := newClock()
			k := mustKey(t, runtoken.AlgHMACSHA256, "k")
			iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: k, Clock: c.Now})
			if err != nil {
				t.Fatal(err)
			}
			v := iss.Verifier()
			tok, claims, err := iss.Issue(ctx, runtoken.Grant{Namespace: "ns", Subject: "run", Names: []string{"a", "b"}, TTL: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			first, err := v.Verify(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			var want error
			switch step {
			case "revoked":
				if err := v.Revoke(ctx, claims.ID, claims.Expiry); err != nil {
					t.Fatal(err)
				}
				want = runtoken.ErrTokenRevoked
			case "expired":
				c.Add(2 * time.Hour)
				want = runtoken.ErrExpired
			case "tampered":
				tok = tok[:len(tok)-2] + map[bool]string{true: "AA", false: "BA"}[tok[len(tok)-2:] != "AA"]
				want = runtoken.ErrSignature
			case "names":
				first.Names[0] = "z"
			}
			got, err := v.Verify(ctx, tok)
			if want != nil {
				if !errors.Is(err, want) {
					t.Fatalf("Verify after %s: %v, want %v", step, err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"a", "b"}, got.Names); diff != "" {
				t.Errorf("Names (-want +got):\n%s", diff)
			}
		})
	}
}

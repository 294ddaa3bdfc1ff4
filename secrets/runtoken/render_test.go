package runtoken_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// TestKeyIssuerVerifierHideMaterial: keys (HMAC, Ed25519 private and
// public), issuers, verifiers and their options print neither key
// material nor issued tokens under any fmt verb, JSON, text marshalling or
// slog, through a pointer or a copy.
func TestKeyIssuerVerifierHideMaterial(t *testing.T) {
	ctx := context.Background()
	secret := []byte("hmac-secret-0123456789abcdefghijkl")
	hk, err := runtoken.NewHMACKey("h1", secret)
	if err != nil {
		t.Fatal(err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := runtoken.NewEd25519Key("e1", priv)
	if err != nil {
		t.Fatal(err)
	}
	material := []string{string(secret), string(priv.Seed()), string(priv)}
	for _, k := range []*runtoken.Key{hk, ek, ek.Public()} {
		t.Run(k.ID()+"/"+k.Algorithm(), func(t *testing.T) {
			hidden := material
			if k.CanSign() {
				iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: k})
				if err != nil {
					t.Fatal(err)
				}
				tok, _, err := iss.Issue(ctx, runtoken.Grant{Namespace: "ns", Subject: "run", AllNames: true})
				if err != nil {
					t.Fatal(err)
				}
				hidden = append(hidden[:len(hidden):len(hidden)], tok, tok[len(tok)-20:])
				leakcheck.CheckRenderings(t, iss, hidden...)
				leakcheck.CheckRenderings(t, *iss, hidden...)
				leakcheck.CheckRenderings(t, iss.Verifier(), hidden...)
				leakcheck.CheckRenderings(t, *iss.Verifier(), hidden...)
			}
			v, err := runtoken.NewVerifier(runtoken.VerifierOptions{Keys: []*runtoken.Key{k}})
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range []any{k, *k, []*runtoken.Key{k}, map[string]*runtoken.Key{"k": k}, v, *v,
				runtoken.IssuerOptions{Key: k, OldKeys: []*runtoken.Key{k}},
				runtoken.VerifierOptions{Keys: []*runtoken.Key{k}}} {
				leakcheck.CheckRenderings(t, x, hidden...)
			}
		})
	}
}

// TestZeroKeyRefused: a Key not made by a constructor holds no material;
// issuers and verifiers refuse it instead of failing later.
func TestZeroKeyRefused(t *testing.T) {
	if _, err := runtoken.NewVerifier(runtoken.VerifierOptions{Keys: []*runtoken.Key{{}}}); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("NewVerifier with a zero Key: err = %v, want ErrInvalid", err)
	}
	if _, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: &runtoken.Key{}}); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("NewIssuer with a zero Key: err = %v, want ErrInvalid", err)
	}
	k := &runtoken.Key{}
	if k.CanSign() || k.Public() != nil {
		t.Errorf("zero Key: CanSign = %v, Public = %v", k.CanSign(), k.Public())
	}
}

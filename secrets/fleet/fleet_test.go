package fleet_test

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/internal/testing/pgtest"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
	"github.com/strongbox-go/strongbox/secrets/apitoken/apitokentest"
	"github.com/strongbox-go/strongbox/secrets/fleet"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/secrets/webui"
	"github.com/strongbox-go/strongbox/secrets/webui/webuitest"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/docstorage"
	_ "github.com/strongbox-go/strongbox/storage/sqlstorage" // registers sqlite:// and postgres://
)

// backend opens "instances" of one shared store: each call of open is a
// new process's connection (a restart is Close and open again).
type backend struct {
	name string
	// url returns the shared store's URL for this test ("" for docstore,
	// which cannot be shared between processes and has one instance).
	url func(t *testing.T) string
}

var backends = []backend{
	{"sqlite", func(t *testing.T) string {
		return (&url.URL{Scheme: "sqlite", Path: filepath.Join(t.TempDir(), "strongbox.db")}).String()
	}},
	{"postgres", func(t *testing.T) string { return pgtest.Schema(t) }},
}

func open(t *testing.T, u string) *storage.Store {
	t.Helper()
	st, err := storage.OpenStore(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestAPITokenStoreConformance(t *testing.T) {
	t.Run("docstore", func(t *testing.T) {
		apitokentest.RunConformance(t, func(t *testing.T) apitoken.Store {
			st := docstorage.NewInMemory()
			t.Cleanup(func() { st.Close() })
			return fleet.APITokenStore(st)
		})
	})
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			apitokentest.RunConformance(t, func(t *testing.T) apitoken.Store {
				return fleet.APITokenStore(open(t, b.url(t)))
			})
		})
	}
}

// TestFleetRunTokenRevocationShared: a run token revoked through instance
// A is refused by instance B on its next use (well within a second), and
// still after B restarts; with the in-memory default set B kept accepting
// it, and A accepted it again after a restart (issue #14 item 2).
func TestFleetRunTokenRevocationShared(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			u := b.url(t)
			key, err := runtoken.NewEd25519Key("fleet-1", nil)
			if err != nil {
				t.Fatal(err)
			}
			stA, stB := open(t, u), open(t, u)
			issuer, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: key, Revocations: fleet.RunTokenRevocations(stA)})
			if err != nil {
				t.Fatal(err)
			}
			verifierOn := func(st *storage.Store) *runtoken.Verifier {
				v, err := runtoken.NewVerifier(runtoken.VerifierOptions{Keys: []*runtoken.Key{key.Public()}, Revocations: fleet.RunTokenRevocations(st)})
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			tok, claims, err := issuer.Issue(ctx, runtoken.Grant{Namespace: "team-a", Subject: "k6", AllNames: true, TTL: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			leakcheck.Register(tok)
			b := verifierOn(stB)
			if _, err := b.Verify(ctx, tok); err != nil {
				t.Fatalf("B before the revocation: %v", err)
			}
			if err := issuer.Verifier().Revoke(ctx, claims.ID, claims.Expiry); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if _, err := b.Verify(ctx, tok); runtoken.Reason(err) != "revoked" {
				t.Errorf("B after the revocation through A = %v, want ErrRevoked", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("B took %v to refuse", d)
			}
			// Revoking again (another instance, a retry) is fine.
			if err := b.Revoke(ctx, claims.ID, claims.Expiry); err != nil {
				t.Errorf("second revocation: %v", err)
			}
			// B restarts: a new connection to the store, a new verifier.
			stB.Close()
			if _, err := verifierOn(open(t, u)).Verify(ctx, tok); runtoken.Reason(err) != "revoked" {
				t.Errorf("B after a restart = %v, want ErrRevoked", err)
			}
			// Another token stays valid.
			other, _, err := issuer.Issue(ctx, runtoken.Grant{Namespace: "team-a", Subject: "k6", AllNames: true, TTL: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			leakcheck.Register(other)
			if _, err := verifierOn(stA).Verify(ctx, other); err != nil {
				t.Errorf("an unrevoked token: %v", err)
			}
		})
	}
}

// TestFleetRunTokenRevocationStoreDown: a store that cannot answer makes
// verification fail with code Unavailable, never pass.
func TestFleetRunTokenRevocationStoreDown(t *testing.T) {
	ctx := context.Background()
	st := docstorage.NewInMemory()
	set := fleet.RunTokenRevocations(st)
	st.Close()
	if revoked, err := set.Revoked(ctx, "AAAAAAAAAAAAAAAAAAAAAA"); err == nil || revoked {
		t.Errorf("Revoked on a closed store = %v, %v; want an error", revoked, err)
	}
}

// TestFleetAPITokenRevocationShared: an API token revoked through
// instance A is refused by B at once and after B restarts (issue #14 item
// 2).
func TestFleetAPITokenRevocationShared(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			u := b.url(t)
			tokensOn := func(st *storage.Store) *apitoken.Tokens {
				kekURL, err := keeper.NewThrowawayKEKURL()
				if err != nil {
					t.Fatal(err)
				}
				leakcheck.Register(kekURL)
				kp, err := keeper.OpenEnvelope(ctx, kekURL, keeper.EnvelopeOptions{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { kp.Close() })
				m, err := secrets.New(secrets.Options{Store: st, Keeper: kp})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { m.Close() })
				toks, err := apitoken.New(apitoken.Options{Store: fleet.APITokenStore(st), Guard: m})
				if err != nil {
					t.Fatal(err)
				}
				return toks
			}
			stB := open(t, u)
			a, bt := tokensOn(open(t, u)), tokensOn(stB)
			admin := rbac.WithPrincipal(ctx, rbac.Principal{Kind: rbac.KindUser, ID: "alice", Namespace: "team-a", Roles: []rbac.Role{rbac.RoleAdmin}})
			tok, rec, err := a.Issue(admin, "team-a", apitoken.Grant{Subject: "ci", Roles: []rbac.Role{rbac.RoleEditor}, TTL: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			text := tok.DangerouslyExpose()
			leakcheck.Register(text)
			if p, err := bt.Verify(ctx, text); err != nil || p.ID != "ci" {
				t.Fatalf("B verifies A's token = %v, %v; want principal ci", p, err)
			}
			if err := a.Revoke(admin, "team-a", rec.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := bt.Verify(ctx, text); !errors.Is(err, apitoken.ErrInvalidToken) {
				t.Errorf("B after the revocation through A = %v, want ErrInvalidToken", err)
			}
			stB.Close()
			if _, err := tokensOn(open(t, u)).Verify(ctx, text); !errors.Is(err, apitoken.ErrInvalidToken) {
				t.Errorf("B after a restart = %v, want ErrInvalidToken", err)
			}
		})
	}
}

// TestFleetRunTokenKeyShared: instances on one store get one signing key,
// stored encrypted (its bytes are not in the record), so a token issued
// through A verifies on B; an instance without the KEK gets
// ErrUnknownKEK (issue #14 item 1).
func TestFleetRunTokenKeyShared(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			u := b.url(t)
			kek := localKEK(t, "shared")
			envOf := func(k keeper.KEK) *keeper.Envelope {
				e, err := keeper.OpenEnvelope(ctx, "", keeper.EnvelopeOptions{KEKs: []keeper.KEK{k}})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { e.Close() })
				return e
			}
			stA, stB := open(t, u), open(t, u)
			ka, err := fleet.RunTokenKey(ctx, stA, envOf(kek), "run-1")
			if err != nil {
				t.Fatal(err)
			}
			kb, err := fleet.RunTokenKey(ctx, stB, envOf(kek), "run-1")
			if err != nil {
				t.Fatal(err)
			}
			iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: ka})
			if err != nil {
				t.Fatal(err)
			}
			tok, _, err := iss.Issue(ctx, runtoken.Grant{Namespace: "team-a", Subject: "k6", AllNames: true, TTL: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			leakcheck.Register(tok)
			v, err := runtoken.NewVerifier(runtoken.VerifierOptions{Keys: []*runtoken.Key{kb}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(ctx, tok); err != nil {
				t.Errorf("B verifies A's token: %v", err)
			}
			if _, err := fleet.RunTokenKey(ctx, stB, envOf(localKEK(t, "other")), "run-1"); !errors.Is(err, keeper.ErrUnknownKEK) {
				t.Errorf("RunTokenKey without the KEK = %v, want ErrUnknownKEK", err)
			}
		})
	}
}

func TestWebSessionStoreConformance(t *testing.T) {
	t.Run("docstore", func(t *testing.T) {
		webuitest.RunConformance(t, func(t *testing.T) webui.SessionStore {
			st := docstorage.NewInMemory()
			t.Cleanup(func() { st.Close() })
			return fleet.WebSessions(st)
		})
	})
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			webuitest.RunConformance(t, func(t *testing.T) webui.SessionStore {
				return fleet.WebSessions(open(t, b.url(t)))
			})
		})
	}
}

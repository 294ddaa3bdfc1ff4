package runtoken_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// roleGuard authorizes with the default role table and records outcomes.
type roleGuard struct {
	events []rbac.AuditEvent
}

func (g *roleGuard) Authorize(ctx context.Context, ns string, a rbac.Action, op string) (func(error, ...string), error) {
	p, _ := rbac.PrincipalFrom(ctx)
	if err := rbac.NewRoleAuthorizer(nil).Authorize(ctx, p, ns, a); err != nil {
		g.events = append(g.events, rbac.AuditEvent{Operation: op, Action: a, Outcome: "denied"})
		return nil, err
	}
	return func(err error, ids ...string) {
		o := "allowed"
		if err != nil {
			o = "failed"
		}
		g.events = append(g.events, rbac.AuditEvent{Operation: op, Action: a, Outcome: o, Names: ids})
	}, nil
}

func TestIssueForNeedsIssueRunToken(t *testing.T) {
	key, err := runtoken.NewEd25519Key("k1", nil)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: key, MaxTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	grant := runtoken.Grant{Namespace: "team-a", Subject: "k6", Names: []string{"api-key"}, TTL: time.Minute}
	for _, tc := range []struct {
		name  string
		p     rbac.Principal
		allow bool
	}{
		{"admin", rbac.Principal{Kind: rbac.KindUser, ID: "a", Namespace: "team-a", Roles: []rbac.Role{rbac.RoleAdmin}}, true},
		{"editor", rbac.Principal{Kind: rbac.KindUser, ID: "e", Namespace: "team-a", Roles: []rbac.Role{rbac.RoleEditor}}, true},
		{"test author", rbac.Principal{Kind: rbac.KindUser, ID: "t", Namespace: "team-a", Roles: []rbac.Role{rbac.RoleTestAuthor}}, true},
		{"viewer reader", rbac.Principal{Kind: rbac.KindUser, ID: "v", Namespace: "team-a", Roles: []rbac.Role{rbac.RoleViewer, rbac.RoleSecureValuesReader}}, false},
		{"editor of another namespace", rbac.Principal{Kind: rbac.KindUser, ID: "e", Namespace: "team-b", Roles: []rbac.Role{rbac.RoleEditor}}, false},
		{"run identity", rbac.Principal{Kind: rbac.KindService, ID: "k6", Namespace: "team-a", Roles: []rbac.Role{rbac.RoleDecrypter}}, false},
		{"nobody", rbac.Principal{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &roleGuard{}
			ctx := rbac.WithPrincipal(context.Background(), tc.p)
			tok, c, err := iss.IssueFor(ctx, g, grant)
			if tc.allow != (err == nil) {
				t.Fatalf("IssueFor = %v, want allowed=%v", err, tc.allow)
			}
			if !tc.allow {
				if !errors.Is(err, secrets.ErrPermissionDenied) || tok != "" {
					t.Errorf("denial = %v with a %d-byte token", err, len(tok))
				}
				if err := iss.RevokeFor(ctx, g, "team-a", "AAAAAAAAAAAAAAAAAAAAAA"); !errors.Is(err, secrets.ErrPermissionDenied) {
					t.Errorf("RevokeFor = %v, want ErrPermissionDenied", err)
				}
				return
			}
			want := []rbac.AuditEvent{{Operation: "IssueRunToken", Action: rbac.ActionIssueRunToken, Outcome: "allowed", Names: []string{c.ID}}}
			if diff := cmp.Diff(want, g.events); diff != "" {
				t.Errorf("audit (-want +got):\n%s", diff)
			}
			if err := iss.RevokeFor(ctx, g, "team-a", c.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := iss.Verifier().Verify(context.Background(), tok); !errors.Is(err, runtoken.ErrTokenRevoked) {
				t.Errorf("Verify after RevokeFor = %v, want ErrTokenRevoked", err)
			}
		})
	}
	t.Run("lifetime over the verifier's maximum", func(t *testing.T) {
		ctx := rbac.WithPrincipal(context.Background(), rbac.Principal{Kind: rbac.KindUser, ID: "e", Namespace: "team-a", Roles: []rbac.Role{rbac.RoleEditor}})
		g := &roleGuard{}
		long := grant
		long.TTL = 2 * time.Hour
		if _, _, err := iss.IssueFor(ctx, g, long); !errors.Is(err, secrets.ErrInvalid) {
			t.Fatalf("IssueFor over MaxTTL = %v, want ErrInvalid", err)
		}
		if len(g.events) != 1 || g.events[0].Outcome != "failed" {
			t.Errorf("audit = %+v, want one failed event", g.events)
		}
		if err := iss.RevokeFor(ctx, g, "team-a", "not-an-id"); !errors.Is(err, secrets.ErrInvalid) {
			t.Errorf("RevokeFor(malformed id) = %v, want ErrInvalid", err)
		}
	})
}

func TestJWKSPublishesEd25519PublicKeysOnly(t *testing.T) {
	ek, err := runtoken.NewEd25519Key("ed-2", nil)
	if err != nil {
		t.Fatal(err)
	}
	old, err := runtoken.NewEd25519Key("ed-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	hk, err := runtoken.NewHMACKey("hmac-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := runtoken.NewVerifier(runtoken.VerifierOptions{Keys: []*runtoken.Key{ek, hk, old.Public()}})
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(v.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 2 {
		t.Fatalf("JWKS has %d keys, want the 2 Ed25519 ones: %s", len(set.Keys), v.JWKS())
	}
	for i, want := range []string{"ed-1", "ed-2"} {
		k := set.Keys[i]
		if k["kid"] != want || k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["alg"] != "EdDSA" || k["use"] != "sig" || len(k) != 6 {
			t.Errorf("key %d = %v", i, k)
		}
		if _, ok := k["d"]; ok {
			t.Errorf("key %d publishes its private part", i)
		}
	}
	// The published key verifies a token the Issuer signed.
	iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: ek})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := iss.Issue(context.Background(), runtoken.Grant{Namespace: "ns", Subject: "k6", AllNames: true})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := base64.RawURLEncoding.DecodeString(set.Keys[1]["x"])
	if err != nil || len(pub) != ed25519.PublicKeySize {
		t.Fatalf("x = %d bytes, %v", len(pub), err)
	}
	dot := strings.LastIndex(tok, ".")
	sig, err := base64.RawURLEncoding.DecodeString(tok[dot+1:])
	if err != nil || !ed25519.Verify(pub, []byte(tok[:dot]), sig) {
		t.Errorf("the published key does not verify the token's signature (%v)", err)
	}
	hv, _ := runtoken.NewVerifier(runtoken.VerifierOptions{Keys: []*runtoken.Key{hk}})
	if got := string(hv.JWKS()); got != `{"keys":[]}` {
		t.Errorf("HMAC-only JWKS = %s", got)
	}
}

package runtoken_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// TestNoKeyOrTokenLeaks registers signing keys and issued tokens as test
// secrets and checks the printed forms of keys, options and claims, and
// the errors of every rejected token.
func TestNoKeyOrTokenLeaks(t *testing.T) {
	since := leakcheck.Count()
	t.Cleanup(func() { leakcheck.Verify(t, since) })
	ctx := context.Background()
	secret := []byte(leakcheck.NewValue("hmac") + "-0123456789abcdef")
	hk, err := runtoken.NewHMACKey("h1", secret)
	if err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	leakcheck.Register(string(secret), string(priv), string(priv.Seed()))
	ek, err := runtoken.NewEd25519Key("e1", priv)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []*runtoken.Key{hk, ek, ek.Public()} {
		leakcheck.Checkf("key", k)
		leakcheck.Checkf("options", runtoken.IssuerOptions{Key: k, OldKeys: []*runtoken.Key{k}})
	}
	_, err = runtoken.NewHMACKey("bad id!", secret)
	leakcheck.CheckError("NewHMACKey", err)
	_, err = runtoken.NewHMACKey("short", secret[:4])
	leakcheck.CheckError("NewHMACKey short", err)

	for _, k := range []*runtoken.Key{hk, ek} {
		iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: k})
		if err != nil {
			t.Fatal(err)
		}
		leakcheck.Checkf("issuer", iss)
		tok, claims, err := iss.Issue(ctx, runtoken.Grant{Namespace: "team-a", Subject: "k6-runner", Names: []string{"api-key"}})
		if err != nil {
			t.Fatal(err)
		}
		leakcheck.Register(tok, tok[len(tok)-20:]) // the token and its signature
		leakcheck.Checkf("claims", claims)
		bad := []string{tok[:len(tok)-1], tok + "x", tok[:len(tok)-4] + "AAAA", "Bearer " + tok}
		if err := iss.Verifier().Revoke(ctx, claims.ID, claims.Expiry); err != nil {
			t.Fatal(err)
		}
		bad = append(bad, tok) // revoked now
		for _, b := range bad {
			_, err := iss.Verifier().Verify(ctx, b)
			if err == nil {
				t.Errorf("Verify accepted a bad token")
			}
			leakcheck.CheckError("Verify", err)
			_, err = runtoken.Parse(b, func(string) *runtoken.Key { return k })
			leakcheck.CheckError("Parse", err)
		}
		_, _, err = iss.Issue(ctx, runtoken.Grant{Namespace: "team a", Subject: "x"})
		leakcheck.CheckError("Issue invalid", err)
	}
}

// TestMain fails the package's run if any registered test secret reached
// an error, log record, audit event or HTTP body that leakcheck saw.
func TestMain(m *testing.M) { leakcheck.Main(m) }

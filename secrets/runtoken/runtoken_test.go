package runtoken_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newClock() *clock { return &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)} }

func mustKey(t testing.TB, alg, id string) *runtoken.Key {
	t.Helper()
	var k *runtoken.Key
	var err error
	if alg == runtoken.AlgEd25519 {
		k, err = runtoken.NewEd25519Key(id, nil)
	} else {
		k, err = runtoken.NewHMACKey(id, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newIssuer(t testing.TB, k *runtoken.Key, c *clock) *runtoken.Issuer {
	t.Helper()
	iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: k, Clock: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

func TestIssueVerify(t *testing.T) {
	for _, alg := range []string{runtoken.AlgHMACSHA256, runtoken.AlgEd25519} {
		t.Run(alg, func(t *testing.T) {
			c := newClock()
			iss := newIssuer(t, mustKey(t, alg, "k1"), c)
			ctx := context.Background()
			tok, claims, err := iss.Issue(ctx, runtoken.Grant{Namespace: "team-a", Subject: "k6-runner",
				Names: []string{"b", "a", "b"}, TTL: 10 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(tok, runtoken.Prefix) || strings.ContainsAny(tok, ",= \t\n") {
				t.Fatalf("token has an unexpected shape: %d chars", len(tok))
			}
			want := runtoken.Claims{ID: claims.ID, KeyID: "k1", Namespace: "team-a", Subject: "k6-runner",
				Names: []string{"a", "b"}, IssuedAt: c.Now(), Expiry: c.Now().Add(10 * time.Minute)}
			if diff := cmp.Diff(want, claims); diff != "" {
				t.Errorf("Issue claims (-want +got):\n%s", diff)
			}
			got, err := iss.Verifier().Verify(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Verify claims (-want +got):\n%s", diff)
			}
			wantP := rbac.Principal{Kind: rbac.KindService, ID: "k6-runner", Namespace: "team-a", Roles: []rbac.Role{rbac.RoleDecrypter}}
			if diff := cmp.Diff(wantP, got.Principal()); diff != "" {
				t.Errorf("Principal (-want +got):\n%s", diff)
			}
			for name, ok := range map[string]bool{"a": true, "b": true, "c": false, "": false} {
				if got.AllowsName(name) != ok {
					t.Errorf("AllowsName(%q) = %v, want %v", name, !ok, ok)
				}
			}
			// Expiry is exclusive.
			c.Add(10*time.Minute - time.Second)
			if _, err := iss.Verifier().Verify(ctx, tok); err != nil {
				t.Errorf("just before expiry: %v", err)
			}
			c.Add(time.Second)
			if _, err := iss.Verifier().Verify(ctx, tok); !errors.Is(err, runtoken.ErrExpired) || !errors.Is(err, secrets.ErrPermissionDenied) {
				t.Errorf("at expiry: err = %v, want ErrExpired", err)
			}
		})
	}
}

func TestAllNames(t *testing.T) {
	iss := newIssuer(t, mustKey(t, runtoken.AlgHMACSHA256, "k"), newClock())
	tok, _, err := iss.Issue(context.Background(), runtoken.Grant{Namespace: "ns", Subject: "run", AllNames: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := iss.Verifier().Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.Names != nil || !c.AllowsName("anything") {
		t.Errorf("AllNames token: Names = %v", c.Names)
	}
}

func TestIssueInvalid(t *testing.T) {
	iss := newIssuer(t, mustKey(t, runtoken.AlgHMACSHA256, "k"), newClock())
	many := make([]string, runtoken.MaxNames+1)
	for i := range many {
		many[i] = fmt.Sprintf("n%d", i)
	}
	for name, g := range map[string]runtoken.Grant{
		"no names":        {Namespace: "ns", Subject: "run"},
		"names and all":   {Namespace: "ns", Subject: "run", Names: []string{"a"}, AllNames: true},
		"bad namespace":   {Namespace: "n s", Subject: "run", AllNames: true},
		"empty namespace": {Subject: "run", AllNames: true},
		"empty subject":   {Namespace: "ns", AllNames: true},
		"bad name":        {Namespace: "ns", Subject: "run", Names: []string{"a/b"}},
		"too many names":  {Namespace: "ns", Subject: "run", Names: many},
		"negative TTL":    {Namespace: "ns", Subject: "run", AllNames: true, TTL: -time.Second},
		"TTL too long":    {Namespace: "ns", Subject: "run", AllNames: true, TTL: 25 * time.Hour},
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := iss.Issue(context.Background(), g); !errors.Is(err, secrets.ErrInvalid) {
				t.Errorf("Issue: err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestRejected(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	k := mustKey(t, runtoken.AlgHMACSHA256, "k1")
	iss := newIssuer(t, k, c)
	tok, claims, err := iss.Issue(ctx, runtoken.Grant{Namespace: "team-a", Subject: "k6-runner", Names: []string{"api-key"}})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	other := newIssuer(t, mustKey(t, runtoken.AlgHMACSHA256, "k1"), c) // same kid, other secret
	otherTok, _, _ := other.Issue(ctx, runtoken.Grant{Namespace: "team-a", Subject: "k6-runner", AllNames: true})
	otherParts := strings.Split(otherTok, ".")

	// A payload granting more, re-encoded but not re-signed.
	forged := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf(
		`{"jti":%q,"ns":"team-a","sub":"k6-runner","iat":%d,"exp":%d}`, claims.ID, claims.IssuedAt.Unix(), claims.Expiry.Add(time.Hour).Unix())))

	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	for name, tc := range map[string]struct {
		tok  string
		want error
	}{
		"empty":                  {"", runtoken.ErrMalformed},
		"no prefix":              {strings.TrimPrefix(tok, "sbrt1."), runtoken.ErrMalformed},
		"other version":          {"sbrt2." + strings.TrimPrefix(tok, "sbrt1."), runtoken.ErrMalformed},
		"missing signature":      {strings.Join(parts[:3], ".") + ".", runtoken.ErrMalformed},
		"extra part":             {tok + ".x", runtoken.ErrMalformed},
		"unknown kid":            {"sbrt1.k2." + strings.Join(parts[2:], "."), runtoken.ErrUnknownKey},
		"bad kid":                {"sbrt1.k/1." + strings.Join(parts[2:], "."), runtoken.ErrMalformed},
		"payload flipped":        {strings.Join([]string{parts[0], parts[1], flip(parts[2], 5), parts[3]}, "."), runtoken.ErrSignature},
		"signature flipped":      {strings.Join([]string{parts[0], parts[1], parts[2], flip(parts[3], 3)}, "."), runtoken.ErrSignature},
		"signature of other key": {strings.Join([]string{parts[0], parts[1], parts[2], otherParts[3]}, "."), runtoken.ErrSignature},
		"payload of other token": {strings.Join([]string{parts[0], parts[1], otherParts[2], parts[3]}, "."), runtoken.ErrSignature},
		"forged payload":         {strings.Join([]string{parts[0], parts[1], forged, parts[3]}, "."), runtoken.ErrSignature},
		"signature padded":       {tok + "=", runtoken.ErrMalformed},
		"too long":               {tok + strings.Repeat("A", runtoken.MaxTokenLength), runtoken.ErrMalformed},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := iss.Verifier().Verify(ctx, tc.tok)
			if !errors.Is(err, tc.want) || !errors.Is(err, runtoken.ErrInvalidToken) {
				t.Fatalf("Verify: err = %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), parts[3]) || strings.Contains(err.Error(), parts[2]) {
				t.Errorf("error repeats the token: %v", err)
			}
		})
	}
}

// TestAlgorithmBoundToKey: an Ed25519 verifier does not accept an HMAC
// token that names its kid, even one keyed with the public key bytes.
func TestAlgorithmBoundToKey(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	ed := mustKey(t, runtoken.AlgEd25519, "k")
	v, err := runtoken.NewVerifier(runtoken.VerifierOptions{Keys: []*runtoken.Key{ed.Public()}, Clock: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	good, _, err := newIssuer(t, ed, c).Issue(ctx, runtoken.Grant{Namespace: "ns", Subject: "run", AllNames: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, good); err != nil {
		t.Fatalf("public-key verifier: %v", err)
	}
	hm := mustKey(t, runtoken.AlgHMACSHA256, "k")
	bad, _, _ := newIssuer(t, hm, c).Issue(ctx, runtoken.Grant{Namespace: "ns", Subject: "run", AllNames: true})
	if _, err := v.Verify(ctx, bad); !errors.Is(err, runtoken.ErrSignature) {
		t.Errorf("HMAC token against Ed25519 key: err = %v, want ErrSignature", err)
	}
	if _, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: ed.Public()}); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("NewIssuer with a verify-only key: err = %v, want ErrInvalid", err)
	}
}

func TestNotYetValid(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	k := mustKey(t, runtoken.AlgHMACSHA256, "k")
	tok, _, err := newIssuer(t, k, c).Issue(ctx, runtoken.Grant{Namespace: "ns", Subject: "run", AllNames: true})
	if err != nil {
		t.Fatal(err)
	}
	late := newClock()
	late.Add(-time.Minute)
	v, _ := runtoken.NewVerifier(runtoken.VerifierOptions{Keys: []*runtoken.Key{k}, Clock: late.Now})
	if _, err := v.Verify(ctx, tok); !errors.Is(err, runtoken.ErrNotYetValid) {
		t.Errorf("verifier a minute behind: err = %v, want ErrNotYetValid", err)
	}
	late.Add(45 * time.Second) // within the 30s leeway
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Errorf("within leeway: %v", err)
	}
}

func TestRevoke(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	revs := runtoken.NewMemoryRevocations(c.Now)
	k := mustKey(t, runtoken.AlgHMACSHA256, "k")
	iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: k, Revocations: revs, Clock: c.Now, MaxTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// A second server sharing the revocation set.
	v2, _ := runtoken.NewVerifier(runtoken.VerifierOptions{Keys: []*runtoken.Key{k}, Revocations: revs, Clock: c.Now})
	tok, claims, _ := iss.Issue(ctx, runtoken.Grant{Namespace: "ns", Subject: "run", AllNames: true})
	keep, _, _ := iss.Issue(ctx, runtoken.Grant{Namespace: "ns", Subject: "run", AllNames: true})
	if _, err := v2.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := iss.Verifier().Revoke(ctx, claims.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []*runtoken.Verifier{iss.Verifier(), v2} {
		if _, err := v.Verify(ctx, tok); !errors.Is(err, runtoken.ErrTokenRevoked) {
			t.Errorf("revoked token: err = %v, want ErrTokenRevoked", err)
		}
		if _, err := v.Verify(ctx, keep); err != nil {
			t.Errorf("other token: %v", err)
		}
	}
	// Ids are forgotten after their tokens could have expired.
	c.Add(2 * time.Hour)
	_ = revs.Revoke(ctx, "AAAAAAAAAAAAAAAAAAAAAA", c.Now().Add(time.Hour))
	if revs.Len() != 1 {
		t.Errorf("revocation set holds %d ids after expiry, want 1", revs.Len())
	}
}

type brokenRevs struct{}

func (brokenRevs) Revoke(context.Context, string, time.Time) error { return errors.New("down") }
func (brokenRevs) Revoked(context.Context, string) (bool, error)   { return false, errors.New("down") }

func TestRevocationSetDownRefuses(t *testing.T) {
	ctx := context.Background()
	k := mustKey(t, runtoken.AlgHMACSHA256, "k")
	iss, _ := runtoken.NewIssuer(runtoken.IssuerOptions{Key: k, Revocations: brokenRevs{}})
	tok, _, _ := iss.Issue(ctx, runtoken.Grant{Namespace: "ns", Subject: "run", AllNames: true})
	if _, err := iss.Verifier().Verify(ctx, tok); !errors.Is(err, secrets.ErrUnavailable) {
		t.Errorf("Verify with the revocation set down: err = %v, want ErrUnavailable", err)
	}
}

func TestKeyNeverPrints(t *testing.T) {
	secret := []byte(strings.Repeat("s3cr3t-k3y-", 4))
	k, err := runtoken.NewHMACKey("kid-1", secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out := fmt.Sprintf(f, k) + fmt.Sprintf(f, struct{ K *runtoken.Key }{k})
		if strings.Contains(out, "s3cr3t") || strings.Contains(out, fmt.Sprintf("%x", secret[:8])) {
			t.Errorf("%s prints key material: %s", f, out)
		}
	}
	if _, err := runtoken.NewHMACKey("k", secret[:31]); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("short HMAC key: err = %v", err)
	}
	if _, err := runtoken.NewHMACKey("k.1", secret); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("key id with a dot: err = %v", err)
	}
}

// FuzzParse: no input panics, and whatever verifies re-verifies with the
// same claims and was signed by the key (the only way to pass is a token
// the issuer made).
func FuzzParse(f *testing.F) {
	c := newClock()
	secret := []byte("0123456789abcdef0123456789abcdef")
	k, _ := runtoken.NewHMACKey("k1", secret)
	iss := newIssuer(f, k, c)
	ctx := context.Background()
	for _, g := range []runtoken.Grant{
		{Namespace: "team-a", Subject: "k6-runner", Names: []string{"api-key"}},
		{Namespace: "ns", Subject: "run", AllNames: true},
	} {
		tok, _, err := iss.Issue(ctx, g)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
		f.Add(tok[:len(tok)-2])
		f.Add(strings.Replace(tok, "k1", "k2", 1))
	}
	f.Add("")
	f.Add("sbrt1....")
	f.Add("sbrt1.k1.e30.AAAA")
	f.Add("sbrt1.k1." + base64.RawURLEncoding.EncodeToString([]byte(`{"jti":"AAAAAAAAAAAAAAAAAAAAAA","ns":"a","sub":"b","iat":1,"exp":2}`)) + ".AAAA")
	known := map[string]*runtoken.Key{"k1": k}
	f.Fuzz(func(t *testing.T, tok string) {
		c1, err := runtoken.Parse(tok, func(id string) *runtoken.Key { return known[id] })
		if err != nil {
			if !errors.Is(err, runtoken.ErrInvalidToken) {
				t.Fatalf("Parse error does not match ErrInvalidToken: %v", err)
			}
			if len(tok) > 8 && strings.Contains(err.Error(), tok) {
				t.Fatalf("error repeats the token")
			}
			return
		}
		c2, err := runtoken.Parse(tok, func(id string) *runtoken.Key { return known[id] })
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c1, c2); diff != "" {
			t.Fatalf("Parse is not deterministic (-first +second):\n%s", diff)
		}
	})
}

func Example() {
	ctx := context.Background()
	key, _ := runtoken.NewHMACKey("2026-11", nil)
	iss, _ := runtoken.NewIssuer(runtoken.IssuerOptions{Key: key})

	tok, _, _ := iss.Issue(ctx, runtoken.Grant{Namespace: "team-a", Subject: "k6-runner",
		Names: []string{"api-key"}, TTL: 15 * time.Minute})

	claims, err := iss.Verifier().Verify(ctx, tok)
	fmt.Println(err, claims.Principal(), claims.AllowsName("api-key"), claims.AllowsName("db-password"))

	_ = iss.Verifier().Revoke(ctx, claims.ID, claims.Expiry)
	_, err = iss.Verifier().Verify(ctx, tok)
	fmt.Println(errors.Is(err, runtoken.ErrInvalidToken))
	fmt.Println(err)
	// Output:
	// <nil> service:team-a/k6-runner true false
	// true
	// runtoken.Verify: permission denied: invalid run token: revoked
}

func TestKeyRotation(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	oldKey, newKey := mustKey(t, runtoken.AlgEd25519, "2026-10"), mustKey(t, runtoken.AlgEd25519, "2026-11")
	oldTok, _, _ := newIssuer(t, oldKey, c).Issue(ctx, runtoken.Grant{Namespace: "ns", Subject: "run", AllNames: true})
	rotated, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: newKey, OldKeys: []*runtoken.Key{oldKey.Public()}, Clock: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	newTok, claims, _ := rotated.Issue(ctx, runtoken.Grant{Namespace: "ns", Subject: "run", AllNames: true})
	if claims.KeyID != "2026-11" {
		t.Errorf("new tokens signed by %q", claims.KeyID)
	}
	for _, tok := range []string{oldTok, newTok} {
		if _, err := rotated.Verifier().Verify(ctx, tok); err != nil {
			t.Errorf("after rotation: %v", err)
		}
	}
	// Dropping the old key ends its tokens.
	v, _ := runtoken.NewVerifier(runtoken.VerifierOptions{Keys: []*runtoken.Key{newKey.Public()}, Clock: c.Now})
	if _, err := v.Verify(ctx, oldTok); !errors.Is(err, runtoken.ErrUnknownKey) {
		t.Errorf("old token after the old key is dropped: %v", err)
	}
	if _, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: newKey, OldKeys: []*runtoken.Key{newKey}}); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("duplicate key id: %v", err)
	}
	if _, err := runtoken.NewVerifier(runtoken.VerifierOptions{}); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("verifier without keys: %v", err)
	}
}

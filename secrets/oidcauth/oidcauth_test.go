package oidcauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/secrets/oidcauth"
)

// issuer is a local OIDC issuer: discovery and a JWKS with key "k1".
type issuer struct {
	srv   *httptest.Server
	key   *ecdsa.PrivateKey
	other *ecdsa.PrivateKey // signs as "k2", which the JWKS lacks
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	is := &issuer{}
	var err error
	if is.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if is.other, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/jwks",
			"id_token_signing_alg_values_supported": []string{"ES256"},
		})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &is.key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuer) sign(t *testing.T, kid string, key *ecdsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(tok)
	return tok
}

func (is *issuer) claims(over map[string]any) map[string]any {
	c := map[string]any{"iss": is.srv.URL, "aud": "strongbox", "sub": "alice", "groups": []string{"sb-editors", "other"},
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

var roleMap = map[string][]rbac.Role{
	"sb-admins":  {rbac.RoleAdmin},
	"sb-editors": {rbac.RoleEditor},
	"k6-authors": {rbac.RoleTestAuthor, rbac.RoleSecureValuesReader},
}

func newAuth(t *testing.T, is *issuer, cfg oidcauth.Config) *oidcauth.Authenticator {
	t.Helper()
	cfg.Issuer, cfg.Audience, cfg.HTTPClient = is.srv.URL, "strongbox", is.srv.Client()
	if cfg.RoleMap == nil {
		cfg.RoleMap = roleMap
	}
	if cfg.Namespace == "" && cfg.NamespaceClaim == "" {
		cfg.Namespace = "team-a"
	}
	a, err := oidcauth.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestVerify(t *testing.T) {
	is := newIssuer(t)
	a := newAuth(t, is, oidcauth.Config{})
	good := is.sign(t, "k1", is.key, is.claims(nil))
	payload, _ := json.Marshal(is.claims(nil))
	hm := hmac.New(sha256.New, []byte("secret"))
	hsInput := b64(`{"alg":"HS256","kid":"k1","typ":"JWT"}`) + "." + b64(string(payload))
	hm.Write([]byte(hsInput))
	tests := []struct {
		name  string
		token string
		want  rbac.Principal
		err   error
	}{
		{"good", good, rbac.Principal{Kind: rbac.KindUser, ID: "alice", Namespace: "team-a", Roles: []rbac.Role{rbac.RoleEditor}}, nil},
		{"wrong audience", is.sign(t, "k1", is.key, is.claims(map[string]any{"aud": "someone-else"})), rbac.Principal{}, httpapi.ErrUnauthenticated},
		{"wrong issuer", is.sign(t, "k1", is.key, is.claims(map[string]any{"iss": "https://evil.example"})), rbac.Principal{}, httpapi.ErrUnauthenticated},
		{"expired", is.sign(t, "k1", is.key, is.claims(map[string]any{"exp": time.Now().Add(-time.Minute).Unix()})), rbac.Principal{}, httpapi.ErrUnauthenticated},
		{"alg none", b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(string(payload)) + ".", rbac.Principal{}, httpapi.ErrUnauthenticated},
		{"alg HS256 with the public key's kid", hsInput + "." + base64.RawURLEncoding.EncodeToString(hm.Sum(nil)), rbac.Principal{}, httpapi.ErrUnauthenticated},
		{"unknown kid", is.sign(t, "k2", is.other, is.claims(nil)), rbac.Principal{}, httpapi.ErrUnauthenticated},
		{"known kid, other key", is.sign(t, "k1", is.other, is.claims(nil)), rbac.Principal{}, httpapi.ErrUnauthenticated},
		{"tampered payload", strings.Split(good, ".")[0] + "." + b64(strings.Replace(string(payload), "alice", "admin", 1)) + "." + strings.Split(good, ".")[2], rbac.Principal{}, httpapi.ErrUnauthenticated},
		{"no role maps", is.sign(t, "k1", is.key, is.claims(map[string]any{"groups": []string{"other", "SB-EDITORS"}})), rbac.Principal{}, httpapi.ErrUnauthenticated},
		{"no roles claim", is.sign(t, "k1", is.key, is.claims(map[string]any{"groups": nil})), rbac.Principal{}, httpapi.ErrUnauthenticated},
		{"roles claim of wrong type", is.sign(t, "k1", is.key, is.claims(map[string]any{"groups": map[string]any{"sb-admins": true}})), rbac.Principal{}, httpapi.ErrUnauthenticated},
		{"one group as a string", is.sign(t, "k1", is.key, is.claims(map[string]any{"groups": "sb-admins"})), rbac.Principal{Kind: rbac.KindUser, ID: "alice", Namespace: "team-a", Roles: []rbac.Role{rbac.RoleAdmin}}, nil},
		{"roles united", is.sign(t, "k1", is.key, is.claims(map[string]any{"groups": []any{"k6-authors", 7, "sb-editors", "k6-authors"}})), rbac.Principal{Kind: rbac.KindUser, ID: "alice", Namespace: "team-a", Roles: []rbac.Role{rbac.RoleTestAuthor, rbac.RoleSecureValuesReader, rbac.RoleEditor}}, nil},
		{"no subject", is.sign(t, "k1", is.key, is.claims(map[string]any{"sub": nil})), rbac.Principal{}, httpapi.ErrUnauthenticated},
		{"subject with newline", is.sign(t, "k1", is.key, is.claims(map[string]any{"sub": "alice\nuser:team-a/admin"})), rbac.Principal{}, httpapi.ErrUnauthenticated},
		{"too long", good + strings.Repeat("A", oidcauth.MaxTokenLength), rbac.Principal{}, httpapi.ErrUnauthenticated},
		{"garbage", "a.b.c", rbac.Principal{}, httpapi.ErrUnauthenticated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := a.Verify(context.Background(), tc.token)
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tc.err)
			}
			if diff := cmp.Diff(tc.want, p); diff != "" {
				t.Errorf("principal (-want +got):\n%s", diff)
			}
			if err != nil {
				for _, part := range strings.Split(tc.token, ".") {
					if len(part) > 8 && strings.Contains(err.Error(), part) {
						t.Errorf("error %q quotes the token", err)
					}
				}
				if strings.Contains(err.Error(), "alice") || strings.Contains(err.Error(), "evil") {
					t.Errorf("error %q quotes a claim", err)
				}
			}
		})
	}
}

func TestNamespaceAndNestedClaims(t *testing.T) {
	is := newIssuer(t)
	a := newAuth(t, is, oidcauth.Config{SubjectClaim: "email", NamespaceClaim: "tenant", RolesClaim: "realm_access.roles"})
	tok := is.sign(t, "k1", is.key, is.claims(map[string]any{"email": "alice@example.com", "tenant": "team-b",
		"realm_access": map[string]any{"roles": []string{"sb-admins"}}}))
	p, err := a.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rbac.Principal{Kind: rbac.KindUser, ID: "alice@example.com", Namespace: "team-b", Roles: []rbac.Role{rbac.RoleAdmin}}, p); diff != "" {
		t.Errorf("principal (-want +got):\n%s", diff)
	}
	for name, over := range map[string]map[string]any{
		"bad namespace":     {"tenant": "team/b", "email": "a", "realm_access": map[string]any{"roles": []string{"sb-admins"}}},
		"no namespace":      {"email": "a", "realm_access": map[string]any{"roles": []string{"sb-admins"}}},
		"namespace number":  {"tenant": 3, "email": "a", "realm_access": map[string]any{"roles": []string{"sb-admins"}}},
		"nested not object": {"tenant": "team-b", "email": "a", "realm_access": "sb-admins"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := a.Verify(context.Background(), is.sign(t, "k1", is.key, is.claims(over))); !errors.Is(err, httpapi.ErrUnauthenticated) {
				t.Errorf("Verify = %v, want ErrUnauthenticated", err)
			}
		})
	}
}

// TestDuplicateClaimRefused: a payload naming "sub" twice (or "sub" and
// "SUB") is read one way by encoding/json and may be read another way
// elsewhere; it is refused.
func TestDuplicateClaimRefused(t *testing.T) {
	is := newIssuer(t)
	a := newAuth(t, is, oidcauth.Config{})
	base, _ := json.Marshal(is.claims(nil))
	for name, extra := range map[string]string{"twice": `"sub":"admin",`, "case": `"SUB":"admin",`} {
		t.Run(name, func(t *testing.T) {
			payload := "{" + extra + string(base[1:])
			s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: is.key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
			if err != nil {
				t.Fatal(err)
			}
			obj, err := s.Sign([]byte(payload))
			if err != nil {
				t.Fatal(err)
			}
			tok, _ := obj.CompactSerialize()
			if p, err := a.Verify(context.Background(), tok); !errors.Is(err, httpapi.ErrUnauthenticated) {
				t.Errorf("Verify = %v, %v; want ErrUnauthenticated", p, err)
			}
		})
	}
}

func TestAuthenticateOverHTTP(t *testing.T) {
	is := newIssuer(t)
	a := newAuth(t, is, oidcauth.Config{})
	good := is.sign(t, "k1", is.key, is.claims(nil))
	req := func(h string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		return r
	}
	if p, err := a.Authenticate(req("Bearer " + good)); err != nil || p.ID != "alice" {
		t.Errorf("Authenticate(good) = %v, %v", p, err)
	}
	for _, h := range []string{"", "Basic abc", "Bearer sbx_aaaa", "Bearer not-a-jwt"} {
		if _, err := a.Authenticate(req(h)); !errors.Is(err, httpapi.ErrNoCredentials) {
			t.Errorf("Authenticate(%q) = %v, want ErrNoCredentials", h, err)
		}
	}
	// Chained before static tokens, a JWT stops at it and any other token
	// goes on.
	chain := httpapi.Chain(a, httpapi.StaticTokens(map[string]rbac.Principal{"static-token": {Kind: rbac.KindUser, ID: "s", Namespace: "team-a"}}))
	if p, err := chain.Authenticate(req("Bearer " + good)); err != nil || p.ID != "alice" {
		t.Errorf("chain(jwt) = %v, %v", p, err)
	}
	if p, err := chain.Authenticate(req("Bearer static-token")); err != nil || p.ID != "s" {
		t.Errorf("chain(static) = %v, %v", p, err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	is := newIssuer(t)
	ok := oidcauth.Config{Issuer: is.srv.URL, Audience: "strongbox", Namespace: "team-a", RoleMap: roleMap, HTTPClient: is.srv.Client()}
	for name, mut := range map[string]func(*oidcauth.Config){
		"no issuer":       func(c *oidcauth.Config) { c.Issuer = "" },
		"no audience":     func(c *oidcauth.Config) { c.Audience = "" },
		"no namespace":    func(c *oidcauth.Config) { c.Namespace = "" },
		"both namespaces": func(c *oidcauth.Config) { c.NamespaceClaim = "tenant" },
		"bad namespace":   func(c *oidcauth.Config) { c.Namespace = "a b" },
		"no role map":     func(c *oidcauth.Config) { c.RoleMap = nil },
		"alg none":        func(c *oidcauth.Config) { c.Algorithms = []string{"ES256", "none"} },
		"alg HS256":       func(c *oidcauth.Config) { c.Algorithms = []string{"HS256"} },
	} {
		t.Run(name, func(t *testing.T) {
			c := ok
			mut(&c)
			if _, err := oidcauth.New(context.Background(), c); !errors.Is(err, secrets.ErrInvalid) {
				t.Errorf("New = %v, want ErrInvalid", err)
			}
		})
	}
	down := ok
	down.Issuer = is.srv.URL + "/nothing-here"
	if _, err := oidcauth.New(context.Background(), down); !errors.Is(err, secrets.ErrUnavailable) {
		t.Errorf("New with no discovery = %v, want ErrUnavailable", err)
	}
	a, err := oidcauth.New(context.Background(), ok)
	if err != nil {
		t.Fatal(err)
	}
	tok := is.sign(t, "k1", is.key, is.claims(nil))
	leakcheck.CheckRenderings(t, a, tok)
}

// FuzzVerify: arbitrary bearer input never panics, never authenticates,
// and never appears in the error.
func FuzzVerify(f *testing.F) {
	is := &issuer{}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	is.key, is.other = key, key
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	})
	is.srv = httptest.NewServer(mux)
	defer is.srv.Close()
	a, err := oidcauth.New(context.Background(), oidcauth.Config{Issuer: is.srv.URL, Audience: "strongbox", Namespace: "ns",
		RoleMap: roleMap, HTTPClient: is.srv.Client()})
	if err != nil {
		f.Fatal(err)
	}
	payload, _ := json.Marshal(is.claims(nil))
	f.Add(b64(`{"alg":"none"}`) + "." + b64(string(payload)) + ".")
	f.Add(b64(`{"alg":"ES256","kid":"k1"}`) + "." + b64(string(payload)) + "." + b64("sig"))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := a.Verify(context.Background(), s)
		if err == nil {
			t.Fatalf("unsigned input authenticated as %v", p)
		}
		if len(s) >= 8 && strings.Contains(err.Error(), s) {
			t.Fatal("error quotes the input")
		}
	})
}

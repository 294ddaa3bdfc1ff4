package webui

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/bearer"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
)

// fakeProvider is an OpenID provider for the tests: discovery, an
// authorization endpoint that signs "oidc-user" in at once, and a token
// endpoint that checks the PKCE verifier. Its ID tokens are JWS-shaped
// but unsigned: checking them is the Authenticator's job (package
// oidcauth), so the test Authenticator accepts exactly the tokens issued.
type fakeProvider struct {
	srv *httptest.Server
	mu  sync.Mutex
	// codes maps an authorization code to its challenge, nonce and
	// redirect URI.
	codes  map[string][3]string
	issued map[string]bool
	// wrongNonce makes the provider put another nonce in its tokens.
	wrongNonce bool
}

func newFakeProvider(t *testing.T) *fakeProvider {
	p := &fakeProvider{codes: map[string][3]string{}, issued: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{
			"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize", "token_endpoint": p.srv.URL + "/token",
		})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("response_type") != "code" || q.Get("client_id") != "strongbox-ui" || q.Get("code_challenge_method") != "S256" ||
			q.Get("code_challenge") == "" || q.Get("nonce") == "" || !strings.Contains(q.Get("scope"), "openid") {
			http.Error(w, "bad authorization request", 400)
			return
		}
		code := newToken()
		p.mu.Lock()
		p.codes[code] = [3]string{q.Get("code_challenge"), q.Get("nonce"), q.Get("redirect_uri")}
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		p.mu.Lock()
		defer p.mu.Unlock()
		c, ok := p.codes[r.PostForm.Get("code")]
		delete(p.codes, r.PostForm.Get("code"))
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("redirect_uri") != c[2] ||
			base64.RawURLEncoding.EncodeToString(sum[:]) != c[0] {
			http.Error(w, `{"error":"invalid_grant"}`, 400)
			return
		}
		nonce := c[1]
		if p.wrongNonce {
			nonce = "other"
		}
		claims, _ := json.Marshal(map[string]string{"sub": "oidc-user", "nonce": nonce})
		tok := "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(claims) + "." + newToken()
		leakcheck.Register(tok)
		p.issued[tok] = true
		json.NewEncoder(w).Encode(map[string]string{"id_token": tok, "token_type": "Bearer"})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// authenticator accepts the ID tokens the provider issued.
func (p *fakeProvider) authenticator() httpapi.Authenticator {
	return authFunc(func(r *http.Request) (rbac.Principal, error) {
		tok, ok := bearer.Token(r)
		if !ok || strings.Count(tok, ".") != 2 {
			return rbac.Principal{}, httpapi.ErrNoCredentials
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.issued[tok] {
			return rbac.Principal{}, httpapi.ErrUnauthenticated
		}
		return rbac.Principal{Kind: rbac.KindUser, ID: "oidc-user", Namespace: testNS, Roles: []rbac.Role{rbac.RoleEditor}}, nil
	})
}

func newOIDCEnv(t *testing.T) (*env, *fakeProvider) {
	p := newFakeProvider(t)
	e := newEnv(t, envOptions{})
	h, err := New(Options{Manager: e.m, Authenticator: p.authenticator(), OIDC: &OIDC{
		Issuer: p.srv.URL, ClientID: "strongbox-ui", RedirectURL: e.srv.URL + "/signin/oidc/callback",
	}})
	if err != nil {
		t.Fatal(err)
	}
	e.serve(h)
	return e, p
}

// startOIDC follows the browser from the page to the provider and back
// to the callback URL, which it returns without loading it.
func startOIDC(t *testing.T, b *browser) string {
	t.Helper()
	r := b.get("/signin/oidc")
	if r.status != http.StatusSeeOther {
		t.Fatalf("GET /signin/oidc: %d", r.status)
	}
	c := findCookie(r.header, oidcCookieName)
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("flow cookie %+v; want HttpOnly, SameSite=Lax", c)
	}
	resp, err := b.c.Get(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("provider's authorize: %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

func TestOIDCSignIn(t *testing.T) {
	e, p := newOIDCEnv(t)
	t.Run("sign-in page offers it", func(t *testing.T) {
		if !strings.Contains(e.newBrowser().get("/signin").body, `href="/signin/oidc"`) {
			t.Fatal("no OIDC link on the sign-in page")
		}
	})
	t.Run("code flow with PKCE", func(t *testing.T) {
		b := e.newBrowser()
		cb := startOIDC(t, b)
		r := b.get(strings.TrimPrefix(cb, e.srv.URL))
		if r.status != 200 || findCookie(r.header, sessionCookieName) == nil || !strings.Contains(r.body, `http-equiv="refresh"`) {
			t.Fatalf("callback: %d, cookies %v", r.status, r.header["Set-Cookie"])
		}
		if r := b.get("/"); r.status != 200 || !strings.Contains(r.body, "oidc-user") {
			t.Fatalf("GET / after OIDC sign-in: %d", r.status)
		}
		// The callback works once: it cleared the flow cookie.
		if r := b.get(strings.TrimPrefix(cb, e.srv.URL)); r.status != 403 {
			t.Errorf("replayed callback: %d; want 403", r.status)
		}
		// A cookie holding the state (what the flow cookie held before it
		// held the flow's secret) does not pass.
		b2 := e.newBrowser()
		b2.jar.SetCookies(mustURL(e.srv.URL), []*http.Cookie{{Name: oidcCookieName, Value: mustURL(cb).Query().Get("state")}})
		if r := b2.get(strings.TrimPrefix(cb, e.srv.URL)); r.status != 403 {
			t.Errorf("callback with the state as cookie: %d; want 403", r.status)
		}
	})
	t.Run("callback on another instance", func(t *testing.T) {
		// The server keeps nothing of a flow: a page started by one
		// handler finishes on another (another process behind the same
		// address), with nothing shared but the options.
		b := e.newBrowser()
		cb := startOIDC(t, b)
		other, err := New(Options{Manager: e.m, Authenticator: p.authenticator(), OIDC: &OIDC{
			Issuer: p.srv.URL, ClientID: "strongbox-ui", RedirectURL: e.srv.URL + "/signin/oidc/callback",
		}})
		if err != nil {
			t.Fatal(err)
		}
		e.serve(other)
		r := b.get(strings.TrimPrefix(cb, e.srv.URL))
		if r.status != 200 || findCookie(r.header, sessionCookieName) == nil {
			t.Fatalf("callback on the other instance: %d; want 200 and a session", r.status)
		}
	})
	t.Run("callback in another browser", func(t *testing.T) {
		cb := startOIDC(t, e.newBrowser())
		if r := e.newBrowser().get(strings.TrimPrefix(cb, e.srv.URL)); r.status != 403 || findCookie(r.header, sessionCookieName) != nil {
			t.Errorf("callback without the flow cookie: %d; want 403 and no session", r.status)
		}
	})
	t.Run("state swapped", func(t *testing.T) {
		b := e.newBrowser()
		cb := mustURL(startOIDC(t, b))
		q := cb.Query()
		q.Set("state", newToken())
		if r := b.get(cb.Path + "?" + q.Encode()); r.status != 403 {
			t.Errorf("callback with another state: %d; want 403", r.status)
		}
	})
	t.Run("wrong nonce", func(t *testing.T) {
		p.mu.Lock()
		p.wrongNonce = true
		p.mu.Unlock()
		defer func() { p.mu.Lock(); p.wrongNonce = false; p.mu.Unlock() }()
		b := e.newBrowser()
		cb := startOIDC(t, b)
		if r := b.get(strings.TrimPrefix(cb, e.srv.URL)); r.status != 403 || findCookie(r.header, sessionCookieName) != nil {
			t.Errorf("token with another nonce: %d; want 403 and no session", r.status)
		}
	})
	t.Run("provider error", func(t *testing.T) {
		b := e.newBrowser()
		cb := mustURL(startOIDC(t, b))
		if r := b.get(cb.Path + "?" + url.Values{"state": {cb.Query().Get("state")}, "error": {"access_denied"}}.Encode()); r.status != 403 {
			t.Errorf("provider said no: %d; want 403", r.status)
		}
	})
}

// TestOIDCFlowCookie: the flow cookie is refused once expired, malformed,
// or with another state; its expiry cannot be moved without changing the
// state it derives.
func TestOIDCFlowCookie(t *testing.T) {
	s, err := newOIDCSignIn(OIDC{Issuer: "https://idp.example.com", ClientID: "c", RedirectURL: "https://x/cb"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	u, cookie := s.begin("https://idp.example.com/authorize", now)
	state := mustURL(u).Query().Get("state")
	f, ok := s.take(cookie, state, now.Add(oidcFlowLifetime-time.Second))
	if !ok || mustURL(u).Query().Get("nonce") != f.nonce || len(f.verifier) < 43 {
		t.Fatalf("take within the lifetime: %v; want the flow whose nonce the URL carries", ok)
	}
	sum := sha256.Sum256([]byte(f.verifier))
	if mustURL(u).Query().Get("code_challenge") != base64.RawURLEncoding.EncodeToString(sum[:]) {
		t.Error("the code challenge is not the S256 of the derived verifier")
	}
	if strings.Contains(u, f.verifier) || strings.Contains(u, cookie) {
		t.Error("the authorization URL holds the verifier or the flow cookie")
	}
	if _, ok := s.take(cookie, state, now.Add(oidcFlowLifetime)); ok {
		t.Error("an expired flow was taken")
	}
	raw, _ := base64.RawURLEncoding.DecodeString(cookie)
	raw[0] ^= 0x01 // a later expiry
	if _, ok := s.take(base64.RawURLEncoding.EncodeToString(raw), state, now); ok {
		t.Error("a flow cookie with a moved expiry was taken with the old state")
	}
	for _, bad := range []string{"", "x", cookie + "A", cookie[:len(cookie)-1]} {
		if _, ok := s.take(bad, state, now); ok {
			t.Errorf("malformed flow cookie %q taken", bad)
		}
	}
	if _, ok := s.take(cookie, newToken(), now); ok {
		t.Error("a flow was taken with another state")
	}
}

func TestOIDCOptionsChecked(t *testing.T) {
	e := newEnv(t, envOptions{})
	auth := httpapi.StaticTokens(nil)
	for _, tc := range []struct {
		name string
		o    OIDC
	}{
		{"no issuer", OIDC{ClientID: "c", RedirectURL: "https://x/cb"}},
		{"plain http issuer", OIDC{Issuer: "http://idp.example.com", ClientID: "c", RedirectURL: "https://x/cb"}},
		{"no client", OIDC{Issuer: "https://idp.example.com", RedirectURL: "https://x/cb"}},
		{"relative redirect", OIDC{Issuer: "https://idp.example.com", ClientID: "c", RedirectURL: "/cb"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(Options{Manager: e.m, Authenticator: auth, OIDC: &tc.o}); err == nil {
				t.Fatal("New accepted the OIDC options")
			}
		})
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// authFunc adapts a function to httpapi.Authenticator.
type authFunc func(r *http.Request) (rbac.Principal, error)

func (f authFunc) Authenticate(r *http.Request) (rbac.Principal, error) { return f(r) }

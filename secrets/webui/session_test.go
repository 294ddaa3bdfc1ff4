package webui

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
)

// TestRevokedTokenEndsSession: a session signed in with an API token
// presents the token again on every request, so revoking the token through
// the API signs the browser out at its next page request, long before the
// session's own expiry.
func TestRevokedTokenEndsSession(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	toks, err := apitoken.New(apitoken.Options{Store: apitoken.NewMemoryStore(), Guard: e.m, Now: e.now.Now})
	if err != nil {
		t.Fatal(err)
	}
	adminTok, _, err := toks.Bootstrap(ctx, testNS)
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(adminTok.DangerouslyExpose())
	admin, err := toks.Verify(ctx, adminTok.DangerouslyExpose())
	if err != nil {
		t.Fatal(err)
	}
	userTok, rec, err := toks.Issue(rbac.WithPrincipal(ctx, admin), testNS, apitoken.Grant{Subject: "alice", Roles: []rbac.Role{rbac.RoleEditor}})
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(userTok.DangerouslyExpose())

	api, err := httpapi.New(httpapi.Options{Manager: e.m, APITokens: toks, AuthFailures: httpapi.AuthFailureLimit{Disabled: true}, Clock: e.now.Now})
	if err != nil {
		t.Fatal(err)
	}
	page, err := New(Options{Manager: e.m, Authenticator: httpapi.APITokens(toks), Now: e.now.Now})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	mux.Handle("/", page)
	e.serve(mux)

	b := e.newBrowser()
	csrf := b.csrf("/signin")
	if r := b.post("/signin", url.Values{"csrf": {csrf}, "token": {userTok.DangerouslyExpose()}}); r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("sign-in: status %d, Location %q; want 303 to /", r.status, r.header.Get("Location"))
	}
	if r := b.get("/"); r.status != http.StatusOK {
		t.Fatalf("list after sign-in: status %d, want 200", r.status)
	}

	req, _ := http.NewRequest("DELETE", e.srv.URL+"/v1/namespaces/"+testNS+"/apitokens/"+rec.ID, nil)
	req.Header.Set("Authorization", "Bearer "+adminTok.DangerouslyExpose())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke through the API: status %d, want 204", resp.StatusCode)
	}

	r := b.get("/")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/signin" {
		t.Fatalf("list after the token was revoked: status %d, Location %q; want 303 to /signin", r.status, r.header.Get("Location"))
	}
	// The session is gone, not only refused once: the cookie was cleared
	// and a post with the old CSRF token is refused too.
	if r := b.post("/new", url.Values{"csrf": {csrf}, "name": {"after-revoke"}}); r.status != http.StatusUnauthorized {
		t.Errorf("post after the token was revoked: status %d, want 401", r.status)
	}
}

// TestSignInRateLimited: failed sign-ins count against the client address
// with httpapi's failed-authentication limiter; beyond the burst even the
// right token is refused with 429 and Retry-After, until the bucket refills.
func TestSignInRateLimited(t *testing.T) {
	e := newEnv(t, envOptions{signInFailures: &httpapi.AuthFailureLimit{PerSecond: 1, Burst: 3}})
	b := e.newBrowser()
	signIn := func(tok string) response {
		t.Helper()
		return b.post("/signin", url.Values{"csrf": {b.csrf("/signin")}, "token": {tok}})
	}
	// An empty form guesses nothing and is not counted.
	if r := signIn(""); r.header.Get("Location") != "/signin?failed" {
		t.Fatalf("empty token: Location %q, want /signin?failed", r.header.Get("Location"))
	}
	for i := range 3 {
		wrong := leakcheck.NewValue("wrong-token")
		if r := signIn(wrong); r.status != http.StatusSeeOther || r.header.Get("Location") != "/signin?failed" {
			t.Fatalf("wrong token %d: status %d, Location %q; want 303 to /signin?failed", i, r.status, r.header.Get("Location"))
		}
	}
	r := signIn(e.tokens["editor"])
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("sign-in after 3 failures: status %d, want 429", r.status)
	}
	if ra := r.header.Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After = %q, want 1", ra)
	}
	if !strings.Contains(r.body, "Too many failed sign-ins") {
		t.Errorf("the 429 page does not say why")
	}
	e.now.Add(time.Second)
	if r := signIn(e.tokens["editor"]); r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("sign-in after the wait: status %d, Location %q; want 303 to /", r.status, r.header.Get("Location"))
	}
}

// TestSealedCredentialNotInStore: a bearer credential that is not an API
// token of Options.APITokens is stored sealed under a key derived from the
// session id: the store's bytes do not hold it, only the cookie opens it,
// and the session still works.
func TestSealedCredentialNotInStore(t *testing.T) {
	e := newEnv(t, envOptions{})
	store := newMemorySessionStore(e.now.Now)
	page, err := New(Options{Manager: e.m, Authenticator: httpapi.StaticTokens(map[string]rbac.Principal{
		e.tokens["editor"]: {Kind: rbac.KindUser, ID: "editor", Namespace: testNS, Roles: testUsers["editor"]},
	}), Sessions: store, Now: e.now.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.serve(page)
	b := e.newBrowser()
	b.signIn("editor")
	if r := b.get("/"); r.status != http.StatusOK {
		t.Fatalf("list: status %d, want 200", r.status)
	}
	sid := sessionCookieOf(t, b, e.srv.URL).Value
	store.mu.Lock()
	v := store.sessions[sessionKey(sid)]
	store.mu.Unlock()
	if v == nil || len(store.sessions) != 1 {
		t.Fatal("the session is not stored under the SHA-256 of its id")
	}
	if strings.Contains(string(v.data), e.tokens["editor"]) || strings.Contains(string(v.data), sid) {
		t.Fatal("the stored session holds the token or the session id")
	}
	s, err := decodeSession(v.data)
	if err != nil || len(s.sealed) == 0 || s.tokenID != "" {
		t.Fatalf("decoded session: err %v, sealed %d bytes; want a sealed credential", err, len(s.sealed))
	}
	if got, ok := openCredential(sid, sessionKey(sid), s.sealed); !ok || got != e.tokens["editor"] {
		t.Error("the session id does not open the sealed credential")
	}
	if _, ok := openCredential(newToken(), sessionKey(sid), s.sealed); ok {
		t.Error("another session id opens the sealed credential")
	}
}

// TestLargeFlashDropsItsForm: a form shown again after an error keeps its
// fields in the session's flash; one too large for MaxSessionBytes is
// stored without the form, keeping the message.
func TestLargeFlashDropsItsForm(t *testing.T) {
	s := &session{key: "k", principal: rbac.Principal{Kind: rbac.KindUser, ID: "u", Namespace: testNS}, csrf: newToken(),
		expires: time.Now().Add(time.Hour), flash: &flash{Error: "not created", Form: &formState{Description: strings.Repeat("d", MaxSessionBytes)}, FormFor: "create"}}
	data, err := encodeSession(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeSession(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > MaxSessionBytes || got.flash == nil || got.flash.Error != "not created" || got.flash.Form != nil {
		t.Errorf("encoded %d bytes, flash %+v; want at most %d bytes, the message, no form", len(data), got.flash, MaxSessionBytes)
	}
}

// FuzzDecodeSession: the session decoder never panics, and whatever it
// accepts encodes and decodes again to the same principal and CSRF token.
func FuzzDecodeSession(f *testing.F) {
	s := &session{principal: rbac.Principal{Kind: rbac.KindUser, ID: "u", Namespace: testNS, Roles: []rbac.Role{rbac.RoleEditor}},
		csrf: newToken(), expires: time.Now().Add(time.Hour), tokenID: "abcdefghijklmnop", tokenDigest: make([]byte, 32),
		flash: &flash{Notice: "n", Form: &formState{Name: "x", Errors: map[string]string{"name": "bad"}}}}
	data, _ := encodeSession(s)
	f.Add(data)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"kind":1,"id":"u","namespace":"n","csrf":"x","expires":"2026-01-01T00:00:00Z"} {}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := decodeSession(data)
		if err != nil {
			return
		}
		again, err := encodeSession(s)
		if err != nil {
			t.Fatalf("an accepted session does not encode: %v", err)
		}
		s2, err := decodeSession(again)
		if err != nil || s2.principal.String() != s.principal.String() || s2.csrf != s.csrf {
			t.Fatalf("re-decoding an accepted session: %v", err)
		}
	})
}

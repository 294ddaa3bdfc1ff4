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

package webui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
	"github.com/strongbox-go/strongbox/secrets/fleet"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/storage"
	_ "github.com/strongbox-go/strongbox/storage/sqlstorage" // registers sqlite://
)

// instance is one page "process" on a shared store: its own connection,
// Manager, API tokens and session store.
type instance struct {
	st   *storage.Store
	toks *apitoken.Tokens
	page http.Handler
}

func openInstance(t *testing.T, storeURL string, kp *keeper.Envelope) *instance {
	t.Helper()
	ctx := context.Background()
	st, err := storage.OpenStore(ctx, storeURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m, err := secrets.New(secrets.Options{Store: st, Keeper: kp, Auditor: leakcheck.Auditor(nil)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	toks, err := apitoken.New(apitoken.Options{Store: fleet.APITokenStore(st), Guard: m})
	if err != nil {
		t.Fatal(err)
	}
	page, err := New(Options{Manager: m, Authenticator: httpapi.APITokens(toks), Sessions: fleet.WebSessions(st), APITokens: toks})
	if err != nil {
		t.Fatal(err)
	}
	return &instance{st: st, toks: toks, page: page}
}

// TestFleetSessionsShared: two pages over one store (one SQLite file,
// two connections, as two processes behind a load balancer) share their
// sessions: a sign-in through A is used through B, a flash set through B
// shows through A, a sign-out through B is refused by A, a restart keeps
// the session, and revoking the token through either ends it on both.
// With the default in-memory sessions B sent the browser to sign in.
// The store holds neither the token nor the session id.
func TestFleetSessionsShared(t *testing.T) {
	ctx := context.Background()
	storeURL := (&url.URL{Scheme: "sqlite", Path: filepath.Join(t.TempDir(), "strongbox.db")}).String()
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
	a, b := openInstance(t, storeURL, kp), openInstance(t, storeURL, kp)

	adminTok, _, err := a.toks.Bootstrap(ctx, testNS)
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(adminTok.DangerouslyExpose())
	admin, err := a.toks.Verify(ctx, adminTok.DangerouslyExpose())
	if err != nil {
		t.Fatal(err)
	}
	userTok, rec, err := a.toks.Issue(rbac.WithPrincipal(ctx, admin), testNS, apitoken.Grant{Subject: "alice", Roles: []rbac.Role{rbac.RoleEditor}})
	if err != nil {
		t.Fatal(err)
	}
	tok := userTok.DangerouslyExpose()
	leakcheck.Register(tok)

	e := &env{t: t}
	e.handler.h = leakcheck.Middleware(a.page, nil)
	e.srv = httptest.NewServer(&e.handler)
	t.Cleanup(e.srv.Close)
	br := e.newBrowser()
	via := func(in *instance) { e.serve(in.page) }

	via(a)
	if r := br.post("/signin", url.Values{"csrf": {br.csrf("/signin")}, "token": {tok}}); r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("sign-in through A: status %d, Location %q; want 303 to /", r.status, r.header.Get("Location"))
	}
	via(b)
	if r := br.get("/"); r.status != http.StatusOK || !strings.Contains(r.body, "alice") {
		t.Fatalf("list through B with A's session: status %d; want 200 naming alice", r.status)
	}
	if r := br.submit("/new", "/new", url.Values{"name": {"shared"}, "value": {leakcheck.NewValue("v")}}); r.status != http.StatusSeeOther {
		t.Fatalf("create through B: status %d, want 303", r.status)
	}
	via(a)
	if r := br.get("/"); !strings.Contains(r.body, "Secret shared created.") {
		t.Errorf("the flash set through B is not shown through A (status %d)", r.status)
	}

	// The store: one session record, keyed by the id's digest, holding
	// neither the id nor the token.
	cookie := sessionCookieOf(t, br, e.srv.URL)
	recs, _, err := a.st.ListRecords(ctx, "webui.session", 100, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Key != sessionKey(cookie.Value) {
		t.Fatalf("session records: %d, want 1 keyed by the session id's SHA-256", len(recs))
	}
	if data := string(recs[0].Data); strings.Contains(data, tok) || strings.Contains(data, cookie.Value) || strings.Contains(data, tok[len(tok)-20:]) {
		t.Fatal("the session record holds the API token or the session id")
	}

	// Restart: a new instance on the same store keeps the session.
	c := openInstance(t, storeURL, kp)
	via(c)
	if r := br.get("/"); r.status != http.StatusOK {
		t.Fatalf("list through a restarted instance: status %d, want 200", r.status)
	}

	// Sign-out through B ends the session for A too, even for a browser
	// that kept the old cookie.
	via(b)
	if r := br.submit("/", "/signout", url.Values{}); r.status != http.StatusSeeOther || r.header.Get("Location") != "/signin" {
		t.Fatalf("sign-out through B: status %d, Location %q; want 303 to /signin", r.status, r.header.Get("Location"))
	}
	u, _ := url.Parse(e.srv.URL)
	br.jar.SetCookies(u, []*http.Cookie{cookie})
	via(a)
	if r := br.get("/"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/signin" {
		t.Fatalf("A after sign-out through B: status %d, Location %q; want 303 to /signin", r.status, r.header.Get("Location"))
	}
	if recs, _, _ := a.st.ListRecords(ctx, "webui.session", 100, ""); len(recs) != 0 {
		t.Errorf("%d session records after sign-out, want 0", len(recs))
	}

	// Revoking the token through one instance ends its session on another
	// at the next request.
	if r := br.post("/signin", url.Values{"csrf": {br.csrf("/signin")}, "token": {tok}}); r.status != http.StatusSeeOther {
		t.Fatalf("second sign-in through A: status %d, want 303", r.status)
	}
	if err := c.toks.Revoke(rbac.WithPrincipal(ctx, admin), testNS, rec.ID); err != nil {
		t.Fatal(err)
	}
	via(b)
	if r := br.get("/"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/signin" {
		t.Fatalf("B after the token was revoked through C: status %d, Location %q; want 303 to /signin", r.status, r.header.Get("Location"))
	}
}

func sessionCookieOf(t *testing.T, br *browser, base string) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(base)
	for _, c := range br.jar.Cookies(u) {
		if c.Name == sessionCookieName {
			return &http.Cookie{Name: c.Name, Value: c.Value, Path: "/"}
		}
	}
	t.Fatal("no session cookie")
	return nil
}

// BenchmarkSessionRead is the cost of the read every page request makes of
// its session: in memory, and in a SQLite store's records (what a fleet
// pays). Compare the two in one run.
func BenchmarkSessionRead(b *testing.B) {
	ctx := context.Background()
	st, err := storage.OpenStore(ctx, (&url.URL{Scheme: "sqlite", Path: filepath.Join(b.TempDir(), "s.db")}).String())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	p := rbac.Principal{Kind: rbac.KindUser, ID: "alice", Namespace: testNS, Roles: []rbac.Role{rbac.RoleEditor}}
	for _, c := range []struct {
		name  string
		store SessionStore
	}{{"memory", NewMemorySessionStore()}, {"sqlite-records", fleet.WebSessions(st)}} {
		b.Run(c.name, func(b *testing.B) {
			s := &sessions{store: c.store, now: time.Now, lifetime: time.Hour}
			id, _, err := s.create(ctx, p, false, "")
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if sess, err := s.get(ctx, id); err != nil || sess == nil {
					b.Fatal("session not read")
				}
			}
		})
	}
}

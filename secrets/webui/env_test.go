package webui

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

// TestMain fails the package's run if any registered test secret (values,
// API tokens) reached an error, log record, audit event or response body
// that leakcheck saw.
func TestMain(m *testing.M) { leakcheck.Main(m) }

const testNS = "team-a"

// The principals of the tests, by the roles they hold.
var testUsers = map[string][]rbac.Role{
	"editor":       {rbac.RoleEditor},
	"viewer":       {rbac.RoleViewer},
	"reader":       {rbac.RoleViewer, rbac.RoleSecureValuesReader},
	"creator":      {rbac.RoleViewer, rbac.RoleSecureValuesReader, rbac.RoleCreator},
	"creator-only": {rbac.RoleViewer, rbac.RoleCreator},
	"updater":      {rbac.RoleViewer, rbac.RoleSecureValuesReader, rbac.RoleUpdater},
	"deleter":      {rbac.RoleViewer, rbac.RoleSecureValuesReader, rbac.RoleDeleter},
}

// env is a secrets page over an in-memory store, served by httptest with
// leakcheck's middleware around it, and API tokens for testUsers.
type env struct {
	t      testing.TB
	m      *secrets.Manager
	srv    *httptest.Server
	tokens map[string]string // user -> API token (a registered test secret)
	logs   *lockedBuffer
	now    *fakeClock
	// handler is what srv serves: the page, unless a test swapped it.
	handler swapHandler
}

type envOptions struct {
	pageSize int
	auth     httpapi.Authenticator // added before the token authenticator
	// signInFailures is Options.SignInFailures; nil: the default limit.
	signInFailures *httpapi.AuthFailureLimit
	// keepVersions is the Manager's secrets.Options.KeepVersions.
	keepVersions int
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	st := docstorage.NewInMemory()
	t.Cleanup(func() { st.Close() })
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
	clock := &fakeClock{t: time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)}
	m, err := secrets.New(secrets.Options{Store: st, Keeper: kp, Auditor: leakcheck.Auditor(nil), Clock: clock.Now, KeepVersions: o.keepVersions})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	e := &env{t: t, m: m, tokens: map[string]string{}, logs: &lockedBuffer{}, now: clock}
	byToken := map[string]rbac.Principal{}
	for u, roles := range testUsers {
		tok := leakcheck.NewValue("tok-" + u)
		e.tokens[u] = tok
		byToken[tok] = rbac.Principal{Kind: rbac.KindUser, ID: u, Namespace: testNS, Roles: roles}
	}
	auth := httpapi.StaticTokens(byToken)
	if o.auth != nil {
		auth = httpapi.Chain(o.auth, auth)
	}
	log := slog.New(leakcheck.Handler(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	var lim httpapi.AuthFailureLimit
	if o.signInFailures != nil {
		lim = *o.signInFailures
	}
	h, err := New(Options{Manager: m, Authenticator: auth, PageSize: o.pageSize, Logger: log, Now: clock.Now, SignInFailures: lim})
	if err != nil {
		t.Fatal(err)
	}
	e.handler.h = leakcheck.Middleware(h, nil)
	e.srv = httptest.NewServer(&e.handler)
	t.Cleanup(e.srv.Close)
	return e
}

// swapHandler lets a test serve another handler on the env's server.
type swapHandler struct {
	mu sync.RWMutex
	h  http.Handler
}

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	h := s.h
	s.mu.RUnlock()
	h.ServeHTTP(w, r)
}

// serve replaces the env's handler, wrapped in leakcheck's middleware.
func (e *env) serve(h http.Handler) {
	e.handler.mu.Lock()
	defer e.handler.mu.Unlock()
	e.handler.h = leakcheck.Middleware(h, nil)
}

// as returns a context acting as the given test user.
func (e *env) as(user string) context.Context {
	return rbac.WithPrincipal(context.Background(), rbac.Principal{Kind: rbac.KindUser, ID: user, Namespace: testNS, Roles: testUsers[user]})
}

// asRunner returns a context acting as the test runner k6-runner.
func (e *env) asRunner() context.Context {
	return rbac.WithPrincipal(context.Background(), rbac.Principal{Kind: rbac.KindService, ID: "k6-runner", Namespace: testNS, Roles: []rbac.Role{rbac.RoleDecrypter}})
}

// seed creates a secret directly through the Manager.
func (e *env) seed(name string, labels map[string]string) *secrets.Secret {
	e.t.Helper()
	s, err := e.m.Create(e.as("editor"), testNS, secrets.Spec{
		Name: name, Description: "seeded " + name, Labels: labels,
		Value: secrets.NewValue(leakcheck.NewValue("seed")), Decrypters: []string{"k6-runner"},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// browser is a cookie-keeping HTTP client that does not follow redirects.
type browser struct {
	e   *env
	c   *http.Client
	jar http.CookieJar
}

func (e *env) newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, jar: jar, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values, hdr map[string]string) response {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.srv.URL+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

func (b *browser) get(path string) response { return b.do("GET", path, nil, nil) }

// post sends a form the way a same-origin browser does.
func (b *browser) post(path string, form url.Values) response {
	return b.do("POST", path, form, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": b.e.srv.URL})
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token of the page at path.
func (b *browser) csrf(path string) string {
	b.e.t.Helper()
	r := b.get(path)
	m := csrfRE.FindStringSubmatch(r.body)
	if m == nil {
		b.e.t.Fatalf("GET %s: no CSRF token in the page (status %d)", path, r.status)
	}
	return m[1]
}

// signIn signs in with the user's API token through the form.
func (b *browser) signIn(user string) {
	b.e.t.Helper()
	tok := b.csrf("/signin")
	r := b.post("/signin", url.Values{"csrf": {tok}, "token": {b.e.tokens[user]}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		b.e.t.Fatalf("sign-in as %s: status %d, Location %q; want 303 to /", user, r.status, r.header.Get("Location"))
	}
}

// submit posts a form with the CSRF token of the page at page.
func (b *browser) submit(page, action string, form url.Values) response {
	b.e.t.Helper()
	form.Set("csrf", b.csrf(page))
	return b.post(action, form)
}

package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/testing/fault"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

const ns = "team-a"

// Bearer tokens of the static authenticator.
const (
	tokEditor    = "tok-editor"
	tokViewer    = "tok-viewer"
	tokReader    = "tok-reader"
	tokOtherNS   = "tok-other-ns"
	tokService   = "tok-service"
	tokNoOneRole = "tok-nobody"
	tokUpdater   = "tok-updater" // the Updater role alone: may update, not read
)

var principals = map[string]rbac.Principal{
	tokEditor:    {Kind: rbac.KindUser, ID: "alice", Namespace: ns, Roles: []rbac.Role{rbac.RoleEditor}},
	tokViewer:    {Kind: rbac.KindUser, ID: "vic", Namespace: ns, Roles: []rbac.Role{rbac.RoleViewer}},
	tokReader:    {Kind: rbac.KindUser, ID: "rita", Namespace: ns, Roles: []rbac.Role{rbac.RoleSecureValuesReader}},
	tokOtherNS:   {Kind: rbac.KindUser, ID: "bob", Namespace: "team-b", Roles: []rbac.Role{rbac.RoleAdmin}},
	tokService:   {Kind: rbac.KindService, ID: "k6-runner", Namespace: ns, Roles: []rbac.Role{rbac.RoleDecrypter}},
	tokNoOneRole: {Kind: rbac.KindUser, ID: "nobody", Namespace: ns},
	tokUpdater:   {Kind: rbac.KindUser, ID: "uma", Namespace: ns, Roles: []rbac.Role{rbac.RoleUpdater}},
}

// clock is a settable time source shared by the issuer and the handler.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a Handler over a Manager over fault-injecting in-memory backends,
// with everything it logs and audits recorded.
type env struct {
	t       testing.TB
	m       *secrets.Manager
	store   *fault.Store
	keeper  *fault.Keeper
	issuer  *runtoken.Issuer
	clock   *clock
	h       *httpapi.Handler
	logs    *syncBuffer // handler log, request audit log and Manager audits
	mu      sync.Mutex
	events  []httpapi.RequestEvent
	secrets []string // every value created, to look for in logs
}

type envOptions struct {
	rateLimit *httpapi.RateLimit
	maxBody   int64
	// authFailures limits failed authentications; nil: off, so that tests
	// of 401s (the clock does not move) are not answered 429.
	authFailures *httpapi.AuthFailureLimit
	// keepVersions is the Manager's secrets.Options.KeepVersions.
	keepVersions int
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	u, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	kp, err := keeper.OpenEnvelope(ctx, u, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := docstorage.NewInMemory()
	e := &env{t: t, store: fault.NewStore(st), keeper: fault.NewKeeper(kp), logs: &syncBuffer{},
		clock: &clock{t: time.Now().UTC().Truncate(time.Second)}}
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.m, err = secrets.New(secrets.Options{
		Store: e.store.Store, Keeper: e.keeper, KeepVersions: o.keepVersions,
		Auditor: func(ctx context.Context, ev rbac.AuditEvent) {
			logger.InfoContext(ctx, "manager audit", "event", ev)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	key, err := runtoken.NewHMACKey("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	e.issuer, err = runtoken.NewIssuer(runtoken.IssuerOptions{Key: key, Clock: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	reqLog := httpapi.LogAuditor(logger)
	authFailures := httpapi.AuthFailureLimit{Disabled: true}
	if o.authFailures != nil {
		authFailures = *o.authFailures
	}
	e.h, err = httpapi.New(httpapi.Options{
		Manager:       e.m,
		Authenticator: httpapi.StaticTokens(principals),
		RunTokens:     e.issuer.Verifier(),
		Auditor: httpapi.RequestAuditor(func(ctx context.Context, ev httpapi.RequestEvent) {
			e.mu.Lock()
			e.events = append(e.events, ev)
			e.mu.Unlock()
			reqLog(ctx, ev)
		}),
		Logger:       logger,
		RateLimit:    o.rateLimit,
		AuthFailures: authFailures,
		MaxBodyBytes: o.maxBody,
		Clock:        e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.m.Close()
		st.Close()
		kp.Close()
		e.checkLogs()
	})
	return e
}

// checkLogs fails the test if any value created through the env appears in
// the logs or audit events.
func (e *env) checkLogs() {
	e.t.Helper()
	logs := e.logs.String()
	e.mu.Lock()
	defer e.mu.Unlock()
	evs, _ := json.Marshal(e.events)
	for _, v := range e.secrets {
		if strings.Contains(logs, v) || strings.Contains(string(evs), v) {
			e.t.Errorf("a secret value appears in the logs or audit events")
		}
	}
}

// newValue returns a distinctive value and remembers it.
func (e *env) newValue() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	v := "sv-" + hex.EncodeToString(b[:])
	e.mu.Lock()
	e.secrets = append(e.secrets, v)
	e.mu.Unlock()
	return v
}

// lastEvent returns the last request event.
func (e *env) lastEvent() httpapi.RequestEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.events) == 0 {
		return httpapi.RequestEvent{}
	}
	return e.events[len(e.events)-1]
}

// resp is a recorded response.
type resp struct {
	status int
	header http.Header
	body   string
}

// apiErr decodes an error body.
func (r resp) apiErr() httpapi.Error {
	var b struct{ Error httpapi.Error }
	_ = json.Unmarshal([]byte(r.body), &b)
	return b.Error
}

func (r resp) secret(t testing.TB) secrets.Secret {
	t.Helper()
	var s secrets.Secret
	if err := json.Unmarshal([]byte(r.body), &s); err != nil {
		t.Fatalf("decoding %q: %v", r.body, err)
	}
	return s
}

// do sends a request through the handler. hdr holds extra header pairs.
func (e *env) do(method, path, token, body string, hdr ...string) resp {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return resp{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

// create makes a secret through the API and returns its value.
func (e *env) create(name string, decrypters ...string) string {
	e.t.Helper()
	v := e.newValue()
	body, _ := json.Marshal(map[string]any{"name": name, "value": v, "decrypters": decrypters,
		"labels": map[string]string{"env": "test"}})
	if r := e.do("POST", "/v1/namespaces/"+ns+"/secrets", tokEditor, string(body)); r.status != http.StatusCreated {
		e.t.Fatalf("create %s: %d %s", name, r.status, r.body)
	}
	return v
}

func (e *env) token(g runtoken.Grant) string {
	e.t.Helper()
	tok, _, err := e.issuer.Issue(context.Background(), g)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

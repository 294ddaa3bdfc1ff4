package httpapi_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/testing/fault"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/secrets/source"
)

// fakeRedactor records what it learns.
type fakeRedactor struct {
	mu   sync.Mutex
	seen []string
}

func (f *fakeRedactor) Add(s string) error {
	f.mu.Lock()
	f.seen = append(f.seen, s)
	f.mu.Unlock()
	return nil
}

func (e *env) serve() *httptest.Server {
	srv := httptest.NewServer(e.h)
	e.t.Cleanup(srv.Close)
	return srv
}

func (e *env) decryptCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.events {
		if strings.HasSuffix(ev.Route, "/decrypt") {
			n++
		}
	}
	return n
}

func TestRemoteSource(t *testing.T) {
	e := newEnv(t, envOptions{})
	srv := e.serve()
	ctx := context.Background()
	v := e.create("api-key", "k6-runner")
	// A value of the full 24 KiB, with characters JSON would escape.
	big := strings.Repeat(`"<&>\`, secrets.MaxValueBytes/5) + strings.Repeat("x", secrets.MaxValueBytes%5)
	e.mu.Lock()
	e.secrets = append(e.secrets, big)
	e.mu.Unlock()
	if _, err := e.m.Create(asEditor(), ns, secrets.Spec{Name: "big", Value: secrets.NewValue(big), Decrypters: []string{"k6-runner"}}); err != nil {
		t.Fatal(err)
	}
	e.create("db-pass", "k6-runner")
	tok := e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", Names: []string{"api-key", "big", "missing"}, TTL: time.Minute})

	rs, err := httpapi.NewRemoteSource(httpapi.RemoteConfig{BaseURL: srv.URL, Namespace: ns, Token: secrets.NewValue(tok),
		RetryBackoff: time.Millisecond, RequestsPerMinuteLimit: -1}, source.URLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		want string
		err  error
	}{
		{"api-key", v, nil},
		{"big", big, nil},
		{"missing", "", secrets.ErrNotFound},
		{"db-pass", "", secrets.ErrPermissionDenied}, // outside the token
		{"a/b", "", secrets.ErrInvalid},
	} {
		got, err := rs.Get(ctx, tc.name)
		if !errors.Is(err, tc.err) || got.DangerouslyExpose() != tc.want {
			t.Errorf("Get(%q): err = %v, value matches = %v", tc.name, err, got.DangerouslyExpose() == tc.want)
		}
		if err != nil && strings.Contains(err.Error(), tok) {
			t.Errorf("error holds the token")
		}
	}

	// 503s are retried by the url source underneath.
	e.store.In.FailNth(fault.GetMetadata, 1, nil)
	e.store.In.FailNth(fault.GetMetadata, 2, nil)
	before := e.decryptCount()
	if got, err := rs.Get(ctx, "api-key"); err != nil || got.DangerouslyExpose() != v {
		t.Errorf("Get after two 503s: %v", err)
	}
	if n := e.decryptCount() - before; n != 3 {
		t.Errorf("%d requests, want 3 (two retries)", n)
	}

	// Cached through source.NewCache: one request, and the value is
	// redacted before anyone sees it.
	red := &fakeRedactor{}
	cached := source.NewCache(rs, red)
	before = e.decryptCount()
	for range 5 {
		if _, err := cached.Get(ctx, "api-key"); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.decryptCount() - before; n != 1 || len(red.seen) != 1 || red.seen[0] != v {
		t.Errorf("cached: %d requests, redactor learned %d values", n, len(red.seen))
	}

	// Expired: refused.
	e.clock.Add(time.Minute)
	if _, err := rs.Get(ctx, "api-key"); !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Errorf("expired token: %v", err)
	}
}

func TestRemoteSourceTokenFunc(t *testing.T) {
	e := newEnv(t, envOptions{})
	srv := e.serve()
	v := e.create("api-key", "k6-runner")
	calls := 0
	rs, err := httpapi.NewRemoteSource(httpapi.RemoteConfig{BaseURL: srv.URL + "/", Namespace: ns,
		TokenFunc: func(context.Context) (secrets.Value, error) {
			calls++
			return secrets.NewValue(e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", Names: []string{"api-key"}})), nil
		}}, source.URLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rs.Get(context.Background(), "api-key"); err != nil || got.DangerouslyExpose() != v || calls != 1 {
		t.Errorf("Get: %v (token func called %d times)", err, calls)
	}
}

func TestRemoteConfigInvalid(t *testing.T) {
	tok := secrets.NewValue("sbrt1.x.y.z")
	for name, cfg := range map[string]httpapi.RemoteConfig{
		"no base":        {Namespace: ns, Token: tok},
		"relative base":  {BaseURL: "/v1", Namespace: ns, Token: tok},
		"ftp base":       {BaseURL: "ftp://h", Namespace: ns, Token: tok},
		"base query":     {BaseURL: "http://h?x=1", Namespace: ns, Token: tok},
		"base user":      {BaseURL: "http://u:p@h", Namespace: ns, Token: tok},
		"bad namespace":  {BaseURL: "http://h", Namespace: "a b", Token: tok},
		"no token":       {BaseURL: "http://h", Namespace: ns},
		"negative burst": {BaseURL: "http://h", Namespace: ns, Token: tok, RequestsBurst: -1},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := httpapi.NewRemoteSource(cfg, source.URLOptions{})
			if !errors.Is(err, secrets.ErrInvalid) || strings.Contains(err.Error(), "sbrt1") || strings.Contains(err.Error(), "u:p") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

// TestK6Spec: the spec K6Spec prints, parsed by the k6-compatible url
// source of a Resolver, fetches the value.
func TestK6Spec(t *testing.T) {
	e := newEnv(t, envOptions{})
	srv := e.serve()
	v := e.create("api-key", "k6-runner")
	tok := e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", Names: []string{"api-key"}})
	spec := httpapi.K6Spec(srv.URL, ns, tok)
	if want := "url=urlTemplate=" + srv.URL + "/v1/namespaces/team-a/secrets/{key}/decrypt,headers.Authorization=Bearer " + tok + ",responsePath=value"; spec != want {
		t.Errorf("K6Spec = %q\nwant     %q", spec, want)
	}
	red := &fakeRedactor{}
	r, err := source.NewResolver(context.Background(), source.Options{Specs: []string{spec}, Redactor: red, Env: func() []string { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.Get(context.Background(), "api-key")
	if err != nil || got.DangerouslyExpose() != v {
		t.Fatalf("resolver Get: %v", err)
	}
	if _, err := r.Get(context.Background(), "other"); !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Errorf("name outside the token: %v", err)
	}
}

func TestRemoteConstructor(t *testing.T) {
	e := newEnv(t, envOptions{})
	srv := e.serve()
	v := e.create("api-key", "k6-runner")
	tok := e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", AllNames: true})
	types := map[string]source.Constructor{"strongbox": httpapi.RemoteConstructor()}
	ctx := context.Background()
	r, err := source.NewResolver(ctx, source.Options{
		Specs: []string{"strongbox=baseURL=" + srv.URL + ",namespace=" + ns + ",maxRetries=1,timeout=5s"},
		Types: types, Env: func() []string { return []string{httpapi.EnvRunToken + "=" + tok} },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	before := e.decryptCount()
	for range 3 {
		if got, err := r.Get(ctx, "api-key"); err != nil || got.DangerouslyExpose() != v {
			t.Fatalf("Get: %v", err)
		}
	}
	if n := e.decryptCount() - before; n != 1 {
		t.Errorf("%d requests for 3 Gets, want 1 (cached)", n)
	}
	for name, spec := range map[string]string{
		"no token":       "strongbox=baseURL=" + srv.URL + ",namespace=" + ns,
		"unknown option": "strongbox=baseURL=" + srv.URL + ",namespace=" + ns + ",bogus=1",
		"no equals":      "strongbox=baseURL=" + srv.URL + ",namespace=" + ns + ",sbrt1secretish",
		"bad duration":   "strongbox=baseURL=" + srv.URL + ",namespace=" + ns + ",timeout=soon",
	} {
		env := []string{httpapi.EnvRunToken + "=" + tok}
		if name == "no token" {
			env = nil
		}
		_, err := source.NewResolver(ctx, source.Options{Specs: []string{spec}, Types: types, Env: func() []string { return env }})
		if !errors.Is(err, secrets.ErrInvalid) || strings.Contains(err.Error(), "secretish") || strings.Contains(err.Error(), tok) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// TestURLSourcePinnedVersion (issue #18): the url source, given a spec of
// the decrypt route, asks for "api-key@1" and gets version 1's value from
// the server, through NewRemoteSource and through a url source spec as k6
// users write it; a version no longer kept is ErrNotFound, a malformed
// reference ErrInvalid.
func TestURLSourcePinnedVersion(t *testing.T) {
	e := newEnv(t, envOptions{keepVersions: 1})
	srv := e.serve()
	ctx := context.Background()
	v1 := e.create("api-key", "k6-runner")
	v2 := e.reset("api-key")
	tok := e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", Names: []string{"api-key"}, TTL: time.Minute})
	e.mu.Lock()
	e.secrets = append(e.secrets, tok)
	e.mu.Unlock()
	rs, err := httpapi.NewRemoteSource(httpapi.RemoteConfig{BaseURL: srv.URL, Namespace: ns, Token: secrets.NewValue(tok),
		RetryBackoff: time.Millisecond, RequestsPerMinuteLimit: -1}, source.URLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spec := "url=urlTemplate=" + srv.URL + httpapi.DecryptPath(ns, "{key}") + ",headers.Authorization=Bearer " + tok + ",responsePath=value,retryBackoff=1ms"
	red := &fakeRedactor{}
	r, err := source.NewResolver(ctx, source.Options{Specs: []string{spec}, Env: func() []string { return nil }, Redactor: red})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, src := range []struct {
		name string
		s    source.Source
	}{{"remote", rs}, {"url spec", r}} {
		for _, tc := range []struct {
			ref, want string
			err       error
		}{
			{"api-key", v2, nil},
			{"api-key@2", v2, nil},
			{"api-key@1", v1, nil},
			{"api-key@3", "", secrets.ErrNotFound},
			{"api-key@0", "", secrets.ErrInvalid},
			{"api-key@01", "", secrets.ErrInvalid},
		} {
			got, err := src.s.Get(ctx, tc.ref)
			if !errors.Is(err, tc.err) || got.DangerouslyExpose() != tc.want {
				t.Errorf("%s: Get(%q): err = %v, value matches = %v", src.name, tc.ref, err, got.DangerouslyExpose() == tc.want)
			}
		}
	}
	// The resolver taught the redactor the pinned value too.
	found := false
	for _, s := range red.seen {
		found = found || s == v1
	}
	if !found {
		t.Error("the redactor did not learn the value of version 1")
	}
	// The request events name the secret and the version, not name@N.
	var pinned int
	e.mu.Lock()
	for _, ev := range e.events {
		if ev.Name == "api-key" && ev.Version == 1 {
			pinned++
		}
	}
	e.mu.Unlock()
	if pinned != 2 {
		t.Errorf("%d request events for api-key version 1; want 2", pinned)
	}
}

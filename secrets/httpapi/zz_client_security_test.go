package httpapi_test

// Regression tests of issue #11 (security) for Client and RemoteSource.

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/secrets/source"
)

// recorder is a server that records what reaches it.
type recorder struct {
	mu   sync.Mutex
	hits []string
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.hits = append(rc.hits, r.Method+" "+r.URL.Path+" auth="+r.Header.Get("Authorization")+" body="+string(body))
	rc.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"name":"x","value":"x"}`)
}

func (rc *recorder) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.hits...)
}

// redirector answers every request with a 307 to target + the same path.
func redirector(t *testing.T, target string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// crossOriginCases are redirects to another origin: another host (dialled
// to the recording server by the client's transport) and another port of
// the same host.
func crossOriginCases(t *testing.T) []struct {
	name   string
	from   string
	client *http.Client
	target *recorder
} {
	// Another host: the caller's transport dials evil.example to the
	// recording server, so a request for it reaches that server.
	hostRec := &recorder{}
	hostSrv := httptest.NewServer(hostRec)
	t.Cleanup(hostSrv.Close)
	_, hostPort, _ := net.SplitHostPort(hostSrv.Listener.Addr().String())
	dialer := &net.Dialer{}
	toRecorder := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if strings.HasPrefix(addr, "evil.example:") {
			addr = hostSrv.Listener.Addr().String()
		}
		return dialer.DialContext(ctx, network, addr)
	}}}
	t.Cleanup(toRecorder.CloseIdleConnections)
	otherHost := redirector(t, "http://evil.example:"+hostPort)

	// Another port of the same host.
	portRec := &recorder{}
	portSrv := httptest.NewServer(portRec)
	t.Cleanup(portSrv.Close)
	otherPort := redirector(t, portSrv.URL)

	return []struct {
		name   string
		from   string
		client *http.Client
		target *recorder
	}{
		{"to another host", otherHost.URL, toRecorder, hostRec},
		{"to another port", otherPort.URL, nil, portRec},
		{"to another port, caller's client", otherPort.URL, &http.Client{Timeout: 5 * time.Second}, portRec},
	}
}

// TestClientRefusesCrossOriginRedirect: a 307 to another origin is not
// followed, with the value of a create or with the bearer token of a read,
// whichever *http.Client the caller passes.
func TestClientRefusesCrossOriginRedirect(t *testing.T) {
	ctx := context.Background()
	const token, value = "s3cr3t-bearer-token", "s3cr3t-value-in-the-body"
	for _, tc := range crossOriginCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			c, err := httpapi.NewClient(tc.from, httpapi.ClientOptions{HTTPClient: tc.client, Token: secrets.NewValue(token)})
			if err != nil {
				t.Fatal(err)
			}
			before := len(tc.target.got())
			_, err = c.Create(ctx, ns, secrets.Spec{Name: "x", Value: secrets.NewValue(value)})
			if err == nil {
				t.Errorf("Create followed the redirect")
			}
			if _, err := c.Get(ctx, ns, "x"); err == nil {
				t.Errorf("Get followed the redirect")
			}
			if _, err := c.RevealValue(ctx, ns, "x"); err == nil {
				t.Errorf("RevealValue followed the redirect")
			}
			if got := tc.target.got()[before:]; len(got) != 0 {
				t.Errorf("requests reached the other origin: %q", got)
			}
			if err != nil && (strings.Contains(err.Error(), token) || strings.Contains(err.Error(), value)) {
				t.Errorf("error holds a credential or value: %v", err)
			}
		})
	}
}

// TestClientFollowsSameOriginRedirect: a redirect within the origin is
// still followed.
func TestClientFollowsSameOriginRedirect(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.create("api-key", "k6-runner")
	mux := http.NewServeMux()
	mux.Handle("/v1/", e.h)
	mux.HandleFunc("/old/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.TrimPrefix(r.URL.RequestURI(), "/old"), http.StatusTemporaryRedirect)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := httpapi.NewClient(srv.URL+"/old", httpapi.ClientOptions{Token: secrets.NewValue(tokEditor), HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(context.Background(), ns, "api-key"); err != nil {
		t.Errorf("same-origin redirect: %v", err)
	}
}

// TestRemoteSourceRefusesCrossOriginRedirect: the remote source over the
// url source sends its run token to no other origin, with the caller's
// *http.Client too.
func TestRemoteSourceRefusesCrossOriginRedirect(t *testing.T) {
	const token = "sbrt1.s3cr3t-run-token"
	for _, tc := range crossOriginCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := httpapi.NewRemoteSource(httpapi.RemoteConfig{BaseURL: tc.from, Namespace: ns, Token: secrets.NewValue(token), MaxRetries: -1},
				source.URLOptions{HTTPClient: tc.client})
			if err != nil {
				t.Fatal(err)
			}
			before := len(tc.target.got())
			if _, err := rs.Get(context.Background(), "api-key"); err == nil {
				t.Errorf("Get followed the redirect")
			}
			if got := tc.target.got()[before:]; len(got) != 0 {
				t.Errorf("requests reached the other origin: %q", got)
			}
		})
	}
}

// TestClientHidesToken: a Client, its options and a remote source's config
// show no token under fmt, JSON, text marshalling or slog.
func TestClientHidesToken(t *testing.T) {
	const token = "s3cr3t-client-token"
	c, err := httpapi.NewClient("http://127.0.0.1:1", httpapi.ClientOptions{Token: secrets.NewValue(token)})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := httpapi.NewRemoteSource(httpapi.RemoteConfig{BaseURL: "http://127.0.0.1:1", Namespace: ns, Token: secrets.NewValue(token)}, source.URLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	things := map[string]any{
		"*RemoteSource": rs,
		"*Client":       c,
		"Client":        *c,
		"ClientOptions": httpapi.ClientOptions{Token: secrets.NewValue(token)},
		"RemoteConfig":  httpapi.RemoteConfig{BaseURL: "http://127.0.0.1:1", Namespace: ns, Token: secrets.NewValue(token)},
	}
	for name, v := range things {
		t.Run(name, func(t *testing.T) { leakcheck.CheckRenderings(t, v, token) })
	}
}

// TestK6SpecEnvKeepsTokenOutOfArgv: K6SpecEnv is the K6Spec as an
// environment assignment for k6 (issue #11 item 16), so a runner can start
// k6 with the token in its environment instead of its arguments; the spec
// read from it still fetches the value.
func TestK6SpecEnvKeepsTokenOutOfArgv(t *testing.T) {
	e := newEnv(t, envOptions{})
	srv := e.serve()
	v := e.create("api-key", "k6-runner")
	tok := e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", Names: []string{"api-key"}})
	kv := httpapi.K6SpecEnv(srv.URL, ns, tok)
	name, spec, ok := strings.Cut(kv, "=")
	if httpapi.EnvK6SecretSource != "K6_SECRET_SOURCE" {
		t.Errorf("EnvK6SecretSource = %q", httpapi.EnvK6SecretSource)
	}
	if !ok || name != httpapi.EnvK6SecretSource || spec != httpapi.K6Spec(srv.URL, ns, tok) {
		t.Fatalf("K6SpecEnv = %q, want K6_SECRET_SOURCE=<K6Spec>", kv)
	}
	r, err := source.NewResolver(context.Background(), source.Options{Specs: []string{spec}, Env: func() []string { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, err := r.Get(context.Background(), "api-key"); err != nil || got.DangerouslyExpose() != v {
		t.Errorf("the spec from the environment does not fetch the value: %v", err)
	}
}

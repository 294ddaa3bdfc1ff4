package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/secrets"
)

// fastConfig is a config whose retries and rate limit do not slow tests.
func fastConfig(template string) URLConfig {
	return URLConfig{URLTemplate: template, RetryBackoff: time.Millisecond, Timeout: 2 * time.Second, RequestsPerMinuteLimit: -1}
}

func noJitter(time.Duration) time.Duration { return 0 }

func TestURLSourceStatuses(t *testing.T) {
	const secret = "s3cret-value-1"
	tests := []struct {
		name      string
		status    int
		body      string
		path      string
		want      string
		is        error
		wantErr   string
		wantCalls int32
	}{
		{name: "200 whole body", status: 200, body: secret, want: secret, wantCalls: 1},
		{name: "200 path", status: 200, body: `{"data":{"value":"` + secret + `"}}`, path: "data.value", want: secret, wantCalls: 1},
		{name: "200 path into array", status: 200, body: `{"data":[{"v":"x"},{"v":"` + secret + `"}]}`, path: "data.1.v", want: secret, wantCalls: 1},
		{name: "path to number", status: 200, body: `{"data":{"value":12345678}}`, path: "data.value", is: secrets.ErrInvalid, wantErr: "resolves to a number, not a string", wantCalls: 1},
		{name: "path missing", status: 200, body: `{"data":{"other":"` + secret + `"}}`, path: "data.value", is: secrets.ErrInvalid, wantErr: `segment 2 ("value") is not in the response`, wantCalls: 1},
		{name: "path into string", status: 200, body: `{"data":"` + secret + `"}`, path: "data.value", is: secrets.ErrInvalid, wantErr: `the response has a string there`, wantCalls: 1},
		{name: "not json", status: 200, body: secret, path: "data", is: secrets.ErrInvalid, wantErr: "not valid JSON", wantCalls: 1},
		{name: "trailing json", status: 200, body: `{"data":"x"} {"` + secret + `":1}`, path: "data", is: secrets.ErrInvalid, wantErr: "not valid JSON", wantCalls: 1},
		{name: "at cap", status: 200, body: strings.Repeat("a", maxBodyBytes), want: strings.Repeat("a", maxBodyBytes), wantCalls: 1},
		{name: "over cap", status: 200, body: secret + strings.Repeat("a", maxBodyBytes), is: secrets.ErrInvalid, wantErr: "response body is over 24576 bytes", wantCalls: 1},
		{name: "empty body", status: 200, body: "", is: secrets.ErrInvalid, wantErr: "value is empty", wantCalls: 1},
		{name: "404", status: 404, body: secret, is: secrets.ErrNotFound, wantErr: `secret "api-key" not found`, wantCalls: 1},
		{name: "401", status: 401, body: secret, is: secrets.ErrPermissionDenied, wantErr: "status 401", wantCalls: 1},
		{name: "403", status: 403, body: secret, is: secrets.ErrPermissionDenied, wantErr: "status 403", wantCalls: 1},
		{name: "400 not retried", status: 400, body: secret, is: secrets.ErrInvalid, wantCalls: 1},
		{name: "204 is not success", status: 204, is: secrets.ErrInternal, wantErr: "unexpected status 204", wantCalls: 1},
		{name: "500 retried", status: 500, body: secret, is: secrets.ErrUnavailable, wantErr: "status 500 (after 4 attempts)", wantCalls: 4},
		{name: "503 retried", status: 503, body: secret, is: secrets.ErrUnavailable, wantCalls: 4},
		{name: "429 retried", status: 429, body: secret, is: secrets.ErrUnavailable, wantCalls: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			cfg := fastConfig(srv.URL + "/secrets/{key}")
			cfg.ResponsePath = tt.path
			s, err := newURLSource(cfg, URLOptions{}, noJitter)
			if err != nil {
				t.Fatal(err)
			}
			v, err := s.Get(context.Background(), "api-key")
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("server saw %d requests, want %d", got, tt.wantCalls)
			}
			if tt.is != nil {
				mustNotContain(t, err, secret, srv.URL)
				if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %v containing %q", err, tt.is, tt.wantErr)
				}
				if v.Len() != 0 {
					t.Fatal("a failed Get returned a value")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v.DangerouslyExpose() != tt.want {
				t.Fatalf("Get = %d bytes, want %d", v.Len(), len(tt.want))
			}
		})
	}
}

func TestURLSourceRetryRecovers(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			w.WriteHeader(503)
		case 2:
			w.WriteHeader(429)
		case 3:
			// A network error: the connection closes without a response.
			hj, _ := w.(http.Hijacker)
			c, buf, _ := hj.Hijack()
			_, _ = buf.WriteString("s3cret-in-garbage\r\n\r\n")
			_ = buf.Flush()
			_ = c.Close()
		default:
			_, _ = io.WriteString(w, "finally")
		}
	}))
	defer srv.Close()
	var delays []time.Duration
	var mu sync.Mutex
	cfg := fastConfig(srv.URL + "/{key}")
	s, err := newURLSource(cfg, URLOptions{}, func(d time.Duration) time.Duration {
		mu.Lock()
		delays = append(delays, d)
		mu.Unlock()
		return 0
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Get(context.Background(), "k")
	if err != nil || v.DangerouslyExpose() != "finally" {
		t.Fatalf("Get = %v, %v", v, err)
	}
	// A sub-second backoff is waited each time, with a jitter of up to it
	// (+1 keeps it positive); see TestK6Parity for k6's schedule.
	want := []time.Duration{time.Millisecond + 1, time.Millisecond + 1, time.Millisecond + 1}
	if diff := cmp.Diff(want, delays); diff != "" {
		t.Errorf("jitter bounds (-want +got):\n%s", diff)
	}
}

func TestURLSourceNetworkErrorRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: connection refused
	cfg := fastConfig("http://" + addr + "/{key}?token=key-material-xyz")
	cfg.MaxRetries = 2
	s, err := newURLSource(cfg, URLOptions{}, noJitter)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(context.Background(), "k")
	mustNotContain(t, err, "key-material-xyz")
	if !errors.Is(err, secrets.ErrUnavailable) || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("error = %v, want unavailable after 3 attempts", err)
	}
}

func TestURLSourceMalformedResponseNotQuoted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hj, _ := w.(http.Hijacker)
		c, buf, _ := hj.Hijack()
		_, _ = buf.WriteString("s3cret-in-garbage\r\n\r\n")
		_ = buf.Flush()
		_ = c.Close()
	}))
	defer srv.Close()
	cfg := fastConfig(srv.URL + "/{key}")
	cfg.MaxRetries = -1
	s, err := newURLSource(cfg, URLOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(context.Background(), "k")
	mustNotContain(t, err, "s3cret-in-garbage", srv.URL)
	if !errors.Is(err, secrets.ErrUnavailable) || !strings.Contains(err.Error(), "transport error") {
		t.Fatalf("error = %v, want unavailable", err)
	}
}

func TestURLSourceBeforeRequestError(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()
	s, err := newURLSource(fastConfig(srv.URL+"/{key}"), URLOptions{BeforeRequest: func(*http.Request) error {
		return errors.New("token expired")
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(context.Background(), "k")
	if !errors.Is(err, secrets.ErrInternal) || !strings.Contains(err.Error(), "token expired") || calls.Load() != 0 {
		t.Fatalf("error = %v after %d requests, want the hook's error and no request", err, calls.Load())
	}
}

func TestURLSourceRedirects(t *testing.T) {
	var leaked atomic.Value
	var away atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("X-Api-Key"))
		_, _ = io.WriteString(w, "from-other")
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/here", http.StatusFound)
		case "/away":
			away.Add(1)
			http.Redirect(w, r, other.URL+"/x", http.StatusFound)
		default:
			_, _ = io.WriteString(w, "from-same")
		}
	}))
	defer srv.Close()
	cfg := fastConfig(srv.URL + "/{key}")
	cfg.Headers = map[string]secrets.Value{"X-Api-Key": secrets.NewValue("tok-2")}
	s, err := newURLSource(cfg, URLOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(context.Background(), "moved"); err != nil || v.DangerouslyExpose() != "from-same" {
		t.Fatalf("same-origin redirect: %v %v", v, err)
	}
	_, err = s.Get(context.Background(), "away")
	if !errors.Is(err, secrets.ErrFailedPrecondition) || !strings.Contains(err.Error(), "refused a redirect to another origin") {
		t.Fatalf("cross-origin redirect error = %v", err)
	}
	if away.Load() != 1 {
		t.Errorf("a refused redirect was retried: %d requests", away.Load())
	}
	if leaked.Load() != nil {
		t.Fatal("the header went to another origin")
	}
}

func TestURLSourceNoRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(503)
	}))
	defer srv.Close()
	r, err := NewResolver(context.Background(), Options{Env: envMap(nil),
		Specs: []string{"url=urlTemplate=" + srv.URL + "/{key},maxRetries=0"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(context.Background(), "k"); !errors.Is(err, secrets.ErrUnavailable) || calls.Load() != 1 {
		t.Fatalf("error = %v after %d calls, want unavailable after 1", err, calls.Load())
	}
}

func TestURLSourceDelay(t *testing.T) {
	s, err := newURLSource(URLConfig{URLTemplate: "http://x/{key}", RetryBackoff: 200 * time.Millisecond}, URLOptions{}, noJitter)
	if err != nil {
		t.Fatal(err)
	}
	var got []time.Duration
	for n := 1; n <= 12; n++ {
		got = append(got, s.delay(n))
	}
	ms := time.Millisecond
	// k6 waits only the jitter for a base under 1s; here the base counts,
	// each time (k6's base^n would shrink it). See TestK6Parity for >= 1s.
	want := []time.Duration{200 * ms, 200 * ms, 200 * ms, 200 * ms, 200 * ms, 200 * ms, 200 * ms, 200 * ms, 200 * ms, 200 * ms, 200 * ms, 200 * ms}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
}

func TestURLSourceEscaping(t *testing.T) {
	var gotPath, gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotQuery = r.URL.EscapedPath(), r.URL.RawQuery
		_, _ = io.WriteString(w, "v")
	}))
	defer srv.Close()
	tests := []struct {
		template, name, wantPath, wantQuery string
	}{
		{"/secrets/{key}", "a/b?c#d e", "/secrets/a%2Fb%3Fc%23d%20e", ""},
		{"/secrets/{key}/value", "db.password", "/secrets/db.password/value", ""},
		{"/get?name={key}&v=1", "a&v=2 b", "/get", "name=a%26v%3D2+b&v=1"},
		{"/s/{key}?name={key}", "x/y", "/s/x%2Fy", "name=x%2Fy"},
		// A pinned version (issue #18): '@' is a valid path character,
		// so the path carries it as k6 does (as is); a query escapes it.
		{"/v1/namespaces/ns/secrets/{key}/decrypt", "api-key@3", "/v1/namespaces/ns/secrets/api-key@3/decrypt", ""},
		{"/get?name={key}", "api-key@3", "/get", "name=api-key%403"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := newURLSource(fastConfig(srv.URL+tt.template), URLOptions{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(context.Background(), tt.name); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tt.wantPath, tt.wantQuery}, []string{gotPath, gotQuery}); diff != "" {
				t.Errorf("path, query (-want +got):\n%s", diff)
			}
		})
	}
	s, _ := newURLSource(fastConfig(srv.URL+"/s/{key}"), URLOptions{}, nil)
	for _, name := range []string{".", "..", "", "a\nb"} {
		if _, err := s.Get(context.Background(), name); !errors.Is(err, secrets.ErrInvalid) {
			t.Errorf("Get(%q) error = %v, want invalid", name, err)
		}
	}
}

func TestURLSourceRateLimit(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.WriteString(w, "v")
	}))
	defer srv.Close()
	cfg := fastConfig(srv.URL + "/{key}")
	cfg.RequestsPerMinuteLimit = 3000 // one every 20ms
	cfg.RequestsBurst = 2
	s, err := newURLSource(cfg, URLOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range 5 {
		if _, err := s.Get(context.Background(), fmt.Sprint("k", i)); err != nil {
			t.Fatal(err)
		}
	}
	// 2 go at once, 3 more take 20ms each.
	if el := time.Since(start); el < 55*time.Millisecond {
		t.Fatalf("5 requests took %v; the limit allows no less than 60ms", el)
	}
	// A cancelled wait gives up with the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Get error = %v", err)
	}
}

func TestURLSourceTimeoutAndHeaders(t *testing.T) {
	release := make(chan struct{})
	var gotAuth, gotMethod, gotKey atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth.Store(r.Header.Get("Authorization"))
		gotKey.Store(r.Header.Get("X-Api-Key"))
		gotMethod.Store(r.Method)
		if r.URL.Path == "/slow" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		_, _ = io.WriteString(w, "v")
	}))
	defer srv.Close()
	defer close(release)

	cfg := fastConfig(srv.URL + "/{key}")
	cfg.MaxRetries = 1
	cfg.Method = "POST"
	cfg.Headers = map[string]secrets.Value{"Authorization": secrets.NewValue("Bearer tok-1")}
	s, err := newURLSource(cfg, URLOptions{BeforeRequest: func(r *http.Request) error {
		r.Header.Set("X-Api-Key", "from-hook")
		return nil
	}}, noJitter)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(context.Background(), "fast"); err != nil {
		t.Fatal(err)
	}
	got := []any{gotAuth.Load(), gotKey.Load(), gotMethod.Load()}
	if diff := cmp.Diff([]any{"Bearer tok-1", "from-hook", "POST"}, got); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	cfg.Timeout = 50 * time.Millisecond
	s, err = newURLSource(cfg, URLOptions{}, noJitter)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(context.Background(), "slow")
	if !errors.Is(err, secrets.ErrUnavailable) || !strings.Contains(err.Error(), "timed out after 50ms (after 2 attempts)") {
		t.Fatalf("slow Get error = %v, want a timeout", err)
	}
	if strings.Contains(fmt.Sprintf("%v %+v %#v", cfg, cfg, s.config()), "tok-1") {
		t.Fatal("printing a URLConfig shows a header value")
	}
}

func TestNewURLSourceInvalid(t *testing.T) {
	tests := []struct {
		name    string
		cfg     URLConfig
		wantErr string
	}{
		{"no template", URLConfig{}, "urlTemplate is required"},
		{"no key", URLConfig{URLTemplate: "https://x/secret"}, "must contain {key}"},
		{"relative", URLConfig{URLTemplate: "/secrets/{key}"}, "not an absolute http or https URL"},
		{"scheme", URLConfig{URLTemplate: "ftp://user:key-material-xyz@x/{key}"}, "not an absolute http or https URL"},
		{"bad url", URLConfig{URLTemplate: "http://key-material-xyz%zz/{key}"}, "not an absolute http or https URL"},
		{"method", URLConfig{URLTemplate: "http://x/{key}", Method: "GE T"}, "method"},
		{"header name", URLConfig{URLTemplate: "http://x/{key}", Headers: map[string]secrets.Value{"A B": secrets.NewValue("v")}}, "name is not a valid HTTP token"},
		{"header value", URLConfig{URLTemplate: "http://x/{key}", Headers: map[string]secrets.Value{"A": secrets.NewValue("key-material-xyz\r\nX: y")}}, `header "A": value has a control character`},
		{"path", URLConfig{URLTemplate: "http://x/{key}", ResponsePath: "a..b"}, "responsePath segment 2 is empty"},
		{"timeout", URLConfig{URLTemplate: "http://x/{key}", Timeout: -1}, "timeout is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newURLSource(tt.cfg, URLOptions{}, nil)
			mustNotContain(t, err, "key-material-xyz")
			if !errors.Is(err, secrets.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want invalid containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestURLConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cfg.json")
	if err := os.WriteFile(file, []byte(`{
		"urlTemplate": "https://file/{key}",
		"method": "PUT",
		"headers": {"Authorization": "Bearer file", "X-File": "f"},
		"responsePath": "file.value",
		"timeout": "7s",
		"requestsPerMinuteLimit": 70,
		"maxRetries": 0
	}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"K6_SECRET_SOURCE_URL_URL_TEMPLATE":                     "https://k6env/{key}",
		"K6_SECRET_SOURCE_URL_METHOD":                           "DELETE",
		"K6_SECRET_SOURCE_URL_RETRY_BACKOFF":                    "3s",
		"K6_SECRET_SOURCE_URL_HEADER_X_API_KEY":                 "k6",
		"K6_SECRET_SOURCE_URL_REQUESTS_BURST":                   "5",
		"STRONGBOX_SECRET_SOURCE_URL_METHOD":                    "PATCH",
		"STRONGBOX_SECRET_SOURCE_URL_REQUESTS_BURST":            "6",
		"STRONGBOX_SECRET_SOURCE_URL_HEADER_X_ENV":              "sb",
		"STRONGBOX_SECRET_SOURCE_URL_UNKNOWN":                   "ignored",
		"STRONGBOX_SECRET_SOURCE_URL_REQUESTS_PER_MINUTE_LIMIT": "50",
		"OTHER": "x",
	}
	h := func(m map[string]string) map[string]secrets.Value {
		out := map[string]secrets.Value{}
		for k, v := range m {
			out[k] = secrets.NewValue(v)
		}
		return out
	}
	tests := []struct {
		name   string
		config string
		env    map[string]string
		want   URLConfig
	}{
		{name: "defaults", config: "urlTemplate=https://x/{key}", want: URLConfig{URLTemplate: "https://x/{key}"}},
		{name: "env only", env: env, want: URLConfig{
			URLTemplate: "https://k6env/{key}", Method: "PATCH", RetryBackoff: 3 * time.Second, RequestsBurst: 6,
			RequestsPerMinuteLimit: 50, Headers: h(map[string]string{"X-Api-Key": "k6", "X-Env": "sb"})}},
		{name: "file over env", env: env, config: "config=" + file, want: URLConfig{
			URLTemplate: "https://file/{key}", Method: "PUT", RetryBackoff: 3 * time.Second, RequestsBurst: 6,
			ResponsePath: "file.value", Timeout: 7 * time.Second, RequestsPerMinuteLimit: 70, MaxRetries: -1,
			Headers: h(map[string]string{"X-Api-Key": "k6", "X-Env": "sb", "Authorization": "Bearer file", "X-File": "f"})}},
		{name: "inline over file", env: env,
			config: "timeout=5s,config=" + file + ",headers.authorization=Bearer inline,maxRetries=5,responsePath=data.value,requestsBurst=1,retryBackoff=2s,method=GET,urlTemplate=https://inline/{key},requestsPerMinuteLimit=10",
			want: URLConfig{
				URLTemplate: "https://inline/{key}", Method: "GET", RetryBackoff: 2 * time.Second, RequestsBurst: 1,
				ResponsePath: "data.value", Timeout: 5 * time.Second, RequestsPerMinuteLimit: 10, MaxRetries: 5,
				Headers: h(map[string]string{"X-Api-Key": "k6", "X-Env": "sb", "Authorization": "Bearer inline", "X-File": "f"})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseURLConfig(tt.config, tt.env, os.ReadFile)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b secrets.Value) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseURLConfig(t *testing.T) {
	got, err := testParseURLConfig("timeout=5s", envMap(map[string]string{"K6_SECRET_SOURCE_URL_URL_TEMPLATE": "https://x/{key}"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(URLConfig{URLTemplate: "https://x/{key}", Timeout: 5 * time.Second}, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if _, err := testParseURLConfig("timeout=s3cretx", envMap(nil), nil); !errors.Is(err, secrets.ErrInvalid) || strings.Contains(err.Error(), "s3cretx") {
		t.Fatalf("error = %v", err)
	}
}

func TestURLConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badJSON := write("bad.json", `{"urlTemplate": "s3cretx`)
	unknown := write("unknown.json", `{"urlTemplate": "https://x/{key}", "s3cretx value": "s3cretx"}`)
	wrongType := write("type.json", `{"timeout": {"s3cretx": 1}}`)
	badDur := write("dur.json", `{"timeout": "s3cretx"}`)
	badHeaders := write("headers.json", `{"headers": {"X": 1}}`)
	tests := []struct {
		config  string
		env     map[string]string
		wantErr string
	}{
		{config: "timeout=s3cretx", wantErr: `config item 1 ("timeout"): not a positive Go duration`},
		{config: "timeout=-1s", wantErr: `config item 1 ("timeout"): not a positive Go duration`},
		{config: "urlTemplate=https://x/{key},maxRetries=-1", wantErr: `config item 2 ("maxRetries"): not a non-negative integer`},
		{config: "requestsBurst=0", wantErr: `("requestsBurst"): not a positive integer`},
		{config: "requestsPerMinuteLimit=s3cretx", wantErr: `("requestsPerMinuteLimit"): not a positive integer`},
		{config: "bogus=s3cretx", wantErr: `config item 1 ("bogus"): unknown option`},
		{config: "urlTemplate=https://x/{key},s3cretx", wantErr: "config item 2 needs key=value"},
		{config: "headers.A B=s3cretx", wantErr: "header name is not a valid HTTP token"},
		{config: "config=a.json,config=b.json", wantErr: "config= is given twice"},
		{config: "config=" + filepath.Join(dir, "missing.json"), wantErr: "no such file"},
		{config: "config=" + badJSON, wantErr: "invalid JSON at byte 24: unterminated string"},
		{config: "config=" + unknown, wantErr: "invalid JSON at byte 35: unknown member"},
		{config: "config=" + wrongType, wantErr: `field "timeout": not a string or number`},
		{config: "config=" + badDur, wantErr: `field "timeout": not a positive Go duration`},
		{config: "config=" + badHeaders, wantErr: `invalid JSON at byte 19: member "headers" has the wrong type`},
		{env: map[string]string{"K6_SECRET_SOURCE_URL_TIMEOUT": "s3cretx"}, wantErr: `environment variable "K6_SECRET_SOURCE_URL_TIMEOUT": not a positive Go duration`},
		{env: map[string]string{"STRONGBOX_SECRET_SOURCE_URL_MAX_RETRIES": "s3cretx"}, wantErr: `environment variable "STRONGBOX_SECRET_SOURCE_URL_MAX_RETRIES": not a non-negative integer`},
	}
	for _, tt := range tests {
		t.Run(tt.config+fmt.Sprint(tt.env), func(t *testing.T) {
			_, err := parseURLConfig(tt.config, tt.env, os.ReadFile)
			mustNotContain(t, err, "s3cretx")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestURLSourceFromSpec(t *testing.T) {
	var gotAuth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth.Store(r.Header.Get("Authorization"))
		_, _ = fmt.Fprintf(w, `{"data":{"value":"value-of-%s"}}`, strings.TrimPrefix(r.URL.Path, "/secrets/"))
	}))
	defer srv.Close()
	ctx := context.Background()
	r, err := NewResolver(ctx, Options{
		Env: envMap(map[string]string{"K6_SECRET_SOURCE_URL_HEADER_AUTHORIZATION": "Bearer env"}),
		Specs: []string{
			"url=urlTemplate=" + srv.URL + "/secrets/{key},responsePath=data.value,timeout=10s,maxRetries=5,retryBackoff=2s",
			"url=name=other,urlTemplate=" + srv.URL + "/secrets/{key},headers.Authorization=Bearer tok,responsePath=data.value",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, "a"); !errors.Is(err, ErrNoSource) || !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("Get without a default: %v", err)
	}
	v, err := r.Source("url").Get(ctx, "a")
	if err != nil || v.DangerouslyExpose() != "value-of-a" || gotAuth.Load() != "Bearer env" {
		t.Fatalf("url: %v %v %v", v.DangerouslyExpose(), err, gotAuth.Load())
	}
	v, err = r.Source("other").Get(ctx, "b")
	if err != nil || v.DangerouslyExpose() != "value-of-b" || gotAuth.Load() != "Bearer tok" {
		t.Fatalf("other: %v %v %v", v.DangerouslyExpose(), err, gotAuth.Load())
	}
	// Configured only from the environment.
	r, err = NewResolver(ctx, Options{
		Env: envMap(map[string]string{
			"STRONGBOX_SECRET_SOURCE":                   "url",
			"STRONGBOX_SECRET_SOURCE_URL_URL_TEMPLATE":  srv.URL + "/secrets/{key}",
			"STRONGBOX_SECRET_SOURCE_URL_RESPONSE_PATH": "data.value",
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := r.Get(ctx, "c"); err != nil || v.DangerouslyExpose() != "value-of-c" {
		t.Fatalf("env-only: %v %v", v.DangerouslyExpose(), err)
	}
}

// TestURLSourceRefusesCrossPortRedirect: with a caller-supplied client
// (issue #11 item 5), a redirect to another port of the same host must be
// refused so that Authorization and X-Api-Key never reach it; the caller's
// own CheckRedirect still rules same-origin hops.
func TestURLSourceRefusesCrossPortRedirect(t *testing.T) {
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || r.Header.Get("X-Api-Key") != "" {
			leaked.Add(1)
		}
		_, _ = io.WriteString(w, "from-other-port")
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			// Same host (127.0.0.1), another port.
			http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
		case "/moved":
			http.Redirect(w, r, "/here", http.StatusFound)
		default:
			_, _ = io.WriteString(w, "from-same")
		}
	}))
	defer srv.Close()
	var callerHook atomic.Int32
	for _, tt := range []struct {
		name   string
		client *http.Client
	}{
		{"plain client", &http.Client{}},
		{"client with its own CheckRedirect", &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			callerHook.Add(1)
			return nil
		}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fastConfig(srv.URL + "/{key}")
			cfg.Headers = map[string]secrets.Value{
				"Authorization": secrets.NewValue("Bearer tok-auth"),
				"X-Api-Key":     secrets.NewValue("tok-key"),
			}
			s, err := newURLSource(cfg, URLOptions{HTTPClient: tt.client}, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Get(context.Background(), "away")
			mustNotContain(t, err, "tok-auth", "tok-key", srv.URL, other.URL)
			if !errors.Is(err, secrets.ErrFailedPrecondition) {
				t.Errorf("cross-port redirect: error = %v, want one matching secrets.ErrFailedPrecondition", err)
			}
			if n := leaked.Load(); n != 0 {
				t.Fatalf("credentials reached another port %d times", n)
			}
			if v, err := s.Get(context.Background(), "moved"); err != nil || v.DangerouslyExpose() != "from-same" {
				t.Fatalf("same-origin redirect: %v, %v", v, err)
			}
		})
	}
	if callerHook.Load() != 1 {
		t.Errorf("the caller's CheckRedirect ran %d times for the one same-origin hop, want 1", callerHook.Load())
	}
}

// TestURLConfigFileStrict: the url source's JSON config file is read
// strictly (issue #11 item 4): a duplicate member, a member differing only
// in case (among the headers too: header names are case-insensitive), an
// unknown member, an invalid escape, invalid UTF-8 and trailing data are
// errors that never quote the file. Before, the last duplicate won, so a
// second "urlTemplate" or "Authorization" silently replaced the first, and
// "\ud800" became U+FFFD.
func TestURLConfigFileStrict(t *testing.T) {
	for _, tt := range []struct {
		name, file, wantErr string
	}{
		{"duplicate member", `{"urlTemplate":"https://a/{key}","urlTemplate":"https://s3cretx/{key}"}`, "duplicate member"},
		{"member in another case", `{"urlTemplate":"https://a/{key}","URLTemplate":"https://s3cretx/{key}"}`, "duplicate member"},
		{"alone in another case", `{"URLTEMPLATE":"https://s3cretx/{key}"}`, `member "urlTemplate" is spelled in another case`},
		{"unknown member", `{"urlTemplate":"https://a/{key}","s3cretx":"s3cretx"}`, "unknown member"},
		{"duplicate header", `{"headers":{"Authorization":"a","Authorization":"s3cretx"}}`, "duplicate member"},
		{"header in another case", `{"headers":{"Authorization":"a","authorization":"s3cretx"}}`, "duplicate member"},
		{"lone surrogate", `{"headers":{"X-Key":"s3cretx\ud800"}}`, "lone surrogate"},
		{"invalid escape", `{"headers":{"X-Key":"s3cretx\q"}}`, "invalid escape"},
		{"invalid UTF-8", "{\"headers\":{\"X-Key\":\"s3cretx\xff\"}}", "not valid UTF-8"},
		{"trailing data", `{"urlTemplate":"https://a/{key}"} {"s3cretx":1}`, "data after the JSON value"},
		{"headers not strings", `{"headers":{"X-Key":1}}`, `member "headers" has the wrong type`},
		{"too deep", `{"timeout":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "nested deeper than 64"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			read := func(string) ([]byte, error) { return []byte(tt.file), nil }
			_, err := testParseURLConfig("config=c.json", envMap(nil), read)
			mustNotContain(t, err, "s3cretx")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, secrets.ErrInvalid) {
				t.Fatalf("error = %v, want %q matching secrets.ErrInvalid", err, tt.wantErr)
			}
		})
	}
}

// TestResponsePathFollowsK6: a third party's response is read as k6 reads
// it (gjson), not strictly (issue #11 item 4): members on the path match by
// exact name and the first of duplicates wins; other members are not
// checked. Where k6 would hand out a value the server never sent (a lone
// surrogate escape becomes U+FFFD, as invalid UTF-8 would), the source
// refuses. Before, the last duplicate won and "\ud800" became U+FFFD.
func TestResponsePathFollowsK6(t *testing.T) {
	for _, tt := range []struct {
		name, body, path, want, wantErr string
	}{
		{"first duplicate wins", `{"data":{"value":"first"},"data":{"value":"second"}}`, "data.value", "first", ""},
		{"first duplicate member wins", `{"value":"first","value":"second"}`, "value", "first", ""},
		{"names match exactly", `{"Value":"upper","value":"lower"}`, "value", "lower", ""},
		{"no case-insensitive match", `{"Value":"upper"}`, "value", "", `segment 1 ("value") is not in the response`},
		{"duplicates off the path", `{"x":1,"x":2,"value":"v"}`, "value", "v", ""},
		{"surrogate pair", `{"value":"\ud83d\ude00"}`, "value", "\U0001F600", ""},
		{"escaped member name", `{"val\u0075e":"v"}`, "value", "v", ""},
		{"array index", `{"a":[{"v":"x"},{"v":"y"}]}`, "a.1.v", "y", ""},
		{"lone surrogate", `{"value":"s3cretx\ud800"}`, "value", "", "lone surrogate"},
		{"lone low surrogate", `{"value":"s3cretx\udc00\ud800"}`, "value", "", "lone surrogate"},
		{"invalid escape", `{"value":"s3cretx\q"}`, "value", "", "not valid JSON"},
		{"invalid UTF-8", "{\"value\":\"s3cretx\xff\"}", "value", "", "not UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			segs, err := parsePath(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := extract([]byte(tt.body), segs)
			mustNotContain(t, err, "s3cretx")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("value (-want +got):\n%s", diff)
			}
		})
	}
}

// testParseURLConfig parses a url config over an environ function (nil:
// os.Environ) and readFile (nil: os.ReadFile), with the code a url spec's
// errors get.
func testParseURLConfig(config string, env func() []string, readFile func(string) ([]byte, error)) (URLConfig, error) {
	if readFile == nil {
		readFile = os.ReadFile
	}
	c, err := parseURLConfig(config, environ(env), readFile)
	if err != nil {
		return URLConfig{}, errcode.New(errcode.Invalid, "source.url", err.Error())
	}
	return c, nil
}

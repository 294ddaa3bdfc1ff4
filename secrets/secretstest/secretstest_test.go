package secretstest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/secretstest"
	"github.com/strongbox-go/strongbox/secrets/source"
)

const ns = "team-a"

func TestNewManagerRoundTrip(t *testing.T) {
	ctx := t.Context()
	m := secretstest.NewManager(t)
	editor := secretstest.Editor(ctx, ns)
	s, err := m.Create(editor, ns, secrets.Spec{Name: "api-key", Value: secrets.NewValue("sk-test-round-trip"), Decrypters: []string{"k6-runner"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.CreatedBy == "" || !strings.Contains(s.CreatedBy, secretstest.EditorID) {
		t.Errorf("CreatedBy = %q, want it to name %q", s.CreatedBy, secretstest.EditorID)
	}
	v, err := m.RevealValue(secretstest.Runner(ctx, ns, "k6-runner"), ns, "api-key")
	if err != nil || v.DangerouslyExpose() != "sk-test-round-trip" {
		t.Fatalf("RevealValue as the runner = %v, %v", v, err)
	}
	denied := []struct {
		name string
		ctx  context.Context
	}{
		{"editor", editor}, // users never decrypt
		{"other runner", secretstest.Runner(ctx, ns, "other")}, // not in the decrypters
		{"runner of another namespace", secretstest.Runner(ctx, "team-b", "k6-runner")},
	}
	for _, tt := range denied {
		t.Run(tt.name, func(t *testing.T) {
			// Denied, or told the secret does not exist for this caller.
			_, err := m.RevealValue(tt.ctx, ns, "api-key")
			if !errors.Is(err, secrets.ErrPermissionDenied) && !errors.Is(err, secrets.ErrNotFound) {
				t.Fatalf("RevealValue = %v, want ErrPermissionDenied or ErrNotFound", err)
			}
		})
	}
}

func TestNewManagerClosedAtCleanup(t *testing.T) {
	var m *secrets.Manager
	t.Run("inner", func(t *testing.T) {
		m = secretstest.NewManager(t)
		if _, err := m.Create(secretstest.Editor(t.Context(), ns), ns, secrets.Spec{Name: "a", Value: secrets.NewValue("sk-test-cleanup")}); err != nil {
			t.Fatal(err)
		}
	})
	_, err := m.Get(secretstest.Editor(t.Context(), ns), ns, "a")
	if !errors.Is(err, secrets.ErrFailedPrecondition) {
		t.Fatalf("Get after the test ended = %v, want ErrFailedPrecondition (closed)", err)
	}
}

func TestNewManagersAreIsolated(t *testing.T) {
	editor := secretstest.Editor(t.Context(), ns)
	a, b := secretstest.NewManager(t), secretstest.NewManager(t)
	if _, err := a.Create(editor, ns, secrets.Spec{Name: "only-in-a", Value: secrets.NewValue("sk-test-isolated")}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(editor, ns, "only-in-a"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("second Manager Get = %v, want ErrNotFound", err)
	}
}

func TestNewManagerOptions(t *testing.T) {
	var mu sync.Mutex
	var ops []string
	sawParts := false
	m := secretstest.NewManager(t, func(o *secrets.Options) {
		sawParts = o.Store != nil && o.Keeper != nil
		o.Auditor = func(_ context.Context, e rbac.AuditEvent) {
			mu.Lock()
			defer mu.Unlock()
			ops = append(ops, e.Operation+":"+string(e.Outcome))
		}
	})
	if !sawParts {
		t.Error("the option function did not see Store and Keeper set")
	}
	if _, err := m.Get(secretstest.Editor(t.Context(), ns), ns, "missing"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("Get = %v, want ErrNotFound", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ops) != 1 || !strings.HasPrefix(ops[0], "Get:") {
		t.Fatalf("audited %q, want one Get event", ops)
	}
}

func TestPrincipals(t *testing.T) {
	ctx := t.Context()
	tests := []struct {
		name string
		ctx  context.Context
		want rbac.Principal
	}{
		{"editor", secretstest.Editor(ctx, ns), rbac.Principal{Kind: rbac.KindUser, ID: secretstest.EditorID, Namespace: ns, Roles: []rbac.Role{rbac.RoleEditor}}},
		{"runner", secretstest.Runner(ctx, ns, "k6-runner"), rbac.Principal{Kind: rbac.KindService, ID: "k6-runner", Namespace: ns, Roles: []rbac.Role{rbac.RoleDecrypter}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := rbac.PrincipalFrom(tt.ctx)
			if !ok {
				t.Fatal("no principal in the context")
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("principal (-want +got):\n%s", diff)
			}
		})
	}
}

// TestServerWithURLSource reads the server through the url source that a
// runner's spec builds: the protocol is the one the source speaks.
func TestServerWithURLSource(t *testing.T) {
	ctx := t.Context()
	values := map[string]string{"api-key": "sk-test-url-1", "a/b": "sk-test-slash", "pem": "line one\n\"quoted\" <line> two"}
	srv := secretstest.NewServer(t, values)
	values["api-key"] = "changed after NewServer" // the server keeps its own copy
	r, err := source.NewResolver(ctx, source.Options{Specs: []string{srv.Spec}, Env: func() []string { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for name, want := range map[string]string{"api-key": "sk-test-url-1", "a/b": "sk-test-slash", "pem": values["pem"]} {
		v, err := r.Get(ctx, name)
		if err != nil || v.DangerouslyExpose() != want {
			t.Errorf("Get(%q) = %v (equal: %t), %v", name, v, v.DangerouslyExpose() == want, err)
		}
	}
	if _, err := r.Get(ctx, "missing"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("Get(missing) = %v, want ErrNotFound", err)
	}
	wrong := strings.Replace(srv.Spec, srv.Token, "sbtest-wrong", 1)
	r2, err := source.NewResolver(ctx, source.Options{Specs: []string{wrong}, Env: func() []string { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if _, err := r2.Get(ctx, "api-key"); !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Errorf("Get with a wrong token = %v, want ErrPermissionDenied", err)
	}
}

func TestServerProtocol(t *testing.T) {
	srv := secretstest.NewServer(t, map[string]string{"api-key": `sk-"test"-<2>`})
	if want := "url=urlTemplate=" + srv.URL + "/{key},headers.Authorization=Bearer " + srv.Token + ",responsePath=value"; srv.Spec != want {
		t.Errorf("Spec = %q\nwant   %q", srv.Spec, want)
	}
	if strings.ContainsAny(srv.Token, ",= ") || len(srv.Token) < 32 {
		t.Errorf("Token %q does not fit in a k6 spec or is short", srv.Token)
	}
	bearer := "Bearer " + srv.Token
	tests := []struct {
		name, method, path, auth string
		wantStatus               int
		wantType, wantBody       string
	}{
		{"json", "GET", "/api-key", bearer, 200, "application/json", `{"value":"sk-\"test\"-\u003c2\u003e"}`},
		{"raw", "GET", "/api-key?format=raw", bearer, 200, "text/plain; charset=utf-8", `sk-"test"-<2>`},
		{"head", "HEAD", "/api-key", bearer, 200, "application/json", ""},
		{"missing", "GET", "/nope", bearer, 404, "text/plain; charset=utf-8", "Not Found\n"},
		{"no token", "GET", "/api-key", "", 401, "text/plain; charset=utf-8", "Unauthorized\n"},
		{"wrong token", "GET", "/api-key", "Bearer " + srv.Token + "x", 401, "text/plain; charset=utf-8", "Unauthorized\n"},
		{"not bearer", "GET", "/api-key", "Basic " + srv.Token, 401, "text/plain; charset=utf-8", "Unauthorized\n"},
		{"post", "POST", "/api-key", bearer, 405, "text/plain; charset=utf-8", "Method Not Allowed\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("%d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			want := fmt.Sprintf("%d %s %s", tt.wantStatus, tt.wantType, tt.wantBody)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServerStoppedAtCleanup(t *testing.T) {
	var u string
	t.Run("inner", func(t *testing.T) {
		u = secretstest.NewServer(t, nil).URL
	})
	resp, err := http.Get(u + "/x")
	if err == nil {
		resp.Body.Close()
		t.Fatalf("GET after the test ended: status %s, want a connection error", resp.Status)
	}
}

// fakeTB records what AssertNoSecrets reports.
type fakeTB struct {
	testing.TB // other methods panic: AssertNoSecrets must not call them
	errs       []string
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Errorf(format string, a ...any) { f.errs = append(f.errs, fmt.Sprintf(format, a...)) }

func TestAssertNoSecretsCatchesEncodings(t *testing.T) {
	const plain = "sk-test-9f8e7d6c5b4a"
	const special = `p@ss "w&rd" <é>/?x=1`
	const tilde = "sk-test-~~~~~~~~~~~~" // base64 with '+' (std) or '-' (url)
	const multi = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END KEY-----"
	std, raw := base64.StdEncoding, base64.RawURLEncoding
	jsonHTML, _ := json.Marshal(special) // \u003c and friends
	tests := []struct {
		name, before, leak string
		values             []string
		value              int    // the position reported
		variant            string // the form reported
		within, length     int    // where in leak the form starts, and its length (0: len(leak))
	}{
		{"raw", "token=", plain, []string{plain}, 0, "raw", 0, 0},
		{"second value", "x ", special, []string{plain, special}, 1, "raw", 0, 0},
		{"base64 alone", "", std.EncodeToString([]byte(plain)), []string{plain}, 0, "base64-std", 0, 26},
		{"base64 after a prefix", "Basic ", std.EncodeToString([]byte("user:" + plain)), []string{plain}, 0, "base64-std", 7, 26},
		{"base64 url", "", raw.EncodeToString([]byte("?" + tilde)), []string{tilde}, 0, "base64-url", 2, 26},
		{"json", `{"v":`, string(jsonHTML), []string{special}, 0, "json", 1, len(jsonHTML) - 2},
		{"go quoted", "%q gives ", strconv.Quote(special), []string{special}, 0, "json", 1, len(strconv.Quote(special)) - 2},
		{"url query", "https://h/?k=", url.QueryEscape(special), []string{special}, 0, "url-query", 0, 0},
		{"url path", "https://h/", url.PathEscape(special), []string{special}, 0, "url-path", 0, 0},
		{"html", "<p>", html.EscapeString(special), []string{special}, 0, "html", 0, 0},
		{"one line of a multi-line value", "key part ", "MIIEvQIBADANBgkqhkiG9w0B", []string{multi}, 0, "line", 0, 0},
		{"duplicate values", "", plain, []string{plain, plain}, 0, "raw", 0, 0},
	}
	if !strings.ContainsAny(raw.EncodeToString([]byte("?"+tilde)), "-_") {
		t.Fatal("the base64 url case does not exercise the URL alphabet")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			output := tt.before + tt.leak + " (end)"
			n := tt.length
			if n == 0 {
				n = len(tt.leak)
			}
			at := len(tt.before) + tt.within
			want := []string{fmt.Sprintf("secretstest.AssertNoSecrets: output holds values[%d] in its %s form at byte %d (%d bytes)", tt.value, tt.variant, at, n)}
			checkReports(t, output, tt.values, want)
		})
	}
}

func TestAssertNoSecretsNoLeak(t *testing.T) {
	checkReports(t, "nothing to see: ***SECRET_REDACTED***", []string{"sk-test-9f8e7d6c5b4a", `p@ss "w&rd"`}, nil)
}

func TestAssertNoSecretsOddValues(t *testing.T) {
	tests := []struct {
		name, output string
		values       []string
		want         string
	}{
		{"empty value", "anything", []string{"sk-test-absent", ""}, "secretstest.AssertNoSecrets: values[1] is empty: there is nothing to look for"},
		{"white space value", "a\t\tb", []string{"\t\t"}, "secretstest.AssertNoSecrets: output holds values[0] (white space) at byte 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReports(t, tt.output, tt.values, []string{tt.want})
		})
	}
}

// checkReports runs AssertNoSecrets on output as a string and as []byte
// and compares its reports with want; no report may hold a value.
func checkReports(t *testing.T, output string, values, want []string) {
	t.Helper()
	f := &fakeTB{}
	secretstest.AssertNoSecrets(f, output, values...)
	if diff := cmp.Diff(want, f.errs); diff != "" {
		t.Errorf("reports (-want +got):\n%s", diff)
	}
	for _, e := range f.errs {
		for _, v := range values {
			if strings.TrimSpace(v) != "" && strings.Contains(e, v) {
				t.Errorf("a report holds the value: %q", e)
			}
		}
	}
	fb := &fakeTB{}
	secretstest.AssertNoSecrets(fb, []byte(output), values...)
	if diff := cmp.Diff(f.errs, fb.errs); diff != "" {
		t.Errorf("[]byte reports differ from string reports (-string +[]byte):\n%s", diff)
	}
}

func TestAssertNoSecretsBoundsReports(t *testing.T) {
	f := &fakeTB{}
	secretstest.AssertNoSecrets(f, strings.Repeat("sk-test-many ", 25), "sk-test-many")
	if len(f.errs) != 11 || f.errs[10] != "secretstest.AssertNoSecrets: and 15 more occurrences" {
		t.Fatalf("got %d reports, last %q; want 10 and a count of the rest", len(f.errs), f.errs[len(f.errs)-1])
	}
}

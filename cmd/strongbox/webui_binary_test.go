package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
)

var pageCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestBinarySecretsPage is issue #16 in strongbox serve: the built binary
// serves the secrets page at / next to the API. A browser without a
// session is sent to the sign-in page, signs in with the bootstrap admin
// token (a form post carrying the sign-in CSRF token and cookie), and the
// list shows a secret created through the API; no page holds its value.
// The API's routes stay the API's.
func TestBinarySecretsPage(t *testing.T) {
	bin := buildBinary(t)
	home := t.TempDir()
	env := childEnv(home, "STRONGBOX_DATA_DIR="+filepath.Join(t.TempDir(), "data"))
	p := start(t, bin, env, "serve", "--addr", "127.0.0.1:0", "--audit-log", filepath.Join(home, "audit.jsonl"))
	admin := adminToken(p.stderr.String())
	if admin == "" {
		t.Fatalf("first start printed no admin token:\n%s", p.stderr.String())
	}
	leakcheck.Register(admin)
	value := leakcheck.NewValue("page")
	if code, b := do(t, "POST", p.baseURL+"/v1/namespaces/default/secrets", admin, map[string]any{
		"name": "page-key", "description": "made through the API", "value": value, "decrypters": []string{"k6-runner"}}); code != http.StatusCreated {
		t.Fatalf("create through the API: %d %s", code, b)
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var pages []string
	send := func(method, path string, form url.Values) (*http.Response, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, p.baseURL+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", p.baseURL)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		pages = append(pages, string(b))
		return res, string(b)
	}

	res, _ := send("GET", "/", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/signin" {
		t.Fatalf("GET / without a session: %d, Location %q; want 303 to /signin", res.StatusCode, res.Header.Get("Location"))
	}
	res, body := send("GET", "/signin", nil)
	m := pageCSRF.FindStringSubmatch(body)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("GET /signin: %d, CSRF token found: %v", res.StatusCode, m != nil)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("sign-in page Content-Security-Policy = %q", csp)
	}
	res, _ = send("POST", "/signin", url.Values{"csrf": {m[1]}, "token": {admin}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("sign-in with the admin token: %d, Location %q; want 303 to /", res.StatusCode, res.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "strongbox-session" && ck.Value != "" {
			session = ck
		}
	}
	// Plain HTTP on loopback: not Secure (the browser would drop it), but
	// HttpOnly and SameSite=Strict.
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure {
		t.Fatalf("session cookie %+v; want strongbox-session, HttpOnly, SameSite=Strict, not Secure on loopback HTTP", session)
	}
	res, body = send("GET", "/", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "page-key") || !strings.Contains(body, "made through the API") {
		t.Fatalf("list after sign-in: %d, shows page-key: %v", res.StatusCode, strings.Contains(body, "page-key"))
	}
	if res, body = send("GET", "/s/page-key", nil); res.StatusCode != http.StatusOK || !strings.Contains(body, "k6/secrets") {
		t.Errorf("secret page: %d, shows the k6 snippet: %v", res.StatusCode, strings.Contains(body, "k6/secrets"))
	}
	send("GET", "/new", nil)

	// The API's routes are still the API's, not the page's.
	for path, want := range map[string]string{"/openapi.json": "application/json", "/.well-known/jwks.json": "application/jwk-set+json", "/v1/nothing-here": "application/json"} {
		req, _ := http.NewRequest("GET", p.baseURL+path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, want) {
			t.Errorf("GET %s: %d, Content-Type %q; want %s (the API's)", path, res.StatusCode, ct, want)
		}
	}
	if code, _ := do(t, "GET", p.baseURL+"/v1/namespaces/default/secrets", "", nil); code != http.StatusUnauthorized {
		t.Errorf("API list without credentials: %d, want 401", code)
	}
	p.stop(t)

	for i, pg := range pages {
		if strings.Contains(pg, value) || strings.Contains(pg, admin) {
			t.Errorf("page %d holds the value or the token", i)
		}
		leakcheck.Check("page", pg)
	}
	leakcheck.Check("stdout", p.stdout.String())
	leakcheck.Check("stderr", strings.ReplaceAll(p.stderr.String(), admin, ""))
	leakcheck.Check("audit", string(mustRead(t, filepath.Join(home, "audit.jsonl"))))
}

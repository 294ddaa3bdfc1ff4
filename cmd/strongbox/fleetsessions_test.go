package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFleetServePageSessions: two strongbox serve processes on one SQLite
// store share the secrets page's sessions, as behind a load balancer (the
// browser's cookie jar sends the cookie to both, as to one address): a
// sign-in through A is used through B, survives A's restart, and a
// sign-out through B is refused by A even for a browser that kept the
// cookie. Before, B sent the browser to the sign-in page (issue #14).
func TestFleetServePageSessions(t *testing.T) {
	bin := buildBinary(t)
	begin := time.Now()
	defer func() { t.Logf("two processes, one restart: %v", time.Since(begin).Round(time.Millisecond)) }()
	storeURL := (&url.URL{Scheme: "sqlite", Path: filepath.Join(t.TempDir(), "fleet.db")}).String()
	ms, admin := newFleet(t, bin, storeURL, 2, newKEK(t))
	a, b := ms[0], ms[1]

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(m *member, method, path string, form url.Values) (*http.Response, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, m.p.baseURL+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", m.p.baseURL)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		if strings.Contains(string(raw), admin) {
			t.Fatalf("%s %s through %s: the page holds the token", method, path, m.name)
		}
		return res, string(raw)
	}
	csrf := func(m *member, path string) string {
		t.Helper()
		res, body := send(m, "GET", path, nil)
		found := pageCSRF.FindStringSubmatch(body)
		if found == nil {
			t.Fatalf("GET %s through %s: %d, no CSRF token", path, m.name, res.StatusCode)
		}
		return found[1]
	}
	wantList := func(m *member, what string) {
		t.Helper()
		if res, _ := send(m, "GET", "/", nil); res.StatusCode != http.StatusOK {
			t.Fatalf("%s: list through %s: %d, Location %q; want 200", what, m.name, res.StatusCode, res.Header.Get("Location"))
		}
	}

	if res, _ := send(a, "POST", "/signin", url.Values{"csrf": {csrf(a, "/signin")}, "token": {admin}}); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("sign-in through A: %d, Location %q; want 303 to /", res.StatusCode, res.Header.Get("Location"))
	}
	wantList(b, "signed in through A")
	a.restart(t)
	wantList(a, "after A restarted")

	base, _ := url.Parse(a.p.baseURL)
	kept := jar.Cookies(base)
	if res, _ := send(b, "POST", "/signout", url.Values{"csrf": {csrf(b, "/")}}); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/signin" {
		t.Fatalf("sign-out through B: %d, Location %q; want 303 to /signin", res.StatusCode, res.Header.Get("Location"))
	}
	jar.SetCookies(base, kept) // a browser that kept the cookie
	if res, _ := send(a, "GET", "/", nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/signin" {
		t.Fatalf("A after sign-out through B: %d, Location %q; want 303 to /signin", res.StatusCode, res.Header.Get("Location"))
	}
	for _, m := range ms {
		m.p.stop(t)
	}
}

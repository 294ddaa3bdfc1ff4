package webui

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
)

func TestNewRequiresManagerAndAuthenticator(t *testing.T) {
	e := newEnv(t, envOptions{})
	auth := httpapi.StaticTokens(nil)
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"no manager", Options{Authenticator: auth}},
		{"no authenticator", Options{Manager: e.m}},
		{"bad prefix", Options{Manager: e.m, Authenticator: auth, Prefix: "ui"}},
		{"prefix with a quote", Options{Manager: e.m, Authenticator: auth, Prefix: `/u"i`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.opts); !errors.Is(err, secrets.ErrInvalid) {
				t.Fatalf("New: %v; want ErrInvalid", err)
			}
		})
	}
}

// TestSecurityHeaders checks the headers of every kind of response: pages
// of each flow, redirects, errors and static files.
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.seed("api-key", nil)
	b := e.newBrowser()
	anon := e.newBrowser()
	b.signIn("editor")
	for _, tc := range []struct {
		name     string
		r        response
		noStore  bool
		wantCode int
	}{
		{"sign-in page", anon.get("/signin"), true, 200},
		{"redirect to sign-in", anon.get("/"), true, 303},
		{"list", b.get("/"), true, 200},
		{"create", b.get("/new"), true, 200},
		{"detail", b.get("/s/api-key"), true, 200},
		{"reset", b.get("/s/api-key/reset"), true, 200},
		{"revoke", b.get("/s/api-key/revoke"), true, 200},
		{"delete", b.get("/s/api-key/delete"), true, 200},
		{"missing secret", b.get("/s/nope"), true, 404},
		{"csrf refused", b.post("/new", url.Values{"name": {"x"}}), true, 403},
		{"stylesheet", b.get("/static/style.css"), false, 200},
		{"script", b.get("/static/page.js"), false, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.r.status != tc.wantCode {
				t.Errorf("status %d; want %d", tc.r.status, tc.wantCode)
			}
			want := map[string]string{
				"Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
				"X-Frame-Options":         "DENY",
				"Cache-Control":           "no-cache",
			}
			if tc.noStore {
				want["Cache-Control"] = "no-store"
			}
			got := map[string]string{}
			for k := range want {
				got[k] = tc.r.header.Get(k)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("headers (-want +got):\n%s", d)
			}
			if strings.Contains(tc.r.body, "<script>") || strings.Contains(tc.r.body, " style=") || strings.Contains(tc.r.body, " on") && strings.Contains(tc.r.body, "onclick=") {
				t.Errorf("the page has inline script or style")
			}
		})
	}
}

func TestSignIn(t *testing.T) {
	e := newEnv(t, envOptions{})
	t.Run("unknown token", func(t *testing.T) {
		b := e.newBrowser()
		tok := b.csrf("/signin")
		r := b.post("/signin", url.Values{"csrf": {tok}, "token": {leakcheck.NewValue("wrong")}})
		if r.status != 303 || r.header.Get("Location") != "/signin?failed" {
			t.Fatalf("status %d Location %q; want 303 /signin?failed", r.status, r.header.Get("Location"))
		}
		if got := b.get("/"); got.status != 303 {
			t.Fatalf("after a failed sign-in GET / = %d; want 303 to the sign-in page", got.status)
		}
		if !strings.Contains(b.get("/signin?failed").body, "was not accepted") {
			t.Error("the sign-in page does not say the token was refused")
		}
	})
	t.Run("cookie attributes on loopback", func(t *testing.T) {
		b := e.newBrowser()
		tok := b.csrf("/signin")
		r := b.post("/signin", url.Values{"csrf": {tok}, "token": {e.tokens["editor"]}})
		c := findCookie(r.header, sessionCookieName)
		if c == nil {
			t.Fatalf("no %s cookie in %v", sessionCookieName, r.header["Set-Cookie"])
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.Path != "/" || len(c.Value) < 43 {
			t.Errorf("cookie %+v; want HttpOnly, SameSite=Strict, not Secure on loopback, Path=/, 256 random bits", c)
		}
		if r := b.get("/"); r.status != 200 || !strings.Contains(r.body, "editor") {
			t.Fatalf("GET / after sign-in: %d", r.status)
		}
	})
	t.Run("secure outside loopback", func(t *testing.T) {
		h := &e.handler
		req := httptest.NewRequest("GET", "http://secrets.example.com/signin", nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		m := csrfRE.FindStringSubmatch(rec.Body.String())
		pre := findCookie(rec.Header(), signInCookieName)
		if m == nil || pre == nil {
			t.Fatal("no sign-in token")
		}
		form := url.Values{"csrf": {m[1]}, "token": {e.tokens["editor"]}}
		req = httptest.NewRequest("POST", "http://secrets.example.com/signin", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(pre)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		c := findCookie(rec.Header(), hostSessionCookieName)
		if rec.Code != 303 || c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
			t.Fatalf("status %d, cookies %v; want a Secure __Host- session cookie", rec.Code, rec.Header()["Set-Cookie"])
		}
	})
	t.Run("sign-out ends the session", func(t *testing.T) {
		b := e.newBrowser()
		b.signIn("editor")
		u, _ := url.Parse(e.srv.URL)
		old := b.jar.Cookies(u)
		r := b.submit("/", "/signout", url.Values{})
		if r.status != 303 || r.header.Get("Location") != "/signin" {
			t.Fatalf("sign-out: %d %q", r.status, r.header.Get("Location"))
		}
		// Replaying the old cookie does not bring the session back.
		b.jar.SetCookies(u, old)
		if r := b.get("/"); r.status != 303 {
			t.Fatalf("old session cookie after sign-out: GET / = %d; want 303", r.status)
		}
	})
	t.Run("session expires", func(t *testing.T) {
		b := e.newBrowser()
		b.signIn("editor")
		e.now.Add(defaultSessionLifetime + time.Second)
		if r := b.get("/"); r.status != 303 || r.header.Get("Location") != "/signin" {
			t.Fatalf("GET / after the session's lifetime = %d; want 303 to /signin", r.status)
		}
	})
	t.Run("form without its cookie", func(t *testing.T) {
		b := e.newBrowser()
		r := b.post("/signin", url.Values{"csrf": {"x"}, "token": {e.tokens["editor"]}})
		if r.status != 403 || findCookie(r.header, sessionCookieName) != nil {
			t.Fatalf("sign-in without the form's cookie: %d; want 403 and no session", r.status)
		}
	})
}

func findCookie(h http.Header, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestCSRFRefused posts a valid create form in each way a forged request
// can differ from one the page sends; each is refused with 403 before the
// Manager runs, so nothing is created.
func TestCSRFRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.newBrowser()
	b.signIn("editor")
	good := b.csrf("/new")
	for _, tc := range []struct {
		name  string
		token string
		hdr   map[string]string
	}{
		{"no token", "", map[string]string{"Sec-Fetch-Site": "same-origin"}},
		{"another token", strings.Repeat("A", len(good)), map[string]string{"Sec-Fetch-Site": "same-origin"}},
		{"token of another session", e.otherCSRF(t), map[string]string{"Sec-Fetch-Site": "same-origin"}},
		{"cross-site", good, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"same-site but another origin", good, map[string]string{"Sec-Fetch-Site": "same-site"}},
		{"foreign Origin", good, map[string]string{"Origin": "https://evil.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"name": {"forged"}, "value": {leakcheck.NewValue("forged")}}
			if tc.token != "" {
				form.Set("csrf", tc.token)
			}
			r := b.do("POST", "/new", form, tc.hdr)
			if r.status != http.StatusForbidden {
				t.Errorf("status %d; want 403", r.status)
			}
		})
	}
	if _, err := e.m.Get(e.as("editor"), testNS, "forged"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("a forged post created a secret: Get = %v", err)
	}
	// The same form with the page's token goes through.
	r := b.post("/new", url.Values{"csrf": {good}, "name": {"real"}, "value": {leakcheck.NewValue("real")}})
	if r.status != 303 || r.header.Get("Location") != "/" {
		t.Fatalf("genuine post: %d %q", r.status, r.header.Get("Location"))
	}
}

func (e *env) otherCSRF(t *testing.T) string {
	o := e.newBrowser()
	o.signIn("editor")
	return o.csrf("/")
}

// TestCreateErrorsNameTheirFieldWithoutTheValue posts each kind of bad
// create form: the answer is a redirect to the form, which shows the error
// next to the field it names, keeps the other fields, and has an empty
// value field; the value is in no response (leakcheck's middleware).
func TestCreateErrorsNameTheirFieldWithoutTheValue(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.seed("taken", nil)
	b := e.newBrowser()
	b.signIn("editor")
	eleven := ""
	for i := range 11 {
		eleven += "k" + string(rune('a'+i)) + "=v\n"
	}
	for _, tc := range []struct {
		name, field, want string
		form              url.Values
	}{
		{"duplicate name", "name", "already exists", url.Values{"name": {"taken"}}},
		{"name too long", "name", "254 characters; the limit is 253", url.Values{"name": {strings.Repeat("n", 254)}}},
		{"name with a space", "name", "not a letter, digit, hyphen or underscore", url.Values{"name": {"a b"}}},
		{"11 labels", "labels", "11 labels; the limit is 10", url.Values{"name": {"ok"}, "labels": {eleven}}},
		{"label key too long", "labels", "label key has 64 characters", url.Values{"name": {"ok"}, "labels": {strings.Repeat("k", 64) + "=v"}}},
		{"label line without =", "labels", "Line 2 has no &#39;=&#39;", url.Values{"name": {"ok"}, "labels": {"a=b\nnope"}}},
		{"value of 25 KiB", "value", "25600 bytes; the limit is 24576", url.Values{"name": {"ok"}, "value": {leakcheck.NewValue("big") + strings.Repeat("v", 25*1024-len(leakcheck.NewValue("big")))}}},
		{"empty value", "value", "Value is empty", url.Values{"name": {"ok"}, "value": {""}}},
		{"description too long", "description", "254 characters; the limit is 253", url.Values{"name": {"ok"}, "description": {strings.Repeat("d", 254)}}},
		{"bad decrypter", "decrypters", "Decrypter 1 has a character", url.Values{"name": {"ok"}, "decrypters": {"a b"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			value := leakcheck.NewValue("v")
			if !tc.form.Has("value") {
				tc.form.Set("value", value)
			}
			value = tc.form.Get("value")
			r := b.submit("/new", "/new", tc.form)
			if r.status != http.StatusSeeOther || r.header.Get("Location") != "/new" {
				t.Fatalf("status %d Location %q; want 303 to /new (post, redirect, get)", r.status, r.header.Get("Location"))
			}
			page := b.get("/new").body
			errID := `id="` + tc.field + `-error"`
			i := strings.Index(page, errID)
			if i < 0 {
				t.Fatalf("no error for field %s in the form:\n%s", tc.field, page)
			}
			if msg := page[i:min(len(page), i+300)]; !strings.Contains(msg, tc.want) {
				t.Errorf("error for %s = %q; want it to contain %q", tc.field, msg, tc.want)
			}
			if !strings.Contains(page, `aria-describedby="`+tc.field+`-help `+tc.field+`-error"`) {
				t.Errorf("the %s field does not point at its error", tc.field)
			}
			if value != "" && strings.Contains(page, value) {
				t.Fatal("the form shows the value again")
			}
			if !strings.Contains(page, `value="`+htmlEscape(tc.form.Get("name"))+`"`) {
				t.Errorf("the form lost the name")
			}
			// The error is shown once: a reload shows a fresh form.
			if strings.Contains(b.get("/new").body, errID) {
				t.Error("the error is shown again on reload")
			}
		})
	}
}

func htmlEscape(s string) string { return strings.NewReplacer(`"`, "&#34;", "<", "&lt;").Replace(s) }

// TestWritesArePostRedirectGet runs each flow over HTTP and checks that
// every write answers 303 and does what it says.
func TestWritesArePostRedirectGet(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.newBrowser()
	b.signIn("editor")
	step := func(what, page, action string, form url.Values, wantLoc string) {
		t.Helper()
		r := b.submit(page, action, form)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != wantLoc {
			t.Fatalf("%s: status %d Location %q; want 303 to %s", what, r.status, r.header.Get("Location"), wantLoc)
		}
	}
	step("create", "/new", "/new", url.Values{"name": {"db-pass"}, "value": {leakcheck.NewValue("v1")}, "labels": {"env=prod"}, "decrypters": {"k6-runner"}}, "/")
	if page := b.get("/").body; !strings.Contains(page, "Secret db-pass created.") || !strings.Contains(page, "env=prod") {
		t.Fatalf("list after create lacks the notice or the labels:\n%s", page)
	}
	s, err := e.m.Get(e.as("editor"), testNS, "db-pass")
	if err != nil {
		t.Fatal(err)
	}
	step("edit", "/s/db-pass", "/s/db-pass/edit", url.Values{"description": {"the db"}, "labels": {"env=stage\nteam=qa"}, "decrypters": {"k6-runner\nother"}, "revision": {itoa(s.Revision)}}, "/s/db-pass")
	step("stale edit", "/s/db-pass", "/s/db-pass/edit", url.Values{"description": {"lost"}, "labels": {""}, "decrypters": {""}, "revision": {itoa(s.Revision)}}, "/s/db-pass")
	if page := b.get("/s/db-pass").body; !strings.Contains(page, "changed while you were editing") {
		t.Errorf("a stale edit is not explained:\n%s", page)
	}
	step("reset", "/s/db-pass/reset", "/s/db-pass/reset", url.Values{"value": {leakcheck.NewValue("v2")}}, "/s/db-pass")
	step("revoke", "/s/db-pass/revoke", "/s/db-pass/revoke", url.Values{}, "/s/db-pass")
	step("delete without the word", "/s/db-pass/delete", "/s/db-pass/delete", url.Values{"confirm": {"delete"}}, "/s/db-pass/delete")
	if _, err := e.m.Get(e.as("editor"), testNS, "db-pass"); err != nil {
		t.Fatalf("deleted without the typed confirmation: %v", err)
	}
	got, err := e.m.Get(e.as("editor"), testNS, "db-pass")
	if err != nil {
		t.Fatal(err)
	}
	want := &secrets.Secret{Namespace: testNS, Name: "db-pass", Description: "the db", Labels: map[string]string{"env": "stage", "team": "qa"},
		Decrypters: []string{"k6-runner", "other"}, Version: 2, Revoked: true}
	ignore := func(s *secrets.Secret) *secrets.Secret {
		c := *s
		c.Revision, c.CreateTime, c.UpdateTime, c.CreatedBy, c.UpdatedBy = 0, time.Time{}, time.Time{}, "", ""
		return &c
	}
	if d := cmp.Diff(want, ignore(got)); d != "" {
		t.Errorf("secret after the flows (-want +got):\n%s", d)
	}
	step("delete", "/s/db-pass/delete", "/s/db-pass/delete", url.Values{"confirm": {"Delete"}}, "/")
	if _, err := e.m.Get(e.as("editor"), testNS, "db-pass"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestRoleControls checks which controls each role sees on the list and
// on a secret's page.
func TestRoleControls(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.seed("api-key", nil)
	type controls struct{ List, Create, Edit, Delete, Reset bool }
	for _, tc := range []struct {
		user string
		want controls
	}{
		{"viewer", controls{}},
		{"reader", controls{List: true}},
		{"creator", controls{List: true, Create: true}},
		{"creator-only", controls{Create: true}},
		{"updater", controls{List: true, Edit: true, Reset: true}},
		{"deleter", controls{List: true, Delete: true}},
		{"editor", controls{List: true, Create: true, Edit: true, Delete: true, Reset: true}},
	} {
		t.Run(tc.user, func(t *testing.T) {
			b := e.newBrowser()
			b.signIn(tc.user)
			list := b.get("/").body
			detail := b.get("/s/api-key").body
			got := controls{
				List:   strings.Contains(list, `data-name="api-key"`),
				Create: strings.Contains(list, `href="/new"`),
				Edit:   strings.Contains(list, `aria-label="Edit api-key"`) || strings.Contains(detail, "/s/api-key/edit"),
				Delete: strings.Contains(list, `aria-label="Delete api-key"`) || strings.Contains(detail, `id="delete"`),
				Reset:  strings.Contains(detail, `id="reset"`),
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("controls (-want +got):\n%s", d)
			}
		})
	}
}

// TestForbiddenPostRefusedByManager posts, by hand and with a valid CSRF
// token, each action a role's page hides: the Manager refuses it and the
// secret is unchanged.
func TestForbiddenPostRefusedByManager(t *testing.T) {
	e := newEnv(t, envOptions{})
	s := e.seed("api-key", map[string]string{"env": "prod"})
	for _, tc := range []struct {
		name, user, action string
		form               url.Values
	}{
		{"reader deletes", "reader", "/s/api-key/delete", url.Values{"confirm": {"Delete"}}},
		{"reader edits", "reader", "/s/api-key/edit", url.Values{"description": {"x"}, "revision": {itoa(s.Revision)}}},
		{"reader resets", "reader", "/s/api-key/reset", url.Values{"value": {leakcheck.NewValue("r")}}},
		{"reader revokes", "reader", "/s/api-key/revoke", url.Values{}},
		{"reader creates", "reader", "/new", url.Values{"name": {"new"}, "value": {leakcheck.NewValue("c")}}},
		{"viewer creates", "viewer", "/new", url.Values{"name": {"new"}, "value": {leakcheck.NewValue("c")}}},
		{"creator deletes", "creator", "/s/api-key/delete", url.Values{"confirm": {"Delete"}}},
		{"updater sets decrypters", "updater", "/s/api-key/edit", url.Values{"description": {"seeded api-key"}, "labels": {"env=prod"}, "decrypters": {"evil-runner"}, "revision": {itoa(s.Revision)}}},
		{"deleter edits", "deleter", "/s/api-key/edit", url.Values{"description": {"x"}, "revision": {itoa(s.Revision)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := e.newBrowser()
			b.signIn(tc.user)
			r := b.submit("/", tc.action, tc.form)
			if r.status != http.StatusSeeOther {
				t.Fatalf("status %d; want 303 with the Manager's refusal", r.status)
			}
			page := b.get(r.header.Get("Location")).body
			if !strings.Contains(page, "not allowed") && !strings.Contains(page, "There is no secret named") {
				t.Errorf("the refusal is not shown:\n%s", page)
			}
			got, err := e.m.Get(e.as("editor"), testNS, "api-key")
			if err != nil {
				t.Fatalf("the secret is gone: %v", err)
			}
			if got.Revision != s.Revision {
				t.Fatalf("the secret changed: revision %d; want %d", got.Revision, s.Revision)
			}
			if _, err := e.m.Get(e.as("editor"), testNS, "new"); !errors.Is(err, secrets.ErrNotFound) {
				t.Fatalf("a refused create stored a secret: %v", err)
			}
		})
	}
}

// TestEmbeddingAuthenticatorNeedsNoSignIn mounts the page behind an
// Authenticator that accepts the request itself (as a service with its own
// authentication would): no sign-in, and the forms still need their CSRF
// token.
func TestEmbeddingAuthenticatorNeedsNoSignIn(t *testing.T) {
	proxy := authFunc(func(r *http.Request) (rbac.Principal, error) {
		if u := r.Header.Get("X-Test-User"); u != "" {
			return rbac.Principal{Kind: rbac.KindUser, ID: u, Namespace: testNS, Roles: []rbac.Role{rbac.RoleEditor}}, nil
		}
		return rbac.Principal{}, httpapi.ErrNoCredentials
	})
	e := newEnv(t, envOptions{auth: proxy})
	b := e.newBrowser()
	hdr := map[string]string{"X-Test-User": "carol"}
	r := b.do("GET", "/", nil, hdr)
	if r.status != 200 || !strings.Contains(r.body, "carol") || strings.Contains(r.body, "Sign out") {
		t.Fatalf("GET / as carol: %d; want the list, without sign-out", r.status)
	}
	tok := csrfRE.FindStringSubmatch(b.do("GET", "/new", nil, hdr).body)[1]
	post := func(tok string) response {
		h := map[string]string{"X-Test-User": "carol", "Sec-Fetch-Site": "same-origin"}
		return b.do("POST", "/new", url.Values{"csrf": {tok}, "name": {"emb"}, "value": {leakcheck.NewValue("emb")}}, h)
	}
	if r := post(""); r.status != 403 {
		t.Fatalf("post without the token: %d; want 403", r.status)
	}
	if r := post(tok); r.status != 303 {
		t.Fatalf("post with the token: %d; want 303", r.status)
	}
	s, err := e.m.Get(e.as("editor"), testNS, "emb")
	if err != nil || s.CreatedBy != "user:team-a/carol" {
		t.Fatalf("created secret: %+v, %v", s, err)
	}
	// Another principal on the same cookie gets a new session and token.
	hdr["X-Test-User"] = "dave"
	if tok2 := csrfRE.FindStringSubmatch(b.do("GET", "/new", nil, hdr).body)[1]; tok2 == tok {
		t.Fatal("the session of carol was reused for dave")
	}
}

// TestListFilterAndPaging lists through a label filter and pages of two.
func TestListFilterAndPaging(t *testing.T) {
	e := newEnv(t, envOptions{pageSize: 2})
	for _, n := range []string{"a1", "a2", "a3", "b1"} {
		e.seed(n, map[string]string{"env": map[bool]string{true: "prod", false: "stage"}[n[0] == 'a']})
	}
	b := e.newBrowser()
	b.signIn("reader")
	names := func(page string) []string {
		var out []string
		for _, p := range strings.Split(page, `data-name="`)[1:] {
			out = append(out, p[:strings.IndexByte(p, '"')])
		}
		return out
	}
	p1 := b.get("/?selector=env%3Dprod").body
	if d := cmp.Diff([]string{"a1", "a2"}, names(p1)); d != "" {
		t.Errorf("page 1 (-want +got):\n%s", d)
	}
	i := strings.Index(p1, `id="next-page" href="`)
	if i < 0 {
		t.Fatal("no next page link")
	}
	next := p1[i+len(`id="next-page" href="`):]
	next = strings.ReplaceAll(next[:strings.IndexByte(next, '"')], "&amp;", "&")
	if d := cmp.Diff([]string{"a3"}, names(b.get(next).body)); d != "" {
		t.Errorf("page 2 (-want +got):\n%s", d)
	}
	r := b.get("/?selector=" + url.QueryEscape("env=a b"))
	if r.status != 400 || !strings.Contains(r.body, `id="selector-error"`) {
		t.Errorf("a bad filter: %d; want 400 with an error at the filter field", r.status)
	}
}

// TestFormTooLarge refuses a post larger than a value and its form can be.
func TestFormTooLarge(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.newBrowser()
	b.signIn("editor")
	r := b.submit("/new", "/new", url.Values{"name": {"big"}, "value": {strings.Repeat("x", maxFormBytes)}})
	if r.status != http.StatusBadRequest {
		t.Fatalf("status %d; want 400", r.status)
	}
}

func FuzzParseLabels(f *testing.F) {
	for _, s := range []string{"", "a=b", "a=b\nc=d", "a=b\r\n\r\nc=", "=x", "a==b", "a=b\na=c", " k = v "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		labels, msg := parseLabels(text)
		if msg != "" {
			if labels != nil {
				t.Fatal("labels and an error")
			}
			return
		}
		if err := secrets.Validate(secrets.Spec{Labels: labels}); err != nil {
			t.Fatalf("parseLabels accepted labels Validate refuses: %v", err)
		}
		again, msg := parseLabels(formatLabels(labels))
		if msg != "" {
			t.Fatalf("formatLabels gives text parseLabels refuses: %s", msg)
		}
		if d := cmp.Diff(labels, again); d != "" {
			t.Fatalf("round trip (-want +got):\n%s", d)
		}
	})
}

func FuzzParseDecrypters(f *testing.F) {
	for _, s := range []string{"", "a", "a,b", "a\nb\r\n", "a,a", " x , y "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ids, msg := parseDecrypters(text)
		if msg != "" {
			return
		}
		if ids == nil {
			t.Fatal("nil list for an accepted box")
		}
		if err := secrets.Validate(secrets.Spec{Decrypters: ids}); err != nil {
			t.Fatalf("accepted ids Validate refuses: %v", err)
		}
	})
}

// TestPrefix mounts the page under /ui: links, redirects and the cookie
// path carry the prefix.
func TestPrefix(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.seed("api-key", nil)
	h, err := New(Options{Manager: e.m, Authenticator: httpapi.StaticTokens(map[string]rbac.Principal{
		e.tokens["editor"]: {Kind: rbac.KindUser, ID: "editor", Namespace: testNS, Roles: []rbac.Role{rbac.RoleEditor}},
	}), Prefix: "/ui/"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ui/", h)
	mux.Handle("/ui", h)
	e.serve(mux)
	b := e.newBrowser()
	if r := b.get("/ui/"); r.status != 303 || r.header.Get("Location") != "/ui/signin" {
		t.Fatalf("GET /ui/: %d %q; want 303 to /ui/signin", r.status, r.header.Get("Location"))
	}
	tok := b.csrf("/ui/signin")
	r := b.post("/ui/signin", url.Values{"csrf": {tok}, "token": {e.tokens["editor"]}})
	if c := findCookie(r.header, sessionCookieName); r.status != 303 || r.header.Get("Location") != "/ui/" || c == nil || c.Path != "/ui/" {
		t.Fatalf("sign-in: %d %q cookie %+v", r.status, r.header.Get("Location"), c)
	}
	page := b.get("/ui/").body
	for _, want := range []string{`href="/ui/new"`, `href="/ui/s/api-key"`, `href="/ui/static/style.css"`, `action="/ui/signout"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the list lacks %s", want)
		}
	}
	if r := b.get("/ui/static/page.js"); r.status != 200 {
		t.Errorf("static file under the prefix: %d", r.status)
	}
	if r := b.get("/ui"); r.status != 303 || r.header.Get("Location") != "/ui/" {
		t.Errorf("GET /ui: %d %q; want 303 to /ui/", r.status, r.header.Get("Location"))
	}
}

// TestUpdaterEditsWithoutDecrypters: an Updater's edit form has no
// decrypters field (it may not change them), and its edit keeps them.
func TestUpdaterEditsWithoutDecrypters(t *testing.T) {
	e := newEnv(t, envOptions{})
	s := e.seed("api-key", nil)
	b := e.newBrowser()
	b.signIn("updater")
	page := b.get("/s/api-key").body
	if strings.Contains(page, `name="decrypters"`) || !strings.Contains(page, `name="description"`) {
		t.Fatal("the updater's form should have a description field and no decrypters field")
	}
	r := b.submit("/s/api-key", "/s/api-key/edit", url.Values{"description": {"new words"}, "labels": {"env=qa"}, "revision": {itoa(s.Revision)}})
	if r.status != 303 {
		t.Fatalf("edit: %d", r.status)
	}
	got, err := e.m.Get(e.as("editor"), testNS, "api-key")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"k6-runner"}, got.Decrypters); d != "" || got.Description != "new words" {
		t.Errorf("after the updater's edit: description %q, decrypters (-want +got):\n%s", got.Description, d)
	}
}

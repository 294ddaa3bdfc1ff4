package webui

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/secrets"
)

// resetSeed gives a seeded secret a new value through the Manager.
func (e *env) resetSeed(name string) {
	e.t.Helper()
	if _, err := e.m.Reset(e.as("editor"), testNS, name, secrets.NewValue(leakcheck.NewValue("reseed")), 0); err != nil {
		e.t.Fatal(err)
	}
}

var historyRowRE = regexp.MustCompile(`(?s)<tr data-version="(\d+)">.*?<span class="state [a-z]+">(\w+)</span>`)

// historyOf reads the history panel of a page: version and state, in order.
func historyOf(page string) []string {
	var out []string
	for _, m := range historyRowRE.FindAllStringSubmatch(page, -1) {
		out = append(out, m[1]+" "+m[2])
	}
	return out
}

// TestHistoryPanel: the secret's page lists its versions (never a value,
// which leakcheck's middleware would catch in any response), Roll back and
// Destroy are posts answered by 303 with a notice, Destroy asks for
// confirmation, and failures name the version.
func TestHistoryPanel(t *testing.T) {
	e := newEnv(t, envOptions{keepVersions: 2})
	e.seed("api-key", nil)
	e.resetSeed("api-key")
	e.resetSeed("api-key")
	b := e.newBrowser()
	b.signIn("editor")
	page := b.get("/s/api-key").body
	if d := cmp.Diff([]string{"3 Current", "2 Kept", "1 Kept"}, historyOf(page)); d != "" {
		t.Fatalf("history panel (-want +got):\n%s", d)
	}
	for _, want := range []string{`aria-label="Roll back api-key to version 2"`, `aria-label="Destroy version 1 of api-key"`, `href="/s/api-key/destroy?version=1"`, "by", "editor", `id="keepVersions"`, `value="2"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, `aria-label="Roll back api-key to version 3"`) {
		t.Error("the current version has a Roll back control")
	}

	r := b.submit("/s/api-key", "/s/api-key/rollback", url.Values{"version": {"1"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/s/api-key" {
		t.Fatalf("rollback: %d %q; want 303 to the page", r.status, r.header.Get("Location"))
	}
	page = b.get("/s/api-key").body
	if !strings.Contains(page, "rolled back to the value of version 1: it is now version 4") {
		t.Errorf("no rollback notice:\n%s", page)
	}
	// keepVersions 2: version 1 fell out when 4 was made.
	if d := cmp.Diff([]string{"4 Current", "3 Kept", "2 Kept"}, historyOf(page)); d != "" {
		t.Errorf("history after rollback (-want +got):\n%s", d)
	}
	// A stale page's rollback (the revision it carries) is refused.
	if r := b.post("/s/api-key/rollback", url.Values{"csrf": {b.csrf("/s/api-key")}, "version": {"2"}, "revision": {"1"}}); r.status != http.StatusSeeOther {
		t.Fatalf("stale rollback: %d", r.status)
	}
	if page := b.get("/s/api-key").body; !strings.Contains(page, "changed while you were editing") {
		t.Errorf("a stale rollback is not explained")
	}
	r = b.submit("/s/api-key", "/s/api-key/rollback", url.Values{"version": {"1"}})
	if page := b.get(r.header.Get("Location")).body; !strings.Contains(page, "Version 1 of api-key is no longer kept") {
		t.Errorf("rollback to a version out of the window is not explained")
	}
	for _, bad := range []string{"", "0", "01", "-1", "x"} {
		r := b.submit("/s/api-key", "/s/api-key/rollback", url.Values{"version": {bad}})
		if page := b.get(r.header.Get("Location")).body; r.status != http.StatusSeeOther || !strings.Contains(page, "missing the version") {
			t.Errorf("rollback with version %q: %d", bad, r.status)
		}
	}

	// Destroy: a confirmation page, then the post.
	if r := b.get("/s/api-key/destroy?version=2"); r.status != http.StatusOK || !strings.Contains(r.body, "Destroy version 2 of api-key?") || !strings.Contains(r.body, `id="confirm-destroy"`) {
		t.Fatalf("destroy confirmation: %d", r.status)
	}
	for _, bad := range []string{"", "0", "x", "02"} {
		if r := b.get("/s/api-key/destroy?version=" + bad); r.status != http.StatusNotFound {
			t.Errorf("destroy page of version %q: %d; want 404", bad, r.status)
		}
	}
	r = b.submit("/s/api-key/destroy?version=2", "/s/api-key/destroy", url.Values{"version": {"2"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/s/api-key" {
		t.Fatalf("destroy: %d %q", r.status, r.header.Get("Location"))
	}
	page = b.get("/s/api-key").body
	if !strings.Contains(page, "Version 2 of api-key destroyed") {
		t.Error("no destroy notice")
	}
	if d := cmp.Diff([]string{"4 Current", "3 Kept", "2 Destroyed"}, historyOf(page)); d != "" {
		t.Errorf("history after destroy (-want +got):\n%s", d)
	}
	if _, err := e.m.RevealValue(e.asRunner(), testNS, "api-key@2"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("reveal of the destroyed version: %v", err)
	}
	r = b.submit("/s/api-key", "/s/api-key/destroy", url.Values{"version": {"4"}})
	if page := b.get(r.header.Get("Location")).body; !strings.Contains(page, "is the current value of api-key") {
		t.Errorf("destroy of the current version is not explained")
	}

	// Edit keeps, and changes, the kept versions.
	s, _ := e.m.Get(e.as("editor"), testNS, "api-key")
	form := url.Values{"description": {"d"}, "labels": {""}, "decrypters": {"k6-runner"}, "revision": {itoa(s.Revision)}, "keepVersions": {"7"}}
	if r := b.submit("/s/api-key", "/s/api-key/edit", form); r.status != http.StatusSeeOther {
		t.Fatalf("edit: %d", r.status)
	}
	if s, _ = e.m.Get(e.as("editor"), testNS, "api-key"); s.KeepVersions != 7 {
		t.Errorf("keepVersions after edit = %d; want 7", s.KeepVersions)
	}
	form.Del("keepVersions") // a form without the field keeps the secret's
	form.Set("revision", itoa(s.Revision))
	b.submit("/s/api-key", "/s/api-key/edit", form)
	if s, _ = e.m.Get(e.as("editor"), testNS, "api-key"); s.KeepVersions != 7 || s.Description != "d" {
		t.Errorf("edit without the field: keepVersions %d; want 7 kept", s.KeepVersions)
	}
	for _, bad := range []string{"101", "-1", "x", "1.5", ""} {
		form.Set("keepVersions", bad)
		form.Set("revision", itoa(s.Revision))
		r := b.submit("/s/api-key", "/s/api-key/edit", form)
		if page := b.get(r.header.Get("Location")).body; !strings.Contains(page, `id="keepVersions-error"`) {
			t.Errorf("keepVersions %q: no error at the field", bad)
		}
	}
	if got, _ := e.m.Get(e.as("editor"), testNS, "api-key"); got.Revision != s.Revision {
		t.Error("a refused edit changed the secret")
	}
}

// TestHistoryControlsByRole: Roll back for those who may update, Destroy
// for those who may delete, the panel for every reader; a forbidden post
// made by hand is refused by the Manager; a post without the CSRF token is
// 403.
func TestHistoryControlsByRole(t *testing.T) {
	e := newEnv(t, envOptions{keepVersions: 3})
	e.seed("api-key", nil)
	e.resetSeed("api-key")
	for _, tc := range []struct {
		user              string
		rollback, destroy bool
	}{
		{"reader", false, false},
		{"updater", true, false},
		{"deleter", false, true},
		{"editor", true, true},
	} {
		t.Run(tc.user, func(t *testing.T) {
			b := e.newBrowser()
			b.signIn(tc.user)
			page := b.get("/s/api-key").body
			if d := cmp.Diff([]string{"2 Current", "1 Kept"}, historyOf(page)); d != "" {
				t.Errorf("history panel (-want +got):\n%s", d)
			}
			got := []bool{strings.Contains(page, `class="rollback"`), strings.Contains(page, "destroy?version=1")}
			if d := cmp.Diff([]bool{tc.rollback, tc.destroy}, got); d != "" {
				t.Errorf("controls [rollback destroy] (-want +got):\n%s", d)
			}
		})
	}
	before, _ := e.m.Get(e.as("editor"), testNS, "api-key")
	for _, tc := range []struct{ user, action string }{{"reader", "rollback"}, {"reader", "destroy"}, {"deleter", "rollback"}, {"updater", "destroy"}} {
		b := e.newBrowser()
		b.signIn(tc.user)
		r := b.submit("/s/api-key", "/s/api-key/"+tc.action, url.Values{"version": {"1"}})
		if page := b.get(r.header.Get("Location")).body; r.status != http.StatusSeeOther || !strings.Contains(page, "not allowed") {
			t.Errorf("%s posts %s: %d, refusal not shown", tc.user, tc.action, r.status)
		}
	}
	b := e.newBrowser()
	b.signIn("editor")
	for _, action := range []string{"rollback", "destroy"} {
		if r := b.post("/s/api-key/"+action, url.Values{"version": {"1"}}); r.status != http.StatusForbidden {
			t.Errorf("%s without the CSRF token: %d; want 403", action, r.status)
		}
	}
	if after, _ := e.m.Get(e.as("editor"), testNS, "api-key"); after.Revision != before.Revision {
		t.Error("a refused post changed the secret")
	}
}

// TestCreateKeepVersions: the create form's optional "Kept versions" sets
// the secret's window; empty means the Manager's default; a bad number is
// an error at the field, with nothing created.
func TestCreateKeepVersions(t *testing.T) {
	e := newEnv(t, envOptions{keepVersions: 3})
	b := e.newBrowser()
	b.signIn("editor")
	for _, tc := range []struct {
		name, keep string
		want       int
	}{{"five", "5", 5}, {"zero", "0", 0}, {"default", "", 3}, {"spaces", " 2 ", 2}} {
		r := b.submit("/new", "/new", url.Values{"name": {tc.name}, "value": {leakcheck.NewValue("ck")}, "keepVersions": {tc.keep}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
			t.Fatalf("create %s: %d %q", tc.name, r.status, r.header.Get("Location"))
		}
		if s, err := e.m.Get(e.as("editor"), testNS, tc.name); err != nil || s.KeepVersions != tc.want {
			t.Errorf("create with kept versions %q: %+v, %v; want %d", tc.keep, s, err, tc.want)
		}
	}
	for _, bad := range []string{"101", "-1", "x", "1.5"} {
		r := b.submit("/new", "/new", url.Values{"name": {"bad"}, "value": {leakcheck.NewValue("ck")}, "keepVersions": {bad}})
		page := b.get(r.header.Get("Location")).body
		if r.header.Get("Location") != "/new" || !strings.Contains(page, `id="keepVersions-error"`) || !strings.Contains(page, "Kept versions: ") {
			t.Errorf("kept versions %q: no error at the field", bad)
		}
		if _, err := e.m.Get(e.as("editor"), testNS, "bad"); !errors.Is(err, secrets.ErrNotFound) {
			t.Errorf("kept versions %q: a secret was created", bad)
		}
	}
}

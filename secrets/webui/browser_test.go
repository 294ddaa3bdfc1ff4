package webui

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/secrets"
)

// chromiumPath finds headless Chromium (Debian: apt-get install -y
// chromium). Without it the browser tests skip, unless CI=true, where
// they fail.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("STRONGBOX_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("the browser tests need Chromium (apt-get install -y chromium), and CI=true does not skip them")
	}
	t.Skip("skipping the browser tests: no Chromium found (apt-get install -y chromium, or set STRONGBOX_TEST_CHROMIUM)")
	return ""
}

// chrome is one headless browser tab over the test server, shared by the
// subtests of TestBrowser.
type chrome struct {
	t   *testing.T
	e   *env
	ctx context.Context
	// shots is where screenshots go (STRONGBOX_WEBUI_SCREENSHOTS); "" for none.
	shots string
}

func newChrome(t *testing.T, e *env) *chrome {
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 720),
	}
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium's sandbox refuses to run as root
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first run starts the browser; it has no timeout of its own.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1100, 720)); err != nil {
		t.Fatalf("starting Chromium at %s: %v", path, err)
	}
	return &chrome{t: t, e: e, ctx: ctx, shots: os.Getenv("STRONGBOX_WEBUI_SCREENSHOTS")}
}

func (c *chrome) step(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(c.ctx, 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// do runs actions in the tab and checks the page's source for leaks.
func (c *chrome) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(c.step(t), actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
	c.checkSource(t)
}

// load runs actions that navigate (a click on a link or a submit button)
// and waits for the page they lead to, following redirects.
func (c *chrome) load(t *testing.T, actions ...chromedp.Action[chromedp.Void]) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(c.step(t), actions...)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	c.checkSource(t)
	return resp.Status
}

func (c *chrome) visit(t *testing.T, path string) int64 {
	t.Helper()
	return c.load(t, chromedp.Navigate(c.e.srv.URL+path))
}

func (c *chrome) checkSource(t *testing.T) {
	t.Helper()
	src, err := chromedp.Run(c.step(t), chromedp.OuterHTML(chromedp.CSS("html")))
	// A page that refreshes itself at once (the "signed in" page after an
	// OIDC callback) can be replaced while its source is read: read the
	// page that replaced it.
	for i := 0; err != nil && strings.Contains(err.Error(), "No node with given id") && i < 20; i++ {
		time.Sleep(50 * time.Millisecond)
		src, err = chromedp.Run(c.step(t), chromedp.OuterHTML(chromedp.CSS("html")))
	}
	if err != nil {
		t.Fatalf("page source: %v", err)
	}
	loc, _ := chromedp.Run(c.step(t), chromedp.Location())
	leakcheck.Check("page source of "+strings.TrimPrefix(loc, c.e.srv.URL), src)
	leakcheck.Check("location", loc)
}

func (c *chrome) text(t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(c.step(t), chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func eval[T any](t *testing.T, c *chrome, js string) T {
	t.Helper()
	v, err := chromedp.Run(c.step(t), chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func (c *chrome) present(t *testing.T, sel string) bool {
	t.Helper()
	return eval[bool](t, c, `document.querySelector(`+jsString(sel)+`) !== null`)
}

// void drops the result of an action.
func void[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (c *chrome) screenshot(t *testing.T, name string) {
	t.Helper()
	if c.shots == "" {
		return
	}
	png, err := chromedp.Run(c.step(t), chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.shots, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (c *chrome) signIn(t *testing.T, user string) {
	t.Helper()
	if c.present(t, "form[action$='/signout'] button") {
		c.load(t, chromedp.Click(chromedp.CSS("form[action$='/signout'] button")))
	}
	c.visit(t, "/signin")
	c.do(t, chromedp.SendKeys(chromedp.ID("token"), c.e.tokens[user]))
	c.load(t, chromedp.Click(chromedp.CSS("button[type=submit]")))
	if got := c.text(t, ".who"); !strings.Contains(got, user) {
		t.Fatalf("signed in as %q; want %s", got, user)
	}
}

// fieldError returns the error shown for a field, "" for none.
func (c *chrome) fieldError(t *testing.T, field string) string {
	t.Helper()
	return eval[string](t, c, `(document.getElementById(`+jsString(field+"-error")+`) || {textContent: ""}).textContent`)
}

// TestBrowser drives the secrets page in headless Chromium through every
// flow, as a user would, and checks at the end that no registered value
// (secret values and API tokens) appeared in any page source, location,
// history entry, response body or log.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	since := leakcheck.Count()
	t.Cleanup(func() { leakcheck.Verify(t, since) })
	e := newEnv(t, envOptions{pageSize: 3, keepVersions: 3})
	c := newChrome(t, e)
	e.seed("db-password", map[string]string{"env": "prod", "team": "checkout"})
	e.seed("smtp-token", map[string]string{"env": "stage"})

	t.Run("sign-in", func(t *testing.T) {
		c.visit(t, "/")
		if loc := eval[string](t, c, "location.pathname"); loc != "/signin" {
			t.Fatalf("an anonymous visit lands on %s; want /signin", loc)
		}
		c.do(t, chromedp.SendKeys(chromedp.ID("token"), leakcheck.NewValue("wrong")))
		c.load(t, chromedp.Click(chromedp.CSS("button[type=submit]")))
		if !strings.Contains(c.text(t, ".alert"), "not accepted") {
			t.Error("a wrong token is not reported")
		}
		c.signIn(t, "editor")
		if got := eval[string](t, c, "document.cookie"); got != "" {
			t.Errorf("document.cookie = %q; the session cookie must be HttpOnly", got)
		}
	})

	value1 := leakcheck.NewValue("api")
	t.Run("create", func(t *testing.T) {
		c.visit(t, "/")
		c.load(t, chromedp.Click(chromedp.ID("create")))
		if typ := eval[string](t, c, `document.getElementById("value").type + "/" + document.getElementById("value").autocomplete`); typ != "password/off" {
			t.Errorf("value field %s; want a masked field without autocomplete", typ)
		}
		c.do(t,
			chromedp.SendKeys(chromedp.ID("name"), "api-key"),
			chromedp.SendKeys(chromedp.ID("description"), "Key of the payments API"),
			chromedp.SendKeys(chromedp.ID("value"), value1),
			chromedp.SetValue(chromedp.ID("labels"), "env=prod\nteam=payments"),
			chromedp.SetValue(chromedp.ID("decrypters"), "k6-runner"),
		)
		c.screenshot(t, "webui-create.png")
		c.load(t, chromedp.Click(chromedp.CSS("button.primary")))
		if got := c.text(t, ".notice"); got != "Secret api-key created." {
			t.Errorf("notice %q", got)
		}
	})

	t.Run("list", func(t *testing.T) {
		c.visit(t, "/")
		row := c.text(t, `tr[data-name="api-key"]`)
		for _, want := range []string{"api-key", "Key of the payments API", "env=prod", "team=payments", "k6-runner", "1", "Active", "by user:team-a/editor"} {
			if !strings.Contains(row, want) {
				t.Errorf("row %q lacks %q", row, want)
			}
		}
		c.screenshot(t, "webui-list.png")
		names := eval[[]string](t, c, `[...document.querySelectorAll("tr[data-name]")].map(r => r.dataset.name)`)
		if d := cmp.Diff([]string{"api-key", "db-password", "smtp-token"}, names); d != "" {
			t.Errorf("page 1 (-want +got):\n%s", d)
		}
	})

	t.Run("paging", func(t *testing.T) {
		e.seed("z-last", nil)
		c.visit(t, "/")
		c.load(t, chromedp.Click(chromedp.ID("next-page")))
		names := eval[[]string](t, c, `[...document.querySelectorAll("tr[data-name]")].map(r => r.dataset.name)`)
		if d := cmp.Diff([]string{"z-last"}, names); d != "" {
			t.Errorf("page 2 (-want +got):\n%s", d)
		}
	})

	t.Run("filter", func(t *testing.T) {
		c.visit(t, "/")
		c.do(t, chromedp.SendKeys(chromedp.ID("selector"), "env=prod"))
		c.load(t, chromedp.Click(chromedp.CSS("form.filter button")))
		names := eval[[]string](t, c, `[...document.querySelectorAll("tr[data-name]")].map(r => r.dataset.name)`)
		if d := cmp.Diff([]string{"api-key", "db-password"}, names); d != "" {
			t.Errorf("filtered (-want +got):\n%s", d)
		}
	})

	t.Run("edit", func(t *testing.T) {
		c.visit(t, "/")
		c.load(t, chromedp.Click(chromedp.CSS(`a[aria-label="Edit api-key"]`)))
		if !eval[bool](t, c, `document.getElementById("value-locked").disabled && document.getElementById("value-locked").value === ""`) {
			t.Error("the value field is not locked and empty before Reset")
		}
		if c.present(t, "input#value") {
			t.Error("an editable value field before Reset")
		}
		c.do(t, chromedp.SetValue(chromedp.ID("description"), "Key of the payments API (sandbox)"),
			chromedp.SetValue(chromedp.ID("labels"), "env=stage\nteam=payments"))
		c.load(t, chromedp.Click(chromedp.CSS(`form[action$="/edit"] button`)))
		s, err := e.m.Get(e.as("editor"), testNS, "api-key")
		if err != nil || s.Description != "Key of the payments API (sandbox)" || s.Labels["env"] != "stage" {
			t.Fatalf("after edit: %+v, %v", s, err)
		}
	})

	value2 := leakcheck.NewValue("api2")
	t.Run("reset", func(t *testing.T) {
		c.visit(t, "/s/api-key")
		c.load(t, chromedp.Click(chromedp.ID("reset")))
		if !eval[bool](t, c, `!document.getElementById("value").disabled && document.getElementById("value").type === "password"`) {
			t.Fatal("Reset did not unlock a masked value field")
		}
		c.do(t, chromedp.SendKeys(chromedp.ID("value"), value2))
		c.load(t, chromedp.Click(chromedp.CSS(`form[action$="/reset"] button`)))
		if got := c.text(t, "#version"); got != "2" {
			t.Errorf("version after reset %q; want 2", got)
		}
	})

	t.Run("use in a test", func(t *testing.T) {
		c.visit(t, "/s/api-key")
		snippet := c.text(t, "#k6-snippet")
		for _, want := range []string{"import secrets from 'k6/secrets'", "await secrets.get('api-key')"} {
			if !strings.Contains(snippet, want) {
				t.Errorf("snippet %q lacks %q", snippet, want)
			}
		}
		if got := c.text(t, "#run-line"); got != "strongbox run --names api-key -- k6 run script.js" {
			t.Errorf("command line %q", got)
		}
		// The copy buttons come from the static script, which the CSP lets run.
		if n := eval[int](t, c, `document.querySelectorAll("button.copy:not([hidden])").length`); n != 2 {
			t.Errorf("%d copy buttons shown; want 2 (the static script did not run?)", n)
		}
	})

	t.Run("history", func(t *testing.T) {
		c.visit(t, "/s/api-key")
		rows := func() []string {
			return eval[[]string](t, c, `[...document.querySelectorAll("#history tr[data-version]")].map(r => r.dataset.version + " " + r.querySelector(".state").textContent)`)
		}
		if d := cmp.Diff([]string{"2 Current", "1 Kept"}, rows()); d != "" {
			t.Fatalf("history panel (-want +got):\n%s", d)
		}
		// No value in the page, whatever the panel shows (checkSource
		// also looks for every registered value after each step).
		src := eval[string](t, c, "document.documentElement.outerHTML")
		if strings.Contains(src, value1) || strings.Contains(src, value2) {
			t.Fatal("the page source holds a value")
		}
		c.do(t, void(chromedp.Evaluate[any](`document.getElementById("history-title").scrollIntoView()`)))
		c.screenshot(t, "webui-history.png")
		c.load(t, chromedp.Click(chromedp.CSS(`button[aria-label="Roll back api-key to version 1"]`)))
		if got := c.text(t, ".notice"); !strings.Contains(got, "rolled back to the value of version 1: it is now version 3") {
			t.Errorf("notice %q", got)
		}
		if got := c.text(t, "#version"); got != "3" {
			t.Errorf("version after rollback %q; want 3", got)
		}
		if v, err := e.m.RevealValue(e.asRunner(), testNS, "api-key"); err != nil || v.DangerouslyExpose() != value1 {
			t.Errorf("after rollback to 1 the runner does not read version 1's value: %v", err)
		}
		if d := cmp.Diff([]string{"3 Current", "2 Kept", "1 Kept"}, rows()); d != "" {
			t.Errorf("history after rollback (-want +got):\n%s", d)
		}
		c.load(t, chromedp.Click(chromedp.CSS(`a[aria-label="Destroy version 2 of api-key"]`)))
		if !strings.Contains(c.text(t, "main"), "removed for good") {
			t.Error("the destroy confirmation does not say what happens")
		}
		c.load(t, chromedp.Click(chromedp.ID("confirm-destroy")))
		if got := c.text(t, ".notice"); !strings.Contains(got, "Version 2 of api-key destroyed") {
			t.Errorf("notice %q", got)
		}
		if d := cmp.Diff([]string{"3 Current", "2 Destroyed", "1 Kept"}, rows()); d != "" {
			t.Errorf("history after destroy (-want +got):\n%s", d)
		}
		if _, err := e.m.RevealValue(e.asRunner(), testNS, "api-key@2"); !errors.Is(err, secrets.ErrNotFound) {
			t.Errorf("reveal of the destroyed version 2: %v; want ErrNotFound", err)
		}
		src = eval[string](t, c, "document.documentElement.outerHTML")
		if strings.Contains(src, value1) || strings.Contains(src, value2) {
			t.Fatal("the page source holds a value")
		}
	})

	t.Run("revoke", func(t *testing.T) {
		c.visit(t, "/s/api-key")
		c.load(t, chromedp.Click(chromedp.ID("revoke")))
		if !strings.Contains(c.text(t, "main"), "fail until you reset it") {
			t.Error("the revoke confirmation does not say what happens")
		}
		c.load(t, chromedp.Click(chromedp.ID("confirm-revoke")))
		if got := c.text(t, "#state"); got != "Revoked" {
			t.Errorf("state %q; want Revoked", got)
		}
		if _, err := e.m.RevealValue(e.asRunner(), testNS, "api-key"); !errors.Is(err, secrets.ErrRevoked) {
			t.Errorf("reveal after revoke: %v; want ErrRevoked", err)
		}
	})

	t.Run("errors", func(t *testing.T) {
		eleven := ""
		for i := range 11 {
			eleven += "k" + string(rune('a'+i)) + "=v\n"
		}
		big := leakcheck.NewValue("big")
		big += strings.Repeat("x", 25*1024-len(big))
		for _, tc := range []struct {
			name, field, want string
			fill              []chromedp.Action[chromedp.Void]
		}{
			{"duplicate name", "name", "A secret named api-key already exists", []chromedp.Action[chromedp.Void]{
				chromedp.SendKeys(chromedp.ID("name"), "api-key")}},
			// SetValue fills the fields as a script would, past the
			// maxlength attributes, to reach the server's rules.
			{"over-long name", "name", "Name has 254 characters; the limit is 253", []chromedp.Action[chromedp.Void]{
				chromedp.SetValue(chromedp.ID("name"), strings.Repeat("n", 254))}},
			{"11 labels", "labels", "11 labels; the limit is 10", []chromedp.Action[chromedp.Void]{
				chromedp.SendKeys(chromedp.ID("name"), "eleven"), chromedp.SetValue(chromedp.ID("labels"), eleven)}},
			{"25 KiB value", "value", "Value has 25600 bytes; the limit is 24576", []chromedp.Action[chromedp.Void]{
				chromedp.SendKeys(chromedp.ID("name"), "big")}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c.visit(t, "/new")
				c.do(t, tc.fill...)
				if tc.field == "value" {
					c.do(t, chromedp.SetValue(chromedp.ID("value"), big))
				} else {
					c.do(t, chromedp.SendKeys(chromedp.ID("value"), leakcheck.NewValue("err")))
				}
				c.load(t, chromedp.Click(chromedp.CSS("button.primary")))
				if got := c.fieldError(t, tc.field); !strings.Contains(got, tc.want) {
					t.Errorf("error at %s: %q; want %q", tc.field, got, tc.want)
				}
				if !strings.Contains(c.text(t, ".alert"), fieldLabel[tc.field]+": ") {
					t.Errorf("the summary does not name the field %s", fieldLabel[tc.field])
				}
				if v := eval[string](t, c, `document.getElementById("value").value`); v != "" {
					t.Error("the value field was filled again")
				}
				if n := eval[string](t, c, `document.getElementById("name").value`); n == "" {
					t.Error("the name was not kept")
				}
			})
		}
		if limits := c.text(t, "#name-help") + c.text(t, "#labels-help") + c.text(t, "#value-help"); !strings.Contains(limits, "at most 253") || !strings.Contains(limits, "Up to 10 labels") || !strings.Contains(limits, "24576 bytes") {
			t.Errorf("the limits are not shown before the user hits them: %q", limits)
		}
		attrs := eval[string](t, c, `["name","description","value"].map(id => document.getElementById(id).maxLength).join(",") + " " + document.getElementById("name").pattern`)
		if attrs != `253,253,24576 [A-Za-z0-9_\-]+` {
			t.Errorf("maxlength and pattern: %s", attrs)
		}
	})

	t.Run("delete with the typed confirmation", func(t *testing.T) {
		c.visit(t, "/s/api-key")
		c.load(t, chromedp.Click(chromedp.ID("delete")))
		text := c.text(t, "main")
		for _, want := range []string{"permanent", "will fail until a secret of the same name exists again"} {
			if !strings.Contains(text, want) {
				t.Errorf("the confirmation lacks %q", want)
			}
		}
		c.do(t, chromedp.SendKeys(chromedp.ID("confirm"), "delete"))
		if eval[bool](t, c, `document.getElementById("confirm").checkValidity()`) {
			t.Error(`"delete" (lower case) passes the confirmation field`)
		}
		c.do(t, void(chromedp.Evaluate[string](`document.getElementById("confirm").value = ""`)), chromedp.SendKeys(chromedp.ID("confirm"), "Delete"))
		c.screenshot(t, "webui-delete.png")
		// Enter in the field submits the form, as with a keyboard.
		c.load(t, chromedp.KeyEvent(kb.Enter))
		if got := c.text(t, ".notice"); got != "Secret api-key deleted." {
			t.Errorf("notice %q", got)
		}
		if _, err := e.m.Get(e.as("editor"), testNS, "api-key"); !errors.Is(err, secrets.ErrNotFound) {
			t.Errorf("after delete: %v", err)
		}
	})

	t.Run("csrf refused", func(t *testing.T) {
		c.visit(t, "/")
		// A form made by hand, posting to the page without the token.
		status := c.load(t, void(chromedp.Evaluate[any](`(() => { const f = document.createElement("form"); f.method = "post"; f.action = "/new";
			for (const [k, v] of [["name", "forged"], ["value", "x"]]) { const i = document.createElement("input"); i.name = k; i.value = v; f.appendChild(i); }
			document.body.appendChild(f); f.submit(); return null; })()`, chromedp.EvalIgnoreExceptions)))
		if status != 403 {
			t.Errorf("status %d; want 403", status)
		}
		if _, err := e.m.Get(e.as("editor"), testNS, "forged"); !errors.Is(err, secrets.ErrNotFound) {
			t.Errorf("a post without the token created a secret: %v", err)
		}
	})

	t.Run("keyboard and labels", func(t *testing.T) {
		e.seed("kbd", map[string]string{"env": "prod"})
		e.resetSeed("kbd") // a kept version: the history panel has its controls
		for _, path := range []string{"/", "/new", "/s/kbd", "/s/kbd/reset", "/s/kbd/revoke", "/s/kbd/delete", "/s/kbd/destroy?version=1"} {
			t.Run(path, func(t *testing.T) {
				c.visit(t, path)
				c.checkNames(t)
				c.checkTabOrder(t)
			})
		}
		c.visit(t, "/signin") // signed in: the form still renders
		c.checkNames(t)
	})

	t.Run("roles", func(t *testing.T) {
		type controls struct{ List, Create, Edit, Delete, Reset, Rollback, Destroy bool }
		for _, tc := range []struct {
			user string
			want controls
		}{
			{"viewer", controls{}},
			{"reader", controls{List: true}},
			{"creator", controls{List: true, Create: true}},
			{"updater", controls{List: true, Edit: true, Reset: true, Rollback: true}},
			{"deleter", controls{List: true, Delete: true, Destroy: true}},
		} {
			t.Run(tc.user, func(t *testing.T) {
				c.signIn(t, tc.user)
				got := controls{
					List:   c.present(t, `tr[data-name="kbd"]`),
					Create: c.present(t, "#create"),
					Edit:   c.present(t, `a[aria-label="Edit kbd"]`),
					Delete: c.present(t, `a[aria-label="Delete kbd"]`),
				}
				if tc.want.List {
					c.visit(t, "/s/kbd")
					got.Reset = c.present(t, "#reset")
					got.Edit = got.Edit && c.present(t, `form[action$="/edit"]`)
					got.Delete = got.Delete && c.present(t, "#delete")
					got.Rollback = c.present(t, `button[aria-label="Roll back kbd to version 1"]`)
					got.Destroy = c.present(t, `a[aria-label="Destroy version 1 of kbd"]`)
				} else if !c.present(t, "#no-read") {
					t.Error("no explanation for the missing list")
				}
				if d := cmp.Diff(tc.want, got); d != "" {
					t.Errorf("controls (-want +got):\n%s", d)
				}
			})
		}
		t.Run("forbidden post by hand", func(t *testing.T) {
			c.signIn(t, "reader")
			// The reader's page has no delete control; post the delete
			// form by hand, with the session's valid CSRF token.
			c.load(t, void(chromedp.Evaluate[any](`(() => { const f = document.createElement("form"); f.method = "post"; f.action = "/s/kbd/delete";
				const tok = document.querySelector("input[name=csrf]").value;
				for (const [k, v] of [["csrf", tok], ["confirm", "Delete"]]) { const i = document.createElement("input"); i.name = k; i.value = v; f.appendChild(i); }
				document.body.appendChild(f); f.submit(); return null; })()`)))
			if got := c.text(t, ".alert"); !strings.Contains(got, "not allowed to delete kbd") {
				t.Errorf("alert %q; want the Manager's refusal", got)
			}
			if _, err := e.m.Get(e.as("editor"), testNS, "kbd"); err != nil {
				t.Errorf("the Manager let a reader delete: %v", err)
			}
		})
	})

	t.Run("oidc sign-in", func(t *testing.T) {
		oe, _ := newOIDCEnv(t)
		c.load(t, chromedp.Navigate(oe.srv.URL+"/signin"))
		// Provider, callback, then the page's own refresh to the list.
		// The callback page moves on by itself, so its source is not read
		// here (it may be gone mid-read); leakcheck's middleware still sees
		// every response body, and the list's source is checked below.
		if _, err := chromedp.RunResponse(c.step(t), chromedp.Click(chromedp.ID("oidc"))); err != nil {
			t.Fatalf("browser: %v", err)
		}
		// Wait for the list itself: the "signed in" page in between has the
		// header (.who) too, and reading its source while the refresh
		// replaces it fails.
		if err := chromedp.Do(c.step(t), chromedp.WaitVisible(chromedp.CSS("#selector, #no-read"))); err != nil {
			t.Fatalf("no list after the OIDC sign-in: %v", err)
		}
		if got := c.text(t, ".who"); !strings.Contains(got, "oidc-user") {
			t.Errorf("signed in as %q; want oidc-user", got)
		}
		c.checkSource(t)
	})

	t.Run("no value anywhere", func(t *testing.T) {
		hist, err := chromedp.Run(c.step(t), chromedp.NavigationEntries())
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hist.Entries {
			leakcheck.Check("browser history", h.URL+" "+h.Title)
		}
		if len(hist.Entries) < 20 {
			t.Errorf("only %d history entries; the run did not go through the flows", len(hist.Entries))
		}
		leakcheck.Check("server log", e.logs.String())
		if strings.Contains(e.logs.String(), value1) {
			t.Error("the log holds a value")
		}
	})
}

// checkNames fails t for any focusable control without an accessible
// name, as Chromium's accessibility tree computes it.
func (c *chrome) checkNames(t *testing.T) {
	t.Helper()
	tree, err := chromedp.Run(c.step(t), func(ctx context.Context, tg *chromedp.Target) (*accessibility.GetFullAXTreeResult, error) {
		r, err := cdp.Call(ctx, tg, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
		return &r, err
	})
	if err != nil {
		t.Fatal(err)
	}
	controls := 0
	for _, n := range tree.Nodes {
		if n.Ignored || n.Role == nil {
			continue
		}
		var role, name string
		json.Unmarshal(n.Role.Value, &role)
		if n.Name != nil {
			json.Unmarshal(n.Name.Value, &name)
		}
		switch role {
		case "textbox", "searchbox", "button", "link", "checkbox", "combobox", "radio", "menuitem":
			controls++
			if strings.TrimSpace(name) == "" {
				t.Errorf("a %s has no accessible name", role)
			}
		}
	}
	if controls == 0 {
		t.Error("no controls in the accessibility tree")
	}
}

// checkTabOrder presses Tab from the top of the page until focus leaves
// it, and fails t unless every visible, enabled control got focus.
func (c *chrome) checkTabOrder(t *testing.T) {
	t.Helper()
	want := eval[[]string](t, c, `(() => {
		document.activeElement && document.activeElement.blur();
		const els = [...document.querySelectorAll("a[href], button, input:not([type=hidden]), textarea, select, [tabindex]")]
			.filter(el => !el.disabled && el.tabIndex >= 0 && el.getClientRects().length > 0);
		els.forEach((el, i) => el.dataset.kb = String(i));
		return els.map(el => el.dataset.kb);
	})()`)
	var got []string
	seen := map[string]bool{}
	for range len(want) + 3 {
		if err := chromedp.Do(c.step(t), chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
		k := eval[string](t, c, `(document.activeElement && document.activeElement.dataset.kb) || ""`)
		if k == "" || seen[k] {
			if len(got) > 0 && k != "" {
				break
			}
			continue
		}
		seen[k] = true
		got = append(got, k)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("controls reached by Tab, in order (-want +got):\n%s", d)
	}
}

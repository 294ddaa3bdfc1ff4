package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// cli is a user's shell: the built binary, a HOME and a config file.
type cli struct {
	t    *testing.T
	bin  string
	home string
	env  []string
}

type result struct {
	code           int
	stdout, stderr string
}

func (c *cli) run(stdin string, args ...string) result {
	return c.runEnv(nil, stdin, args...)
}

func (c *cli) runEnv(extra []string, stdin string, args ...string) result {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Env = append(append([]string{}, c.env...), extra...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

func (c *cli) want(r result, code int, what string) result {
	c.t.Helper()
	if r.code != code {
		c.t.Fatalf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", what, r.code, code, r.stdout, r.stderr)
	}
	return r
}

// newCLI starts strongbox serve (the binary) on a fresh data directory and
// signs a user in with the admin token it printed.
func newCLI(t *testing.T) (*cli, *proc, string) {
	c, p, admin, _ := newCLIDir(t)
	return c, p, admin
}

func newCLIDir(t *testing.T) (*cli, *proc, string, string) {
	t.Helper()
	bin := buildBinary(t)
	home := t.TempDir()
	dataDir := filepath.Join(t.TempDir(), "data")
	p := start(t, bin, childEnv(home, "STRONGBOX_DATA_DIR="+dataDir), "serve", "--addr", "127.0.0.1:0", "--audit-log", filepath.Join(home, "audit.jsonl"))
	admin := adminToken(p.stderr.String())
	if admin == "" {
		t.Fatalf("serve printed no admin token:\n%s", p.stderr.String())
	}
	leakcheck.Register(admin)
	c := &cli{t: t, bin: bin, home: home, env: childEnv(home, "STRONGBOX_CONFIG="+filepath.Join(home, "cfg", "config.json"))}
	r := c.want(c.run(admin+"\n", "login", p.baseURL), 0, "login")
	if strings.Contains(r.stdout+r.stderr, admin) {
		t.Fatal("login printed the token")
	}
	st, err := os.Stat(filepath.Join(home, "cfg", "config.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config file: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
	return c, p, admin, dataDir
}

// TestCLIUserFlow runs the binary as a user would against strongbox serve:
// create, list, get, reset, token issue and revoke, delete with the typed
// confirmation, and the exit codes of each failure.
func TestCLIUserFlow(t *testing.T) {
	c, p, _ := newCLI(t)
	value := leakcheck.NewValue("cli")
	c.want(c.run(value+"\n", "secret", "create", "api-key", "--label", "env=prod", "--decrypter", "k6", "--description", "the API key"), 0, "create")
	r := c.want(c.run("", "secret", "create", "other", value), 2, "value in argv")
	if !strings.Contains(r.stderr, "ps shows") || strings.Count(strings.TrimSpace(r.stderr), "\n") > 2 {
		t.Errorf("value in argv: %q", r.stderr)
	}
	c.want(c.run("", "secret", "create", "other", "--value", value), 2, "--value")
	c.want(c.run(value, "secret", "create", "api-key"), exitConflict, "create again")
	c.want(c.run("", "secret", "create", "--bogus"), exitUsage, "unknown flag")
	if r := c.want(c.run("", "login", p.baseURL, "sbx_not-a-real-token"), exitUsage, "token in argv"); !strings.Contains(r.stderr, "read from stdin") {
		t.Errorf("login with a token argument: %q", r.stderr)
	}

	r = c.want(c.run("", "secret", "list"), 0, "list")
	if !strings.HasPrefix(r.stdout, "NAME") || !strings.Contains(r.stdout, "api-key") || !strings.Contains(r.stdout, "env=prod") {
		t.Errorf("list table:\n%s", r.stdout)
	}
	r = c.want(c.run("", "secret", "list", "--output", "yaml"), exitUsage, "list --output yaml")
	r = c.want(c.run("", "secret", "list", "--output", "json", "--selector", "env=prod"), 0, "list json")
	var list []struct{ Name string }
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 1 || list[0].Name != "api-key" {
		t.Errorf("list --output json: %v %s", err, r.stdout)
	}
	r = c.want(c.run("", "secret", "list", "-o", "json", "--selector", "env=dev"), 0, "list selector")
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("list --selector env=dev: %s", r.stdout)
	}
	c.want(c.run("", "secret", "get", "nope"), exitNotFound, "get missing")
	r = c.want(c.run("", "secret", "get", "api-key"), 0, "get")
	if !strings.Contains(r.stdout, "the API key") {
		t.Errorf("get:\n%s", r.stdout)
	}
	r = c.want(c.run("", "secret", "update", "api-key", "--description", "renamed", "--label", "env=staging", "-o", "json"), 0, "update")
	if !strings.Contains(r.stdout, `"renamed"`) || !strings.Contains(r.stdout, `"staging"`) || !strings.Contains(r.stdout, `"k6"`) {
		t.Errorf("update kept or lost the wrong fields: %s", r.stdout)
	}
	c.want(c.run("", "secret", "revoke", "api-key"), 0, "revoke")
	if r = c.want(c.run("", "secret", "get", "api-key"), 0, "get revoked"); !regexp.MustCompile(`Revoked:\s+true`).MatchString(r.stdout) {
		t.Errorf("get after revoke:\n%s", r.stdout)
	}
	c.want(c.run("", "secret", "update", "nope", "--description", "x"), exitNotFound, "update missing")
	newValue := leakcheck.NewValue("cli-reset")
	r = c.want(c.run(newValue, "secret", "reset", "api-key"), 0, "reset")
	if !strings.Contains(r.stdout, "version 2") {
		t.Errorf("reset: %s", r.stdout)
	}

	// token issue prints the token alone on stdout; reveal with it prints
	// the value raw to a pipe; token revoke ends it.
	r = c.want(c.run("", "token", "issue", "--names", "api-key", "--ttl", "10m", "-o", "json"), 0, "token issue")
	var tok struct{ ID, Token string }
	if err := json.Unmarshal([]byte(r.stdout), &tok); err != nil || !strings.HasPrefix(tok.Token, runtoken.Prefix) {
		t.Fatalf("token issue: %v %s", err, r.stdout)
	}
	leakcheck.Register(tok.Token)
	r = c.want(c.runEnv([]string{"STRONGBOX_TOKEN=" + tok.Token}, "", "secret", "reveal", "api-key"), 0, "reveal")
	if r.stdout != newValue {
		t.Errorf("reveal printed %d bytes, want the value exactly", len(r.stdout))
	}
	c.want(c.run("", "token", "revoke", tok.ID), 0, "token revoke")
	c.want(c.runEnv([]string{"STRONGBOX_TOKEN=" + tok.Token}, "", "secret", "reveal", "api-key"), exitDenied, "reveal after revoke")
	r = c.want(c.run("", "token", "issue", "--names", "api-key"), 0, "token issue (plain)")
	if !strings.HasPrefix(r.stdout, runtoken.Prefix) || strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stderr, "run token ") {
		t.Errorf("token issue: stdout %d bytes, stderr %q", len(r.stdout), r.stderr)
	}
	leakcheck.Register(strings.TrimSpace(r.stdout))
	c.want(c.run("", "token", "issue"), exitUsage, "token issue without names")

	// delete asks for the name.
	r = c.want(c.run("api-kez\n", "secret", "delete", "api-key"), exitFailure, "delete, wrong name typed")
	if !strings.Contains(r.stderr, "Type the secret's name") || !strings.Contains(r.stderr, "not deleted") {
		t.Errorf("delete prompt: %q", r.stderr)
	}
	c.want(c.run("", "secret", "get", "api-key"), 0, "get after refused delete")
	c.want(c.run("api-key\n", "secret", "delete", "api-key"), 0, "delete")
	c.want(c.run("", "secret", "get", "api-key"), exitNotFound, "get after delete")
	c.want(c.run(value, "secret", "create", "again"), 0, "create")
	c.want(c.run("", "secret", "delete", "again", "--yes"), 0, "delete --yes")

	// A server that is down: one line naming the URL and what to do.
	p.stop(t)
	r = c.want(c.run("", "secret", "list"), exitUnavailable, "server down")
	if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 1 || !strings.Contains(r.stderr, p.baseURL) || !strings.Contains(r.stderr, "retry") {
		t.Errorf("server down: %q", r.stderr)
	}
}

var (
	k6Once sync.Once
	k6Bin  string
	k6Err  error
)

// buildK6Child builds the stand-in k6 of package run's tests.
func buildK6Child(t *testing.T) string {
	t.Helper()
	k6Once.Do(func() {
		dir, err := os.MkdirTemp("", "k6child")
		if err != nil {
			k6Err = err
			return
		}
		k6Bin = filepath.Join(dir, "k6")
		if out, err := exec.Command("go", "build", "-o", k6Bin, "../../secrets/run/testdata/k6child").CombinedOutput(); err != nil {
			k6Err = errors.New(string(out))
		}
	})
	if k6Err != nil {
		t.Fatal(k6Err)
	}
	return k6Bin
}

// TestCLIRun: strongbox run -- <stand-in k6>: the child gets the value
// through K6_SECRET_SOURCE, our stdout and stderr show the marker only,
// the token is revoked after exit, the exit code and signals pass through,
// and --scan names the file the child wrote the value to.
func TestCLIRun(t *testing.T) {
	c, p, _ := newCLI(t)
	k6 := buildK6Child(t)
	value := leakcheck.NewValue("run")
	c.want(c.run(value, "secret", "create", "api-key", "--decrypter", "k6"), 0, "create")
	dir := t.TempDir()
	side := filepath.Join(dir, "spec")
	results := filepath.Join(dir, "results")
	os.Mkdir(results, 0o700)

	r := c.want(c.run("", "run", "--names", "api-key", "--scan", results, "--", k6, "api-key", "3", "print", side, filepath.Join(results, "summary.json")), 3, "run")
	m := "***SECRET_REDACTED***"
	if !strings.HasPrefix(r.stdout, "raw: "+m+"\nsplit: "+m+"\nb64: ") {
		t.Errorf("stdout %q", r.stdout)
	}
	for _, bad := range []string{value, base64.StdEncoding.EncodeToString([]byte(value))[2:20], runtoken.Prefix} {
		if strings.Contains(r.stdout+r.stderr, bad) {
			t.Errorf("the output shows a secret or the token:\n%s\n%s", r.stdout, r.stderr)
		}
	}
	if !strings.Contains(r.stderr, "leak: "+filepath.Join(results, "summary.json")+":") || !strings.Contains(r.stderr, "secret api-key") {
		t.Errorf("stderr names no leak: %q", r.stderr)
	}
	spec, _ := os.ReadFile(side)
	_, tok, _ := strings.Cut(string(spec), "Bearer ")
	tok, _, _ = strings.Cut(tok, ",")
	leakcheck.Register(tok)
	if !strings.HasPrefix(tok, runtoken.Prefix) {
		t.Fatal("the child got no run token in K6_SECRET_SOURCE")
	}
	if code, _ := do(t, "GET", p.baseURL+"/v1/namespaces/default/secrets/api-key/decrypt", tok, nil); code != 401 {
		t.Errorf("decrypt with the run's token after the run: %d, want 401", code)
	}

	// A clean run whose scan finds a leak fails with 7.
	c.want(c.run("", "run", "--names", "api-key", "--scan", results, "--", k6, "api-key", "0"), exitLeak, "run with a leak in --scan")
	// scan on its own.
	r = c.want(c.run("", "scan", "--names", "api-key", filepath.Join(results, "summary.json")), exitLeak, "scan")
	if !strings.Contains(r.stdout, "summary.json:") || strings.Contains(r.stdout, value) {
		t.Errorf("scan: %q", r.stdout)
	}
	os.Remove(filepath.Join(results, "summary.json"))
	c.want(c.run("", "scan", "--names", "api-key", results), 0, "scan of a clean directory")

	// Signals: SIGINT and SIGTERM to strongbox reach the child.
	for _, tc := range []struct {
		sig  syscall.Signal
		mode string
		want int
	}{{syscall.SIGINT, "wait", 130}, {syscall.SIGTERM, "wait", 143}, {syscall.SIGINT, "trap", 5}} {
		cmd := exec.Command(c.bin, "run", "--names", "api-key", "--", k6, "api-key", "5", tc.mode, side)
		cmd.Env = c.env
		out := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(out.String(), "ready") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cmd.Process.Signal(tc.sig)
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != tc.want {
			t.Errorf("%v to strongbox run (%s): %v, want exit %d; output %q", tc.sig, tc.mode, err, tc.want, out.String())
		}
		if tc.mode == "trap" && !strings.Contains(out.String(), "got interrupt 1 time(s)") {
			t.Errorf("trap: %q", out.String())
		}
		spec, _ := os.ReadFile(side)
		_, tok, _ := strings.Cut(string(spec), "Bearer ")
		tok, _, _ = strings.Cut(tok, ",")
		leakcheck.Register(tok)
		if code, _ := do(t, "GET", p.baseURL+"/v1/namespaces/default/secrets/api-key/decrypt", tok, nil); code != 401 {
			t.Errorf("%v: decrypt with the run's token after the run: %d, want 401", tc.sig, code)
		}
	}
}

// TestCLIKeyRotation: key add, list, rewrap interrupted by SIGINT and
// resumed, remove refused while data is under the key and accepted after.
func TestCLIKeyRotation(t *testing.T) {
	c, p, admin, dataDir := newCLIDir(t)
	const n = 60
	for i := range n {
		code, b := do(t, "POST", p.baseURL+"/v1/namespaces/default/secrets", admin, map[string]any{
			"name": "s" + strconv.Itoa(i), "value": leakcheck.NewValue("rot"), "decrypters": []string{"k6"}})
		if code != 201 {
			t.Fatalf("create: %d %s", code, b)
		}
	}
	p.stop(t)
	keyFile := filepath.Join(c.home, "new.kek")
	op := []string{"STRONGBOX_DATA_DIR=" + dataDir}
	c.want(c.run("", "key", "add", "--out", keyFile), exitUsage, "key add without the store")
	r := c.want(c.runEnv(op, "", "key", "add", "--out", keyFile), 0, "key add")
	newID := strings.TrimSpace(r.stdout)
	kb, _ := os.ReadFile(keyFile)
	leakcheck.Register(strings.TrimSpace(string(kb)))
	if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v", err)
	}
	c.want(c.runEnv(op, "", "key", "add", "--out", keyFile), exitFailure, "key add over an existing file")
	r = c.want(c.runEnv(op, "", "key", "list"), 0, "key list")
	var oldID string
	for _, l := range strings.Split(r.stdout, "\n") {
		if f := strings.Fields(l); len(f) >= 3 && f[1] == "primary" {
			oldID = f[0]
			if f[2] != strconv.Itoa(n) {
				t.Errorf("key list: %s", r.stdout)
			}
		}
	}
	if oldID == "" {
		t.Fatalf("key list shows no primary:\n%s", r.stdout)
	}
	withNew := append(op, "STRONGBOX_KEK="+strings.TrimSpace(string(kb)))
	c.want(c.runEnv(withNew, "", "key", "remove", oldID), exitConflict, "remove a key in use")
	// The key list is in the store: an instance that lacks the new key
	// refuses promote, naming it.
	if r := c.want(c.runEnv(op, "", "key", "promote", newID), exitConflict, "promote without holding the key"); !strings.Contains(r.stderr, "--kek") {
		t.Errorf("promote without the key: %q", r.stderr)
	}
	c.want(c.runEnv(withNew, "", "key", "promote", newID), 0, "promote")
	// The old key alone cannot serve or operate any more: the fleet's
	// primary is the new one.
	if r := c.want(c.runEnv(op, "", "key", "list"), exitConflict, "key list without the primary"); !strings.Contains(r.stderr, newID) {
		t.Errorf("key list without the primary: %q", r.stderr)
	}

	// Interrupt the first rewrap after its first page.
	cmd := exec.Command(c.bin, "key", "rewrap", "--page-size", "1")
	cmd.Env = append(append([]string{}, c.env...), withNew...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(out.String(), "rewrap ") && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	interrupted := err != nil
	if interrupted {
		if !strings.Contains(out.String(), "run strongbox key rewrap again to resume") {
			t.Errorf("interrupted rewrap: %q", out.String())
		}
		if _, err := os.Stat(filepath.Join(dataDir, "rewrap-default.state")); err != nil {
			t.Errorf("no state after the interrupt: %v", err)
		}
	} else {
		t.Log("the rewrap finished before the interrupt; checking the end state only")
	}
	r = c.want(c.runEnv(withNew, "", "key", "rewrap"), 0, "rewrap (resumed)")
	if interrupted && !strings.Contains(r.stderr, "resuming") {
		t.Errorf("the second rewrap did not resume: %q", r.stderr)
	}
	r = c.want(c.runEnv(withNew, "", "key", "list"), 0, "key list after")
	if !strings.Contains(r.stdout, newID+"  primary  "+strconv.Itoa(n)) && !regexp.MustCompile(newID+`\s+primary\s+`+strconv.Itoa(n)).MatchString(r.stdout) {
		t.Errorf("after the rewrap:\n%s", r.stdout)
	}
	c.want(c.runEnv(withNew, "", "key", "remove", oldID), 0, "remove the old key")
	if r := c.want(c.runEnv(withNew, "", "key", "list"), 0, "key list after the removal"); !regexp.MustCompile(oldID + `\s+retired\s+0\s+none\n`).MatchString(r.stdout) {
		t.Errorf("the removed key is not listed as retired, held by none:\n%s", r.stdout)
	}
	c.want(c.runEnv(withNew, "", "gc", "--min-age", "-1s"), 0, "gc")
}

// TestCLIHistory: with serve's default --keep-versions (3), a reset keeps
// the old value: secret versions lists it, reveal NAME@N prints it,
// rollback makes it current as a new version, destroy removes a kept one
// (after the typed confirmation), and bad versions are usage errors.
// --keep-versions on create and update sets the secret's own window.
func TestCLIHistory(t *testing.T) {
	c, _, _ := newCLI(t)
	v1, v2 := leakcheck.NewValue("hist1"), leakcheck.NewValue("hist2")
	r := c.want(c.run(v1, "secret", "create", "api-key", "--decrypter", "k6"), 0, "create")
	if !regexp.MustCompile(`Kept versions:\s+3`).MatchString(r.stdout) {
		t.Errorf("create without --keep-versions: want serve's default 3:\n%s", r.stdout)
	}
	c.want(c.run(v2, "secret", "reset", "api-key"), 0, "reset")
	r = c.want(c.run("", "secret", "versions", "api-key"), 0, "versions")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "VERSION") || !regexp.MustCompile(`^2\s+current\s`).MatchString(lines[1]) ||
		!regexp.MustCompile(`^1\s+kept\s+\S+\s+\S+`).MatchString(lines[2]) {
		t.Errorf("versions table:\n%s", r.stdout)
	}
	r = c.want(c.run("", "secret", "versions", "api-key", "-o", "json"), 0, "versions json")
	var vs []struct {
		Version int64
		Current bool
	}
	if err := json.Unmarshal([]byte(r.stdout), &vs); err != nil || len(vs) != 2 || vs[0].Version != 2 || !vs[0].Current {
		t.Errorf("versions -o json: %v %s", err, r.stdout)
	}
	c.want(c.run("", "secret", "versions", "nope"), exitNotFound, "versions of a missing secret")

	r = c.want(c.run("", "token", "issue", "--names", "api-key", "--ttl", "10m", "-o", "json"), 0, "token issue")
	var tok struct{ Token string }
	if err := json.Unmarshal([]byte(r.stdout), &tok); err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(tok.Token)
	reveal := func(ref string, code int) string {
		t.Helper()
		return c.want(c.runEnv([]string{"STRONGBOX_TOKEN=" + tok.Token}, "", "secret", "reveal", ref), code, "reveal "+ref).stdout
	}
	if got := reveal("api-key@1", 0); got != v1 {
		t.Errorf("reveal api-key@1 printed %d bytes, want version 1's value", len(got))
	}
	if got := reveal("api-key", 0); got != v2 {
		t.Error("reveal api-key is not the current value")
	}
	reveal("api-key@9", exitNotFound)
	reveal("api-key@01", exitUsage)

	for _, bad := range [][]string{{"rollback", "api-key"}, {"rollback", "api-key", "0"}, {"rollback", "api-key", "01"},
		{"rollback", "api-key", "-1"}, {"rollback", "api-key", "x"}, {"destroy", "api-key", "+1"}, {"rollback", "api-key", "1", "2"}} {
		c.want(c.run("", append([]string{"secret"}, bad...)...), exitUsage, strings.Join(bad, " "))
	}
	r = c.want(c.run("", "secret", "rollback", "api-key", "1"), 0, "rollback")
	if !strings.Contains(r.stdout, "now version 3") {
		t.Errorf("rollback: %q", r.stdout)
	}
	if got := reveal("api-key", 0); got != v1 {
		t.Error("after rollback to 1 the current value is not version 1's")
	}
	c.want(c.run("", "secret", "rollback", "api-key", "7"), exitNotFound, "rollback to a version that never was")

	// destroy asks for the version.
	r = c.want(c.run("1\n", "secret", "destroy", "api-key", "2"), exitFailure, "destroy, wrong version typed")
	if !strings.Contains(r.stderr, "Type the version number") || !strings.Contains(r.stderr, "not destroyed") {
		t.Errorf("destroy prompt: %q", r.stderr)
	}
	reveal("api-key@2", 0)
	c.want(c.run("2\n", "secret", "destroy", "api-key", "2"), 0, "destroy")
	reveal("api-key@2", exitNotFound)
	r = c.want(c.run("", "secret", "versions", "api-key"), 0, "versions after destroy")
	if !regexp.MustCompile(`(?m)^2\s+destroyed\s`).MatchString(r.stdout) {
		t.Errorf("versions after destroy:\n%s", r.stdout)
	}
	c.want(c.run("", "secret", "destroy", "api-key", "3", "--yes"), exitFailure, "destroy of the current version")

	// --keep-versions on create and update.
	c.want(c.run(v1, "secret", "create", "none", "--keep-versions", "101"), exitUsage, "create --keep-versions 101")
	r = c.want(c.run(leakcheck.NewValue("hist3"), "secret", "create", "none", "--keep-versions", "0", "-o", "json"), 0, "create --keep-versions 0")
	if !strings.Contains(r.stdout, `"keepVersions": 0`) {
		t.Errorf("create --keep-versions 0: %s", r.stdout)
	}
	r = c.want(c.run("", "secret", "update", "api-key", "--keep-versions", "1", "-o", "json"), 0, "update --keep-versions 1")
	if !strings.Contains(r.stdout, `"keepVersions": 1`) {
		t.Errorf("update --keep-versions 1: %s", r.stdout)
	}
	r = c.want(c.run("", "secret", "update", "api-key", "--description", "d", "-o", "json"), 0, "update without --keep-versions")
	if !strings.Contains(r.stdout, `"keepVersions": 1`) {
		t.Errorf("an update without --keep-versions changed it: %s", r.stdout)
	}
	c.want(c.run("", "secret", "update", "api-key", "--keep-versions", "-1"), exitUsage, "update --keep-versions -1")
	for _, v := range []string{v1, v2} {
		if strings.Contains(r.stdout+r.stderr, v) {
			t.Error("a command printed a value it should not")
		}
	}
}

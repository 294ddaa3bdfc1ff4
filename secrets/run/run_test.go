package run_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/redact"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/secrets/run"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

const (
	ns        = "team-a"
	tokEditor = "tok-editor"
	value     = "s3cret-value-0123456789"
)

type env struct {
	url    string
	editor *httpapi.Client
	child  string // the stand-in k6
}

var (
	buildOnce sync.Once
	childBin  string
	buildErr  error
)

// buildChild builds testdata/k6child once per test binary.
func buildChild(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "k6child")
		if err != nil {
			buildErr = err
			return
		}
		childBin = filepath.Join(dir, "k6child")
		out, err := exec.Command("go", "build", "-o", childBin, "./testdata/k6child").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("building the stand-in k6: %v", buildErr)
	}
	return childBin
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	u, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	kp, err := keeper.OpenEnvelope(ctx, u, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := docstorage.NewInMemory()
	m, err := secrets.New(secrets.Options{Store: st, Keeper: kp})
	if err != nil {
		t.Fatal(err)
	}
	key, err := runtoken.NewEd25519Key("ed-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: key, MaxTTL: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(httpapi.Options{Manager: m, RunTokenIssuer: iss, AuthFailures: httpapi.AuthFailureLimit{Disabled: true},
		Authenticator: httpapi.StaticTokens(map[string]rbac.Principal{
			tokEditor: {Kind: rbac.KindUser, ID: "alice", Namespace: ns, Roles: []rbac.Role{rbac.RoleEditor}},
		})})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); m.Close(); st.Close(); kp.Close() })
	ed, err := httpapi.NewClient(srv.URL, httpapi.ClientOptions{Token: secrets.NewValue(tokEditor)})
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(value)
	if _, err := ed.Create(ctx, ns, secrets.Spec{Name: "api-key", Decrypters: []string{"k6"}, Value: secrets.NewValue(value)}); err != nil {
		t.Fatal(err)
	}
	return &env{url: srv.URL, editor: ed, child: buildChild(t)}
}

func (e *env) opts(args ...string) (run.Options, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return run.Options{ServerURL: e.url, Token: secrets.NewValue(tokEditor), Namespace: ns, Names: []string{"api-key"},
		TTL: time.Hour, Command: append([]string{e.child}, args...), Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}, &out, &errb
}

// tokenOf reads the run token from the spec the child saved.
func tokenOf(t *testing.T, specFile string) string {
	t.Helper()
	b, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	_, tok, ok := strings.Cut(string(b), "Bearer ")
	tok, _, _ = strings.Cut(tok, ",")
	if !ok || !strings.HasPrefix(tok, runtoken.Prefix) {
		t.Fatalf("the child's K6_SECRET_SOURCE holds no run token")
	}
	leakcheck.Register(tok)
	return tok
}

func (e *env) assertRevoked(t *testing.T, tok string) {
	t.Helper()
	c, err := httpapi.NewClient(e.url, httpapi.ClientOptions{Token: secrets.NewValue(tok)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RevealValue(context.Background(), ns, "api-key"); err == nil {
		t.Fatal("the run token still decrypts after the run")
	}
}

func assertClean(t *testing.T, what string, b *bytes.Buffer) {
	t.Helper()
	s := b.String()
	for _, bad := range []string{value, base64.StdEncoding.EncodeToString([]byte(value))[2:30], runtoken.Prefix} {
		if strings.Contains(s, bad) {
			t.Errorf("%s shows a secret or the token:\n%s", what, s)
		}
	}
}

// TestRunChildGetsValueTerminalSeesMarker: the child fetches the value over
// the url protocol from K6_SECRET_SOURCE, prints it raw, split across writes
// and in base64; our stdout and stderr show only the marker; the token is
// revoked after exit; the exit code passes through.
func TestRunChildGetsValueTerminalSeesMarker(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	side := filepath.Join(dir, "spec")
	for _, code := range []int{0, 3} {
		o, out, errb := e.opts("api-key", string(rune('0'+code)), "print", side)
		res, err := run.Run(context.Background(), o)
		if err != nil {
			t.Fatalf("Run: %v (stderr %s)", err, errb)
		}
		if res.ExitCode != code {
			t.Errorf("exit code %d, want %d; stderr %s", res.ExitCode, code, errb)
		}
		m := "***SECRET_REDACTED***"
		want := "raw: " + m + "\nsplit: " + m + "\n"
		if !strings.HasPrefix(out.String(), want) || !strings.Contains(out.String(), "b64: ") {
			t.Errorf("stdout = %q, want it to start %q", out, want)
		}
		if !strings.Contains(errb.String(), "Authorization: Bearer "+m) || !strings.Contains(errb.String(), "stderr raw: "+m) {
			t.Errorf("stderr = %q", errb)
		}
		assertClean(t, "stdout", out)
		assertClean(t, "stderr", errb)
		e.assertRevoked(t, tokenOf(t, side))
	}
}

// TestRunSignals: SIGINT and SIGTERM sent to the supervisor reach the child
// once; a child killed by signal n gives 128+n; one that traps it keeps its
// own exit code; the token is revoked.
func TestRunSignals(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, mode string
		sig        syscall.Signal
		want       int
		says       string
	}{
		{"SIGTERM kills", "wait", syscall.SIGTERM, 128 + 15, ""},
		{"SIGINT kills", "wait", syscall.SIGINT, 128 + 2, ""},
		{"SIGINT trapped once", "trap", syscall.SIGINT, 4, "got interrupt 1 time(s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			side := filepath.Join(t.TempDir(), "spec")
			o, out, errb := e.opts("api-key", "4", tc.mode, side)
			pr, pw, _ := os.Pipe()
			o.Stdout = pw
			ready := make(chan struct{})
			var got bytes.Buffer
			readDone := make(chan struct{})
			go func() {
				defer close(readDone)
				buf := make([]byte, 4096)
				for {
					n, err := pr.Read(buf)
					got.Write(buf[:n])
					if strings.Contains(got.String(), "ready") {
						select {
						case <-ready:
						default:
							close(ready)
						}
					}
					if err != nil {
						return
					}
				}
			}()
			go func() {
				select {
				case <-ready:
					_ = syscall.Kill(os.Getpid(), tc.sig)
				case <-time.After(20 * time.Second):
				}
			}()
			res, err := run.Run(context.Background(), o)
			pw.Close()
			<-readDone
			if err != nil {
				t.Fatalf("Run: %v (stderr %s)", err, errb)
			}
			if res.ExitCode != tc.want {
				t.Errorf("exit code %d, want %d", res.ExitCode, tc.want)
			}
			if tc.says != "" && !strings.Contains(got.String(), tc.says) {
				t.Errorf("stdout %q, want %q", got.String(), tc.says)
			}
			_ = out
			e.assertRevoked(t, tokenOf(t, side))
		})
	}
}

// TestRunScan: a value the child wrote (in JSON) into a --scan directory
// is reported by file, offset and name, never by value.
func TestRunScan(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	o, _, errb := e.opts("api-key", "0", "print", "", filepath.Join(dir, "summary.json"))
	o.ScanDirs = []string{dir}
	res, err := run.Run(context.Background(), o)
	if err != nil {
		t.Fatalf("Run: %v (stderr %s)", err, errb)
	}
	want := []run.Leak{{File: filepath.Join(dir, "summary.json"), Offset: int64(len(`{"leaked":"`)), Name: "api-key", Variant: redact.Raw, Form: redact.Raw.String()}}
	if diff := cmp.Diff(want, res.Leaks); diff != "" {
		t.Errorf("leaks (-want +got):\n%s", diff)
	}
	for _, l := range res.Leaks {
		leakcheck.Checkf("leak", l)
		leakcheck.Checkf("leak", l.String())
	}
	leaks, err := run.Scan(context.Background(), o, filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, leaks); diff != "" {
		t.Errorf("Scan (-want +got):\n%s", diff)
	}
}

// TestScanAcrossChunks: an occurrence that straddles the scanner's chunk
// boundary is found once.
func TestScanAcrossChunks(t *testing.T) {
	e := newEnv(t)
	f := filepath.Join(t.TempDir(), "big.log")
	pad := bytes.Repeat([]byte("x"), 4<<20-5)
	data := append(append(pad, value...), pad...)
	data = append(data, value...)
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	o, _, _ := e.opts()
	leaks, err := run.Scan(context.Background(), o, f)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, l := range leaks {
		if l.Variant == redact.Raw {
			got = append(got, l.Offset)
		}
	}
	if diff := cmp.Diff([]int64{int64(len(pad)), int64(2*len(pad) + len(value))}, got); diff != "" {
		t.Errorf("offsets (-want +got):\n%s", diff)
	}
}

// TestRunRevokesOnError: when the command cannot start, the token is
// revoked too and the exit code is 127, as a shell's.
func TestRunRevokesOnError(t *testing.T) {
	e := newEnv(t)
	o, _, _ := e.opts()
	rec := &recorder{}
	o.HTTPClient = &http.Client{Transport: rec}
	o.Command = []string{filepath.Join(t.TempDir(), "no-such-program")}
	res, err := run.Run(context.Background(), o)
	if err == nil || res.ExitCode != 127 {
		t.Fatalf("Run = %+v, %v; want exit 127 and an error", res, err)
	}
	leakcheck.CheckError("run", err)
	if diff := cmp.Diff([]string{"POST /v1/namespaces/team-a/runtokens 201", "GET /v1/namespaces/team-a/secrets/api-key/decrypt 200",
		"DELETE /v1/namespaces/team-a/runtokens/" + res.TokenID + " 204"}, rec.calls); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	o.Names = []string{"no-such-secret"}
	if _, err := run.Run(context.Background(), o); !errors.Is(err, secrets.ErrNotFound) && !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Fatalf("Run of a missing secret = %v", err)
	}
}

// recorder records "METHOD path status" of every request.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		r.mu.Lock()
		r.calls = append(r.calls, req.Method+" "+req.URL.Path+" "+strconv.Itoa(res.StatusCode))
		r.mu.Unlock()
	}
	return res, err
}

// TestRunPinnedVersion (issue #18): --names api-key@1 gives the child a
// run token for api-key; the stand-in k6 asks the url protocol for
// {key}=api-key@1 as k6 would (unescaped) and prints version 1's value,
// which the output shows as the marker only: the value Run fetched and
// redacted is that version's, not the current one.
func TestRunPinnedVersion(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s, err := e.editor.Get(ctx, ns, "api-key")
	if err != nil {
		t.Fatal(err)
	}
	s.KeepVersions = 1
	if _, err := e.editor.Update(ctx, ns, s); err != nil {
		t.Fatal(err)
	}
	current := "s3cret-current-9876543210"
	leakcheck.Register(current)
	if _, err := e.editor.Reset(ctx, ns, "api-key", secrets.NewValue(current), 0); err != nil {
		t.Fatal(err)
	}
	side := filepath.Join(t.TempDir(), "spec")
	o, out, errb := e.opts("api-key@1", "0", "print", side)
	o.Names = []string{"api-key@1"}
	res, err := run.Run(ctx, o)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run: %v, exit %d (stderr %s)", err, res.ExitCode, errb)
	}
	m := "***SECRET_REDACTED***"
	if want := "raw: " + m + "\nsplit: " + m + "\n"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("stdout = %q, want it to start %q", out, want)
	}
	assertClean(t, "stdout", out)
	assertClean(t, "stderr", errb)
	if strings.Contains(out.String()+errb.String(), current) {
		t.Error("the output shows the current value: the child did not read version 1")
	}
	tok := tokenOf(t, side)
	// Revoked after the run, as without a pinned version.
	c, err := httpapi.NewClient(e.url, httpapi.ClientOptions{Token: secrets.NewValue(tok)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RevealValue(ctx, ns, "api-key"); err == nil {
		t.Error("the run token still decrypts after the run")
	}
	for _, bad := range [][]string{{"api-key@0"}, {"api-key@"}, {"api-key@01"}} {
		o, _, _ := e.opts("api-key", "0")
		o.Names = bad
		if _, err := run.Run(ctx, o); !errors.Is(err, secrets.ErrInvalid) {
			t.Errorf("Names %q: %v; want ErrInvalid", bad, err)
		}
	}
}

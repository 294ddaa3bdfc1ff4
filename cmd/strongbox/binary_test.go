package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/service"
)

// built is the binary the package's tests share: linking it takes most of
// a binary test's time (20 s on a loaded 2-core machine), so it is built
// once per run, into a directory TestMain removes.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// buildBinary builds cmd/strongbox once per test run and returns its
// path; callers must not change the file.
func buildBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "strongbox-cmdtest-")
		if err != nil {
			built.err = err
			return
		}
		built.dir = dir
		bin := filepath.Join(dir, "strongbox")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		built.bin = bin
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

func removeBinary() {
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	baseURL        string
	done           chan error
}

// childEnv is a minimal environment: no STRONGBOX_* of the test's own.
func childEnv(home string, extra ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}, extra...)
}

// start runs the binary with args and waits until it serves.
func start(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		sc := bufio.NewScanner(strings.NewReader(p.stderr.String()))
		for sc.Scan() {
			var line struct{ Msg, URL string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "strongbox serving" {
				p.baseURL = line.URL
				return p
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("strongbox exited before serving: %v\nstderr:\n%s", err, p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("strongbox did not serve in time; stderr:\n%s", p.stderr.String())
		}
	}
}

// stop sends SIGTERM and requires a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\nstderr:\n%s", err, p.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
}

func do(t *testing.T, method, url, token string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// adminToken is the token printed on a first start.
func adminToken(stderr string) string {
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, apitoken.Prefix) {
			return l
		}
	}
	return ""
}

// snapshot returns every file under dir with its mode and content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, de os.DirEntry, err error) error {
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				out[p] = "error " + err.Error()
			}
			return nil
		}
		fi, _ := de.Info()
		b, _ := os.ReadFile(p)
		out[p] = fmt.Sprintf("%v %x", fi.Mode(), b)
		return nil
	})
	return out
}

// TestBinaryRestartKeepsSecrets is issue #13's "must show": build the
// binary, start it on a fresh data directory, create a secret through the
// API with the bootstrap admin token, restart it, and reveal the same
// value with a run token. The second start prints no token and makes no
// key, and the value is in none of the output.
func TestBinaryRestartKeepsSecrets(t *testing.T) {
	bin := buildBinary(t)
	home := t.TempDir()
	dataDir := filepath.Join(t.TempDir(), "data")
	env := childEnv(home, "STRONGBOX_DATA_DIR="+dataDir)
	args := []string{"serve", "--addr", "127.0.0.1:0", "--audit-log", filepath.Join(home, "audit.jsonl")}

	p := start(t, bin, env, args...)
	admin := adminToken(p.stderr.String())
	if admin == "" {
		t.Fatalf("first start printed no admin token:\n%s", p.stderr.String())
	}
	leakcheck.Register(admin)
	if !strings.Contains(p.stderr.String(), "shown only this once") {
		t.Error("the first start does not say the token is shown once")
	}
	if code, _ := do(t, "GET", p.baseURL+"/healthz", "", nil); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	if code, b := do(t, "GET", p.baseURL+"/readyz", "", nil); code != 200 {
		t.Errorf("/readyz: %d %s", code, b)
	}
	value := leakcheck.NewValue("restart")
	code, b := do(t, "POST", p.baseURL+"/v1/namespaces/default/secrets", admin, map[string]any{
		"name": "api-key", "value": value, "decrypters": []string{"k6-runner"}})
	if code != http.StatusCreated {
		t.Fatalf("create with the admin token: %d %s", code, b)
	}
	if code, _ := do(t, "GET", p.baseURL+"/v1/namespaces/default/secrets", "", nil); code != http.StatusUnauthorized {
		t.Errorf("list without credentials: %d, want 401", code)
	}
	p.stop(t)
	keys := snapshot(t, dataDir)
	for _, name := range []string{"FORMAT", "kek", "runtoken.key"} {
		if _, ok := keys[filepath.Join(dataDir, name)]; !ok {
			t.Errorf("data directory has no %s", name)
		}
	}
	// API tokens live in the store (the SQLite database here), as digests.
	if _, ok := keys[filepath.Join(dataDir, apiTokensFile)]; ok {
		t.Errorf("the API tokens are in %s, not in the store", apiTokensFile)
	}
	if strings.Contains(string(mustRead(t, filepath.Join(dataDir, "strongbox.db"))), admin) {
		t.Error("the admin token itself is stored")
	}

	p2 := start(t, bin, env, args...)
	if tok := adminToken(p2.stderr.String()); tok != "" || strings.Contains(p2.stderr.String(), "shown only") {
		t.Errorf("second start printed a token:\n%s", p2.stderr.String())
	}
	for _, name := range []string{"FORMAT", "kek", "runtoken.key"} {
		f := filepath.Join(dataDir, name)
		if diff := cmp.Diff(keys[f], snapshot(t, dataDir)[f]); diff != "" {
			t.Errorf("second start changed %s", name)
		}
	}
	// A run token from the run-token route, issued by the admin (signed
	// by the store's shared key); and one issued with the data
	// directory's own key through the library, as a program beside the
	// service did before the key moved to the store: a directory that
	// existed at this start still accepts it.
	code, b = do(t, "POST", p2.baseURL+"/v1/namespaces/default/runtokens", admin, map[string]any{
		"names": []string{"api-key"}, "subject": "k6-runner", "ttl": "10m"})
	var issued struct{ Token string }
	if code != http.StatusCreated || json.Unmarshal(b, &issued) != nil || issued.Token == "" {
		t.Fatalf("issue a run token through the API: %d", code)
	}
	leakcheck.Register(issued.Token)
	d, err := service.OpenDataDir(dataDir, service.DataDirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: d.RunTokenKey()})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := iss.Issue(context.Background(), runtoken.Grant{Namespace: "default", Subject: "k6-runner", Names: []string{"api-key"}, TTL: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(tok)
	for _, tok := range []string{issued.Token, tok} {
		code, b = do(t, "GET", p2.baseURL+"/v1/namespaces/default/secrets/api-key/decrypt", tok, nil)
		var got struct{ Value string }
		if code != 200 || json.Unmarshal(b, &got) != nil || got.Value != value {
			t.Fatalf("reveal after restart: %d, the same value: %v", code, got.Value == value)
		}
	}
	// The admin token still works after the restart.
	if code, _ := do(t, "GET", p2.baseURL+"/v1/namespaces/default/secrets/api-key", admin, nil); code != 200 {
		t.Errorf("admin token after restart: %d", code)
	}
	// /metrics shows the requests and reveals above by route and outcome,
	// never a name, namespace, token or value.
	code, metricsText := do(t, "GET", p2.baseURL+"/metrics", "", nil)
	if code != 200 {
		t.Errorf("/metrics: %d", code)
	}
	for _, want := range []string{"http_server_request_duration_seconds_count", `strongbox_outcome="ok"`, "strongbox_keeper_data_key_cache_lookups_total"} {
		if !strings.Contains(string(metricsText), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(string(metricsText), "api-key") || strings.Contains(string(metricsText), admin) {
		t.Error("/metrics shows a secret name or a token")
	}
	leakcheck.Check("/metrics", string(metricsText))
	p2.stop(t)
	audit := string(mustRead(t, filepath.Join(home, "audit.jsonl")))
	for _, want := range []string{`"msg":"strongbox decision"`, `"operation":"Reveal"`, `"msg":"strongbox request"`} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit trail lacks %s", want)
		}
	}
	for where, out := range map[string]string{"stdout 1": p.stdout.String(), "stderr 2": p2.stderr.String(), "stdout 2": p2.stdout.String(), "audit": audit} {
		leakcheck.Check(where, out)
	}
	leakcheck.Check("stderr 1", strings.ReplaceAll(p.stderr.String(), admin, ""))
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBinaryGracefulShutdown: a request in flight when SIGTERM comes
// finishes, and the process then exits 0.
func TestBinaryGracefulShutdown(t *testing.T) {
	bin := buildBinary(t)
	home := t.TempDir()
	p := start(t, bin, childEnv(home, "STRONGBOX_DATA_DIR="+filepath.Join(home, "data")), "serve", "--addr", "127.0.0.1:0", "--shutdown-timeout", "20s")
	admin := adminToken(p.stderr.String())
	leakcheck.Register(admin)
	body := `{"name":"slow","value":"` + leakcheck.NewValue("slow") + `","decrypters":["k6-runner"]}`
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", p.baseURL+"/v1/namespaces/default/secrets", pr)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+admin)
	req.ContentLength = int64(len(body))
	res := make(chan int, 1)
	go func() {
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			res <- -1
			return
		}
		r.Body.Close()
		res <- r.StatusCode
	}()
	io.WriteString(pw, body[:10])
	time.Sleep(300 * time.Millisecond) // the request is in flight
	p.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-p.done:
		t.Fatalf("exited with a request in flight: %v", err)
	default:
	}
	io.WriteString(pw, body[10:])
	pw.Close()
	if code := <-res; code != http.StatusCreated {
		t.Errorf("request in flight at SIGTERM: status %d, want 201", code)
	}
	p.stop(t)
	if !strings.Contains(p.stderr.String(), "strongbox stopped") {
		t.Errorf("no clean stop logged:\n%s", p.stderr.String())
	}
}

// writeCertPair writes a self-signed certificate and, as key, either its
// own key or another one.
func writeCertPair(t *testing.T, dir string, matching bool) (certFile, keyFile string) {
	t.Helper()
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k1.PublicKey, k1)
	if err != nil {
		t.Fatal(err)
	}
	key := k1
	if !matching {
		key = k2
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	leakcheck.Register(base64Body(mustRead(t, keyFile)))
	return certFile, keyFile
}

// base64Body is the base64 text of a PEM file, for leak checks.
func base64Body(pemFile []byte) string {
	lines := strings.Split(strings.TrimSpace(string(pemFile)), "\n")
	return strings.Join(lines[1:len(lines)-1], "")[:40]
}

// TestBinaryBadInput: each bad configuration is a one-line error naming
// what to fix, a non-zero exit, no file changed, and no key or password
// in the output (issue #13 "Bad input and failure").
func TestBinaryBadInput(t *testing.T) {
	bin := buildBinary(t)
	// A data directory made by a first start, reused (copied) by cases.
	made := t.TempDir()
	func() {
		p := start(t, bin, childEnv(made, "STRONGBOX_DATA_DIR="+filepath.Join(made, "data")), "serve", "--addr", "127.0.0.1:0")
		p.stop(t)
	}()
	made = filepath.Join(made, "data")
	kek := strings.TrimSpace(string(mustRead(t, filepath.Join(made, "kek"))))
	leakcheck.Register(kek, strings.TrimPrefix(kek, "base64key://"), strings.Fields(string(mustRead(t, filepath.Join(made, "runtoken.key"))))[2])

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	password := leakcheck.NewValue("pgpass")
	badKey := leakcheck.NewValue("badkey")

	tests := []struct {
		name     string
		existing bool // start on a copy of the made data directory
		setup    func(t *testing.T, dataDir string) []string
		want     string
	}{
		{"wrong KEK scheme", false, func(*testing.T, string) []string {
			return []string{"--kek", "nosuchkms://key/1?token=" + badKey}
		}, "--kek"},
		{"malformed local KEK", false, func(*testing.T, string) []string {
			return []string{"--kek", "base64key://" + badKey}
		}, "--kek"},
		{"missing key file", true, func(t *testing.T, d string) []string {
			os.Remove(filepath.Join(d, "runtoken.key"))
			return nil
		}, "runtoken.key is missing"},
		{"missing local KEK", true, func(t *testing.T, d string) []string {
			os.Remove(filepath.Join(d, "kek"))
			return nil
		}, "kek is missing"},
		{"world-readable key file", true, func(t *testing.T, d string) []string {
			os.Chmod(filepath.Join(d, "kek"), 0o644)
			return nil
		}, "chmod 600"},
		{"unreadable key file", true, func(t *testing.T, d string) []string {
			p := filepath.Join(d, "runtoken.key")
			if os.Geteuid() == 0 { // root reads mode 0000 files; a directory is unreadable as one
				os.Remove(p)
				os.Mkdir(p, 0o700)
			} else {
				os.Chmod(p, 0o000)
			}
			return nil
		}, "runtoken.key"},
		{"newer data directory", true, func(t *testing.T, d string) []string {
			os.WriteFile(filepath.Join(d, "FORMAT"), []byte("strongbox-data 99\n"), 0o600)
			return nil
		}, "newer than this strongbox reads"},
		{"store refuses connections", false, func(*testing.T, string) []string {
			return []string{"--store", "postgres://strongbox:" + password + "@127.0.0.1:1/strongbox?sslmode=disable&connect_timeout=5"}
		}, "cannot connect"},
		{"port in use", false, func(*testing.T, string) []string {
			return []string{"--addr", busy.Addr().String()}
		}, "in use"},
		{"certificate not matching its key", false, func(t *testing.T, _ string) []string {
			c, k := writeCertPair(t, t.TempDir(), false)
			return []string{"--tls-cert", c, "--tls-key", k}
		}, "does not match the certificate"},
		{"missing certificate file", false, func(t *testing.T, _ string) []string {
			return []string{"--tls-cert", filepath.Join(t.TempDir(), "none.pem"), "--tls-key", filepath.Join(t.TempDir(), "none.pem")}
		}, "give a readable PEM file"},
		{"beyond loopback without TLS", false, func(*testing.T, string) []string {
			return []string{"--addr", "0.0.0.0:0"}
		}, "--insecure-listen"},
		{"OIDC issuer unreachable", false, func(*testing.T, string) []string {
			return []string{"--oidc-issuer", "http://127.0.0.1:1/realms/x", "--oidc-audience", "strongbox", "--oidc-role", "admins=admin"}
		}, "--oidc-issuer http://127.0.0.1:1/realms/x"},
		{"OIDC role unknown", false, func(*testing.T, string) []string {
			return []string{"--oidc-issuer", "http://127.0.0.1:1", "--oidc-audience", "strongbox", "--oidc-role", "admins=root"}
		}, "want GROUP=ROLE"},
		{"audit log in a missing directory", false, func(t *testing.T, _ string) []string {
			return []string{"--audit-log", filepath.Join(t.TempDir(), "no", "audit.jsonl")}
		}, "--audit-log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			dataDir := filepath.Join(home, "data")
			if tt.existing {
				copyDir(t, made, dataDir)
			}
			args := append([]string{"serve", "--addr", "127.0.0.1:0"}, tt.setup(t, dataDir)...)
			before := snapshot(t, dataDir)
			cmd := exec.Command(bin, args...)
			cmd.Env = childEnv(home, "STRONGBOX_DATA_DIR="+dataDir)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			done := make(chan error, 1)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("still running: it did not refuse; stderr:\n%s", stderr.String())
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 0 {
				t.Errorf("exit: %v, want a non-zero code", err)
			}
			msg := stderr.String()
			if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "strongbox: ") || !strings.Contains(msg, tt.want) {
				t.Errorf("stderr %q: want one line \"strongbox: ...\" containing %q", msg, tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout: %q", stdout.String())
			}
			leakcheck.Check(tt.name, msg)
			if diff := cmp.Diff(before, snapshot(t, dataDir)); diff != "" {
				t.Errorf("files changed (-before +after):\n%s", diff)
			}
			if !tt.existing {
				if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("a refused first start made the data directory")
				}
			}
		})
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(from)
	for _, e := range entries {
		fi, _ := e.Info()
		if err := os.WriteFile(filepath.Join(to, e.Name()), mustRead(t, filepath.Join(from, e.Name())), fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

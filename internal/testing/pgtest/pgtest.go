package pgtest

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the driver schemas are made with
)

// EnvURL is the variable naming the shared test server.
const EnvURL = "STRONGBOX_TEST_POSTGRES_URL"

// URL returns the shared test server's URL. Without one it skips t, or
// fails it under CI=true.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		msg := EnvURL + " is not set: run scripts/test, or export " + EnvURL + "=$(scripts/start-postgres)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (PostgreSQL tests are required under CI=true)")
		}
		t.Skip(msg)
	}
	return u
}

// Schema creates a fresh schema on the shared test server (see URL) and
// returns the URL whose search_path selects it; the schema is dropped when
// t ends.
func Schema(t testing.TB) string {
	t.Helper()
	return SchemaOn(t, URL(t))
}

// SchemaOn is Schema on the server base names.
func SchemaOn(t testing.TB, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		// The URL holds a password: do not quote it.
		t.Fatal("the PostgreSQL URL is not a URL")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "sbtest_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("CREATE SCHEMA: %v", err)
	}
	t.Cleanup(func() {
		// A test that stopped a private server for good has nothing to drop.
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil && !t.Failed() {
			t.Errorf("DROP SCHEMA: %v", err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Server is a private PostgreSQL server of one test (see Start).
type Server struct {
	// URL is the server's connection URL (database strongbox, user
	// strongbox, with its password).
	URL    string
	dir    string
	bindir string
	script string
}

// Start starts a private PostgreSQL server with scripts/start-postgres
// and stops it, removing its files, when t ends. It skips (fails under
// CI=true) where the shared server is not configured either, since then
// no PostgreSQL is expected on the machine, and fails when the script
// cannot start one.
func Start(t testing.TB) *Server {
	t.Helper()
	URL(t)
	script, err := findScript()
	if err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: as root the cluster belongs to the postgres user, who
	// must reach the directory, and TempDir's parents are root's, mode 0700.
	dir, err := os.MkdirTemp("", "strongbox-pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{dir: dir, script: script}
	t.Cleanup(func() {
		s.pgctl(t, "stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	s.start(t)
	// Debian keeps the server binaries out of PATH, one directory per
	// major version: the newest, as the script chooses; else pg_config's.
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionLess(dirs[j], dirs[i]) })
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	for _, d := range dirs {
		if exists(filepath.Join(d, "pg_ctl")) {
			s.bindir = d
			break
		}
	}
	if s.bindir == "" {
		t.Fatal("pgtest: no pg_ctl found next to the server the script started")
	}
	return s
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// versionLess orders /usr/lib/postgresql/<major>/bin by major version.
func versionLess(a, b string) bool {
	va, vb := filepath.Base(filepath.Dir(a)), filepath.Base(filepath.Dir(b))
	if len(va) != len(vb) {
		return len(va) < len(vb)
	}
	return va < vb
}

// findScript finds scripts/start-postgres in the module root above the
// test's directory.
func findScript() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if exists(filepath.Join(d, "go.mod")) {
			return filepath.Join(d, "scripts", "start-postgres"), nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", os.ErrNotExist
		}
		d = parent
	}
}

// start runs the script, which starts the server (on the port of the last
// start when the cluster exists) and prints its URL.
func (s *Server) start(t testing.TB) {
	t.Helper()
	cmd := exec.Command(s.script)
	cmd.Env = append(os.Environ(), "STRONGBOX_PG_DIR="+s.dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/start-postgres: %v\n%s", err, stderr.String())
	}
	u := strings.TrimSpace(string(out))
	if s.URL != "" && u != s.URL {
		t.Fatalf("pgtest: the restarted server has another URL (port taken?)")
	}
	s.URL = u
}

// pgctl runs pg_ctl on the cluster, as its owner.
func (s *Server) pgctl(t testing.TB, args ...string) error {
	t.Helper()
	if s.bindir == "" {
		return nil
	}
	argv := append([]string{filepath.Join(s.bindir, "pg_ctl"), "-D", filepath.Join(s.dir, "data"), "-w", "-t", "60"}, args...)
	if os.Geteuid() == 0 {
		argv = append([]string{"runuser", "-u", "postgres", "--"}, argv...)
	}
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return &pgctlError{args: strings.Join(args, " "), out: string(out), err: err}
	}
	return nil
}

type pgctlError struct {
	args, out string
	err       error
}

func (e *pgctlError) Error() string { return "pg_ctl " + e.args + ": " + e.err.Error() + "\n" + e.out }

// Schema is SchemaOn the server.
func (s *Server) Schema(t testing.TB) string {
	t.Helper()
	return SchemaOn(t, s.URL)
}

// Stop stops the server with a fast shutdown (open connections are cut,
// committed transactions are kept).
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if err := s.pgctl(t, "stop", "-m", "fast"); err != nil {
		t.Fatal(err)
	}
}

// Start starts a stopped server again, on the same port and with the same
// URL.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	s.start(t)
}

// Restart stops the server (fast) and starts it again, and returns how
// long it was down.
func (s *Server) Restart(t testing.TB) time.Duration {
	t.Helper()
	begin := time.Now()
	s.Stop(t)
	s.Start(t)
	return time.Since(begin)
}

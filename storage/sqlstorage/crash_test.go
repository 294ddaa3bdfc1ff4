package sqlstorage_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage"
)

// The crash test runs this test binary again as a child (TestCrashChild,
// selected by environment variables), which creates and resets secrets in
// a loop through a secrets.Manager and writes each operation to a side log
// before ("try") and after ("ack") the call. The parent kills the child
// with SIGKILL at a random moment, restarts it, and after every kill checks
// that every acknowledged write is readable and decrypts, and that no
// metadata points at a missing ciphertext.

const (
	crashNS    = "crash"
	envChild   = "STRONGBOX_CRASH_CHILD"
	envURL     = "STRONGBOX_CRASH_URL"
	envCTURL   = "STRONGBOX_CRASH_CIPHERTEXT_URL" // set: a split store
	envKEK     = "STRONGBOX_CRASH_KEK"
	envLog     = "STRONGBOX_CRASH_LOG"
	envGen     = "STRONGBOX_CRASH_GEN"
	crashKills = 20
)

var (
	crashEditor = rbac.Principal{Kind: rbac.KindUser, ID: "crash-editor", Namespace: crashNS, Roles: []rbac.Role{rbac.RoleEditor}}
	crashRunner = rbac.Principal{Kind: rbac.KindService, ID: "crash-runner", Namespace: crashNS, Roles: []rbac.Role{rbac.RoleDecrypter}}
)

// crashManager opens the store of storeURL, or with ctURL not empty the
// split store with metadata there and ciphertexts in ctURL.
func crashManager(t testing.TB, ctx context.Context, storeURL, ctURL, kekURL string) (*secrets.Manager, *storage.Store) {
	t.Helper()
	var st *storage.Store
	var err error
	if ctURL == "" {
		st, err = storage.OpenStore(ctx, storeURL)
	} else {
		st, err = storage.OpenSplitStore(ctx, storeURL, ctURL)
	}
	if err != nil {
		t.Fatalf("open the store: %v", err)
	}
	k, err := keeper.OpenEnvelope(ctx, kekURL, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatalf("OpenEnvelope: %v", err)
	}
	m, err := secrets.New(secrets.Options{Store: st, Keeper: k, DefaultDecrypters: []string{crashRunner.ID}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); k.Close(); st.Close() })
	return m, st
}

// TestCrashChild is the child process of the crash tests; it does nothing
// in a normal run.
func TestCrashChild(t *testing.T) {
	if os.Getenv(envChild) != "1" {
		t.Skip("helper process of TestCrash*, run only by them")
	}
	ctx := rbac.WithPrincipal(context.Background(), crashEditor)
	m, _ := crashManager(t, ctx, os.Getenv(envURL), os.Getenv(envCTURL), os.Getenv(envKEK))
	logf, err := os.OpenFile(os.Getenv(envLog), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	gen := os.Getenv(envGen)
	// write goes straight to the kernel (no buffering), so a line written
	// before SIGKILL survives it.
	write := func(format string, args ...any) {
		if _, err := fmt.Fprintf(logf, format+"\n", args...); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for i := 0; ; i++ {
		if len(names) > 0 && i%3 == 2 {
			name := names[rand.IntN(len(names))]
			value := fmt.Sprintf("reset-%s-%d-%d", gen, i, rand.Int64())
			write("try %s %s", name, value)
			if _, err := m.Reset(ctx, crashNS, name, secrets.NewValue(value), 0); err != nil {
				t.Fatalf("Reset: %v", err)
			}
			write("ack %s %s", name, value)
			continue
		}
		name := fmt.Sprintf("g%s-%d", gen, i)
		value := fmt.Sprintf("create-%s-%d-%d", gen, i, rand.Int64())
		write("try %s %s", name, value)
		if _, err := m.Create(ctx, crashNS, secrets.Spec{Name: name, Value: secrets.NewValue(value)}); err != nil {
			t.Fatalf("Create: %v", err)
		}
		write("ack %s %s", name, value)
		names = append(names, name)
	}
}

// crashState is what the side log says about one secret.
type crashState struct {
	acked   string   // last acknowledged value
	pending []string // values tried after it, not acknowledged
	created bool     // a create was acknowledged
}

func readCrashLog(t *testing.T, path string) (map[string]*crashState, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return map[string]*crashState{}, 0
		}
		t.Fatal(err)
	}
	defer f.Close()
	states := map[string]*crashState{}
	acks := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 {
			continue // a line cut by the kill
		}
		st := states[fields[1]]
		if st == nil {
			st = &crashState{}
			states[fields[1]] = st
		}
		switch fields[0] {
		case "try":
			st.pending = append(st.pending, fields[2])
		case "ack":
			acks++
			st.acked, st.pending, st.created = fields[2], nil, true
		}
	}
	return states, acks
}

func runCrashTest(t *testing.T, storeURL, ctURL string) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	kek, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "side.log")
	// Open once so the child never races the parent over a new schema.
	mustOpen(t, storeURL).Close()
	if ctURL != "" {
		mustOpen(t, ctURL).Close()
	}

	for kill := range crashKills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), envChild+"=1", envURL+"="+storeURL, envCTURL+"="+ctURL, envKEK+"="+kek,
			envLog+"="+logPath, envGen+"="+fmt.Sprint(kill))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Let the child get going (at least one new acknowledged write),
		// then kill it at a random moment.
		_, before := readCrashLog(t, logPath)
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, acks := readCrashLog(t, logPath)
			if acks > before {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("child made no progress in 30s; stderr:\n%s", stderr.String())
			}
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(time.Duration(rand.IntN(40_000)) * time.Microsecond)
		if err := cmd.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		err := cmd.Wait()
		if st := cmd.ProcessState; st == nil || st.Exited() {
			t.Fatalf("child was not killed but exited (%v); stderr:\n%s", err, stderr.String())
		}
		verifyAfterCrash(t, storeURL, ctURL, kek, logPath, kill)
		if t.Failed() {
			return
		}
	}
	states, acks := readCrashLog(t, logPath)
	t.Logf("%d kills, %d acknowledged writes over %d secrets", crashKills, acks, len(states))
}

func verifyAfterCrash(t *testing.T, storeURL, ctURL, kek, logPath string, kill int) {
	t.Helper()
	ctx := context.Background()
	m, st := crashManager(t, ctx, storeURL, ctURL, kek)
	states, _ := readCrashLog(t, logPath)

	// Every acknowledged write is readable and decrypts to the acknowledged
	// value, or to a later one whose call was cut by the kill.
	reader := rbac.WithPrincipal(ctx, crashRunner)
	for name, s := range states {
		if !s.created {
			// A create cut by the kill: it may or may not have happened.
			continue
		}
		v, err := m.RevealValue(reader, crashNS, name)
		if err != nil {
			t.Errorf("after kill %d: Reveal(%s): %v", kill, name, err)
			continue
		}
		got := v.DangerouslyExpose()
		if got != s.acked && !containsString(s.pending, got) {
			t.Errorf("after kill %d: %s decrypts to a value that was never written for it", kill, name)
		}
	}

	// No metadata points at a missing ciphertext.
	token := ""
	for {
		page, next, err := st.ListMetadata(ctx, crashNS, storage.ListOptions{PageSize: storage.MaxPageSize, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, md := range page {
			if md.Revoked || md.ValueID == "" {
				continue
			}
			if _, err := st.GetCiphertext(ctx, crashNS, md.Name, md.ValueID); err != nil {
				t.Errorf("after kill %d: metadata of %s points at ciphertext %s: %v", kill, md.Name, md.ValueID, err)
			}
		}
		if next == "" {
			break
		}
		token = next
	}
}

func containsString(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func TestCrashSQLite(t *testing.T) {
	t.Parallel()
	runCrashTest(t, sqliteURL(t), "")
}

func TestCrashPostgres(t *testing.T) {
	t.Parallel()
	runCrashTest(t, postgresSchema(t), "")
}

// TestCrashSplitSQLite kills a child writing to a composite store:
// metadata and ciphertexts in two SQLite files, so every write is the
// sequenced path across two databases, each durable on its own.
func TestCrashSplitSQLite(t *testing.T) {
	t.Parallel()
	runCrashTest(t, sqliteURL(t), sqliteURL(t))
}

// TestCrashSplitPostgresSQLite keeps the metadata in PostgreSQL and the
// ciphertexts in a SQLite file.
func TestCrashSplitPostgresSQLite(t *testing.T) {
	t.Parallel()
	runCrashTest(t, postgresSchema(t), sqliteURL(t))
}

package sqlstorage_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
)

const (
	envRaceChild = "STRONGBOX_RACE_CHILD"
	envRaceURL   = "STRONGBOX_RACE_URL"
	envRaceRev   = "STRONGBOX_RACE_REVISION"
	envRaceDir   = "STRONGBOX_RACE_DIR"
)

// TestRaceChild is one writer of TestTwoProcesses*; it does nothing in a
// normal run. It opens the store, signals it is ready, waits for the go
// signal, updates the secret with the given revision and exits 0 if it
// won, 3 on a conflict, 1 on anything else.
func TestRaceChild(t *testing.T) {
	id := os.Getenv(envRaceChild)
	if id == "" {
		t.Skip("helper process of TestTwoProcesses*, run only by them")
	}
	ctx := context.Background()
	s, err := storage.OpenStore(ctx, os.Getenv(envRaceURL))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	rev, _ := strconv.ParseInt(os.Getenv(envRaceRev), 10, 64)
	dir := os.Getenv(envRaceDir)
	if err := os.WriteFile(filepath.Join(dir, "ready-"+id), nil, 0o600); err != nil {
		os.Exit(1)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go")); err == nil {
			break
		}
		time.Sleep(100 * time.Microsecond)
	}
	_, err = s.UpdateMetadata(ctx, &storage.Metadata{Namespace: "ns", Name: "contended", Revision: rev, Description: "writer " + id})
	s.Close()
	switch {
	case err == nil:
		os.Exit(0)
	case errors.Is(err, errcode.Conflict):
		os.Exit(3)
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func runTwoProcesses(t *testing.T, u string) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	ctx := context.Background()
	s := mustOpen(t, u)
	defer s.Close()
	if _, err := s.CreateMetadata(ctx, &storage.Metadata{Namespace: "ns", Name: "contended"}); err != nil {
		t.Fatal(err)
	}
	for rev := int64(1); rev <= 5; rev++ {
		dir := t.TempDir()
		cmds := make([]*exec.Cmd, 2)
		stderr := make([]strings.Builder, 2)
		for i := range cmds {
			cmds[i] = exec.Command(os.Args[0], "-test.run=^TestRaceChild$", "-test.count=1")
			cmds[i].Env = append(os.Environ(), envRaceChild+"="+strconv.Itoa(i), envRaceURL+"="+u,
				envRaceRev+"="+strconv.FormatInt(rev, 10), envRaceDir+"="+dir)
			cmds[i].Stderr = &stderr[i]
			if err := cmds[i].Start(); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(30 * time.Second)
		for i := 0; i < 2; {
			if _, err := os.Stat(filepath.Join(dir, "ready-"+strconv.Itoa(i))); err == nil {
				i++
				continue
			}
			if time.Now().After(deadline) {
				t.Fatal("writers did not get ready")
			}
			time.Sleep(time.Millisecond)
		}
		if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		codes := make([]int, 2)
		for i, c := range cmds {
			_ = c.Wait()
			codes[i] = c.ProcessState.ExitCode()
			if codes[i] == 1 {
				t.Errorf("writer %d failed: %s", i, stderr[i].String())
			}
		}
		if !(codes[0] == 0 && codes[1] == 3) && !(codes[0] == 3 && codes[1] == 0) {
			t.Fatalf("revision %d: exit codes %v, want one winner (0) and one conflict (3)", rev, codes)
		}
		m, err := s.GetMetadata(ctx, "ns", "contended")
		winner := 0
		if codes[1] == 0 {
			winner = 1
		}
		if err != nil || m.Revision != rev+1 || m.Description != fmt.Sprint("writer ", winner) {
			t.Fatalf("after revision %d: %+v, %v; want revision %d by writer %d", rev, m, err, rev+1, winner)
		}
	}
}

func TestTwoProcessesSQLite(t *testing.T) {
	t.Parallel()
	runTwoProcesses(t, sqliteURL(t))
}

func TestTwoProcessesPostgres(t *testing.T) {
	t.Parallel()
	runTwoProcesses(t, postgresSchema(t))
}

package service_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/service"
	"github.com/strongbox-go/strongbox/storage"
	_ "github.com/strongbox-go/strongbox/storage/docstorage"
)

// snapshot returns every file under dir with its mode and content, to
// show that a refused open changed nothing.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, de os.DirEntry, err error) error {
		if err != nil {
			out[p] = "error"
			return nil
		}
		fi, _ := de.Info()
		b, _ := os.ReadFile(p)
		out[p] = fmt.Sprintf("%v %x", fi.Mode(), b)
		return nil
	})
	return out
}

func openSaved(t *testing.T, dir string, opts service.DataDirOptions) *service.DataDir {
	t.Helper()
	d, err := service.OpenDataDir(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDataDirFreshThenReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	d, err := service.OpenDataDir(dir, service.DataDirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Fresh() {
		t.Error("a new directory is not Fresh")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("OpenDataDir wrote before Save: %v", err)
	}
	if err := d.Save(); err != nil {
		t.Fatal(err)
	}
	var names []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		names = append(names, e.Name())
		if runtime.GOOS != "windows" {
			fi, _ := e.Info()
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600", e.Name(), fi.Mode().Perm())
			}
		}
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"FORMAT", "kek", "runtoken.key", "strongbox.db"}, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if fi, _ := os.Stat(dir); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
	}
	kek1, _ := d.LocalKEK()
	leakcheck.Register(kek1.URL, strings.TrimPrefix(kek1.URL, "base64key://"))
	leakcheck.Checkf("DataDir", d)
	leakcheck.Checkf("DataDir value", *d)

	before := snapshot(t, dir)
	d2, err := service.OpenDataDir(dir, service.DataDirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d2.Save(); err != nil {
		t.Fatal(err)
	}
	if d2.Fresh() {
		t.Error("an existing directory is Fresh")
	}
	if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
		t.Errorf("reopening changed files (-before +after):\n%s", diff)
	}
	kek2, ok := d2.LocalKEK()
	if !ok || kek2.URL != kek1.URL {
		t.Error("reopening gave another local KEK")
	}
	// The same keys: a value and a token made under the first open work
	// under the second.
	ctx := context.Background()
	e1, _ := keeper.OpenEnvelope(ctx, kek1.URL, keeper.EnvelopeOptions{})
	e2, _ := keeper.OpenEnvelope(ctx, kek2.URL, keeper.EnvelopeOptions{})
	defer e1.Close()
	defer e2.Close()
	ct, err := e1.Encrypt(ctx, []byte("v"), []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := e2.Decrypt(ctx, ct, []byte("ad")); err != nil || string(pt) != "v" {
		t.Errorf("reopened KEK does not decrypt: %v", err)
	}
	iss, _ := runtoken.NewIssuer(runtoken.IssuerOptions{Key: d.RunTokenKey()})
	tok, _, err := iss.Issue(ctx, runtoken.Grant{Namespace: "ns", Subject: "k6", AllNames: true})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := runtoken.NewVerifier(runtoken.VerifierOptions{Keys: []*runtoken.Key{d2.RunTokenKey().Public()}})
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Errorf("reopened run-token key does not verify: %v", err)
	}
	if !strings.HasPrefix(d.StoreURL(), "sqlite://") || !strings.HasSuffix(d.StoreURL(), "/strongbox.db") {
		t.Errorf("StoreURL = %q", d.StoreURL())
	}
}

func TestDataDirNoLocalKEK(t *testing.T) {
	dir := t.TempDir()
	d := openSaved(t, dir, service.DataDirOptions{NoLocalKEK: true})
	if _, ok := d.LocalKEK(); ok {
		t.Error("NoLocalKEK made a local KEK")
	}
	if _, err := os.Stat(filepath.Join(dir, "kek")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("NoLocalKEK wrote a kek file: %v", err)
	}
	// Later without NoLocalKEK: refused, not a new key.
	_, err := service.OpenDataDir(dir, service.DataDirOptions{})
	if err == nil || !strings.Contains(err.Error(), "--kek") {
		t.Errorf("want a refusal naming --kek, got %v", err)
	}
}

// TestDataDirRefusals: each bad directory is refused with a one-line
// error naming what to fix, and left unchanged.
func TestDataDirRefusals(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("modes")
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"newer version", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "FORMAT"), []byte("strongbox-data 2\n"), 0o600)
		}, "newer than this strongbox reads"},
		{"garbled format", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "FORMAT"), []byte("hello"), 0o600)
		}, "not a strongbox format file"},
		{"kek world-readable", func(t *testing.T, dir string) {
			os.Chmod(filepath.Join(dir, "kek"), 0o644)
		}, "chmod 600"},
		{"run-token key group-readable", func(t *testing.T, dir string) {
			os.Chmod(filepath.Join(dir, "runtoken.key"), 0o640)
		}, "chmod 600"},
		{"kek missing", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "kek"))
		}, "is missing"},
		{"run-token key missing", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "runtoken.key"))
		}, "is missing"},
		{"kek unreadable", func(t *testing.T, dir string) {
			if os.Geteuid() == 0 {
				// root reads mode 0000; a directory in its place is unreadable as a file.
				p := filepath.Join(dir, "kek")
				os.Remove(p)
				os.Mkdir(p, 0o700)
				return
			}
			os.Chmod(filepath.Join(dir, "kek"), 0o000)
		}, "kek"},
		{"kek garbled", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "kek"), []byte("base64key://short\n"), 0o600)
		}, "not a base64key:// URL"},
		{"run-token key garbled", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "runtoken.key"), []byte("hmac x y\n"), 0o600)
		}, "not a strongbox run-token key"},
		{"not a strongbox directory", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "FORMAT"))
		}, "no FORMAT file"},
		{"symlinked key", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "kek")
			b, _ := os.ReadFile(p)
			other := filepath.Join(t.TempDir(), "kek")
			os.WriteFile(other, b, 0o600)
			os.Remove(p)
			os.Symlink(other, p)
		}, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			d := openSaved(t, dir, service.DataDirOptions{})
			k, _ := d.LocalKEK()
			leakcheck.Register(k.URL, strings.TrimPrefix(k.URL, "base64key://"))
			tt.setup(t, dir)
			before := snapshot(t, dir)
			_, err := service.OpenDataDir(dir, service.DataDirOptions{})
			if err == nil {
				t.Fatal("opened")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line containing %q", msg, tt.want)
			}
			leakcheck.CheckError(tt.name, err)
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("refused open changed files (-before +after):\n%s", diff)
			}
		})
	}
}

func TestDataDirSaveDoesNotOverwrite(t *testing.T) {
	dir := t.TempDir()
	d, err := service.OpenDataDir(dir, service.DataDirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Another process made the directory meanwhile.
	openSaved(t, dir, service.DataDirOptions{})
	before := snapshot(t, dir)
	if err := d.Save(); err == nil {
		t.Error("Save overwrote a directory made meanwhile")
	}
	if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
		t.Errorf("Save changed files (-before +after):\n%s", diff)
	}
}

func TestDefaultDataDir(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/x/data")
	if got, _ := service.DefaultDataDir(); got != filepath.Join("/x/data", "strongbox") {
		t.Errorf("with XDG_DATA_HOME: %q", got)
	}
	t.Setenv("XDG_DATA_HOME", "relative")
	t.Setenv("HOME", "/home/u")
	if got, _ := service.DefaultDataDir(); got != filepath.Join("/home/u", ".local", "share", "strongbox") {
		t.Errorf("relative XDG_DATA_HOME: %q", got)
	}
}

type failingStore struct{}

func (failingStore) GetMetadata(context.Context, string, string) (*storage.Metadata, error) {
	return nil, fmt.Errorf("dial tcp: %w", errcode.Unavailable)
}

func TestReadiness(t *testing.T) {
	ctx := context.Background()
	st, err := storage.OpenStore(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, _ := keeper.NewThrowawayKEKURL()
	r := &service.Readiness{Store: st, KEKs: []keeper.KEK{{URL: u}}}
	if err := r.Check(ctx); err != nil {
		t.Errorf("ready store and local KEK: %v", err)
	}
	r = &service.Readiness{Store: failingStore{}}
	err = r.Check(ctx)
	if err == nil || err.Error() != "unavailable: store: unavailable" {
		t.Errorf("down store: %v", err)
	}
	r = &service.Readiness{KEKs: []keeper.KEK{{ID: "cloud", URL: "nosuchscheme://key?token=" + leakcheck.NewValue("tok")}}}
	err = r.Check(ctx)
	if err == nil || !strings.Contains(err.Error(), "key-encryption key cloud") {
		t.Errorf("unreachable KEK: %v", err)
	}
	leakcheck.CheckError("readiness", err)
}

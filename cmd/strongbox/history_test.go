package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestServeKeepVersions: --keep-versions defaults to 3, says why in
// --help, takes STRONGBOX_KEEP_VERSIONS, and is refused out of 0..100
// before anything is written.
func TestServeKeepVersions(t *testing.T) {
	var out bytes.Buffer
	root := newRootCmd(&out, &out, func(string) string { return "" })
	root.SetArgs([]string{"serve", "--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	help := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{"--keep-versions int", "(default 3)", "Why 3:", "secret rollback"} {
		if !strings.Contains(help, want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
	cmd := newServeCmd(nil, nil, nil)
	if err := applyEnv(cmd.Flags(), func(k string) string { return map[string]string{"STRONGBOX_KEEP_VERSIONS": "7"}[k] }); err != nil {
		t.Fatal(err)
	}
	if n, _ := cmd.Flags().GetInt("keep-versions"); n != 7 {
		t.Errorf("STRONGBOX_KEEP_VERSIONS=7 gave --keep-versions %d", n)
	}
	for _, n := range []int{-1, 101} {
		dir := t.TempDir()
		err := serve(context.Background(), serveConfig{addr: "127.0.0.1:0", dataDir: dir, shutdownTimeout: time.Second, auditLog: "-", keepVersions: n}, &out, &out)
		if err == nil || !strings.Contains(err.Error(), "--keep-versions") {
			t.Errorf("--keep-versions %d: %v; want it refused", n, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("--keep-versions %d refused after writing %d files", n, len(entries))
		}
	}
}

package service_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/service"
)

// FuzzOpenDataDir: whatever FORMAT, kek and runtoken.key hold, OpenDataDir
// does not panic, changes no file, and a refusal is one line that never
// quotes the files' contents.
func FuzzOpenDataDir(f *testing.F) {
	f.Add("strongbox-data 1\n", "base64key://AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", "ed25519 rt-1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n")
	f.Add("strongbox-data 2\n", "x", "ed25519 a b c\n")
	f.Add("strongbox-data 01", "base64key://", "hmac k1 AAAA")
	f.Fuzz(func(t *testing.T, format, kek, rtk string) {
		dir := t.TempDir()
		files := map[string]string{"FORMAT": format, "kek": kek, "runtoken.key": rtk}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		d, err := service.OpenDataDir(dir, service.DataDirOptions{})
		if err == nil {
			if d.Fresh() || d.RunTokenKey() == nil {
				t.Fatal("an existing directory opened as fresh or without a key")
			}
			if err := d.Save(); err != nil {
				t.Fatal(err)
			}
		} else {
			msg := err.Error()
			// The messages' own words, and the directory's path, are no leak.
			bare := strings.NewReplacer(dir, "", "base64key://", "").Replace(msg)
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, c := range []string{kek, rtk} {
				if len(c) >= 8 && strings.Contains(bare, strings.TrimSpace(c)) {
					t.Errorf("error quotes a key file: %q", msg)
				}
			}
		}
		for name, content := range files {
			if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != content {
				t.Errorf("%s changed", name)
			}
		}
	})
}

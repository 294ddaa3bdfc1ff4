package run

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/redact"
)

// FuzzScanFile: scanning a file in overlapping chunks finds exactly what
// one Scan of the whole file finds, wherever the chunk boundaries fall.
func FuzzScanFile(f *testing.F) {
	f.Add([]byte("xx hunter2-secret yy"), uint8(1), "hunter2-secret")
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), uint8(3), "aaaa")
	f.Add([]byte(`{"k":"p\"q\u0001-secret"}`), uint8(2), "p\"q\x01-secret")
	old := scanChunk
	defer func() { scanChunk = old }()
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8, secret string) {
		red := redact.New(redact.Options{})
		if red.Add(secret) != nil {
			return
		}
		scanChunk = 1 + int(chunk)
		s := &session{red: red, names: map[int]string{0: "s"}, maxLen: len(secret)}
		p := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := s.scanFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var want []Leak
		for _, l := range red.Scan(data) {
			want = append(want, Leak{File: p, Offset: int64(l.Offset), Name: "s", Variant: l.Variant, Form: l.Variant.String()})
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("chunked scan (-want +got):\n%s", diff)
		}
	})
}

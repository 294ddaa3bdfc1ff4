package source

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/secrets"
)

// fakeFile is an fs.File whose Stat reports size and mode and whose Read
// serves content, then endless 'a' bytes if endless; it counts the bytes
// read.
type fakeFile struct {
	size    int64
	mode    fs.FileMode
	content string
	endless bool
	read    int64
}

func (f *fakeFile) Stat() (fs.FileInfo, error) { return fakeInfo{f}, nil }
func (f *fakeFile) Close() error               { return nil }
func (f *fakeFile) Read(p []byte) (int, error) {
	if f.read < int64(len(f.content)) {
		n := copy(p, f.content[f.read:])
		f.read += int64(n)
		return n, nil
	}
	if !f.endless {
		return 0, io.EOF
	}
	for i := range p {
		p[i] = 'a'
	}
	f.read += int64(len(p))
	return len(p), nil
}

type fakeInfo struct{ f *fakeFile }

func (i fakeInfo) Name() string       { return "fake" }
func (i fakeInfo) Size() int64        { return i.f.size }
func (i fakeInfo) Mode() fs.FileMode  { return i.f.mode }
func (i fakeInfo) ModTime() time.Time { return time.Time{} }
func (i fakeInfo) IsDir() bool        { return i.f.mode.IsDir() }
func (i fakeInfo) Sys() any           { return nil }

// TestFileSourceChecksSizeBeforeReading: a secrets file over the limit is
// refused from its size, not after reading it whole (issue #11 item 14).
func TestFileSourceChecksSizeBeforeReading(t *testing.T) {
	ctx := context.Background()
	t.Run("sparse 200 MiB file", func(t *testing.T) {
		name := filepath.Join(t.TempDir(), "huge.secret")
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(200 << 20); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err = NewResolver(ctx, Options{Env: envMap(nil), Specs: []string{"file=" + name}})
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), "the limit is") {
			t.Fatalf("error = %v, want one about the size limit", err)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
			t.Errorf("refusing the file allocated %d bytes: it was read", got)
		}
	})
	for _, tt := range []struct {
		name     string
		file     *fakeFile
		wantErr  string
		wantRead int64 // at most
	}{
		{"size from Stat over the limit", &fakeFile{size: 200 << 20, mode: 0o600, endless: true},
			"file has 209715200 bytes; the limit is 24576000", 0},
		{"file growing after Stat", &fakeFile{size: 10, mode: 0o600, endless: true},
			"file has more than 24576000 bytes", maxFileBytes + 1},
		{"FIFO", &fakeFile{mode: fs.ModeNamedPipe | 0o600, endless: true},
			"file has more than 24576000 bytes", maxFileBytes + 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			open := func(string) (fs.File, error) { return tt.file, nil }
			_, err := NewResolver(ctx, Options{Env: envMap(nil), Specs: []string{"file=f.secret"}, Open: open})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, secrets.ErrInvalid) {
				t.Fatalf("error = %v, want %q matching secrets.ErrInvalid", err, tt.wantErr)
			}
			if tt.file.read > tt.wantRead {
				t.Errorf("read %d bytes, want at most %d", tt.file.read, tt.wantRead)
			}
		})
	}
}

// records is a slog.Handler that keeps the records it is given.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *records) Enabled(context.Context, slog.Level) bool { return true }
func (h *records) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r)
	return nil
}
func (h *records) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *records) WithGroup(string) slog.Handler      { return h }

// text renders the records as slog's text handler would.
func (h *records) text() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.recs {
		var b bytes.Buffer
		r.Time = time.Time{}
		_ = slog.NewTextHandler(&b, nil).Handle(context.Background(), r)
		out = append(out, strings.TrimSpace(b.String()))
	}
	return out
}

// TestFileSourceWarnsWorldReadable: a secrets file (or a url config file)
// that the group or others may read is accepted with a warning through
// Options.Logger; the mode checked is that of a symbolic link's target, as
// in a Kubernetes secret volume (issue #11 item 14).
func TestFileSourceWarnsWorldReadable(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows file modes carry no group or other bits")
	}
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name string, mode fs.FileMode, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := func(name, target string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const secret = "cool=s3cretx\n"
	open0644 := write("open.secret", 0o644, secret)
	group0640 := write("group.secret", 0o640, secret)
	private := write("private.secret", 0o600, secret)
	config := write("config.json", 0o604, `{"urlTemplate":"https://h/{key}","headers":{"Authorization":"Bearer s3crety"}}`)
	tests := []struct {
		name string
		spec string
		want []string
	}{
		{"world-readable", "file=" + open0644, []string{`level=WARN msg="secrets file is readable or writable by group or others" file=` + open0644 + ` mode=-rw-r--r--`}},
		{"group-readable", "file=" + group0640, []string{`level=WARN msg="secrets file is readable or writable by group or others" file=` + group0640 + ` mode=-rw-r-----`}},
		{"private", "file=" + private, nil},
		{"link to a world-readable file", "file=" + link("link-open", open0644), []string{`level=WARN msg="secrets file is readable or writable by group or others" file=` + filepath.Join(dir, "link-open") + ` mode=-rw-r--r--`}},
		{"link to a private file", "file=" + link("link-private", private), nil},
		{"url config file", "url=config=" + config, []string{`level=WARN msg="secrets file is readable or writable by group or others" file=` + config + ` mode=-rw----r--`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h records
			r, err := NewResolver(ctx, Options{Env: envMap(nil), Specs: []string{tt.spec}, Logger: slog.New(&h)})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got := h.text()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			for _, line := range got {
				if strings.Contains(line, "s3cret") {
					t.Errorf("warning %q shows a value", line)
				}
			}
		})
	}
}

package source

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/secrets"
)

// exposeAll turns parsed values into plain strings for comparison.
func exposeAll(m map[string]secrets.Value) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v.DangerouslyExpose()
	}
	return out
}

// mustNotContain fails if err's text contains any of values.
// checkParsed checks what a parser of key=value text returned: an error
// holding wantErr, or exactly want; never a test value in the error.
func checkParsed(t *testing.T, parser string, got map[string]secrets.Value, err error, want map[string]string, wantErr string) {
	t.Helper()
	mustNotContain(t, err, "s3cretx", "s3crety")
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("error = %v, want %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, exposeAll(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", parser, diff)
	}
}

func mustNotContain(t *testing.T, err error, values ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, v := range values {
		if v != "" && strings.Contains(err.Error(), v) {
			t.Fatalf("error %q contains the value %q", err, v)
		}
	}
}

func TestParseMock(t *testing.T) {
	tests := []struct {
		config  string
		want    map[string]string
		wantErr string
	}{
		{config: "", wantErr: "no key=value pairs"}, // k6 refuses "mock" and "mock=" too
		{config: "cool=something,else=source", want: map[string]string{"cool": "something", "else": "source"}},
		{config: "a=b=c,db.password=x y", want: map[string]string{"a": "b=c", "db.password": "x y"}},
		{config: "a=b,s3cretx", wantErr: "config item 2 needs key=value"},
		{config: "a=b,,c=d", wantErr: "config item 2 needs key=value"},
		{config: "=s3cretx", wantErr: "config item 1: secret name is empty"},
		{config: "a=s3cretx,a=s3crety", wantErr: `config item 2 ("a"): key given twice`},
		{config: "a=", wantErr: `config item 1 ("a"): value is empty`},
		{config: "a=\xffs3cretx", wantErr: `config item 1 ("a"): value is not valid UTF-8`},
	}
	for _, tt := range tests {
		t.Run(tt.config, func(t *testing.T) {
			got, err := parseMock(tt.config)
			checkParsed(t, "parseMock", got, err, tt.want, tt.wantErr)
		})
	}
}

func TestMockSource(t *testing.T) {
	ctx := context.Background()
	r, err := NewResolver(ctx, Options{Env: envMap(nil), Specs: []string{"mock=cool=something,else=source"}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := r.Get(ctx, "cool")
	if err != nil || v.DangerouslyExpose() != "something" {
		t.Fatalf("Get(cool) = %v, %v", v.DangerouslyExpose(), err)
	}
	_, err = r.Get(ctx, "missing")
	if !errors.Is(err, secrets.ErrNotFound) || !strings.Contains(err.Error(), `source "mock"`) || !strings.Contains(err.Error(), `"missing"`) {
		t.Fatalf("Get(missing) error = %v, want not found naming source and secret", err)
	}
	_, err = NewResolver(ctx, Options{Env: envMap(nil), Specs: []string{"mock=a=b,s3cretx"}})
	mustNotContain(t, err, "s3cretx")
	if !errors.Is(err, secrets.ErrInvalid) || !strings.Contains(err.Error(), `spec 1 (type mock, name "mock"): config item 2 needs key=value`) {
		t.Fatalf("bad mock error = %v", err)
	}
}

func TestNewMapSource(t *testing.T) {
	ctx := context.Background()
	m, err := newMapSource(map[string]string{"a": "b"})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := m.Get(ctx, "a"); err != nil || v.DangerouslyExpose() != "b" || m.len() != 1 {
		t.Fatalf("Get = %v, %v", v, err)
	}
	if _, err := newMapSource(map[string]string{"a": ""}); !errors.Is(err, secrets.ErrInvalid) {
		t.Fatalf("empty value: %v", err)
	}
}

func TestParseFile(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    map[string]string
		wantErr string
	}{
		{name: "empty", data: "", want: map[string]string{}},
		{name: "k6 file", data: "cool=something\nelse=source\n", want: map[string]string{"cool": "something", "else": "source"}},
		{name: "blank lines and comments", data: "\n# a comment=x\n  \t\n  # indented\ncool=some=thing\r\n\nlast=1",
			want: map[string]string{"cool": "some=thing", "last": "1"}},
		{name: "spaces kept", data: " k = v \n", want: map[string]string{" k ": " v "}},
		{name: "no equals", data: "a=b\n\ns3cretx-line\n", wantErr: "line 3 needs key=value"},
		{name: "empty key", data: "=s3cretx\n", wantErr: "line 1: secret name is empty"},
		{name: "empty value", data: "a=b\nc=\n", wantErr: "line 2: value is empty"},
		{name: "duplicate", data: "a=s3cretx\n#\na=s3crety\n", wantErr: "line 3: key already set on line 1"},
		{name: "bad utf8", data: "a=\xffs3cretx\n", wantErr: "line 1: value is not valid UTF-8"},
		{name: "too long", data: "a=" + strings.Repeat("s3cretx", 4000), wantErr: "line 1: value has 28000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFile([]byte(tt.data))
			checkParsed(t, "parseFile", got, err, tt.want, tt.wantErr)
		})
	}
}

func TestFileSource(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.secret")
	bad := filepath.Join(dir, "bad.secret")
	if err := os.WriteFile(good, []byte("# k6 secrets\ncool=something\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("cool=something\ns3cretx\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{"file=" + good, "file=filename=" + good, "file=name=x,filename=" + good + ",default"} {
		t.Run(spec, func(t *testing.T) {
			r, err := NewResolver(ctx, Options{Env: envMap(nil), Specs: []string{spec}})
			if err != nil {
				t.Fatal(err)
			}
			v, err := r.Get(ctx, "cool")
			if err != nil || v.DangerouslyExpose() != "something" {
				t.Fatalf("Get = %q, %v", v.DangerouslyExpose(), err)
			}
		})
	}
	errTests := []struct {
		spec    string
		wantErr string
		is      error
	}{
		{spec: "file=" + bad, wantErr: `spec 1 (type file, name "file"): file "` + bad + `": line 2 needs key=value`, is: secrets.ErrInvalid},
		{spec: "file=" + filepath.Join(dir, "missing"), wantErr: "no such file", is: fs.ErrNotExist},
		{spec: "file", wantErr: "no file", is: secrets.ErrInvalid},
		{spec: "file=other=x", wantErr: `unknown option "other"`, is: secrets.ErrInvalid},
	}
	for _, tt := range errTests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := NewResolver(ctx, Options{Env: envMap(nil), Specs: []string{tt.spec}})
			mustNotContain(t, err, "s3cretx", "something")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, tt.is) {
				t.Fatalf("error = %v, want %q matching %v", err, tt.wantErr, tt.is)
			}
		})
	}
}

package source

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/secrets"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in      string
		want    spec
		wantErr string // substring; "" means success
	}{
		{in: "mock=cool=something,else=source", want: spec{Type: "mock", Name: "mock", Config: "cool=something,else=source"}},
		{in: "mock=name=first,cool=something", want: spec{Type: "mock", Name: "first", Config: "cool=something"}},
		{in: "mock=name=second,else=source,default", want: spec{Type: "mock", Name: "second", Default: true, Config: "else=source"}},
		{in: "file=file.secret", want: spec{Type: "file", Name: "file", Config: "file.secret"}},
		{in: "file=filename=file.secret", want: spec{Type: "file", Name: "file", Config: "filename=file.secret"}},
		{in: "file=name=x,filename=p,default", want: spec{Type: "file", Name: "x", Default: true, Config: "filename=p"}},
		{in: "url", want: spec{Type: "url", Name: "url"}},
		{in: "url=", want: spec{Type: "url", Name: "url"}},
		{in: "url=config=c.json,timeout=5s", want: spec{Type: "url", Name: "url", Config: "config=c.json,timeout=5s"}},
		{in: "mock=name=default,a=b", want: spec{Type: "mock", Name: "default", Default: true, Config: "a=b"}},
		{in: "mock=default", want: spec{Type: "mock", Name: "mock", Default: true}},
		{in: "mock=a==b=c", want: spec{Type: "mock", Name: "mock", Config: "a==b=c"}},
		{in: "", wantErr: "spec is empty"},
		{in: "=a=b", wantErr: "no type"},
		{in: "mo ck=a=b", wantErr: "type is not"},
		{in: "mock=name=a,name=b", wantErr: "config item 2: name= is given twice"},
		{in: "mock=name", wantErr: "config item 1: name needs"},
		{in: "mock=name=", wantErr: "config item 1: name: name is empty"},
		{in: "mock=name=a.b", wantErr: "config item 1: name: name has a character at position 2"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := testParseSpec(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, secrets.ErrInvalid) {
					t.Fatalf("testParseSpec(%q) error = %v, want invalid containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("testParseSpec(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseSpecs(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []spec
		wantErr string
	}{
		{name: "none", in: nil, want: []spec{}},
		{name: "single is default", in: []string{"mock=a=b"},
			want: []spec{{Type: "mock", Name: "mock", Default: true, Config: "a=b"}}},
		{name: "k6 example", in: []string{"mock=cool=something,else=source", "mock=name=first,cool=something", "mock=name=second,else=source,default"},
			want: []spec{
				{Type: "mock", Name: "mock", Config: "cool=something,else=source"},
				{Type: "mock", Name: "first", Config: "cool=something"},
				{Type: "mock", Name: "second", Default: true, Config: "else=source"},
			}},
		{name: "no default among several", in: []string{"mock=a=b", "file=f"},
			want: []spec{{Type: "mock", Name: "mock", Config: "a=b"}, {Type: "file", Name: "file", Config: "f"}}},
		{name: "duplicate name", in: []string{"mock=a=b", "mock=c=d"}, wantErr: `spec 2: name "mock" is already used by spec 1`},
		{name: "duplicate explicit name", in: []string{"mock=name=x", "file=name=x,f"}, wantErr: `spec 2: name "x" is already used by spec 1`},
		{name: "two defaults", in: []string{"mock=default", "file=f,default"}, wantErr: "spec 2: two default sources; spec 1 is already the default"},
		{name: "name default and default", in: []string{"mock=name=default", "file=f,default"}, wantErr: "spec 2: two default sources"},
		{name: "empty spec", in: []string{"mock=a=b", ""}, wantErr: "spec 2: spec is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := testParseSpecs(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, secrets.ErrInvalid) {
					t.Fatalf("ParseSpecs error = %v, want invalid containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseSpecs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSpecNeverPrintsConfig(t *testing.T) {
	sp, err := testParseSpec("url=name=vault,headers.Authorization=Bearer tok-123456,default")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("spec", "spec", sp, "list", []spec{sp})
	outs := map[string]string{"slog": buf.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		outs[verb] = fmt.Sprintf(verb, sp)
	}
	for verb, out := range outs {
		if strings.Contains(out, "tok-123456") {
			t.Errorf("%s prints the config: %s", verb, out)
		}
		if !strings.Contains(out, "vault") {
			t.Errorf("%s does not name the source: %s", verb, out)
		}
	}
}

// testParseSpec and testParseSpecs give parseSpec and parseSpecs errors the
// code NewResolver gives them, as the tests expect.
func testParseSpec(s string) (spec, error) {
	sp, err := parseSpec(s)
	if err != nil {
		return spec{}, errcode.New(errcode.Invalid, "source.parseSpec", err.Error())
	}
	return sp, nil
}

func testParseSpecs(specs []string) ([]spec, error) {
	out, err := parseSpecs(specs, func(i int) string { return fmt.Sprintf("spec %d", i+1) })
	if err != nil {
		return nil, errcode.New(errcode.Invalid, "source.parseSpecs", err.Error())
	}
	return out, nil
}

package leakcheck

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/rbac"
)

// leaked runs f and returns the leaks it caused.
func leaked(f func()) []Leak {
	n := len(Leaks())
	f()
	return Leaks()[n:]
}

func TestNewValueIsDetected(t *testing.T) {
	v := NewValue("api")
	if !strings.HasPrefix(v, "api-"+Marker) || len(v) != len("api-")+len(Marker)+randLen {
		t.Fatalf("NewValue = %q", v)
	}
	other := "api-" + Marker + strings.Repeat("0", randLen) // never registered
	tests := []struct {
		text string
		want int
	}{
		{"nothing here", 0},
		{"error: bad value " + v + " given", 1},
		{"prefix" + v[len("api-"):], 1}, // the random part alone is enough
		{v + " and again " + v, 1},      // one leak per value and text
		{other, 0},
		{v[:len(v)-1], 0}, // a cut value is not reported whole
	}
	for _, tc := range tests {
		got := leaked(func() { Check("test", tc.text) })
		if len(got) != tc.want {
			t.Errorf("Check(%q): %d leaks, want %d", tc.text, len(got), tc.want)
		}
		for _, l := range got {
			if strings.Contains(l.String(), v) {
				t.Errorf("the leak report repeats the value: %s", l)
			}
		}
	}
}

func TestRegisterEncodings(t *testing.T) {
	v := "p@ss w\"rd/é"
	Register(v)
	for _, text := range []string{
		v,
		`{"password":"p@ss w\"rd/é"}`,
		"https://x/?p=p%40ss+w%22rd%2F%C3%A9",
		base64.StdEncoding.EncodeToString([]byte(v)),
		hex.EncodeToString([]byte(v)),
	} {
		if got := leaked(func() { Check("test", text) }); len(got) == 0 {
			t.Errorf("Check(%q) found no leak", text)
		}
	}
	if got := leaked(func() { Register("short"); Check("test", "short") }); len(got) != 0 {
		t.Errorf("values under MinLen are registered: %v", got)
	}
}

func TestCollectors(t *testing.T) {
	v := NewValue("c")
	t.Run("error", func(t *testing.T) {
		if got := leaked(func() { CheckError("e", fmt.Errorf("wrap: %w", errors.New(v))) }); len(got) != 1 {
			t.Errorf("%d leaks", len(got))
		}
		if !CheckError("e", nil) {
			t.Error("nil error reported")
		}
	})
	t.Run("auditor", func(t *testing.T) {
		var seen int
		a := Auditor(func(context.Context, rbac.AuditEvent) { seen++ })
		got := leaked(func() { a(context.Background(), rbac.AuditEvent{Operation: "Create", Names: []string{v}}) })
		if len(got) == 0 || seen != 1 {
			t.Errorf("%d leaks, %d events passed on", len(got), seen)
		}
	})
	t.Run("slog", func(t *testing.T) {
		var out strings.Builder
		l := slog.New(Handler(slog.NewTextHandler(&out, nil))).With("k", "v").WithGroup("g")
		got := leaked(func() { l.Info("hello", "secret", v) })
		if len(got) != 1 || !strings.Contains(out.String(), "hello") {
			t.Errorf("%d leaks; output %q", len(got), out.String())
		}
		got = leaked(func() { slog.New(Handler(nil)).With("token", v).Info("x") })
		if len(got) != 1 {
			t.Errorf("attribute from With: %d leaks", len(got))
		}
	})
	t.Run("writer", func(t *testing.T) {
		got := leaked(func() { fmt.Fprintf(Writer("w", io.Discard), "log line %s\n", v) })
		if len(got) != 1 {
			t.Errorf("%d leaks", len(got))
		}
	})
	t.Run("http", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"value":%q}`, v)
		})
		reveal := func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/reveal") }
		srv := httptest.NewServer(Middleware(h, reveal))
		defer srv.Close()
		client := &http.Client{Transport: Transport(srv.Client().Transport, reveal)}
		for _, tc := range []struct {
			path string
			want int
		}{{"/reveal", 0}, {"/get", 2}} { // server and client each see it
			got := leaked(func() {
				resp, err := client.Get(srv.URL + tc.path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !strings.Contains(string(body), v) {
					t.Errorf("%s: the body did not reach the client", tc.path)
				}
			})
			if len(got) != tc.want {
				t.Errorf("%s: %d leaks, want %d", tc.path, len(got), tc.want)
			}
		}
	})
}

func TestVerify(t *testing.T) {
	n := Count()
	v := NewValue("x")
	Check("here", "..."+v)
	fake := &fakeTB{}
	Verify(fake, n)
	if fake.errors != 1 {
		t.Fatalf("Verify reported %d errors, want 1", fake.errors)
	}
}

type fakeTB struct {
	testing.TB
	errors int
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Errorf(string, ...any) { f.errors++ }

func TestForget(t *testing.T) {
	v := NewValue("f")
	Forget(v)
	if got := leaked(func() { Check("test", v) }); len(got) != 0 {
		t.Fatalf("a forgotten value is still reported: %v", got)
	}
}

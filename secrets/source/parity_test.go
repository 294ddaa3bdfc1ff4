package source

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/secrets"
)

// TestK6Parity backs every row of the package doc's table of differences
// from k6 (v2.2.0, run against the same specs): each spec either behaves as
// in k6 or is refused, stricter, when the resolver is built.
func TestK6Parity(t *testing.T) {
	ctx := context.Background()
	readFile := func(name string) ([]byte, error) {
		if name == "b" || name == "a,b" || name == "f" {
			return []byte("k=v-value\r\n"), nil
		}
		return nil, errors.New("no such file")
	}
	for _, tc := range []struct {
		name string
		spec string            // "" : from env
		env  map[string]string // the environment
		ok   bool              // the resolver is built
	}{
		{name: "mock: refused as in k6", spec: "mock"},
		{name: "mock=: refused as in k6", spec: "mock="},
		{name: "name twice: refused (k6: the last wins)", spec: "mock=name=p,name=q,a=b-value"},
		{name: "file=a,b: refused (k6 reads b)", spec: "file=a,b"},
		{name: "file=filename=a,b: the whole rest is the path", spec: "file=filename=a,b", ok: true},
		{name: "maxRetries=2x: refused (k6 reads 2)", spec: "url=urlTemplate=http://127.0.0.1:1/{key},maxRetries=2x"},
		{name: "ftp urlTemplate: refused when built (k6: fails at get)", spec: "url=urlTemplate=ftp://127.0.0.1/{key}"},
		{name: "header name with a space: refused when built (k6: fails at get)", spec: "url=urlTemplate=http://127.0.0.1:1/{key},headers.X Y=1"},
		{name: "K6_SECRET_SOURCE empty: refused as in k6", env: map[string]string{"K6_SECRET_SOURCE": ""}},
		{name: "K6_SECRET_SOURCE absent: no sources", env: map[string]string{}, ok: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var specs []string
			if tc.spec != "" {
				specs = []string{tc.spec}
			}
			r, err := NewResolver(ctx, Options{Specs: specs, Env: envMap(tc.env), ReadFile: readFile})
			if tc.ok {
				if err != nil {
					t.Fatalf("NewResolver: %v", err)
				}
				r.Close()
				return
			}
			if !errors.Is(err, secrets.ErrInvalid) {
				t.Fatalf("NewResolver = %v, want an ErrInvalid", err)
			}
		})
	}

	t.Run(`file: a trailing \r is dropped, as in k6`, func(t *testing.T) {
		m, err := parseFile([]byte("k=v-value\r\nj=w-value\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got := m["k"].DangerouslyExpose(); got != "v-value" {
			t.Errorf("k = %q, want v-value", got)
		}
	})

	t.Run("retry schedule: k6's base^n seconds plus up to 1s of jitter", func(t *testing.T) {
		for _, tc := range []struct {
			base   time.Duration
			want   []time.Duration
			jitter time.Duration
		}{
			{time.Second, []time.Duration{time.Second, time.Second, time.Second}, time.Second},
			{2 * time.Second, []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second}, time.Second},
			{10 * time.Second, []time.Duration{10 * time.Second, maxRetryDelay, maxRetryDelay}, time.Second},
			// Stricter: k6 rounds a sub-second base away; it is waited here.
			{500 * time.Millisecond, []time.Duration{500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond}, 500*time.Millisecond + 1},
		} {
			var asked []time.Duration
			s := &urlSource{cfg: URLConfig{RetryBackoff: tc.base}, jitter: func(d time.Duration) time.Duration { asked = append(asked, d); return 0 }}
			var got []time.Duration
			for n := 1; n <= 3; n++ {
				got = append(got, s.delay(n))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("base %v: delays (-want +got):\n%s", tc.base, diff)
			}
			if diff := cmp.Diff([]time.Duration{tc.jitter, tc.jitter, tc.jitter}, asked); diff != "" {
				t.Errorf("base %v: jitter bounds (-want +got):\n%s", tc.base, diff)
			}
		}
	})

	t.Run("Retry-After honoured (k6 ignores it)", func(t *testing.T) {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for h, want := range map[string]time.Duration{
			"": 0, "0": 0, "-3": 0, "soon": 0, "2": 2 * time.Second, "86400": maxRetryDelay,
			now.Add(5 * time.Second).Format(http.TimeFormat): 5 * time.Second,
			now.Add(-time.Hour).Format(http.TimeFormat):      0,
		} {
			if got := retryAfter(h, now); got != want {
				t.Errorf("retryAfter(%q) = %v, want %v", h, got, want)
			}
		}
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			_, _ = io.WriteString(w, "the-value")
		}))
		defer srv.Close()
		s, err := newURLSource(fastConfig(srv.URL+"/{key}"), URLOptions{}, noJitter)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		v, err := s.Get(ctx, "k")
		if err != nil || v.DangerouslyExpose() != "the-value" {
			t.Fatalf("Get: %v", err)
		}
		if el := time.Since(start); el < time.Second {
			t.Errorf("retried after %v, before the Retry-After of 1s", el)
		}
	})

	t.Run(`names "." and ".." refused by the url source (k6 requests them)`, func(t *testing.T) {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
		defer srv.Close()
		s, err := newURLSource(fastConfig(srv.URL+"/{key}"), URLOptions{}, noJitter)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{".", ".."} {
			if _, err := s.Get(ctx, name); !errors.Is(err, secrets.ErrInvalid) {
				t.Errorf("Get(%q) = %v, want ErrInvalid", name, err)
			}
		}
		if calls.Load() != 0 {
			t.Errorf("%d requests sent", calls.Load())
		}
	})
	t.Run("an empty value refused (k6: an empty secret)", func(t *testing.T) {
		if _, err := parseMock("a="); err == nil || !strings.Contains(err.Error(), "empty") {
			t.Errorf("parseMock(a=) = %v", err)
		}
	})
}

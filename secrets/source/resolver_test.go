package source

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/redact"
	"github.com/strongbox-go/strongbox/secrets"
)

// countingSource counts calls per name and serves from values; a name in
// failing fails (once per entry in fails).
type countingSource struct {
	mu     sync.Mutex
	calls  map[string]int
	values map[string]string
	fails  map[string]int
	gate   chan struct{} // if set, Get waits on it
}

func (c *countingSource) Get(ctx context.Context, name string) (secrets.Value, error) {
	c.mu.Lock()
	c.calls[name]++
	fail := c.fails[name] > 0
	if fail {
		c.fails[name]--
	}
	c.mu.Unlock()
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return secrets.Value{}, ctx.Err()
		}
	}
	if fail {
		return secrets.Value{}, errcode.New(errcode.Unavailable, "test", "flaky")
	}
	v, ok := c.values[name]
	if !ok {
		return secrets.Value{}, errcode.New(errcode.NotFound, "test", "no such secret")
	}
	return secrets.NewValue(v), nil
}

func (c *countingSource) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[name]
}

func newCounting(values map[string]string) *countingSource {
	return &countingSource{calls: map[string]int{}, values: values, fails: map[string]int{}}
}

// recorder is a Redactor that remembers what it learned.
type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) Add(s string) error {
	r.mu.Lock()
	r.got = append(r.got, s)
	r.mu.Unlock()
	return nil
}

func TestCacheFetchesOnceAndDoesNotCacheErrors(t *testing.T) {
	ctx := context.Background()
	src := newCounting(map[string]string{"a": "value-a", "blank": "   "})
	src.fails["a"] = 1
	rec := &recorder{}
	c := newCache(src, rec)
	if _, err := c.Get(ctx, "a"); !errors.Is(err, secrets.ErrUnavailable) {
		t.Fatalf("first Get error = %v, want the source's", err)
	}
	for range 3 {
		v, err := c.Get(ctx, "a")
		if err != nil || v.DangerouslyExpose() != "value-a" {
			t.Fatalf("Get = %v, %v", v, err)
		}
	}
	for range 2 {
		if _, err := c.Get(ctx, "missing"); !errors.Is(err, secrets.ErrNotFound) {
			t.Fatalf("missing: %v", err)
		}
	}
	if _, err := c.Get(ctx, "blank"); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{"a": src.count("a"), "missing": src.count("missing"), "blank": src.count("blank")}
	if diff := cmp.Diff(map[string]int{"a": 2, "missing": 2, "blank": 1}, got); diff != "" {
		t.Errorf("source calls (-want +got):\n%s", diff)
	}
	// Whitespace-only values are not redacted (they would mangle output).
	if diff := cmp.Diff([]string{"value-a"}, rec.got); diff != "" {
		t.Errorf("redactor learned (-want +got):\n%s", diff)
	}
}

func TestCacheSingleflight(t *testing.T) {
	ctx := context.Background()
	src := newCounting(map[string]string{"a": "value-a"})
	src.gate = make(chan struct{})
	c := newCache(src, nil)
	const n = 10
	var wg sync.WaitGroup
	results := make([]string, n)
	for i := range n {
		wg.Go(func() {
			v, err := c.Get(ctx, "a")
			if err != nil {
				t.Error(err)
			}
			results[i] = v.DangerouslyExpose()
		})
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.waiters.Load() < n-1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(src.gate)
	wg.Wait()
	if got := src.count("a"); got != 1 {
		t.Fatalf("%d concurrent first Gets made %d fetches, want 1", n, got)
	}
	for i, r := range results {
		if r != "value-a" {
			t.Fatalf("caller %d got %q", i, r)
		}
	}
}

func TestCacheLeaderCancelled(t *testing.T) {
	src := newCounting(map[string]string{"a": "value-a"})
	src.gate = make(chan struct{})
	c := newCache(src, nil)
	leaderCtx, cancel := context.WithCancel(context.Background())
	leaderErr := make(chan error)
	go func() {
		_, err := c.Get(leaderCtx, "a")
		leaderErr <- err
	}()
	for src.count("a") == 0 {
		time.Sleep(time.Millisecond)
	}
	waiter := make(chan string)
	go func() {
		v, err := c.Get(context.Background(), "a")
		if err != nil {
			t.Error(err)
		}
		waiter <- v.DangerouslyExpose()
	}()
	for c.waiters.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader error = %v", err)
	}
	close(src.gate)
	if got := <-waiter; got != "value-a" {
		t.Fatalf("waiter got %q; it should fetch again rather than take the leader's cancellation", got)
	}
}

func TestResolverRedactsWhatItFetches(t *testing.T) {
	ctx := context.Background()
	const secret = "fetched-s3cret-9f2c"
	red := redact.New(redact.Options{})
	var out bytes.Buffer
	log := slog.New(redact.NewHandler(slog.NewTextHandler(&out, nil), red))
	r, err := NewResolver(ctx, Options{Env: envMap(nil), Redactor: red, Specs: []string{"mock=api-key=" + secret}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := r.Get(ctx, "api-key")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("calling the API", "header", "Bearer "+v.DangerouslyExpose(), "value", v)
	log.Info("oops " + v.DangerouslyExpose())
	if strings.Contains(out.String(), secret) {
		t.Fatalf("log output contains the secret:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "***SECRET_REDACTED***") {
		t.Fatalf("log output has no redaction marker:\n%s", out.String())
	}
}

func TestResolverSources(t *testing.T) {
	ctx := context.Background()
	r, err := NewResolver(ctx, Options{Env: envMap(nil), Specs: []string{
		"mock=cool=something,else=source",
		"mock=name=first,cool=first-cool",
		"mock=name=second,else=second-else,default",
	}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(src Source, name string) string {
		v, err := src.Get(ctx, name)
		if err != nil {
			return "error: " + errcode.Of(err).String()
		}
		return v.DangerouslyExpose()
	}
	got := []string{
		get(r, "else"),
		get(r.Source("default"), "else"),
		get(r.Source("mock"), "cool"),
		get(r.Source("first"), "cool"),
		get(r.Source("second"), "cool"),
		get(r.Source("nope"), "cool"),
		get(r.Source(""), "cool"),
	}
	want := []string{"second-else", "second-else", "something", "first-cool", "error: not found", "error: not found", "error: not found"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"mock", "first", "second"}, r.Names()); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
	_, err = r.Source("nope").Get(ctx, "cool")
	if !errors.Is(err, ErrNoSource) || !strings.Contains(err.Error(), `source "nope"`) {
		t.Fatalf("unknown source error = %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, "else"); !errors.Is(err, secrets.ErrFailedPrecondition) {
		t.Fatalf("Get after Close: %v", err)
	}
}

func TestResolverSpecFromEnv(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		env   map[string]string
		specs []string
		want  string
	}{
		{name: "k6 variable", env: map[string]string{"K6_SECRET_SOURCE": "mock=a=k6"}, want: "k6"},
		{name: "strongbox wins", env: map[string]string{"K6_SECRET_SOURCE": "mock=a=k6", "STRONGBOX_SECRET_SOURCE": "mock=a=sb"}, want: "sb"},
		{name: "explicit replaces", env: map[string]string{"STRONGBOX_SECRET_SOURCE": "mock=a=sb"}, specs: []string{"mock=a=flag"}, want: "flag"},
		{name: "none", env: nil, want: "error: not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewResolver(ctx, Options{Env: envMap(tt.env), Specs: tt.specs})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if v, err := r.Get(ctx, "a"); err != nil {
				got = "error: " + errcode.Of(err).String()
			} else {
				got = v.DangerouslyExpose()
			}
			if got != tt.want {
				t.Fatalf("Get = %q, want %q", got, tt.want)
			}
		})
	}
	_, err := NewResolver(ctx, Options{Env: envMap(map[string]string{"K6_SECRET_SOURCE": "mock=a=b,s3cretx"})})
	mustNotContain(t, err, "s3cretx")
	if err == nil || !strings.Contains(err.Error(), "spec from K6_SECRET_SOURCE (type mock") {
		t.Fatalf("error = %v, want it to name the variable", err)
	}
}

func TestResolverErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		specs   []string
		types   map[string]Constructor
		wantErr string
	}{
		{name: "unknown type", specs: []string{"vault=a=s3cretx"}, wantErr: `spec 1 (type vault, name "vault"): unknown type; known types: file, mock, url`},
		{name: "store without manager", specs: []string{"store=namespace=a,identity=b"}, wantErr: `the store type needs a Manager`},
		{name: "duplicate", specs: []string{"mock=a=s3cretx", "mock=b=s3cretx"}, wantErr: `spec 2: name "mock" is already used by spec 1`},
		{name: "two defaults", specs: []string{"mock=default", "file=x,default"}, wantErr: "spec 2: two default sources"},
		{name: "empty", specs: []string{""}, wantErr: "spec 1: spec is empty"},
		{name: "url bad option", specs: []string{"mock=a=b", "url=name=u,urlTemplate=http://x/{key},timeout=s3cretx"},
			wantErr: `spec 2 (type url, name "u"): config item 2 ("timeout"): not a positive Go duration`},
		{name: "url missing template", specs: []string{"url"}, wantErr: `spec 1 (type url, name "url"): urlTemplate is required`},
		{name: "custom type", specs: []string{"vault=a=s3cretx"},
			types:   map[string]Constructor{"vault": func(context.Context, Params) (Source, error) { return nil, errors.New("vault is sealed") }},
			wantErr: `spec 1 (type vault, name "vault"): vault is sealed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewResolver(ctx, Options{Env: envMap(nil), Specs: tt.specs, Types: tt.types})
			mustNotContain(t, err, "s3cretx")
			if !errors.Is(err, secrets.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want invalid containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestResolverConcurrentGets(t *testing.T) {
	ctx := context.Background()
	src := newCounting(map[string]string{"a": "1", "b": "2"})
	var calls atomic.Int32
	r, err := NewResolver(ctx, Options{Env: envMap(nil), Specs: []string{"counting"},
		Types: map[string]Constructor{"counting": func(context.Context, Params) (Source, error) {
			calls.Add(1)
			return src, nil
		}}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			name := []string{"a", "b"}[i%2]
			if _, err := r.Get(ctx, name); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if src.count("a") != 1 || src.count("b") != 1 || calls.Load() != 1 {
		t.Fatalf("fetches a=%d b=%d constructors=%d, want 1 each", src.count("a"), src.count("b"), calls.Load())
	}
}

// TestResolverRefusesValueTooShortToRedact: a value the redactor refuses
// (shorter than its minimum) is not handed out, since it would show in
// the logs; the error names the secret, not the value.
func TestResolverRefusesValueTooShortToRedact(t *testing.T) {
	ctx := context.Background()
	r, err := NewResolver(ctx, Options{Env: envMap(nil), Redactor: redact.New(redact.Options{}), Specs: []string{"mock=pin=x9q"}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := r.Get(ctx, "pin")
	if err == nil || v.Len() != 0 || strings.Contains(err.Error(), "x9q") || !strings.Contains(err.Error(), "pin") {
		t.Errorf("Get = %d bytes, %v; want an error naming pin", v.Len(), err)
	}
}

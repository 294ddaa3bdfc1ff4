// Command runner is a small load runner in the shape of a k6 run: it
// fetches a secret by name from a secret source, sends it in a header to a
// local test server for a few hundred requests, and logs through a
// redacting slog handler, so its output shows the requests succeeded and
// never the secret.
//
// Everything runs in the process on 127.0.0.1: the target server, and,
// with -source=url, a secret service the url source reads from; with
// -source=store (the default) the secret comes from an in-memory
// secrets.Manager through the store source.
//
//	go run ./examples/runner
//	go run ./examples/runner -source=url -requests=500 -concurrency=16
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/redact"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/source"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

const (
	namespace  = "team-a"
	identity   = "k6-runner"
	secretName = "api-key"
)

type config struct {
	source      string // "store" or "url"
	requests    int
	concurrency int
	timeout     time.Duration
}

// newSecret makes the API key the target server expects; tests replace it.
var newSecret = func() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "sk-" + hex.EncodeToString(b), nil
}

func main() {
	var cfg config
	flag.StringVar(&cfg.source, "source", "store", "where the secret comes from: store or url")
	flag.IntVar(&cfg.requests, "requests", 300, "number of requests to send (1 to 100000)")
	flag.IntVar(&cfg.concurrency, "concurrency", 8, "concurrent senders (1 to 256)")
	flag.DurationVar(&cfg.timeout, "timeout", 20*time.Second, "time bound of the whole run")
	flag.Parse()
	if err := run(context.Background(), cfg, os.Stdout); err != nil {
		os.Exit(1)
	}
}

// run logs to out through the redactor and returns an error (already
// logged) if any request failed.
func run(ctx context.Context, cfg config, out io.Writer) error {
	red := redact.New(redact.Options{})
	log := slog.New(redact.NewHandler(slog.NewTextHandler(out, nil), red))
	err := load(ctx, cfg, red, log)
	if err != nil {
		log.Error("run failed", "err", err)
	}
	return err
}

func load(ctx context.Context, cfg config, red *redact.Redactor, log *slog.Logger) error {
	if cfg.requests < 1 || cfg.requests > 100000 || cfg.concurrency < 1 || cfg.concurrency > 256 || cfg.timeout <= 0 {
		return errors.New("want 1-100000 requests, 1-256 senders and a positive timeout")
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	secret, err := newSecret()
	if err != nil {
		return err
	}

	// The system under test: it accepts requests that carry the API key.
	var served atomic.Int64
	target, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+secret {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		served.Add(1)
		_, _ = io.WriteString(w, "ok")
	}))
	if err != nil {
		return err
	}
	defer target.Close()

	resolver, cleanup, err := newResolver(ctx, cfg.source, secret, red)
	if err != nil {
		return err
	}
	defer cleanup()
	defer resolver.Close()
	log.Info("secret source ready", "source", cfg.source, "sources", resolver.Names())

	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: cfg.concurrency},
	}
	defer client.CloseIdleConnections()

	var next, ok, failed atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range cfg.concurrency {
		wg.Go(func() {
			for n := next.Add(1); n <= int64(cfg.requests) && ctx.Err() == nil; n = next.Add(1) {
				err := send(ctx, client, resolver, target.URL, n == 1, log)
				if err != nil {
					failed.Add(1)
					once.Do(func() { firstErr = err })
					continue
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	log.Info("load finished",
		"requests", cfg.requests, "ok", ok.Load(), "failed", failed.Load(), "served", served.Load(),
		"elapsed", time.Since(start).Round(time.Millisecond))
	switch {
	case firstErr != nil:
		return fmt.Errorf("%d of %d requests failed; first: %w", failed.Load(), cfg.requests, firstErr)
	case ok.Load() != int64(cfg.requests):
		return fmt.Errorf("only %d of %d requests were sent before the time bound: %w", ok.Load(), cfg.requests, ctx.Err())
	}
	return nil
}

// send makes one request with the secret in its Authorization header. The
// first request logs its header, to show the redaction at work.
func send(ctx context.Context, client *http.Client, r *source.Resolver, url string, first bool, log *slog.Logger) error {
	v, err := r.Get(ctx, secretName) // fetched once, then cached
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+v.DangerouslyExpose())
	if first {
		// A careless debug line: the handler redacts it.
		log.Info("first request", "authorization", req.Header.Get("Authorization"), "value", v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// newResolver builds the resolver of the chosen source, and what it needs
// running: an in-memory Manager holding the secret, or a local secret
// service for the url source.
func newResolver(ctx context.Context, kind, secret string, red *redact.Redactor) (*source.Resolver, func(), error) {
	opts := source.Options{Redactor: red, Env: func() []string { return nil }}
	switch kind {
	case "store":
		m, cleanup, err := newManager(ctx, secret)
		if err != nil {
			return nil, nil, err
		}
		opts.Specs = []string{"store=namespace=" + namespace + ",identity=" + identity}
		opts.Types = map[string]source.Constructor{"store": source.StoreConstructor(m)}
		r, err := source.NewResolver(ctx, opts)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		return r, cleanup, nil
	case "url":
		token, err := newSecret()
		if err != nil {
			return nil, nil, err
		}
		red.Add(token) // the runner's own credential is a secret too
		svc, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+token {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			if r.PathValue("key") != secretName {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]string{"value": secret}})
		}), "GET /secrets/{key}")
		if err != nil {
			return nil, nil, err
		}
		opts.Specs = []string{"url=urlTemplate=" + svc.URL + "/secrets/{key},responsePath=data.value,headers.Authorization=Bearer " + token + ",timeout=5s,retryBackoff=50ms"}
		r, err := source.NewResolver(ctx, opts)
		if err != nil {
			svc.Close()
			return nil, nil, err
		}
		return r, svc.Close, nil
	}
	return nil, nil, fmt.Errorf("unknown -source; want store or url")
}

// newManager sets up a Manager over in-memory storage and a fresh local key,
// and creates the secret for the runner's identity.
func newManager(ctx context.Context, secret string) (*secrets.Manager, func(), error) {
	kek, err := keeper.NewThrowawayKEKURL() // key material: never logged
	if err != nil {
		return nil, nil, err
	}
	k, err := keeper.OpenEnvelope(ctx, kek, keeper.EnvelopeOptions{})
	if err != nil {
		return nil, nil, err
	}
	st := docstorage.NewInMemory()
	m, err := secrets.New(secrets.Options{Store: st, Keeper: k})
	if err != nil {
		_ = k.Close()
		_ = st.Close()
		return nil, nil, err
	}
	cleanup := func() {
		_ = m.Close()
		_ = k.Close()
		_ = st.Close()
	}
	admin := rbac.WithPrincipal(ctx, rbac.Principal{Kind: rbac.KindUser, ID: "setup", Namespace: namespace, Roles: []rbac.Role{rbac.RoleEditor}})
	if _, err := m.Create(admin, namespace, secrets.Spec{
		Name: secretName, Description: "API key of the system under test",
		Value: secrets.NewValue(secret), Decrypters: []string{identity},
	}); err != nil {
		cleanup()
		return nil, nil, err
	}
	return m, cleanup, nil
}

// server is an HTTP server on 127.0.0.1 running in its own goroutine.
type server struct {
	URL string
	srv *http.Server
}

// serve starts h on a free loopback port; with a pattern, h is mounted on
// it in a ServeMux.
func serve(h http.Handler, pattern ...string) (*server, error) {
	if len(pattern) > 0 {
		mux := http.NewServeMux()
		mux.Handle(pattern[0], h)
		h = mux
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{URL: "http://" + ln.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server, waiting briefly for requests in flight.
func (s *server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

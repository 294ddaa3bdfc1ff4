// Command server serves strongbox's HTTP API on loopback, over the embedded
// SQLite store (a file in a temporary directory, removed at exit) and a
// local key-encryption key. It creates a demo secret, issues a run token
// for it, and prints the token and the k6 command that would fetch the
// secret (first with the spec in k6's environment, K6_SECRET_SOURCE: ps
// shows command lines to every user of the host), then serves until
// -duration passes or it is interrupted. It never prints the secret's
// value; its logs go through a redacting handler that knows the value
// anyway.
//
//	go run ./examples/server                 # serves for 30s
//	go run ./examples/server -duration=2s
//	go run ./examples/server -once           # checks the route and exits
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/redact"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/secrets/source"
	"github.com/strongbox-go/strongbox/storage"
	_ "github.com/strongbox-go/strongbox/storage/sqlstorage" // registers sqlite://
)

const (
	namespace  = "team-a"
	identity   = "k6-runner"
	secretName = "api-key"
)

type config struct {
	addr     string
	duration time.Duration
	once     bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:0", "loopback address to listen on (port 0: any free port)")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long to serve before exiting")
	fs.BoolVar(&c.once, "once", false, "fetch the demo secret once through the API, then exit")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.duration <= 0 {
		return c, errors.New("-duration must be positive")
	}
	return c, nil
}

// run is main without the process: tests call it with their own context
// and writers. It prints the base URL on the first line of stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(cfg.addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		return errors.New("-addr must be a loopback address such as 127.0.0.1:8080: the demo has no TLS")
	}

	// Logs go through a redactor; it learns the demo value below.
	red := redact.New(redact.Options{})
	logger := slog.New(redact.NewHandler(slog.NewTextHandler(stderr, nil), red))

	dir, err := os.MkdirTemp("", "strongbox-server-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := storage.OpenStore(ctx, "sqlite://"+filepath.ToSlash(filepath.Join(dir, "strongbox.db")))
	if err != nil {
		return err
	}
	defer st.Close()
	kek, err := keeper.NewThrowawayKEKURL() // production: an awskms://, gcpkms://... URL (import keeper/gocloudkeeper)
	if err != nil {
		return err
	}
	kp, err := keeper.OpenEnvelope(ctx, kek, keeper.EnvelopeOptions{})
	if err != nil {
		return err
	}
	defer kp.Close()
	m, err := secrets.New(secrets.Options{Store: st, Keeper: kp, Auditor: func(ctx context.Context, e rbac.AuditEvent) {
		logger.DebugContext(ctx, "decision", "operation", e.Operation, "principal", e.Principal, "outcome", e.Outcome)
	}})
	if err != nil {
		return err
	}
	defer m.Close()

	// The demo secret, created as an editor. Its value is random and only
	// ever leaves through the decrypt route.
	value, err := randomValue()
	if err != nil {
		return err
	}
	red.Add(value)
	editor := rbac.WithPrincipal(ctx, rbac.Principal{Kind: rbac.KindUser, ID: "demo-admin", Namespace: namespace, Roles: []rbac.Role{rbac.RoleEditor}})
	if _, err := m.Create(editor, namespace, secrets.Spec{Name: secretName, Description: "demo API key",
		Labels: map[string]string{"env": "demo"}, Value: secrets.NewValue(value), Decrypters: []string{identity}}); err != nil {
		return err
	}

	key, err := runtoken.NewHMACKey("demo", nil)
	if err != nil {
		return err
	}
	iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: key})
	if err != nil {
		return err
	}
	h, err := httpapi.New(httpapi.Options{Manager: m, RunTokens: iss.Verifier(), Auditor: httpapi.LogAuditor(logger), Logger: logger})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := httpapi.NewServer(ln.Addr().String(), h)
	srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	baseURL := "http://" + ln.Addr().String()

	// The run token: scoped to the one secret, alive a little longer than
	// the server. Printing it is the point of the demo.
	tok, claims, err := iss.Issue(ctx, runtoken.Grant{Namespace: namespace, Subject: identity,
		Names: []string{secretName}, TTL: cfg.duration + time.Minute})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "strongbox API on %s (namespace %s, secret %s, SQLite in a temporary directory)\n", baseURL, namespace, secretName)
	fmt.Fprintf(stdout, "run token (id %s, expires %s):\n  %s\n", claims.ID, claims.Expiry.Format(time.RFC3339), tok)
	// The spec goes to k6 in its environment: ps shows a process's
	// arguments to every user of the host, its environment only to its
	// owner. The command-line form is printed second, marked as such.
	env, val, _ := strings.Cut(httpapi.K6SpecEnv(baseURL, namespace, tok), "=")
	fmt.Fprintf(stdout, "k6, with the spec in its environment:\n  %s='%s' k6 run script.js\n", env, val)
	fmt.Fprintf(stdout, "or on the command line (visible to every user of the host through ps; avoid on shared hosts):\n  k6 run --secret-source='%s' script.js\n", strings.TrimPrefix(httpapi.K6SpecEnv(baseURL, namespace, tok), "K6_SECRET_SOURCE="))
	fmt.Fprintf(stdout, "  script.js: import secrets from \"k6/secrets\"; export default async () => { const key = await secrets.get(%q); };\n", secretName)

	// Check the route the way a Go runner would.
	rs, err := httpapi.NewRemoteSource(httpapi.RemoteConfig{BaseURL: baseURL, Namespace: namespace, Token: secrets.NewValue(tok),
		MaxRetries: -1, Timeout: 5 * time.Second}, source.URLOptions{})
	if err != nil {
		return err
	}
	got, err := source.NewCache(rs, red).Get(ctx, secretName)
	if err != nil {
		return fmt.Errorf("self-check: %w", err)
	}
	if !got.Equal(secrets.NewValue(value)) {
		return errors.New("self-check: the API returned another value")
	}
	fmt.Fprintf(stdout, "self-check: fetched %s through the API: %v (%d bytes)\n", secretName, got, got.Len())
	if cfg.once {
		return nil
	}

	fmt.Fprintf(stdout, "serving for %s; Ctrl-C to stop\n", cfg.duration)
	select {
	case <-ctx.Done():
	case <-time.After(cfg.duration):
	case err := <-served:
		return err
	}
	fmt.Fprintln(stdout, "stopping")
	return nil
}

func randomValue() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "demo-" + hex.EncodeToString(b), nil
}

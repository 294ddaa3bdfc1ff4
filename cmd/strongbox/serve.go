package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.opentelemetry.io/otel"

	"github.com/strongbox-go/strongbox/internal/auditlog"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/redact"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/fleet"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/secrets/httpapi/metrics"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/secrets/webui"
	"github.com/strongbox-go/strongbox/service"
	"github.com/strongbox-go/strongbox/storage"
)

// defaultKeepVersions is the --keep-versions of strongbox serve. The
// library's default is 0 (an embedder never keeps old values by surprise);
// the reference deployment keeps 3 so that a bad rotation can be undone
// out of the box.
const defaultKeepVersions = 3

// keepVersionsServeHelp explains --keep-versions and its default.
const keepVersionsServeHelp = "earlier values a new secret keeps (0 to 100; a create or update may set its own), so that " +
	"secret rollback can undo a bad rotation and a test can pin a version (name@N); 0 drops the old value on every reset. " +
	"Why 3: it undoes a bad rotation, and a bad fix of it, out of the box, for at most 3 more ciphertexts a secret"

// serveConfig is every setting of strongbox serve; each is a flag and a
// STRONGBOX_* environment variable of the same name.
type serveConfig struct {
	addr            string
	dataDir         string
	store           string
	metadataStore   string
	ciphertextStore string
	keks            []string
	tlsCert, tlsKey string
	insecureListen  bool
	auditLog        string
	shutdownTimeout time.Duration
	// keepVersions is secrets.Options.KeepVersions: earlier values a new
	// secret keeps unless its create says otherwise.
	keepVersions int

	oidcIssuer, oidcAudience          string
	oidcNamespace, oidcNamespaceClaim string
	oidcSubjectClaim, oidcRolesClaim  string
	oidcRoles                         []string
	// The secrets page's own OIDC sign-in (authorization code with PKCE).
	oidcClientID, oidcClientSecret, oidcRedirectURL string
}

const serveLong = `Serve the strongbox HTTP API and the secrets page.

With no configuration it serves on 127.0.0.1:8080, keeps its SQLite
database and a local key-encryption key in the data directory (files of
mode 0600, made on the first start), and on the first start of a store
prints an admin API token once, to stderr.

Several instances on one store (--store postgres://...) are one service:
API tokens, run-token revocations, the run-token signing key (encrypted
under the KEK), the list of key-encryption keys and the secrets page's
sign-in sessions live in the store, on every backend, so a token issued,
revoked or a key rotated through one instance, or a browser signed in or
out through it, holds in every other at once and after any restart. Of instances
starting together on an empty store exactly one prints the admin token.
--kek gives each instance its keys (a local key's material never enters
the store); the store's key list decides which is primary, and an instance
that lacks the primary refuses to start (see strongbox key --help for the
rotation sequence). Give every instance the same local keys. Expired
revocations, heartbeats and sessions are swept about once a minute. A data directory
of an earlier version is migrated on start: its apitokens.json is imported
into the store and renamed apitokens.json.imported, and the run tokens its
runtoken.key signed (24 hours at most) still verify on that instance. The
rate limit is per process.

Every flag can also be given as an environment variable: STRONGBOX_ and the
flag's name in capitals with '_' for '-' (--data-dir is STRONGBOX_DATA_DIR).
A flag on the command line wins over the variable. STRONGBOX_KEK takes
several URLs separated by spaces. Keep URLs with passwords or keys in the
environment, not on the command line: ps shows arguments to every user.

Listening beyond loopback needs --tls-cert and --tls-key (the API carries
bearer tokens and secret values), or --insecure-listen behind a proxy that
terminates TLS.

Callers authenticate with API tokens (the first made on the first start;
admins make more at /v1/namespaces/{ns}/apitokens), with OIDC/JWT bearer
tokens of an identity provider (--oidc-*), and test runs with run tokens
(POST /v1/namespaces/{ns}/runtokens; keys published at
/.well-known/jwks.json).

The secrets page, at / in a browser, lists, creates, edits, resets,
revokes and deletes the secrets of the caller's namespace, showing only
the controls the caller's roles allow. Sign in by pasting an API token (or,
with --oidc-client-id, through the OIDC issuer): it is exchanged for a
session cookie (HttpOnly, SameSite=Strict, and
Secure unless the page is plain HTTP on loopback, so beyond loopback it
needs TLS here or at the proxy). The session lasts at most 8 hours and
ends at once when its token is revoked or expires; failed sign-ins are
limited per client address like failed API authentications. Sessions live
in this process's memory: a restart signs everyone out.

Value history: each new secret keeps its --keep-versions earlier values
(3 by default; a create or update may choose 0 to 100), encrypted like the
current one. "strongbox secret versions" lists them, "secret rollback"
makes one current again, "secret destroy" removes one, and a test pins one
as NAME@VERSION (k6: secrets.get('api-key@3')).

Routes: the API under /v1/ (described at /openapi.json), /healthz (the
process serves), /readyz (the store and the key-encryption keys this instance
holds answer; 503 with the reason otherwise), /metrics (Prometheus text format; it shows load and
failed authentications, no secrets: serve it where operators reach it),
and the secrets page at every other path under /.
Logs are JSON on stderr, through a redactor; the audit trail (one JSON line
per request and per authorization decision) goes to --audit-log.`

func newServeCmd(stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	var cfg serveConfig
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the strongbox HTTP API and the secrets page",
		Long:  serveLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags(), getenv); err != nil {
				return err
			}
			if cfg.dataDir == "" {
				d, err := service.DefaultDataDir()
				if err != nil {
					return err
				}
				cfg.dataDir = d
			}
			return serve(cmd.Context(), cfg, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port); beyond loopback needs TLS or --insecure-listen")
	f.StringVar(&cfg.dataDir, "data-dir", "", "data directory: keys, format version and the SQLite database (default $XDG_DATA_HOME/strongbox or ~/.local/share/strongbox)")
	f.StringVar(&cfg.store, "store", "", "store URL for metadata and ciphertexts: sqlite:///path, postgres://..., mem:// (default: SQLite in the data directory)")
	f.StringVar(&cfg.metadataStore, "metadata-store", "", "store URL for metadata only; with --ciphertext-store, instead of --store")
	f.StringVar(&cfg.ciphertextStore, "ciphertext-store", "", "store URL for ciphertexts only; with --metadata-store, instead of --store")
	f.StringArrayVar(&cfg.keks, "kek", nil, "key-encryption key this instance holds, a gocloud secrets URL (awskms://, gcpkms://, azurekeyvault://, hashivault://, base64key://); repeatable. The store's shared key list decides the primary (the first --kek only starts a store's list) (default: the local key in the data directory)")
	f.StringVar(&cfg.tlsCert, "tls-cert", "", "PEM certificate file for HTTPS (with --tls-key)")
	f.StringVar(&cfg.tlsKey, "tls-key", "", "PEM private key file for HTTPS (with --tls-cert)")
	f.BoolVar(&cfg.insecureListen, "insecure-listen", false, "allow listening beyond loopback without TLS (only behind a proxy that terminates TLS)")
	f.StringVar(&cfg.auditLog, "audit-log", "-", "file the audit trail is appended to as JSON lines; - is stdout")
	f.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 20*time.Second, "on SIGTERM or SIGINT, how long requests in flight may take to finish")
	f.IntVar(&cfg.keepVersions, "keep-versions", defaultKeepVersions, keepVersionsServeHelp)
	f.StringVar(&cfg.oidcIssuer, "oidc-issuer", "", "OIDC issuer URL whose JWT bearer tokens authenticate people and automation (with --oidc-audience and --oidc-role)")
	f.StringVar(&cfg.oidcAudience, "oidc-audience", "", "audience the OIDC tokens must carry")
	f.StringVar(&cfg.oidcNamespace, "oidc-namespace", adminNamespace, "namespace of every OIDC principal, unless --oidc-namespace-claim")
	f.StringVar(&cfg.oidcNamespaceClaim, "oidc-namespace-claim", "", "claim holding the principal's namespace")
	f.StringVar(&cfg.oidcSubjectClaim, "oidc-subject-claim", "", "claim holding the principal's id (default sub)")
	f.StringVar(&cfg.oidcRolesClaim, "oidc-roles-claim", "", "claim holding the caller's groups (default groups; dotted paths walk objects)")
	f.StringArrayVar(&cfg.oidcRoles, "oidc-role", nil, "GROUP=ROLE: a value of the roles claim and the strongbox role it grants (admin, editor, viewer, test-author, secure-values-*); repeatable")
	f.StringVar(&cfg.oidcClientID, "oidc-client-id", "", "client id of the secrets page at the OIDC issuer: adds OIDC sign-in (authorization code with PKCE) to the page; must equal --oidc-audience, since the page presents the provider's ID token")
	f.StringVar(&cfg.oidcClientSecret, "oidc-client-secret", "", "client secret of a confidential client, with --oidc-client-id (keep it in the environment); empty for a public client")
	f.StringVar(&cfg.oidcRedirectURL, "oidc-redirect-url", "", "the page's OIDC callback as the issuer knows it, an absolute URL ending in /signin/oidc/callback (with --oidc-client-id)")
	f.VisitAll(func(fl *pflag.Flag) { fl.Usage += " [$" + envName(fl.Name) + "]" })
	return cmd
}

// applyEnv sets every flag not given on the command line from its
// STRONGBOX_* variable.
func applyEnv(fs *pflag.FlagSet, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" {
			return
		}
		name := envName(f.Name)
		v := getenv(name)
		if v == "" {
			return
		}
		if f.Value.Type() == "stringArray" {
			for _, u := range strings.Fields(v) {
				if err = f.Value.Set(u); err != nil {
					break
				}
			}
		} else {
			err = f.Value.Set(v)
		}
		if err != nil {
			// The value may be a URL with a password: name the variable only.
			err = fmt.Errorf("%s: not a valid value for --%s", name, f.Name)
		}
	})
	return err
}

// envName is the variable of a flag: --data-dir is STRONGBOX_DATA_DIR.
func envName(flag string) string {
	return "STRONGBOX_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// checkListen refuses an address beyond loopback without TLS.
func checkListen(cfg serveConfig) error {
	host, _, err := net.SplitHostPort(cfg.addr)
	if err != nil {
		return fmt.Errorf("--addr %q is not host:port (e.g. 127.0.0.1:8080)", cfg.addr)
	}
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together: give both or neither")
	}
	ip := net.ParseIP(host)
	loopback := host == "localhost" || (ip != nil && ip.IsLoopback())
	if !loopback && cfg.tlsCert == "" && !cfg.insecureListen {
		return fmt.Errorf("--addr %s listens beyond loopback without TLS, and the API carries bearer tokens and secret values: give --tls-cert and --tls-key, or --insecure-listen behind a proxy that terminates TLS", cfg.addr)
	}
	return nil
}

// serve runs the service until ctx ends, then shuts down gracefully.
// Everything that can be refused is checked before the data directory is
// written, so a refused start changes no file.
func serve(ctx context.Context, cfg serveConfig, stdout, stderr io.Writer) (err error) {
	if err := checkListen(cfg); err != nil {
		return err
	}
	if cfg.shutdownTimeout <= 0 {
		return errors.New("--shutdown-timeout must be positive")
	}
	if cfg.keepVersions < 0 || cfg.keepVersions > secrets.MaxKeepVersions {
		return fmt.Errorf("--keep-versions %d: give 0 to %d", cfg.keepVersions, secrets.MaxKeepVersions)
	}
	pageOIDC, err := pageOIDCConfig(cfg)
	if err != nil {
		return err
	}
	split := cfg.metadataStore != "" || cfg.ciphertextStore != ""
	if split && (cfg.store != "" || cfg.metadataStore == "" || cfg.ciphertextStore == "") {
		return errors.New("give either --store, or both --metadata-store and --ciphertext-store")
	}
	var tlsConfig *tls.Config
	if cfg.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
		if err != nil {
			return fmt.Errorf("--tls-cert %s and --tls-key %s: %s", cfg.tlsCert, cfg.tlsKey, tlsReason(err))
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	// Logs and the audit trail go through a redactor that knows every key
	// and credential of this process.
	red := redact.New(redact.Options{})
	logger := slog.New(redact.NewHandler(slog.NewJSONHandler(stderr, nil), red))
	// Every library package records into the global meter provider; the
	// exporter serves what they record at /metrics.
	exporter, err := metrics.New()
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	defer exporter.Shutdown(context.Background())
	otel.SetMeterProvider(exporter.MeterProvider())
	for _, u := range cfg.keks {
		addURLSecrets(red, u)
	}
	if cfg.oidcClientSecret != "" {
		red.Add(cfg.oidcClientSecret)
	}

	dir, err := service.OpenDataDir(cfg.dataDir, service.DataDirOptions{NoLocalKEK: len(cfg.keks) > 0})
	if err != nil {
		return err
	}
	keks := make([]keeper.KEK, 0, len(cfg.keks)+1)
	for _, u := range cfg.keks {
		keks = append(keks, keeper.KEK{URL: u})
	}
	if k, ok := dir.LocalKEK(); ok {
		red.Add(k.URL)
		keks = append(keks, k) // primary only without --kek; else it still reads old data
	}
	env, err := keeper.OpenEnvelope(ctx, keks[0].URL, keeper.EnvelopeOptions{KEKs: keks[1:]})
	if err != nil {
		return fmt.Errorf("--kek: %w", err)
	}
	defer env.Close()
	ready := &service.Readiness{KEKs: keks}
	if err := ready.Check(ctx); err != nil {
		return fmt.Errorf("--kek: %w (check the URL and the credentials of the key service)", err)
	}

	// Each instance is one heartbeat of the shared key configuration:
	// join it as soon as the store is open, before anything is written.
	// (Each caller defers keys.Close after st.Close's defer, so that the
	// heartbeat is removed while the store is still open.)
	var keys *fleet.Keys
	joinKeys := func(st *storage.Store) error {
		var err error
		keys, err = fleet.OpenKeys(ctx, st, env, fleet.KeysOptions{Instance: instanceName(), Logger: logger})
		switch {
		case errors.Is(err, secrets.ErrFailedPrecondition):
			return fmt.Errorf("--kek: %s", oneLine(err.Error()))
		case err != nil:
			return fmt.Errorf("the shared key configuration in the store cannot be read: %s", storeReason(red, err))
		}
		return nil
	}

	var st *storage.Store
	switch {
	case split:
		addURLSecrets(red, cfg.metadataStore)
		addURLSecrets(red, cfg.ciphertextStore)
		if st, err = storage.OpenSplitStore(ctx, cfg.metadataStore, cfg.ciphertextStore); err != nil {
			return fmt.Errorf("--metadata-store %s, --ciphertext-store %s: %s", storeName(cfg.metadataStore), storeName(cfg.ciphertextStore), storeReason(red, err))
		}
		defer st.Close()
	case cfg.store != "":
		addURLSecrets(red, cfg.store)
		if st, err = storage.OpenStore(ctx, cfg.store); err != nil {
			return fmt.Errorf("--store %s: %s", storeName(cfg.store), storeReason(red, err))
		}
		defer st.Close()
	}
	if st != nil {
		if err := joinKeys(st); err != nil {
			return err
		}
		defer keys.Close()
	}

	oidc, err := openOIDC(ctx, cfg)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("--addr %s is in use by another program: stop it or choose another port", cfg.addr)
		}
		return fmt.Errorf("--addr %s: cannot listen: %s", cfg.addr, listenReason(err))
	}
	defer ln.Close()

	audit, closeAudit, err := openAudit(cfg.auditLog, stdout)
	if err != nil {
		return err
	}
	defer closeAudit()
	auditLog := slog.New(redact.NewHandler(slog.NewJSONHandler(audit, nil), red))

	// Every check passed: write the data directory of a first start.
	if err := dir.Save(); err != nil {
		return err
	}
	if st == nil {
		if st, err = storage.OpenStore(ctx, dir.StoreURL()); err != nil {
			return fmt.Errorf("database in %s: %s", dir.Path(), storeReason(red, err))
		}
		defer st.Close()
		if err := joinKeys(st); err != nil {
			return err
		}
		defer keys.Close()
	}
	ready.Store = st
	held := &heldReadiness{env: env, all: keks, store: st, last: ready}
	// Expired revocations, heartbeats and leases are ignored by reads
	// anyway; the sweeper keeps the store from growing with them.
	sweepCtx, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSweep()
	go fleet.Sweeper(sweepCtx, st, fleet.DefaultSweepInterval, logger)

	// One authorizer decides for the Manager and chooses the controls the
	// secrets page shows.
	authz := rbac.NewRoleAuthorizer(nil)
	m, err := secrets.New(secrets.Options{Store: st, Keeper: env, Authorizer: authz, KeepVersions: cfg.keepVersions, Auditor: func(ctx context.Context, e rbac.AuditEvent) {
		auditlog.Decision(ctx, auditLog, e)
	}})
	if err != nil {
		return err
	}
	defer m.Close()

	// The run-token signing key and the revocations live in the store:
	// a token issued through any instance verifies on every other, and a
	// revocation through one is refused by all, after any restart (issue
	// #14). A data directory made before kept its own signing key: tokens
	// it signed (24 hours at most) still verify here.
	rtKey, err := fleet.RunTokenKey(ctx, st, env, runTokenKeyID)
	if err != nil {
		return fmt.Errorf("run-token signing key in the store: %s", oneLine(err.Error()))
	}
	var oldKeys []*runtoken.Key
	if !dir.Fresh() {
		oldKeys = append(oldKeys, dir.RunTokenKey())
	}
	iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: rtKey, OldKeys: oldKeys, Revocations: fleet.RunTokenRevocations(st)})
	if err != nil {
		return err
	}
	toks, err := openAPITokens(ctx, dir, st, m, logger)
	if err != nil {
		return err
	}
	admin, rec, err := fleet.BootstrapAPIToken(ctx, st, toks, adminNamespace)
	if err != nil {
		return fmt.Errorf("bootstrap admin token: %w", err)
	}
	if rec != nil {
		red.Add(admin.DangerouslyExpose())
		fmt.Fprintf(stderr, "strongbox: first start: admin API token (namespace %q, id %s, expires %s), shown only this once; keep it like a password:\n%s\n",
			adminNamespace, rec.ID, rec.ExpiresAt.Format(time.RFC3339), admin.DangerouslyExpose())
		logger.Info("strongbox bootstrap admin token issued", "id", rec.ID, "namespace", adminNamespace)
	}

	var authn httpapi.Authenticator
	if oidc != nil {
		authn = oidc
	}
	api, err := httpapi.New(httpapi.Options{Manager: m, Authenticator: authn, APITokens: toks, RunTokenIssuer: iss, RunSubject: runSubject,
		Auditor: httpapi.LogAuditor(auditLog), Logger: logger})
	if err != nil {
		return err
	}
	// The secrets page at /: sign-in with an API token (the API's token
	// authenticator), or with any bearer credential the API accepts.
	pageAuth := httpapi.APITokens(toks)
	if oidc != nil {
		pageAuth = httpapi.Chain(pageAuth, oidc)
	}
	// Its sessions live in the store too, so a browser signed in through
	// one instance is signed in on all, and a sign-out through one ends
	// the session everywhere; a session signed in with an API token keeps
	// only the token's id and digest and checks them on every request.
	page, err := webui.New(webui.Options{Manager: m, Authenticator: pageAuth, Authorizer: authz, Logger: logger, OIDC: pageOIDC,
		Sessions: fleet.WebSessions(st), APITokens: toks})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := held.current().Check(r.Context()); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	mux.Handle("GET /metrics", exporter)
	// The API's routes, then the page for every other path.
	mux.Handle("/v1/", api)
	mux.Handle("/openapi.json", api)
	mux.Handle("/.well-known/", api)
	mux.Handle("/", page)

	srv := httpapi.NewServer(cfg.addr, mux)
	srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	srv.TLSConfig = tlsConfig
	served := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			served <- srv.ServeTLS(ln, "", "")
		} else {
			served <- srv.Serve(ln)
		}
	}()
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	primary, _ := env.KEKIDs()
	logger.Info("strongbox serving", "url", scheme+"://"+ln.Addr().String(), "dataDir", dir.Path(),
		"firstStart", dir.Fresh(), "primaryKEK", primary, "runTokenKey", rtKey)

	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	logger.Info("strongbox shutting down", "timeout", cfg.shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("requests still in flight after --shutdown-timeout %s were cut off", cfg.shutdownTimeout)
	}
	logger.Info("strongbox stopped")
	return nil
}

// openAudit opens the audit trail: stdout for "-", else a file appended to
// (mode 0600: the trail names principals and secrets).
func openAudit(path string, stdout io.Writer) (io.Writer, func(), error) {
	if path == "-" || path == "" {
		return stdout, func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("--audit-log %s cannot be opened (%s): choose another file", path, reasonOf(err))
	}
	return f, func() { f.Sync(); f.Close() }, nil
}

// pageOIDCConfig is the secrets page's OIDC sign-in the --oidc-client-*
// flags describe, or nil without --oidc-client-id. The page presents the
// provider's ID token to the API's OIDC authenticator, so the client id
// must be the audience that authenticator accepts.
func pageOIDCConfig(cfg serveConfig) (*webui.OIDC, error) {
	if cfg.oidcClientID == "" {
		if cfg.oidcClientSecret != "" || cfg.oidcRedirectURL != "" {
			return nil, errors.New("--oidc-client-secret and --oidc-redirect-url need --oidc-client-id")
		}
		return nil, nil
	}
	if cfg.oidcIssuer == "" {
		return nil, errors.New("--oidc-client-id needs --oidc-issuer (with --oidc-audience and --oidc-role)")
	}
	if cfg.oidcClientID != cfg.oidcAudience {
		return nil, errors.New("--oidc-client-id must equal --oidc-audience: the page signs in with the issuer's ID tokens, whose audience is the client id")
	}
	u, err := url.Parse(cfg.oidcRedirectURL)
	if err != nil || !u.IsAbs() || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || !strings.HasSuffix(u.Path, "/signin/oidc/callback") {
		return nil, errors.New("--oidc-redirect-url must be the absolute URL of the page's callback, ending in /signin/oidc/callback (e.g. https://strongbox.example/signin/oidc/callback)")
	}
	return &webui.OIDC{Issuer: cfg.oidcIssuer, ClientID: cfg.oidcClientID, ClientSecret: cfg.oidcClientSecret, RedirectURL: cfg.oidcRedirectURL}, nil
}

// heldReadiness probes the --kek keys this instance still holds: a key the
// fleet retired (strongbox key remove) is dropped by every instance, and
// may then be deleted in its key service before the instances restart
// without it; probing it would take every instance out of service.
type heldReadiness struct {
	env   *keeper.Envelope
	all   []keeper.KEK
	store *storage.Store

	mu   sync.Mutex
	ids  string
	last *service.Readiness
}

func (h *heldReadiness) current() *service.Readiness {
	_, held := h.env.KEKIDs()
	ids := strings.Join(held, " ")
	h.mu.Lock()
	defer h.mu.Unlock()
	if ids != h.ids {
		var keks []keeper.KEK
		for _, k := range h.all {
			if slices.Contains(held, kekID(k)) {
				keks = append(keks, k)
			}
		}
		h.ids, h.last = ids, &service.Readiness{Store: h.store, KEKs: keks}
	}
	return h.last
}

package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/strongbox-go/strongbox/internal/auditlog"
	"github.com/strongbox-go/strongbox/internal/loadtest"
	"github.com/strongbox-go/strongbox/internal/testing/pgtest"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/fleet"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/storage"
	_ "github.com/strongbox-go/strongbox/storage/sqlstorage" // registers sqlite:// and postgres://
)

// decryptSetup is the server of the decrypt-route benchmark: a Handler over
// a Manager over a SQL store, with request audit and Manager audit logged
// as JSON (to a writer that fails the test if a value shows up), run tokens
// revoked in memory or, as strongbox serve does, in the store
// (fleet.RunTokenRevocations: a read of the store per verification, shared
// by concurrent verifications of one token), served on
// loopback by one httptest server whose handler switches between the real
// Handler and a constant one, so that both are measured through the same
// server and the same client.
type decryptSetup struct {
	srv     *httptest.Server
	current atomic.Pointer[http.Handler]
	real    http.Handler
	values  map[string]string
	tokens  []string
	logs    *leakWriter
}

// leakWriter discards what it is given, counting the writes that contain
// the marker every benchmark value starts with.
type leakWriter struct{ leaks atomic.Int64 }

func (w *leakWriter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(decryptValuePrefix)) {
		w.leaks.Add(1)
	}
	return len(p), nil
}

const decryptValuePrefix = "dv-benchmark-"

// constantHandler is the baseline: what a server that did nothing but
// answer the route's shape would do.
var constantHandler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"value":"constant"}`)
})

// decryptStoreURL returns the store URL of a backend, skipping when
// PostgreSQL is not configured (failing under CI=true).
func decryptStoreURL(t testing.TB, backend string) string {
	t.Helper()
	switch backend {
	case "sqlite":
		return "sqlite://" + filepath.Join(t.TempDir(), "strongbox.db")
	case "postgres":
		return pgtest.Schema(t)
	}
	t.Fatalf("unknown backend %q", backend)
	return ""
}

const decryptSecrets = 20

// decryptConfig is one server of the benchmark: a backend, and whether
// run-token revocations are durable (in the store) or in memory.
type decryptConfig struct {
	backend string
	durable bool
}

func (c decryptConfig) String() string {
	if c.durable {
		return c.backend + "/durable-revocations"
	}
	return c.backend
}

// decryptConfigs are the servers TestDecryptRouteLoad and
// BenchmarkDecryptRoute measure.
var decryptConfigs = []decryptConfig{{"sqlite", false}, {"sqlite", true}, {"postgres", false}, {"postgres", true}}

func newDecryptSetup(t testing.TB, cfg decryptConfig) *decryptSetup {
	t.Helper()
	ctx := context.Background()
	st, err := storage.OpenStore(ctx, decryptStoreURL(t, cfg.backend))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ku, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	kp, err := keeper.OpenEnvelope(ctx, ku, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kp.Close() })
	s := &decryptSetup{logs: &leakWriter{}, values: map[string]string{}}
	logger := slog.New(slog.NewJSONHandler(s.logs, nil))
	// The Manager's decisions are logged as strongbox serve logs them.
	m, err := secrets.New(secrets.Options{Store: st, Keeper: kp,
		Auditor: func(ctx context.Context, e rbac.AuditEvent) { auditlog.Decision(ctx, logger, e) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	key, err := runtoken.NewHMACKey("bench", nil)
	if err != nil {
		t.Fatal(err)
	}
	var revs runtoken.RevocationSet // nil: in memory
	if cfg.durable {
		revs = fleet.RunTokenRevocations(st)
	}
	iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: key, Revocations: revs})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(httpapi.Options{Manager: m, Authenticator: httpapi.StaticTokens(principals),
		RunTokens: iss.Verifier(), Auditor: httpapi.LogAuditor(logger), Logger: logger,
		AuthFailures: httpapi.AuthFailureLimit{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	s.real = h
	for i := range decryptSecrets {
		name := fmt.Sprintf("load-%02d", i)
		var b [12]byte
		_, _ = rand.Read(b[:])
		v := decryptValuePrefix + hex.EncodeToString(b[:])
		body, _ := json.Marshal(map[string]any{"name": name, "value": v, "decrypters": []string{"k6-runner"}})
		req := httptest.NewRequest("POST", base, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tokEditor)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			t.Fatalf("create %s: %d %s", name, rec.Code, rec.Body)
		}
		s.values[name] = v
	}
	s.tokens = make([]string, 10)
	for i := range s.tokens {
		s.tokens[i], _, err = iss.Issue(ctx, runtoken.Grant{Namespace: ns, Subject: "k6-runner", AllNames: true})
		if err != nil {
			t.Fatal(err)
		}
	}
	// A revoked token is refused by the route, and, when revocations are
	// durable, by another verifier on the same store: the configuration
	// measured is the one named.
	revoked, claims, err := iss.Issue(ctx, runtoken.Grant{Namespace: ns, Subject: "k6-runner", AllNames: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.Verifier().Revoke(ctx, claims.ID, claims.Expiry); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", base+"/load-00/decrypt", nil)
	req.Header.Set("Authorization", "Bearer "+revoked)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("decrypt with a revoked run token: status %d, want 401", rec.Code)
	}
	if cfg.durable {
		other, err := runtoken.NewVerifier(runtoken.VerifierOptions{Keys: []*runtoken.Key{key}, Revocations: fleet.RunTokenRevocations(st)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Verify(ctx, revoked); runtoken.Reason(err) != "revoked" {
			t.Fatalf("another verifier on the store: %v, want revoked", err)
		}
	}
	s.use(constantHandler)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*s.current.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	t.Cleanup(func() {
		if n := s.logs.leaks.Load(); n > 0 {
			t.Errorf("%d log records contain a secret value", n)
		}
	})
	return s
}

func (s *decryptSetup) use(h http.Handler) { s.current.Store(&h) }

// request is the i-th decrypt of client c and its check: the real handler
// must answer the secret's value, the constant one its constant.
func (s *decryptSetup) request(c, i int, constant bool) (*http.Request, func(int, []byte) error) {
	name := fmt.Sprintf("load-%02d", (c+i)%decryptSecrets)
	req, _ := http.NewRequest("GET", s.srv.URL+base+"/"+name+"/decrypt", nil)
	req.Header.Set("Authorization", "Bearer "+s.tokens[(c+i)%len(s.tokens)])
	want := s.values[name]
	if constant {
		want = "constant"
	}
	return req, func(status int, body []byte) error {
		if status != http.StatusOK {
			return fmt.Errorf("status %d", status)
		}
		var b struct{ Value string }
		if json.Unmarshal(body, &b) != nil || b.Value != want {
			return errors.New("wrong value")
		}
		return nil
	}
}

func (s *decryptSetup) run(t testing.TB, constant bool, clients int, d time.Duration) loadtest.Result {
	if constant {
		s.use(constantHandler)
	} else {
		s.use(s.real)
	}
	r := loadtest.Run(context.Background(), loadtest.Options{Clients: clients, Duration: d,
		Request: func(c, i int) (*http.Request, func(int, []byte) error) { return s.request(c, i, constant) }})
	if r.Errors > 0 {
		t.Errorf("%d errors; first: %s", r.Errors, r.FirstError)
	}
	return r
}

// TestDecryptRouteLoad is the benchmark of issue #17 item 3: the decrypt
// route (run token, warm data-key cache) under 100 concurrent clients on
// loopback, against a constant handler on the same server, client and run,
// over SQLite and PostgreSQL, with run-token revocations in memory and in
// the store (as strongbox serve keeps them). Rounds alternate which handler
// goes first (loadtest.Compare); it prints every round and the median ratio
// with its quartiles and extremes, and the ratio of CPU time per request.
// With STRONGBOX_LOAD=1 it runs 30 rounds of 300 ms per handler (short
// rounds, often interleaved, keep the median steady on a shared machine
// whose speed drifts within seconds) and requires
// the issue's targets of the median (0.5 of the constant handler on
// SQLite, 0.35 on PostgreSQL) with and without durable revocations;
// otherwise one short round that only checks the answers.
// STRONGBOX_LOAD_DURATION changes the per-handler duration of a round,
// STRONGBOX_LOAD_ROUNDS the number of rounds, and STRONGBOX_LOAD_CONFIGS
// (comma-separated, e.g. "postgres/durable-revocations") the servers
// measured.
func TestDecryptRouteLoad(t *testing.T) {
	rounds, d, long := 1, 200*time.Millisecond, os.Getenv("STRONGBOX_LOAD") == "1"
	if long {
		rounds, d = 30, 300*time.Millisecond
	}
	if v, err := time.ParseDuration(os.Getenv("STRONGBOX_LOAD_DURATION")); err == nil {
		d = v
	}
	if n, err := strconv.Atoi(os.Getenv("STRONGBOX_LOAD_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	only := os.Getenv("STRONGBOX_LOAD_CONFIGS")
	const clients = 100
	targets := map[string]float64{"sqlite": 0.5, "postgres": 0.35}
	for _, cfg := range decryptConfigs {
		if only != "" && !slices.Contains(strings.Split(only, ","), cfg.String()) {
			continue
		}
		t.Run(cfg.String(), func(t *testing.T) {
			s := newDecryptSetup(t, cfg)
			s.run(t, false, clients, d/4) // warm: connections, data-key cache, statements
			c := loadtest.Compare(rounds,
				func() loadtest.Result { return s.run(t, true, clients, d) },
				func() loadtest.Result { return s.run(t, false, clients, d) })
			for i, r := range c.Rounds {
				t.Logf("round %d: constant %s", i+1, r.Baseline)
				t.Logf("round %d: decrypt  %s", i+1, r.Subject)
				t.Logf("round %d: ratio %.3f", i+1, r.Ratio)
			}
			t.Logf("%s: decrypt route does %s of the constant handler's req/s (target %.2f)", cfg, c, targets[cfg.backend])
			if long && c.Median() < targets[cfg.backend] {
				t.Errorf("%s: median ratio %.3f < target %.2f", cfg, c.Median(), targets[cfg.backend])
			}
		})
	}
}

// BenchmarkDecryptRoute is the profile target of the decrypt route: b.N
// decrypts by 100 concurrent loopback clients (go test -run '^$' -bench
// DecryptRoute -cpuprofile cpu.out). The constant sub-benchmark is the
// same server and client with the constant handler.
func BenchmarkDecryptRoute(b *testing.B) {
	for _, cfg := range decryptConfigs {
		b.Run(cfg.String(), func(b *testing.B) {
			s := newDecryptSetup(b, cfg)
			for _, mode := range []string{"handler", "constant"} {
				b.Run(mode, func(b *testing.B) {
					h := s.real
					if mode == "constant" {
						h = constantHandler
					}
					s.use(h)
					tr := &http.Transport{MaxIdleConnsPerHost: 100, MaxConnsPerHost: 100}
					defer tr.CloseIdleConnections()
					hc := &http.Client{Transport: tr}
					var next atomic.Int64
					b.SetParallelism(max(1, 100/max(1, testingProcs())))
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						c := int(next.Add(1))
						for i := 0; pb.Next(); i++ {
							req, check := s.request(c, i, mode == "constant")
							res, err := hc.Do(req)
							if err != nil {
								b.Error(err)
								return
							}
							body, err := io.ReadAll(res.Body)
							res.Body.Close()
							if err == nil {
								err = check(res.StatusCode, body)
							}
							if err != nil {
								b.Error(err)
								return
							}
						}
					})
				})
			}
		})
	}
}

func testingProcs() int { return runtime.GOMAXPROCS(0) }

// BenchmarkDecryptHandler is the server's share of a decrypt, without the
// network: Handler.ServeHTTP called directly, one request at a time, with
// the process's CPU time per request reported (cpu-ns/op), which the load
// of other processes moves far less than the wall time. A decrypt over
// loopback costs about this plus what the constant handler's request costs
// (BenchmarkDecryptRoute), so the route's ratio is near constant/(constant
// + this).
func BenchmarkDecryptHandler(b *testing.B) {
	for _, cfg := range decryptConfigs {
		b.Run(cfg.String(), func(b *testing.B) {
			s := newDecryptSetup(b, cfg)
			reqs := make([]*http.Request, decryptSecrets)
			checks := make([]func(int, []byte) error, decryptSecrets)
			for i := range reqs {
				r, check := s.request(i, 0, false)
				reqs[i] = httptest.NewRequest(r.Method, r.URL.RequestURI(), nil)
				reqs[i].Header = r.Header
				reqs[i].RemoteAddr = "127.0.0.1:1234"
				checks[i] = check
			}
			b.ReportAllocs()
			cpu0 := loadtest.ProcessCPU()
			for i := 0; b.Loop(); i++ {
				rec := httptest.NewRecorder()
				s.real.ServeHTTP(rec, reqs[i%len(reqs)])
				if err := checks[i%len(reqs)](rec.Code, rec.Body.Bytes()); err != nil {
					b.Fatal(err)
				}
			}
			if cpu := loadtest.ProcessCPU() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

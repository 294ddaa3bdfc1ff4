package linearize_test

import (
	"cmp"
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/strongbox-go/strongbox/internal/testing/fault"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/internal/testing/linearize"
	"github.com/strongbox-go/strongbox/internal/testing/pgtest"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/storage"
	_ "github.com/strongbox-go/strongbox/storage/sqlstorage" // registers postgres://
)

const (
	ns     = "team-lin"
	runner = "k6-runner"
)

// Each instance bounds a request's work (store calls included) to
// requestTimeout; clients give up after clientTimeout. Both make an
// Unknown outcome, never a hang. A call stalled by a blackhole waits the
// whole requestTimeout, so it sets much of the test's duration; the race
// detector's slowdown needs twice as long.
var (
	requestTimeout = time.Second * time.Duration(1+btoi(raceEnabled))
	clientTimeout  = 2 * requestTimeout
)

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// postgresSchema returns the URL of a fresh schema on the test PostgreSQL
// server, dropped when the test ends (pgtest.Schema: skipped without one,
// failed under CI=true).
func postgresSchema(t *testing.T) string { return pgtest.Schema(t) }

// envCount reads a positive count from the environment, def if unset.
func envCount(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

// artifactDir is where violation reports go: $STRONGBOX_TEST_ARTIFACTS
// (kept by CI), else the test's temporary directory.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("STRONGBOX_TEST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("STRONGBOX_TEST_ARTIFACTS: %v", err)
	}
	return dir
}

// errorLog is a handler's Logger: it counts the 5xx it logs by code and
// keeps those whose cause is a decryption failure, which under any network
// fault means a secret's metadata and ciphertext disagreed.
type errorLog struct {
	mu       sync.Mutex
	codes    map[string]int
	decrypts []string
	others   []string // a sample of the 5xx other than unavailable
}

func (l *errorLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelError }
func (l *errorLog) WithAttrs([]slog.Attr) slog.Handler            { return l }
func (l *errorLog) WithGroup(string) slog.Handler                 { return l }
func (l *errorLog) Handle(_ context.Context, r slog.Record) error {
	var code, msg, route string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "code":
			code = a.Value.String()
		case "error":
			msg = a.Value.String()
		case "route":
			route = a.Value.String()
		}
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.codes == nil {
		l.codes = map[string]int{}
	}
	l.codes[code]++
	if strings.Contains(msg, keeper.ErrDecrypt.Error()) {
		l.decrypts = append(l.decrypts, route+": "+msg)
	}
	if code != "unavailable" && len(l.others) < 5 {
		l.others = append(l.others, route+": "+code+": "+msg)
	}
	return nil
}

// instance is one strongbox process: its own store connection pool
// (through its own proxy to PostgreSQL), keeper, Manager and HTTP server.
type instance struct {
	proxy  *fault.Proxy
	mgmt   *httpapi.Client // an editor (user)
	reveal *httpapi.Client // the runner (service, decrypter)
}

type fleet struct {
	t     *testing.T
	insts []*instance
	logs  *errorLog
	epoch time.Time
}

// fleetOptions shapes a fleet; zero fields take the defaults.
type fleetOptions struct {
	instances int // 3
	// wrap, if set, wraps instance i's handler (the mutant).
	wrap func(i int, h http.Handler) http.Handler
	// requestTimeout and clientTimeout: the constants of the same names.
	requestTimeout, clientTimeout time.Duration
}

// newFleet starts instances on the PostgreSQL schema at pgURL, all with
// one local KEK.
func newFleet(t *testing.T, pgURL string, o fleetOptions) *fleet {
	t.Helper()
	n := cmp.Or(o.instances, 3)
	wrap := o.wrap
	reqTimeout, cliTimeout := cmp.Or(o.requestTimeout, requestTimeout), cmp.Or(o.clientTimeout, clientTimeout)
	ctx := context.Background()
	kekURL, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(kekURL)
	editorTok, runnerTok := randomToken(), randomToken()
	leakcheck.Register(editorTok, runnerTok)
	principals := map[string]rbac.Principal{
		editorTok: {Kind: rbac.KindUser, ID: "alice", Namespace: ns, Roles: []rbac.Role{rbac.RoleEditor}},
		runnerTok: {Kind: rbac.KindService, ID: runner, Namespace: ns, Roles: []rbac.Role{rbac.RoleDecrypter}},
	}
	pg, err := url.Parse(pgURL)
	if err != nil {
		t.Fatal("the PostgreSQL URL does not parse")
	}
	f := &fleet{t: t, logs: &errorLog{}, epoch: time.Now()}
	for i := range n {
		p, err := fault.NewProxy(pg.Host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		u := *pg
		u.Host = p.Addr()
		q := u.Query()
		q.Set("connect_timeout", "2")
		u.RawQuery = q.Encode()
		st, err := storage.OpenStore(ctx, u.String())
		if err != nil {
			t.Fatalf("instance %d: opening the store: %v", i, err)
		}
		t.Cleanup(func() { st.Close() })
		kp, err := keeper.OpenEnvelope(ctx, kekURL, keeper.EnvelopeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { kp.Close() })
		m, err := secrets.New(secrets.Options{Store: st, Keeper: kp, Auditor: leakcheck.Auditor(nil)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		h, err := httpapi.New(httpapi.Options{
			Manager:        m,
			Authenticator:  httpapi.StaticTokens(principals),
			AuthFailures:   httpapi.AuthFailureLimit{Disabled: true},
			RequestTimeout: reqTimeout,
			Logger:         slog.New(leakcheck.Handler(f.logs)),
		})
		if err != nil {
			t.Fatal(err)
		}
		var handler http.Handler = h
		if wrap != nil {
			handler = wrap(i, handler)
		}
		srv := httptest.NewServer(leakcheck.Middleware(handler, isDecrypt))
		t.Cleanup(srv.Close)
		hc := &http.Client{Timeout: cliTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		t.Cleanup(hc.CloseIdleConnections)
		client := func(tok string) *httpapi.Client {
			c, err := httpapi.NewClient(srv.URL, httpapi.ClientOptions{HTTPClient: hc, Token: secrets.NewValue(tok)})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		f.insts = append(f.insts, &instance{proxy: p, mgmt: client(editorTok), reveal: client(runnerTok)})
	}
	t.Cleanup(func() {
		for _, in := range f.insts {
			in.proxy.Heal()
			in.proxy.SetLatency(0)
		}
	})
	return f
}

func isDecrypt(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/decrypt") }

func randomToken() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	return "lin-" + hex.EncodeToString(b[:])
}

// valueHash is how histories know a value: never the value itself.
func valueHash(v string) uint64 {
	sum := sha256.Sum256([]byte(v))
	return binary.BigEndian.Uint64(sum[:8]) | 1 // never 0, which means "no value"
}

// errUnexpected marks an answer no call of the history may get (invalid,
// permission denied, unauthenticated): a mistake of the test or a bug.
var errUnexpected = errors.New("unexpected answer")

// outcome classifies a call's error. Writes that end in anything but a
// definite answer are Unknown: they may have been committed.
func outcome(err error) (linearize.Outcome, error) {
	switch {
	case err == nil:
		return linearize.OK, nil
	case errors.Is(err, secrets.ErrRevoked):
		return linearize.Revoked, nil
	case errors.Is(err, secrets.ErrNotFound):
		return linearize.NotFound, nil
	case errors.Is(err, secrets.ErrAlreadyExists):
		return linearize.AlreadyExists, nil
	case errors.Is(err, secrets.ErrConflict):
		return linearize.Conflict, nil
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, secrets.ErrUnavailable), errors.Is(err, secrets.ErrInternal):
		return linearize.Unknown, nil
	}
	return linearize.Unknown, fmt.Errorf("%w: %v", errUnexpected, err)
}

func metaOutput(s *secrets.Secret, withDesc bool) linearize.Output {
	out := linearize.Output{Outcome: linearize.OK, Rev: s.Revision, Version: s.Version, Revoked: s.Revoked}
	if withDesc {
		out.Desc = s.Description
	}
	return out
}

// call makes one call through inst and returns its output; value is the
// value written by Create and Reset.
func call(ctx context.Context, inst *instance, name string, in linearize.Input, value string) (linearize.Output, error) {
	var (
		s   *secrets.Secret
		err error
	)
	desc := false
	switch in.Kind {
	case linearize.Create:
		s, err = inst.mgmt.Create(ctx, ns, secrets.Spec{Name: name, Description: in.Desc, Value: secrets.NewValue(value), Decrypters: []string{runner}})
	case linearize.Update:
		s, err = inst.mgmt.Update(ctx, ns, &secrets.Secret{Name: name, Description: in.Desc, Decrypters: []string{runner}, Revision: in.Rev})
		desc = true
	case linearize.Reset:
		s, err = inst.mgmt.Reset(ctx, ns, name, secrets.NewValue(value), in.Rev)
	case linearize.Revoke:
		s, err = inst.mgmt.Revoke(ctx, ns, name, in.Rev)
	case linearize.Delete:
		err = inst.mgmt.Delete(ctx, ns, name, in.Rev)
	case linearize.Reveal:
		var v secrets.Value
		v, err = inst.reveal.RevealValue(ctx, ns, name)
		if err == nil {
			return linearize.Output{Outcome: linearize.OK, Value: valueHash(v.DangerouslyExpose())}, nil
		}
	case linearize.Get:
		s, err = inst.mgmt.Get(ctx, ns, name)
		desc = true
	}
	o, uerr := outcome(err)
	if o != linearize.OK {
		return linearize.Output{Outcome: o}, uerr
	}
	if in.Kind == linearize.Delete {
		return linearize.Output{Outcome: linearize.OK}, nil
	}
	return metaOutput(s, desc), nil
}

// counters sum what the histories did, for the report.
type counters struct {
	calls, unknownWrites, droppedReads atomic.Int64
	byOutcome                          [linearize.Unknown + 1]atomic.Int64
}

// historyConfig shapes one history.
type historyConfig struct {
	clients, callsPerClient int
	maxThink                time.Duration
}

// runHistory has cfg.clients clients call random instances on the secret
// name; it returns the history, Unknown calls ending after every other.
func (f *fleet) runHistory(ctx context.Context, name string, seed uint64, cfg historyConfig, c *counters) ([]porcupine.Operation, error) {
	start := time.Now()
	var (
		mu      sync.Mutex
		history []porcupine.Operation
		wg      sync.WaitGroup
		errs    = make([]error, cfg.clients)
	)
	for cl := range cfg.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(cl)))
			lastRev := int64(1)
			for range cfg.callsPerClient {
				time.Sleep(time.Duration(rng.Int64N(int64(cfg.maxThink) + 1)))
				in, value := randomInput(rng, lastRev)
				in.Instance = rng.IntN(len(f.insts))
				inst := f.insts[in.Instance]
				callAt := time.Since(start)
				out, err := call(ctx, inst, name, in, value)
				retAt := time.Since(start)
				if err != nil {
					errs[cl] = fmt.Errorf("client %d, %s: %w", cl, in.Kind, err)
					return
				}
				c.calls.Add(1)
				c.byOutcome[out.Outcome].Add(1)
				if out.Outcome == linearize.Unknown {
					if in.Kind.IsRead() {
						c.droppedReads.Add(1)
						continue // constrains nothing
					}
					c.unknownWrites.Add(1)
				}
				if out.Outcome == linearize.OK && out.Rev > 0 {
					lastRev = out.Rev
				}
				mu.Lock()
				history = append(history, porcupine.Operation{ClientId: cl, Input: in, Call: int64(callAt), Output: out, Return: int64(retAt)})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	end := linearize.End(history)
	for i := range history {
		if history[i].Output.(linearize.Output).Outcome == linearize.Unknown {
			history[i].Return = end
		}
	}
	return history, errors.Join(errs...)
}

// randomInput picks a call: writes guarded by the revision this client last
// saw (often stale: other clients write too) or by 0 (current).
func randomInput(rng *rand.Rand, lastRev int64) (linearize.Input, string) {
	guard := func() int64 {
		if rng.IntN(2) == 0 {
			return 0
		}
		return lastRev
	}
	switch r := rng.IntN(100); {
	case r < 18:
		v := leakcheck.NewValue("lin")
		return linearize.Input{Kind: linearize.Create, Value: valueHash(v), Desc: "c" + strconv.Itoa(rng.IntN(100))}, v
	case r < 30:
		return linearize.Input{Kind: linearize.Update, Rev: lastRev, Desc: "u" + strconv.Itoa(rng.IntN(100))}, ""
	case r < 48:
		v := leakcheck.NewValue("lin")
		return linearize.Input{Kind: linearize.Reset, Rev: guard(), Value: valueHash(v)}, v
	case r < 56:
		return linearize.Input{Kind: linearize.Revoke, Rev: guard()}, ""
	case r < 64:
		return linearize.Input{Kind: linearize.Delete, Rev: guard()}, ""
	case r < 86:
		return linearize.Input{Kind: linearize.Reveal}, ""
	default:
		return linearize.Input{Kind: linearize.Get}, ""
	}
}

// violation is a refused history, reported.
type violation struct {
	text       string
	html, mini string // visualization files
}

// check checks one history; a refused one is minimized, visualized under
// dir and described.
func check(t *testing.T, label string, history []porcupine.Operation, dir string) (*violation, error) {
	res, info := porcupine.CheckOperationsVerbose(linearize.Model, history, 30*time.Second)
	switch res {
	case porcupine.Ok:
		return nil, nil
	case porcupine.Unknown:
		return nil, fmt.Errorf("%s: the checker timed out on %d calls", label, len(history))
	}
	minimal := linearize.Minimize(history)
	v := &violation{html: filepath.Join(dir, label+".html"), mini: filepath.Join(dir, label+"-minimal.html")}
	if err := porcupine.VisualizePath(linearize.Model, info, v.html); err != nil {
		t.Errorf("visualizing %s: %v", label, err)
	}
	_, minfo := porcupine.CheckOperationsVerbose(linearize.Model, minimal, 0)
	if err := porcupine.VisualizePath(linearize.Model, minfo, v.mini); err != nil {
		t.Errorf("visualizing %s: %v", label, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s is not linearizable; a minimal history (%d of %d calls) the model cannot explain:\n", label, len(minimal), len(history))
	for _, op := range sortedByCall(minimal) {
		b.WriteString("  " + linearize.Describe(op) + "\n")
	}
	fmt.Fprintf(&b, "visualization: %s (minimal: %s)", v.html, v.mini)
	v.text = b.String()
	return v, nil
}

func sortedByCall(h []porcupine.Operation) []porcupine.Operation {
	out := append([]porcupine.Operation(nil), h...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Call < out[j-1].Call; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// faultKind names what the schedule injects.
type faultKind int

const (
	faultLatency faultKind = iota
	faultReset
	faultCut
	nFaultKinds
)

var faultNames = [nFaultKinds]string{"latency", "reset", "cut"}

type faultEvent struct {
	kind       faultKind
	proxy      int
	detail     string
	start, end time.Duration // since the fleet's epoch
}

// schedule plays faults on the fleet's proxies until stop is closed, in a
// cycle: quiet; latency on one proxy; resets of one proxy's connections
// (under a little latency, so queries are in flight); a cut of one proxy,
// refusing or blackholing, for 1-3 s. It returns what it did.
func (f *fleet) schedule(seed uint64, stop <-chan struct{}) []faultEvent {
	rng := rand.New(rand.NewPCG(seed, 0xfa017))
	var events []faultEvent
	since := func() time.Duration { return time.Since(f.epoch) }
	sleep := func(d time.Duration) bool {
		select {
		case <-stop:
			return false
		case <-time.After(d):
			return true
		}
	}
	defer func() {
		for _, in := range f.insts {
			in.proxy.Heal()
			in.proxy.SetLatency(0)
		}
	}()
	for cycle := 0; ; cycle++ {
		if !sleep(150 * time.Millisecond) {
			return events
		}
		// Latency.
		i := rng.IntN(len(f.insts))
		lat := time.Duration(2+rng.IntN(30)) * time.Millisecond
		ev := faultEvent{kind: faultLatency, proxy: i, detail: lat.String(), start: since()}
		f.insts[i].proxy.SetLatency(lat)
		ok := sleep(500 * time.Millisecond)
		f.insts[i].proxy.SetLatency(0)
		ev.end = since()
		events = append(events, ev)
		if !ok {
			return events
		}
		// Resets.
		i = rng.IntN(len(f.insts))
		f.insts[i].proxy.SetLatency(3 * time.Millisecond)
		for range 3 {
			if !sleep(time.Duration(50+rng.IntN(100)) * time.Millisecond) {
				f.insts[i].proxy.SetLatency(0)
				return events
			}
			at := since()
			n := f.insts[i].proxy.Reset()
			events = append(events, faultEvent{kind: faultReset, proxy: i, detail: fmt.Sprintf("%d connections", n), start: at, end: at})
		}
		f.insts[i].proxy.SetLatency(0)
		if !sleep(150 * time.Millisecond) {
			return events
		}
		// A cut.
		i = rng.IntN(len(f.insts))
		// A blackholed call waits out its requestTimeout, so blackholes,
		// which set most of the run's duration, are one cut in three.
		mode := fault.Refuse
		if cycle%3 == 1 {
			mode = fault.Blackhole
		}
		d := time.Second + time.Duration(rng.Int64N(int64(2*time.Second)))
		ev = faultEvent{kind: faultCut, proxy: i, detail: fmt.Sprintf("%v for %v", mode, d.Round(time.Millisecond)), start: since()}
		f.insts[i].proxy.CutFor(mode, d)
		ok = sleep(d)
		f.insts[i].proxy.Heal()
		ev.end = since()
		events = append(events, ev)
		if !ok {
			return events
		}
	}
}

// TestFleetLinearizable: calls of create, update, reset, revoke, delete,
// reveal and get on one secret, made concurrently through three instances
// whose links to PostgreSQL suffer latency, resets and cuts, are
// linearizable: every history is explained by some order of its calls
// consistent with real time (issue #14, "Linearizability").
func TestFleetLinearizable(t *testing.T) {
	histories := envCount(t, "STRONGBOX_FLEET_HISTORIES", 200)
	f := newFleet(t, postgresSchema(t), fleetOptions{})
	dir := artifactDir(t)
	// Histories on distinct names share nothing the model sees, so they
	// run side by side; fewer under the race detector, where more would
	// mostly turn calls into timeouts (Unknown outcomes, which check
	// little).
	workers := 12
	if raceEnabled {
		workers = 4
	}
	cfg := historyConfig{clients: 4, callsPerClient: 8, maxThink: 25 * time.Millisecond}
	seed := rand.Uint64()
	t.Logf("seed %d, %d histories, %d at a time, %d clients x %d calls each", seed, histories, workers, cfg.clients, cfg.callsPerClient)

	var c counters
	stop := make(chan struct{})
	eventsc := make(chan []faultEvent, 1)
	go func() { eventsc <- f.schedule(seed, stop) }()

	type span struct{ start, end time.Duration }
	spans := make([]span, histories)
	var (
		next       atomic.Int64
		checked    atomic.Int64
		violations atomic.Int64
		mu         sync.Mutex
		checkTime  time.Duration
		wg         sync.WaitGroup
	)
	begin := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				h := int(next.Add(1) - 1)
				if h >= histories || t.Failed() && violations.Load() > 0 {
					return
				}
				name := fmt.Sprintf("lin-%d", h)
				s := time.Since(f.epoch)
				history, err := f.runHistory(context.Background(), name, seed+uint64(h), cfg, &c)
				spans[h] = span{s, time.Since(f.epoch)}
				if err != nil {
					t.Errorf("history %d: %v", h, err)
					continue
				}
				cs := time.Now()
				v, err := check(t, fmt.Sprintf("%s-history-%d", t.Name(), h), history, dir)
				mu.Lock()
				checkTime += time.Since(cs)
				mu.Unlock()
				checked.Add(1)
				switch {
				case err != nil:
					t.Error(err)
				case v != nil:
					violations.Add(1)
					t.Errorf("seed %d: %s", seed, v.text)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	events := <-eventsc
	elapsed := time.Since(begin)

	// Which faults overlapped which histories.
	var overlapped [nFaultKinds]int
	var count [nFaultKinds]int
	for _, e := range events {
		count[e.kind]++
	}
	for _, s := range spans {
		var hit [nFaultKinds]bool
		for _, e := range events {
			if e.start <= s.end && e.end >= s.start {
				hit[e.kind] = true
			}
		}
		for k, h := range hit {
			if h {
				overlapped[k]++
			}
		}
	}
	var faults []string
	for k := range nFaultKinds {
		faults = append(faults, fmt.Sprintf("%s: %d injected, overlapping %d histories", faultNames[k], count[k], overlapped[k]))
	}
	var stats []string
	for i, in := range f.insts {
		stats = append(stats, fmt.Sprintf("proxy %d %+v", i, in.proxy.Stats()))
	}
	var outcomes []string
	for o := linearize.OK; o <= linearize.Unknown; o++ {
		outcomes = append(outcomes, fmt.Sprintf("%s %d", o, c.byOutcome[o].Load()))
	}
	f.logs.mu.Lock()
	codes := fmt.Sprint(f.logs.codes)
	decrypts := f.logs.decrypts
	others := f.logs.others
	f.logs.mu.Unlock()
	for _, o := range others {
		t.Logf("5xx: %s", o)
	}
	t.Logf("%d histories checked, %d violations, in %v (checking: %v of worker time); %d calls (%s), %d Unknown writes kept, %d Unknown reads dropped; 5xx by code %s",
		checked.Load(), violations.Load(), elapsed.Round(time.Millisecond), checkTime.Round(time.Millisecond),
		c.calls.Load(), strings.Join(outcomes, ", "), c.unknownWrites.Load(), c.droppedReads.Load(), codes)
	t.Logf("faults: %s", strings.Join(faults, "; "))
	t.Logf("%s", strings.Join(stats, "; "))
	t.Logf("violation reports go to %s", dir)
	for _, d := range decrypts {
		t.Errorf("a reveal found metadata and ciphertext that disagree: %s", d)
	}
	if t.Failed() {
		return
	}
	if got := checked.Load(); got != int64(histories) {
		t.Errorf("checked %d histories, want %d", got, histories)
	}
	// The faults must have happened and hit histories, or the run shows
	// nothing about them (a short run may see no cut: then say so).
	if count[faultLatency] == 0 || overlapped[faultLatency] == 0 {
		t.Errorf("no history ran under latency")
	}
	if count[faultReset] == 0 || overlapped[faultReset] == 0 {
		t.Errorf("no history ran across a connection reset")
	}
	if elapsed > 3*time.Second && (count[faultCut] == 0 || overlapped[faultCut] == 0) {
		t.Errorf("no history ran across a cut")
	}
	if c.byOutcome[linearize.OK].Load() == 0 || c.byOutcome[linearize.Conflict].Load() == 0 {
		t.Errorf("the histories had no successes or no conflicts: the mix tests little")
	}
}

// staleReveals is the mutant: it answers a decrypt from a cache of that
// route's last answer for ttl, as a careless caching layer in front of an
// instance would.
func staleReveals(next http.Handler, ttl time.Duration) http.Handler {
	type entry struct {
		at     time.Time
		status int
		header http.Header
		body   []byte
	}
	var (
		mu    sync.Mutex
		cache = map[string]entry{}
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !isDecrypt(r) {
			next.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		e, ok := cache[r.URL.Path]
		mu.Unlock()
		if ok && time.Since(e.at) < ttl {
			for k, v := range e.header {
				w.Header()[k] = v
			}
			w.WriteHeader(e.status)
			_, _ = w.Write(e.body)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		res := rec.Result()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode == http.StatusOK {
			mu.Lock()
			cache[r.URL.Path] = entry{time.Now(), res.StatusCode, res.Header.Clone(), body}
			mu.Unlock()
		}
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(body)
	})
}

// TestFleetLinearizableCatchesStaleReads: the checker has teeth. With
// one instance answering reveals from a one-second cache, some history
// is refused, its minimal history still is, and both are drawn as HTML.
func TestFleetLinearizableCatchesStaleReads(t *testing.T) {
	f := newFleet(t, postgresSchema(t), fleetOptions{wrap: func(i int, h http.Handler) http.Handler {
		if i == 2 {
			return staleReveals(h, time.Second)
		}
		return h
	}})
	dir := t.TempDir() // an expected violation is not a CI artifact
	cfg := historyConfig{clients: 3, callsPerClient: 8, maxThink: 30 * time.Millisecond}
	seed := rand.Uint64()
	var c counters
	const maxHistories = 40
	for h := range maxHistories {
		history, err := f.runHistory(context.Background(), fmt.Sprintf("mut-%d", h), seed+uint64(h), cfg, &c)
		if err != nil {
			t.Fatal(err)
		}
		v, err := check(t, fmt.Sprintf("mutant-history-%d", h), history, dir)
		if err != nil {
			t.Fatal(err)
		}
		if v == nil {
			continue
		}
		t.Logf("caught after %d histories (seed %d):\n%s", h+1, seed, v.text)
		for _, p := range []string{v.html, v.mini} {
			b, err := os.ReadFile(p)
			if err != nil || !strings.Contains(string(b), "<html") {
				t.Errorf("visualization %s: %v, %d bytes", p, err, len(b))
			}
		}
		if !strings.Contains(v.text, "via 2 ") || !strings.Contains(v.text, "reveal") {
			t.Errorf("the minimal history has no call of the stale instance 2, or no reveal, yet only its reveals were made stale:\n%s", v.text)
		}
		return
	}
	t.Errorf("%d histories through a stale-reading instance were all accepted: the checker has no teeth", maxHistories)
}

// TestFleetModelMatchesSequential: without concurrency or faults, every
// answer of the fleet is exactly the model's, call by call, so the model
// is neither looser nor stricter than the service it stands for.
func TestFleetModelMatchesSequential(t *testing.T) {
	f := newFleet(t, postgresSchema(t), fleetOptions{})
	// A fixed seed: the sequence, hence the cases it reaches, is the same every run.
	rng := rand.New(rand.NewPCG(14, 1))
	ctx := context.Background()
	var s linearize.State
	seen := map[linearize.Kind]map[linearize.Outcome]bool{}
	lastRev := int64(1)
	for i := range 150 {
		in, value := randomInput(rng, lastRev)
		if rng.IntN(4) == 0 { // a revision that is surely stale
			if in.Kind == linearize.Update || in.Kind == linearize.Reset || in.Kind == linearize.Revoke || in.Kind == linearize.Delete {
				in.Rev = s.Rev + 5
			}
		}
		got, err := call(ctx, f.insts[rng.IntN(len(f.insts))], "seq", in, value)
		if err != nil {
			t.Fatalf("call %d %s: %v", i, in.Kind, err)
		}
		want, next := linearize.Apply(s, in)
		if got != want {
			t.Fatalf("call %d in state %s: %s(%+v) = %+v, the model says %+v", i, linearize.DescribeState(s), in.Kind, in, got, want)
		}
		s = next
		if got.Rev > 0 {
			lastRev = got.Rev
		}
		if seen[in.Kind] == nil {
			seen[in.Kind] = map[linearize.Outcome]bool{}
		}
		seen[in.Kind][got.Outcome] = true
	}
	// The sequence reached the cases the model distinguishes.
	for _, want := range []struct {
		k linearize.Kind
		o linearize.Outcome
	}{
		{linearize.Create, linearize.OK}, {linearize.Create, linearize.AlreadyExists},
		{linearize.Reset, linearize.OK}, {linearize.Reset, linearize.Conflict},
		{linearize.Update, linearize.OK}, {linearize.Update, linearize.Conflict},
		{linearize.Revoke, linearize.OK}, {linearize.Delete, linearize.OK},
		{linearize.Reveal, linearize.OK}, {linearize.Reveal, linearize.NotFound}, {linearize.Reveal, linearize.Revoked},
		{linearize.Get, linearize.OK}, {linearize.Get, linearize.NotFound},
	} {
		if !seen[want.k][want.o] {
			t.Errorf("150 calls never saw %s -> %s", want.k, want.o)
		}
	}
}

// Package modeltest is the model-based test of secrets.Manager: random
// sequences of Create, Get, List, Update, Reset, Revoke, Delete, Reveal,
// CollectGarbage and Rewrap calls, and of the value history's Versions,
// Rollback, Destroy and pinned reveals ("name@N"), by random principals in
// two namespaces, through one to three Managers on one store (see
// # Several Managers),
// with key-encryption-key rotations and removals and forged ciphertexts
// (one secret's copied over another's: invariant 2) between them, some calls
// racing and some hit by injected faults (store and keeper errors, lost
// acknowledgements, timeouts, crashes before or during any call of a write,
// key service outages and refusals), checked call by call against a small
// in-memory model, with DESIGN.md's invariants checked directly in the
// store after every write.
//
// Every backend runs it from its own package:
//
//	func TestModel(t *testing.T) {
//		modeltest.Run(t, func(t testing.TB) *storage.Store { return openMyStore(t) }, modeltest.Options{})
//	}
//
// and Fuzz makes the same harness a coverage-guided fuzz target.
//
// # What is compared
//
//   - Every result: error codes (errors.Is and secrets.ErrorCode, and that
//     every error is typed), every metadata field the model can predict
//     (times come from a fake clock), revealed values, list contents with
//     selectors and page sizes across all pages.
//   - Deny by default: a call the model denies makes no store, keeper or
//     key-encryption-key call and writes a denial audit event. After Close,
//     calls fail the same way.
//   - After every write, straight from the store: metadata equals the model,
//     every live secret's ciphertext exists and decrypts to the model's value
//     under its associated data, revoked secrets point at nothing, no
//     ciphertext or metadata holds a plaintext, and there are no orphaned
//     ciphertexts unless a fault hit since the last CollectGarbage.
//   - Value history (history.go): the Manager's default window is drawn
//     per sequence (0 to 3 earlier values) and a secret's own per Create
//     and Update, so history runs inside the same sequences. The stored
//     history equals the model's entry by entry (version, time, author,
//     revoked, destroyed), every kept value's ciphertext exists, carries
//     its version and decrypts under that version's associated data to the
//     model's value, and kept values count as live (so one left behind
//     when it fell out of the window is an orphan). Rollback, Destroy and
//     pinned reveals are checked like the other calls: codes, results,
//     denials, faults. Through an Options.API that does not implement
//     HistoryAPI, secrets keep no values and the history calls go to the
//     Manager. After a
//     complete Rewrap nothing is under an older key; a key is removable only
//     when nothing uses it, and every value still decrypts.
//   - Faults: a write hit by a fault either fails with a typed error or
//     succeeds; the harness reads the store back and accepts exactly two
//     states, "unchanged" and "fully applied", and moves the model to the one
//     it finds (after a context error, once the store holds still: a SQL
//     server may commit a statement its client gave up on). Acknowledged
//     writes are never lost; stale revisions never overwrite (racing
//     writers: exactly one wins).
//   - Leaks: every value is made by leakcheck.NewValue; every error, result
//     and audit event is checked with leakcheck, and a step that leaks fails.
//
// # Several Managers
//
// About two sequences in three are run by two or three Managers on the
// one store, as several processes of a fleet (Run fails if fewer than half
// of a run of at least 500 were, or if none promoted or removed a key
// through fleet.Keys or revoked a run token): each with its own view of
// the store, its own keeper.Envelope (so its own data-key cache), its own
// clients of the same key-encryption keys, its own Injector (a fault or
// crash hits one process) and, once a sequence rotates a key, its own
// fleet.Keys. Every step goes through a drawn Manager, racing writers
// through different ones; the model stays one service. Key rotations
// follow the operator's sequence of secrets/fleet's # Rotation: AddKEK on
// every instance (one sometimes late, when SetPrimary must be refused
// naming it), SetPrimary through any, Rewrap, RemoveKEK through any
// (refused for the primary and while data uses the key); after each,
// every instance holds the same keys and primary, and at the end every
// instance decrypts every stored value. RevokeRunToken issues run tokens
// through one instance's runtoken.Issuer (signing key from
// fleet.RunTokenKey), revokes one through any instance
// (fleet.RunTokenRevocations) and checks that every instance refuses it
// and another still accepts the other. Fleet rotations and revocations
// are rare draws (see fleetTurn and actRevokeRunToken: each is several
// commits), so the runs keep their time. A single-Manager sequence
// rotates keys through its Envelope, as a single-process embedding does.
// TestModelCatchesMutants includes a per-process metadata cache that only
// several Managers catch.
//
// # Cost
//
// Options.Sequences sequences of 5 to Options.MaxSteps steps each
// (defaults 1000 and 25; rapid shrinks a failure to fewer). The
// environment variable STRONGBOX_MODEL_SEQUENCES overrides the count;
// -short divides it by 10. rapid's own flags work: -rapid.checks or
// RAPID_CHECKS replace the count, -rapid.seed fixes the seed,
// -rapid.failfile replays one failure.
//
// # Failures
//
// rapid shrinks a failing sequence and writes it to
// testdata/rapid/<TestName>/<TestName>-<time>-<pid>.fail in the calling
// package's directory. Commit that file: every later run (CI included)
// replays it first, before any new random sequence (TestFailfileReplay
// shows it). A failfile encodes rapid's choices, so it replays the same
// sequence only while the harness draws in the same order; after changing
// the harness, check that kept failfiles still reproduce, or drop them.
package modeltest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	mrand "math/rand/v2"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage"
)

// Options tunes Run. The zero value is the CI configuration.
type Options struct {
	// Sequences is how many random sequences to run; 0 means 1000.
	Sequences int
	// MaxSteps is the longest sequence; 0 means 25.
	MaxSteps int
	// NoFaults turns fault injection off.
	NoFaults bool
	// API, if set, puts another implementation of the Manager's methods in
	// front of each sequence's Manager (an HTTP client of a handler over
	// it), so the same model checks it. Reveal becomes one RevealValue per
	// name; CollectGarbage and Rewrap still call the Manager.
	API func(t *rapid.T, m *secrets.Manager) API
}

// API is the part of secrets.Manager that the sequences call.
type API interface {
	Create(ctx context.Context, namespace string, spec secrets.Spec) (*secrets.Secret, error)
	Get(ctx context.Context, namespace, name string) (*secrets.Secret, error)
	List(ctx context.Context, namespace string, opts secrets.ListOptions) (*secrets.ListResult, error)
	Update(ctx context.Context, namespace string, s *secrets.Secret) (*secrets.Secret, error)
	Reset(ctx context.Context, namespace, name string, value secrets.Value, revision int64) (*secrets.Secret, error)
	Revoke(ctx context.Context, namespace, name string, revision int64) (*secrets.Secret, error)
	Delete(ctx context.Context, namespace, name string, revision int64) error
	RevealValue(ctx context.Context, namespace, name string) (secrets.Value, error)
}

// DefaultSequences is the number of sequences Run checks by default.
const DefaultSequences = 1000

var runSeq atomic.Int64

// Run checks secrets.Manager over the Store newStore returns (called once;
// the caller closes it, e.g. with t.Cleanup). Sequences share the store and
// use namespaces of their own.
func Run(t *testing.T, newStore func(t testing.TB) *storage.Store, opts Options) {
	t.Helper()
	h := newHarness(t, newStore, opts, "m")
	start := time.Now()
	n, userSet := rounds(opts)
	for range n {
		rapid.Check(t, h.sequence)
		if t.Failed() {
			break
		}
	}
	t.Logf("modeltest: %d sequences, %d steps, %d calls hit by a fault (%d failed writes found applied), %d races, %d complete rewraps, %d KEKs removed, %d forged ciphertexts refused, in %v",
		h.seq.Load(), h.steps.Load(), h.faults.Load(), h.applied.Load(), h.races.Load(), h.rewraps.Load(), h.kekRemovals.Load(), h.tampers.Load(),
		time.Since(start).Round(time.Millisecond))
	t.Logf("modeltest: %d sequences by 2 or 3 Managers: %d KEKs promoted and %d removed through fleet.Keys, %d promotions refused while an instance lacked the key; %d run-token revocations refused by every instance",
		h.multi.Load(), h.fleetPromotions.Load(), h.fleetRemovals.Load(), h.refusedPromotions.Load(), h.revocations.Load())
	if seq, multi := h.seq.Load(), h.multi.Load(); !userSet && !t.Failed() && seq >= minCounted && 2*multi < seq {
		t.Errorf("modeltest: only %d of %d sequences ran with several Managers; the multi-Manager mode must run at least half", multi, seq)
	}
	if !userSet && !t.Failed() && h.seq.Load() >= minCounted && (h.fleetPromotions.Load() == 0 || h.fleetRemovals.Load() == 0 || h.revocations.Load() == 0) {
		t.Errorf("modeltest: %d sequences without a fleet promotion, removal or revocation: the draws no longer reach them", h.seq.Load())
	}
	t.Logf("modeltest: value history: %s", h.hist.String())
}

// minCounted is the number of sequences from which Run asserts the share
// of the multi-Manager mode and that it rotated and revoked: the full-size
// runs (1000 per backend), not the 200 under the race detector or the 100
// of -short, which may by chance remove no key.
const minCounted = 500

// newHarness opens the store and names the run: prefix, random hex and a
// counter, so runs sharing a database never share a namespace.
func newHarness(t testing.TB, newStore func(t testing.TB) *storage.Store, opts Options, prefix string) *harness {
	t.Helper()
	if opts.MaxSteps <= 0 {
		opts.MaxSteps = 25
	}
	st := newStore(t)
	if st == nil {
		t.Fatal("newStore returned nil")
	}
	var r [4]byte
	_, _ = rand.Read(r[:])
	return &harness{store: st, opts: opts, runID: prefix + hex.EncodeToString(r[:]) + strconv.FormatInt(runSeq.Add(1), 36)}
}

// rounds is how many rapid.Check calls make the wanted number of
// sequences: rapid runs -rapid.checks (default 100) per call with a fresh
// random seed each time. When the user set rapid's count, seed or
// failfile, one call does what they asked.
func rounds(opts Options) (n int, userSet bool) {
	flag.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "rapid.checks", "rapid.seed", "rapid.failfile":
			userSet = true
		}
	})
	for _, env := range []string{"RAPID_CHECKS", "RAPID_SEED", "RAPID_FAILFILE"} {
		if _, ok := os.LookupEnv(env); ok {
			userSet = true
		}
	}
	if userSet {
		return 1, true
	}
	want := opts.Sequences
	if want <= 0 {
		want = DefaultSequences
	}
	if v, err := strconv.Atoi(os.Getenv("STRONGBOX_MODEL_SEQUENCES")); err == nil && v > 0 {
		want = v
	}
	if testing.Short() {
		want = max(1, want/10) // rapid itself divides its count by 5 under -short
	}
	per := 100
	if f := flag.Lookup("rapid.checks"); f != nil {
		if n, err := strconv.Atoi(f.Value.String()); err == nil && n > 0 {
			per = n
		}
	}
	if testing.Short() {
		per = max(1, per/5)
	}
	return max(1, (want+per-1)/per), false
}

// ctxTimeout bounds a call that an injected hang blocks.
const ctxTimeout = 20 * time.Millisecond

func background() context.Context { return context.Background() }

// Fuzz makes the model test a fuzz target: the fuzzer's bytes choose the
// sequence (through rapid.MakeFuzz), so coverage guides which sequences
// are tried. newStore is called once per fuzzing process.
//
//	func FuzzModel(f *testing.F) { modeltest.Fuzz(f, newStore, modeltest.Options{}) }
func Fuzz(f *testing.F, newStore func(t testing.TB) *storage.Store, opts Options) {
	f.Helper()
	h := newHarness(f, newStore, opts, "f")
	// rapid reads 8 bytes per draw and skips an input that runs out, so
	// the seeds are long random streams (fixed, so the corpus is stable).
	for i, n := range []int{1 << 10, 4 << 10, 16 << 10} {
		seed := make([]byte, n)
		_, _ = mrand.NewChaCha8([32]byte{byte(i)}).Read(seed)
		f.Add(seed)
	}
	f.Fuzz(rapid.MakeFuzz(h.sequence))
}

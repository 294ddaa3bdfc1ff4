package modeltest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/strongbox-go/strongbox/internal/storehook"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/docstorage"
	"github.com/strongbox-go/strongbox/storage/driver"
)

// recordingTB is a rapid.TB that records a failure instead of failing the
// real test, so a test can assert that the model test fails.
type recordingTB struct {
	name   string
	mu     sync.Mutex
	failed bool
	log    strings.Builder
}

func (r *recordingTB) Helper()      {}
func (r *recordingTB) Name() string { return r.name }
func (r *recordingTB) Logf(format string, a ...any) {
	r.mu.Lock()
	fmt.Fprintf(&r.log, format+"\n", a...)
	r.mu.Unlock()
}
func (r *recordingTB) Log(a ...any)                  { r.mu.Lock(); fmt.Fprintln(&r.log, a...); r.mu.Unlock() }
func (r *recordingTB) Skipf(format string, a ...any) { r.Logf(format, a...); runtime.Goexit() }
func (r *recordingTB) Skip(a ...any)                 { r.Log(a...); runtime.Goexit() }
func (r *recordingTB) SkipNow()                      { runtime.Goexit() }
func (r *recordingTB) Errorf(format string, a ...any) {
	r.Logf(format, a...)
	r.Fail()
}
func (r *recordingTB) Error(a ...any)                 { r.Log(a...); r.Fail() }
func (r *recordingTB) Fatalf(format string, a ...any) { r.Errorf(format, a...); runtime.Goexit() }
func (r *recordingTB) Fatal(a ...any)                 { r.Error(a...); runtime.Goexit() }
func (r *recordingTB) FailNow()                       { r.Fail(); runtime.Goexit() }
func (r *recordingTB) Fail()                          { r.mu.Lock(); r.failed = true; r.mu.Unlock() }
func (r *recordingTB) Failed() bool                   { r.mu.Lock(); defer r.mu.Unlock(); return r.failed }

// mutant is a driver with one deliberate bug, under the portable type.
type mutant struct {
	driver.Store
	bug  string
	meet rendezvous
}

// mutate returns st over its driver with bug.
func mutate(st *storage.Store, bug string) *storage.Store {
	return storehook.Wrap(st, func(d driver.Store) driver.Store { return &mutant{Store: d, bug: bug} }).(*storage.Store)
}

// rendezvous holds a racing writer at the store until a second racer
// arrives (or a generous timeout passes), so that the racers of one Race
// step are all past the Manager's own revision check before any of them
// writes. Without it, whether a store that ignores revisions is caught
// depends on goroutine scheduling, which the race detector and a loaded
// machine stretch past any fixed sleep.
type rendezvous struct {
	mu      sync.Mutex
	waiting chan struct{}
	met     time.Time // when two racers last met: a third just after them passes
}

func (r *rendezvous) await(ctx context.Context) {
	if p, ok := rbac.PrincipalFrom(ctx); !ok || p.ID != "racer" {
		return // only the racers of actRace meet
	}
	r.mu.Lock()
	if w := r.waiting; w != nil {
		r.waiting, r.met = nil, time.Now()
		close(w)
		r.mu.Unlock()
		return
	}
	if time.Since(r.met) < 250*time.Millisecond {
		r.mu.Unlock()
		return
	}
	w := make(chan struct{})
	r.waiting = w
	r.mu.Unlock()
	select {
	case <-w:
	case <-time.After(2 * time.Second):
		r.mu.Lock()
		if r.waiting == w {
			r.waiting = nil
		}
		r.mu.Unlock()
	}
}

// currentRevision is what a store that ignores revisions writes with: the
// stored one, whatever the caller read.
func (m *mutant) currentRevision(ctx context.Context, ns, name string, revision int64) int64 {
	m.meet.await(ctx)
	if cur, err := m.Store.GetMetadata(ctx, ns, name); err == nil {
		return cur.Revision
	}
	return revision
}

func (m *mutant) UpdateMetadata(ctx context.Context, md *driver.Metadata) error {
	switch m.bug {
	case "ignores revisions":
		c := md.Clone()
		c.Revision = m.currentRevision(ctx, md.Namespace, md.Name, md.Revision)
		return m.Store.UpdateMetadata(ctx, c)
	case "loses writes":
		return nil
	}
	return m.Store.UpdateMetadata(ctx, md)
}

func (m *mutant) DeleteMetadata(ctx context.Context, ns, name string, revision int64) error {
	if m.bug == "ignores revisions" {
		revision = m.currentRevision(ctx, ns, name, revision)
	}
	return m.Store.DeleteMetadata(ctx, ns, name, revision)
}

// Atomic is nil, so that every write goes through the mutated calls above
// even over a driver that has atomic operations.
func (m *mutant) Atomic() driver.Atomic { return nil }

func (m *mutant) DeleteCiphertext(ctx context.Context, ns, name, id string) error {
	if m.bug == "keeps ciphertexts" {
		return nil
	}
	return m.Store.DeleteCiphertext(ctx, ns, name, id)
}

func (m *mutant) ListMetadata(ctx context.Context, ns, after string, limit int) ([]*driver.Metadata, error) {
	recs, err := m.Store.ListMetadata(ctx, ns, after, limit)
	if m.bug == "skips the last item" && len(recs) > 1 && len(recs) < limit {
		recs = recs[:len(recs)-1]
	}
	return recs, err
}

func (m *mutant) GetMetadata(ctx context.Context, ns, name string) (*driver.Metadata, error) {
	md, err := m.Store.GetMetadata(ctx, ns, name)
	if m.bug == "returns foreign labels" && md != nil {
		md.Labels = map[string]string{"env": "prod"}
	}
	if m.bug == "forgets the history" && md != nil && len(md.History) > 1 {
		md.History = md.History[:1]
	}
	return md, err
}

// staleCache is one process's cache of metadata that only its own writes
// keep fresh: correct while one Manager writes, stale as soon as another
// process writes the same secret (a Reset through another instance).
type staleCache struct {
	driver.Store
	mu sync.Mutex
	md map[[2]string]*driver.Metadata
}

// cacheEachInstance gives every instance of a sequence a staleCache of
// its own.
func cacheEachInstance(st *storage.Store) *storage.Store {
	return storehook.Wrap(st, func(d driver.Store) driver.Store {
		return &staleCache{Store: d, md: map[[2]string]*driver.Metadata{}}
	}).(*storage.Store)
}

func (c *staleCache) GetMetadata(ctx context.Context, ns, name string) (*driver.Metadata, error) {
	c.mu.Lock()
	md, ok := c.md[[2]string{ns, name}]
	c.mu.Unlock()
	if ok {
		return md.Clone(), nil
	}
	md, err := c.Store.GetMetadata(ctx, ns, name)
	if err == nil {
		c.mu.Lock()
		c.md[[2]string{ns, name}] = md.Clone()
		c.mu.Unlock()
	}
	return md, err
}

// wrote updates the cache after a write of this process: what it wrote,
// or nothing when the write failed or deleted.
func (c *staleCache) wrote(md *driver.Metadata, ns, name string, err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || md == nil {
		delete(c.md, [2]string{ns, name})
		return err
	}
	c.md[[2]string{ns, name}] = md.Clone()
	return nil
}

func (c *staleCache) CreateMetadata(ctx context.Context, md *driver.Metadata) error {
	return c.wrote(md, md.Namespace, md.Name, c.Store.CreateMetadata(ctx, md))
}

func (c *staleCache) UpdateMetadata(ctx context.Context, md *driver.Metadata) error {
	err := c.Store.UpdateMetadata(ctx, md)
	if err == nil {
		// The store stamps the next revision on the stored copy: read it
		// back once, as a cache filled on write would.
		md, err = c.Store.GetMetadata(ctx, md.Namespace, md.Name)
	}
	return c.wrote(md, md.Namespace, md.Name, err)
}

func (c *staleCache) DeleteMetadata(ctx context.Context, ns, name string, revision int64) error {
	err := c.Store.DeleteMetadata(ctx, ns, name, revision)
	_ = c.wrote(nil, ns, name, nil)
	return err
}

// Atomic is nil so that every read and write goes through the cache.
func (c *staleCache) Atomic() driver.Atomic { return nil }

// runMutant runs the model over st until it fails or passes, recording
// instead of failing t.
func runMutant(t *testing.T, h *harness) *recordingTB {
	t.Helper()
	rec := &recordingTB{name: t.Name()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		rapid.Check(rec, h.sequence)
	}()
	<-done
	if os.Getenv("MUTANT_DEBUG") != "" {
		t.Log(rec.log.String())
	}
	return rec
}

// setFlag sets one of rapid's flags until the end of the test t, or
// until the returned function restores it.
func setFlag(t *testing.T, name, value string) (restore func()) {
	t.Helper()
	old := flag.Lookup(name).Value.String()
	if err := flag.Set(name, value); err != nil {
		t.Fatal(err)
	}
	restore = func() { flag.Set(name, old) }
	t.Cleanup(restore)
	return restore
}

// TestModelCatchesMutants shows the model test has teeth: each deliberately
// broken store must make it fail.
func TestModelCatchesMutants(t *testing.T) {
	setFlag(t, "rapid.nofailfile", "true")
	setFlag(t, "rapid.shrinktime", "1s")
	setFlag(t, "rapid.checks", "1000")
	for _, bug := range []string{"ignores revisions", "loses writes", "keeps ciphertexts", "skips the last item", "returns foreign labels",
		"forgets the history"} {
		t.Run(strings.ReplaceAll(bug, " ", "-"), func(t *testing.T) {
			st := docstorage.NewInMemory()
			defer st.Close()
			h := &harness{store: mutate(st, bug), opts: Options{MaxSteps: 20, NoFaults: true}, runID: "mutant"}
			rec := runMutant(t, h)
			if !rec.Failed() {
				t.Fatalf("the model test passed over a store that %s", bug)
			}
			first, _, _ := strings.Cut(rec.log.String(), "\n")
			t.Logf("caught: %s", first)
		})
	}
	// A cache in each process that its own writes keep fresh: only
	// several Managers on one store catch it, so the single-Manager run
	// must pass (or the mutant tests something else) and the multi-Manager
	// run must fail.
	t.Run("caches-per-process", func(t *testing.T) {
		for _, managers := range []int{1, 2} {
			st := docstorage.NewInMemory()
			defer st.Close()
			h := &harness{store: st, opts: Options{MaxSteps: 20, NoFaults: true}, runID: "mutant", managers: managers, instanceStore: cacheEachInstance}
			restore := func() {}
			if managers == 1 {
				// Passing is the weaker claim: a tenth of the checks.
				restore = setFlag(t, "rapid.checks", "100")
			}
			rec := runMutant(t, h)
			restore()
			first, _, _ := strings.Cut(rec.log.String(), "\n")
			switch {
			case managers == 1 && rec.Failed():
				t.Fatalf("one Manager over its own cache failed, so the mutant is not one only a fleet shows: %s", first)
			case managers > 1 && !rec.Failed():
				t.Fatalf("the model test passed over %d Managers that each cache metadata only their own writes refresh", managers)
			case managers > 1:
				t.Logf("caught with %d Managers: %s", managers, first)
			}
		}
	})
}

// TestFailfileReplay shows the way a failing sequence is kept: rapid writes
// it under testdata/rapid/<TestName>/, and every later run with that test
// name replays it before anything random, so a committed failfile fails
// CI until the bug is fixed and then guards against its return.
func TestFailfileReplay(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, f := range []struct{ name, value string }{{"rapid.nofailfile", "false"}, {"rapid.shrinktime", "2s"}, {"rapid.checks", "50"}} {
		old := flag.Lookup(f.name).Value.String()
		if err := flag.Set(f.name, f.value); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { flag.Set(f.name, old) })
	}
	run := func(bug string) *recordingTB {
		st := docstorage.NewInMemory()
		defer st.Close()
		// One Manager and no races: a replay must take the same path.
		h := &harness{store: mutate(st, bug), opts: Options{MaxSteps: 25, NoFaults: true}, runID: "replay", managers: 1, noRaces: true}
		rec := &recordingTB{name: "TestReplayed"}
		done := make(chan struct{})
		go func() {
			defer close(done)
			rapid.Check(rec, h.sequence)
		}()
		<-done
		return rec
	}
	if rec := run("loses writes"); !rec.Failed() {
		t.Fatal("the mutant was not caught")
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "rapid", "TestReplayed", "*.fail"))
	if len(files) != 1 {
		t.Fatalf("failfiles: %v", files)
	}
	if rec := run("loses writes"); !rec.Failed() || !strings.Contains(rec.log.String(), "failed after 0 tests") {
		t.Fatalf("the failfile was not replayed first:\n%s", rec.log.String())
	}
	if rec := run(""); rec.Failed() {
		t.Fatalf("the failfile fails a correct store:\n%s", rec.log.String())
	}
}

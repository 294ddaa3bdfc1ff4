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

// TestModelCatchesMutants shows the model test has teeth: each deliberately
// broken store must make it fail.
func TestModelCatchesMutants(t *testing.T) {
	for _, f := range []struct{ name, value string }{{"rapid.nofailfile", "true"}, {"rapid.shrinktime", "1s"}, {"rapid.checks", "1000"}} {
		old := flag.Lookup(f.name).Value.String()
		if err := flag.Set(f.name, f.value); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { flag.Set(f.name, old) })
	}
	for _, bug := range []string{"ignores revisions", "loses writes", "keeps ciphertexts", "skips the last item", "returns foreign labels",
		"forgets the history"} {
		t.Run(strings.ReplaceAll(bug, " ", "-"), func(t *testing.T) {
			st := docstorage.NewInMemory()
			defer st.Close()
			h := &harness{store: mutate(st, bug), opts: Options{MaxSteps: 20, NoFaults: true}, runID: "mutant"}
			rec := &recordingTB{name: t.Name()}
			done := make(chan struct{})
			go func() {
				defer close(done)
				rapid.Check(rec, h.sequence)
			}()
			<-done
			if !rec.Failed() {
				t.Fatalf("the model test passed over a store that %s", bug)
			}
			first, _, _ := strings.Cut(rec.log.String(), "\n")
			if os.Getenv("MUTANT_DEBUG") != "" {
				t.Log(rec.log.String())
			}
			t.Logf("caught: %s", first)
		})
	}
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
		h := &harness{store: mutate(st, bug), opts: Options{MaxSteps: 25, NoFaults: true}, runID: "replay"}
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

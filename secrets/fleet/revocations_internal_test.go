package fleet

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeReads is the store behind a revocations under test: read calls
// counts each read and answers what answer says.
type fakeReads struct {
	calls  atomic.Int64
	answer func(ctx context.Context, id string) (bool, error)
}

func newSharedSet(f *fakeReads) *revocations {
	r := &revocations{reads: map[string]*sharedRead{}}
	r.read = func(ctx context.Context, id string) (bool, error) {
		f.calls.Add(1)
		return f.answer(ctx, id)
	}
	return r
}

// waitFor polls cond under the set's lock until it holds.
func waitFor(t *testing.T, r *revocations, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func (r *revocations) waiting(id string) int {
	if next := r.reads[id]; next != nil {
		return next.waiters
	}
	return 0
}

// firstHeld is a fake store whose first read waits for release and
// finds no revocation (the store before one), and whose later reads
// answer what later says.
func firstHeld(release <-chan struct{}, later func(ctx context.Context, id string) (bool, error)) *fakeReads {
	var n atomic.Int64
	return &fakeReads{answer: func(ctx context.Context, id string) (bool, error) {
		if n.Add(1) == 1 {
			<-release
			return false, nil
		}
		return later(ctx, id)
	}}
}

// checkResult is what a check returned.
type checkResult struct {
	revoked bool
	err     error
}

// startCheck runs r.Revoked(ctx, id) in a goroutine; its result arrives
// on the channel returned.
func startCheck(ctx context.Context, r *revocations, id string) <-chan checkResult {
	c := make(chan checkResult, 1)
	go func() {
		revoked, err := r.Revoked(ctx, id)
		c <- checkResult{revoked, err}
	}()
	return c
}

// startFirstRead starts a check of id and returns once its read, the
// read in flight that later checks wait behind, has begun.
func startFirstRead(t *testing.T, r *revocations, id string) <-chan checkResult {
	t.Helper()
	c := startCheck(context.Background(), r, id)
	waitFor(t, r, "the first read is in flight", func() bool { _, ok := r.reads[id]; return ok })
	return c
}

// startWaiter starts a check of id with ctx behind the read in flight and
// returns once it waits for the next read, as the only waiter.
func startWaiter(t *testing.T, ctx context.Context, r *revocations, id string) <-chan checkResult {
	t.Helper()
	c := startCheck(ctx, r, id)
	waitFor(t, r, "the check waits", func() bool { return r.waiting(id) == 1 })
	return c
}

// TestRevokedSharesTheNextRead: the checks of an id that arrive while a
// read of it is in flight get one read, started after that one ended,
// and its answer; the check that started the first read gets the first.
func TestRevokedSharesTheNextRead(t *testing.T) {
	release := make(chan struct{})
	f := firstHeld(release, func(context.Context, string) (bool, error) { return true, nil })
	r := newSharedSet(f)
	first := startFirstRead(t, r, "tok")
	const checks = 20
	var wg sync.WaitGroup
	got := make([]bool, checks)
	errs := make([]error, checks)
	for i := range checks {
		wg.Go(func() { got[i], errs[i] = r.Revoked(context.Background(), "tok") })
	}
	waitFor(t, r, "every check waits for the next read", func() bool { return r.waiting("tok") == checks })
	close(release)
	if res := <-first; res.err != nil || res.revoked {
		t.Errorf("the first check = %v, %v; want the first read's false", res.revoked, res.err)
	}
	wg.Wait()
	for i := range checks {
		if errs[i] != nil || !got[i] {
			t.Errorf("check %d: %v, %v; want the next read's true", i, got[i], errs[i])
		}
	}
	if c := f.calls.Load(); c != 2 {
		t.Errorf("%d reads for 1+%d concurrent checks, want 2", c, checks)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reads) != 0 {
		t.Errorf("%d ids still tracked after every check returned", len(r.reads))
	}
}

// TestRevokedSeesEveryEarlierRevocation is the property sharing must
// keep: a check that begins after a revocation completed reports the token
// revoked, however the checks overlap. The fake store's reads take a
// while after reading the flag, so a check that joined a read already in
// flight would see the store from before the revocation.
func TestRevokedSeesEveryEarlierRevocation(t *testing.T) {
	for round := range 20 {
		var revokedFlag atomic.Bool
		f := &fakeReads{answer: func(ctx context.Context, id string) (bool, error) {
			time.Sleep(time.Duration(rand.IntN(50)) * time.Microsecond)
			v := revokedFlag.Load()
			time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
			return v, nil
		}}
		r := newSharedSet(f)
		// seq orders events: each check takes a number when it begins,
		// the revocation one when it has completed.
		var seq atomic.Int64
		var revokedAt atomic.Int64
		revokedAt.Store(1 << 62)
		type result struct {
			began   int64
			revoked bool
		}
		var mu sync.Mutex
		var results []result
		check := func() {
			began := seq.Add(1)
			revoked, err := r.Revoked(context.Background(), "tok")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			results = append(results, result{began, revoked})
			mu.Unlock()
		}
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 8 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					check()
					time.Sleep(time.Duration(rand.IntN(100)) * time.Microsecond)
				}
			})
		}
		time.Sleep(time.Duration(1+rand.IntN(5)) * time.Millisecond)
		revokedFlag.Store(true)
		revokedAt.Store(seq.Add(1))
		// Checks that begin now find a read in flight that may have read
		// the store before the revocation.
		for range 8 {
			wg.Go(check)
		}
		time.Sleep(5 * time.Millisecond)
		close(stop)
		wg.Wait()
		after := 0
		for _, res := range results {
			if res.began > revokedAt.Load() {
				after++
				if !res.revoked {
					t.Fatalf("round %d: a check that began after the revocation completed reported the token not revoked", round)
				}
			}
		}
		if after == 0 {
			t.Fatalf("round %d: no check began after the revocation", round)
		}
		if c := f.calls.Load(); c >= int64(len(results)) {
			t.Fatalf("round %d: %d reads for %d checks: no read was shared", round, c, len(results))
		}
	}
}

// TestRevokedWaiterLeaves: a check whose context ends while it waits
// returns the context's error at once; a next read that nobody waits for
// any more is not started, and one already running is cancelled with the
// cause of the last waiter's context.
func TestRevokedWaiterLeaves(t *testing.T) {
	t.Run("before its read starts", func(t *testing.T) {
		release := make(chan struct{})
		f := firstHeld(release, func(context.Context, string) (bool, error) { return false, nil })
		r := newSharedSet(f)
		first := startFirstRead(t, r, "tok")
		ctx, cancel := context.WithCancel(context.Background())
		left := startWaiter(t, ctx, r, "tok")
		cancel()
		if res := <-left; !errors.Is(res.err, context.Canceled) {
			t.Errorf("the cancelled check returned %v, want context.Canceled", res.err)
		}
		close(release)
		<-first
		waitFor(t, r, "no id is tracked", func() bool { return len(r.reads) == 0 })
		if c := f.calls.Load(); c != 1 {
			t.Errorf("%d reads, want 1: a read nobody waits for was started", c)
		}
	})
	t.Run("while its read runs", func(t *testing.T) {
		release := make(chan struct{})
		cause := errors.New("the request went away")
		readCause := make(chan error, 1)
		f := firstHeld(release, func(ctx context.Context, _ string) (bool, error) {
			<-ctx.Done() // the store hangs
			readCause <- context.Cause(ctx)
			return false, ctx.Err()
		})
		r := newSharedSet(f)
		first := startFirstRead(t, r, "tok")
		ctx, cancel := context.WithCancelCause(context.Background())
		left := startWaiter(t, ctx, r, "tok")
		close(release)
		<-first
		waitFor(t, r, "the shared read runs", func() bool { return f.calls.Load() == 2 })
		cancel(cause)
		if res := <-left; !errors.Is(res.err, context.Canceled) {
			t.Errorf("the cancelled check returned %v, want context.Canceled", res.err)
		}
		select {
		case got := <-readCause:
			if got != cause {
				t.Errorf("the shared read ended with cause %v, want %v", got, cause)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the shared read went on after its last waiter left")
		}
		waitFor(t, r, "no id is tracked", func() bool { return len(r.reads) == 0 })
	})
}

// TestRevokedSharedError: a shared read's failure reaches every check
// that waited for it, none of which reports the token as not revoked
// without an error; other ids are read on their own.
func TestRevokedSharedError(t *testing.T) {
	release := make(chan struct{})
	errStore := errors.New("store unavailable")
	f := firstHeld(release, func(_ context.Context, id string) (bool, error) {
		if id == "other" {
			return true, nil
		}
		return false, errStore
	})
	r := newSharedSet(f)
	first := startFirstRead(t, r, "tok")
	// Another id does not wait for tok's read.
	if revoked, err := r.Revoked(context.Background(), "other"); err != nil || !revoked {
		t.Errorf("another id while tok's read is in flight: %v, %v; want true, nil", revoked, err)
	}
	const checks = 5
	results := make([]<-chan checkResult, checks)
	for i := range results {
		results[i] = startCheck(context.Background(), r, "tok")
	}
	waitFor(t, r, "every check waits", func() bool { return r.waiting("tok") == checks })
	close(release)
	<-first
	for _, c := range results {
		if res := <-c; res.err != errStore || res.revoked {
			t.Errorf("a check of the failed shared read returned %v, %v; want false and the store's error", res.revoked, res.err)
		}
	}
}

// TestRevokedAloneReadsEachTime: checks that do not overlap read the store
// each time, and leave nothing tracked.
func TestRevokedAloneReadsEachTime(t *testing.T) {
	f := &fakeReads{answer: func(ctx context.Context, id string) (bool, error) { return id == "revoked", nil }}
	r := newSharedSet(f)
	for i := range 10 {
		id := "live"
		if i%2 == 1 {
			id = "revoked"
		}
		revoked, err := r.Revoked(context.Background(), id)
		if err != nil || revoked != (id == "revoked") {
			t.Fatalf("Revoked(%q) = %v, %v", id, revoked, err)
		}
	}
	if c := f.calls.Load(); c != 10 {
		t.Errorf("%d reads for 10 sequential checks, want 10", c)
	}
	if len(r.reads) != 0 {
		t.Errorf("%d ids tracked after the checks returned", len(r.reads))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Revoked(ctx, "live"); !errors.Is(err, context.Canceled) {
		t.Errorf("Revoked with an ended context = %v, want context.Canceled", err)
	}
	if c := f.calls.Load(); c != 10 {
		t.Errorf("a check with an ended context read the store")
	}
}

// TestRevokedAfterAPanic: a read that panics (net/http recovers a
// handler's panic) leaves its id free for the next check, which reads.
func TestRevokedAfterAPanic(t *testing.T) {
	var n atomic.Int64
	f := &fakeReads{answer: func(ctx context.Context, id string) (bool, error) {
		if n.Add(1) == 1 {
			panic("the store's driver panicked")
		}
		return true, nil
	}}
	r := newSharedSet(f)
	func() {
		defer func() { _ = recover() }()
		r.Revoked(context.Background(), "tok")
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if revoked, err := r.Revoked(ctx, "tok"); err != nil || !revoked {
		t.Fatalf("the check after a panicked read = %v, %v; want true, nil", revoked, err)
	}
}

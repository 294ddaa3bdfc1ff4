// Package fault wraps the drivers of a storage.Store, a keeper.Keeper and
// a gocloud secrets driver (the key-encryption key) with injected failures,
// so tests can show that DESIGN.md's invariants hold when a backend or the
// key service fails between any two steps of a write.
//
// The faults:
//
//   - FailNth / FailAll: the call fails before it runs (a refused request).
//   - FailAfterNth: the call runs, then reports a failure (the
//     acknowledgement was lost: the write may be durable although the
//     caller saw an error).
//   - HangNth: the call blocks until its context is done and returns the
//     context's error (a timeout), or ErrInjected after MaxHang (or
//     SetMaxHang's bound).
//   - CrashAfter / CrashDuring: the process "dies" after n more calls
//     (before, or after, call n+1 takes effect): that call and every later
//     one fail with ErrInjected until Reset, which plays the restart.
//   - SetLatency: every call is delayed (honouring the context).
//
// Faulted counts the faults that fired, so a test knows whether a planned
// fault was reached.
//
// The wrappers: Store (a storage.Store whose driver calls, the driver's
// optional Atomic operations included, are faulted), Keeper (a
// a keeper Rewrap method too, faulted, and passing KEKIDs through), and KEK, a keeper.Wrapper to use as a
// key-encryption key (NewKEK). Give several wrappers one Injector to make
// one "process": call counts, CrashAfter and CrashDuring then span all of
// them.
//
// Below every driver, Proxy is a TCP proxy on loopback between a process
// and a backend such as PostgreSQL (open the store with the proxy's Addr
// in the URL): SetLatency delays every chunk each way, Reset sends an RST
// on every open connection, Cut(Refuse) resets open connections and
// refuses new ones, Cut(Blackhole) moves no byte (new connections wait)
// until Heal delivers what was held, and CutFor heals by itself after a
// duration. The store then sees a slow, broken or partitioned network, as
// in production, instead of an error handed to it.
package fault

import (
	"context"
	"sync"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/storehook"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/driver"
)

// Op names one call of a Store or Keeper, e.g. "PutCiphertext" or "Encrypt".
type Op string

// Store and Keeper operations.
const (
	CreateMetadata    Op = "CreateMetadata"
	GetMetadata       Op = "GetMetadata"
	UpdateMetadata    Op = "UpdateMetadata"
	DeleteMetadata    Op = "DeleteMetadata"
	ListMetadata      Op = "ListMetadata"
	PutCiphertext     Op = "PutCiphertext"
	GetCiphertext     Op = "GetCiphertext"
	DeleteCiphertext  Op = "DeleteCiphertext"
	ListCiphertexts   Op = "ListCiphertexts"
	ReplaceCiphertext Op = "ReplaceCiphertext"
	Encrypt           Op = "Encrypt"
	Decrypt           Op = "Decrypt"
	// Calls of the key-encryption key (KEK): wrapping and unwrapping a
	// data key.
	KEKEncrypt Op = "KEKEncrypt"
	KEKDecrypt Op = "KEKDecrypt"
)

// StoreWrites are the Store calls that change data; StoreOps every Store call.
var (
	StoreWrites = []Op{CreateMetadata, UpdateMetadata, DeleteMetadata, PutCiphertext, DeleteCiphertext, ReplaceCiphertext}
	StoreOps    = []Op{CreateMetadata, GetMetadata, UpdateMetadata, DeleteMetadata, ListMetadata,
		PutCiphertext, GetCiphertext, DeleteCiphertext, ListCiphertexts, ReplaceCiphertext}
)

// MaxHang bounds a hang whose context has no deadline (or a later one),
// unless Injector.SetMaxHang sets another bound.
const MaxHang = 5 * time.Second

// ErrInjected is the error injected by Fail and Crash; it has code
// Unavailable, like a backend that went away.
var ErrInjected error = errcode.New(errcode.Unavailable, "fault", "injected failure")

// Injector decides, before each call, whether it fails. The zero Injector
// passes every call through. It is safe for concurrent use.
type Injector struct {
	mu          sync.Mutex
	calls       map[Op]int
	total       int
	rules       []rule
	crashAt     int // 0: no crash planned
	crashApply  bool
	crashed     bool
	latency     time.Duration
	maxHang     time.Duration
	faulted     int
	faultedByOp map[Op]int
}

type rule struct {
	op    Op // "" matches every op
	nth   int
	every bool
	after bool  // the call runs, then fails
	hang  bool  // the call blocks until its context is done
	err   error // nil: ErrInjected
}

// fault is what one call must suffer.
type fault struct {
	err   error // nil: no fault
	after bool  // run the call, then return err
}

// FailNth makes the nth (1-based) future call of op fail with err (nil:
// ErrInjected). op "" counts every call.
func (in *Injector) FailNth(op Op, nth int, err error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	base := in.total
	if op != "" {
		base = in.calls[op]
	}
	in.rules = append(in.rules, rule{op: op, nth: base + nth, err: err})
}

// FailAfterNth makes the nth (1-based) future call of op run and then fail
// with err (nil: ErrInjected), as when a write commits but its
// acknowledgement is lost. op "" counts every call.
func (in *Injector) FailAfterNth(op Op, nth int, err error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.rules = append(in.rules, rule{op: op, nth: in.base(op) + nth, after: true, err: err})
}

// HangNth makes the nth (1-based) future call of op block until its
// context is done and return the context's error, as a call that times
// out (ErrInjected after MaxHang if the context has no deadline). The call
// does not run. op "" counts every call.
func (in *Injector) HangNth(op Op, nth int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.rules = append(in.rules, rule{op: op, nth: in.base(op) + nth, hang: true})
}

func (in *Injector) base(op Op) int {
	if op == "" {
		return in.total
	}
	return in.calls[op]
}

// FailAll makes every future call of op fail with err (nil: ErrInjected).
func (in *Injector) FailAll(op Op, err error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.rules = append(in.rules, rule{op: op, every: true, err: err})
}

// CrashAfter simulates a process crash after n more calls: call n+1 and
// every later call fail with ErrInjected, as if nothing after that point
// ever ran.
func (in *Injector) CrashAfter(n int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.crashAt = in.total + n + 1
}

// CrashDuring simulates a crash during call n+1: that call takes effect but
// fails (its result is never seen), and every later call fails with
// ErrInjected.
func (in *Injector) CrashDuring(n int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.crashAt = in.total + n + 1
	in.crashApply = true
}

// Faulted returns how many calls of op ("" for all) a fault hit so far:
// injected errors, hangs, lost acknowledgements and calls after a crash.
func (in *Injector) Faulted(op Op) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	if op == "" {
		return in.faulted
	}
	return in.faultedByOp[op]
}

// Crashed reports whether a CrashAfter point was reached.
func (in *Injector) Crashed() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.crashed
}

// SetMaxHang bounds every later hang to d (0: MaxHang): a hung call
// returns ErrInjected after d if its context is not done first. Tests
// whose code under test uses long internal timeouts set it short.
func (in *Injector) SetMaxHang(d time.Duration) {
	in.mu.Lock()
	in.maxHang = d
	in.mu.Unlock()
}

// SetLatency delays every call by d (honouring the context).
func (in *Injector) SetLatency(d time.Duration) {
	in.mu.Lock()
	in.latency = d
	in.mu.Unlock()
}

// Reset removes every rule, the latency and the crash, keeping the counts.
func (in *Injector) Reset() {
	in.mu.Lock()
	in.rules, in.crashAt, in.crashApply, in.crashed, in.latency = nil, 0, false, false, 0
	in.mu.Unlock()
}

// Calls returns how many calls of op were made ("" for all).
func (in *Injector) Calls(op Op) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	if op == "" {
		return in.total
	}
	return in.calls[op]
}

// enter counts a call and decides its fault.
func (in *Injector) enter(ctx context.Context, op Op) fault {
	in.mu.Lock()
	if in.calls == nil {
		in.calls = map[Op]int{}
		in.faultedByOp = map[Op]int{}
	}
	in.total++
	in.calls[op]++
	var f fault
	hang := false
	if in.crashAt > 0 && in.total >= in.crashAt {
		f = fault{err: ErrInjected, after: in.crashApply && in.total == in.crashAt}
		in.crashed = true
	}
	for _, r := range in.rules {
		if f.err != nil || hang {
			break
		}
		if r.op != "" && r.op != op {
			continue
		}
		count := in.total
		if r.op != "" {
			count = in.calls[op]
		}
		if r.every || r.nth == count {
			if r.hang {
				hang = true
				continue
			}
			f = fault{err: r.err, after: r.after}
			if f.err == nil {
				f.err = ErrInjected
			}
		}
	}
	if f.err != nil || hang {
		in.faulted++
		in.faultedByOp[op]++
	}
	lat, bound := in.latency, in.maxHang
	in.mu.Unlock()
	if bound <= 0 {
		bound = MaxHang
	}
	if hang {
		t := time.NewTimer(bound)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return fault{err: ctx.Err()}
		case <-t.C:
			return fault{err: ErrInjected}
		}
	}
	if lat > 0 {
		t := time.NewTimer(lat)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return fault{err: ctx.Err()}
		case <-t.C:
		}
	}
	return f
}

// Store is a storage.Store whose driver calls go through an Injector: the
// same portable type (checks, lifecycle, sequenced writes) over the same
// drivers, each driver call faulted as its Op. Use the embedded
// *storage.Store wherever a store is wanted.
type Store struct {
	*storage.Store
	In *Injector
}

// NewStore wraps s with a new Injector.
func NewStore(s *storage.Store) *Store { return NewStoreIn(s, nil) }

// NewStoreIn wraps s with in (nil: a new Injector). The result shares s's
// lifecycle: closing either closes both.
func NewStoreIn(s *storage.Store, in *Injector) *Store {
	if in == nil {
		in = &Injector{}
	}
	w := storehook.Wrap(s, func(d driver.Store) driver.Store { return &faultDriver{inner: d, in: in} })
	return &Store{Store: w.(*storage.Store), In: in}
}

// call runs fn under the fault the Injector picks for op.
func call[T any](ctx context.Context, in *Injector, op Op, fn func() (T, error)) (T, error) {
	var zero T
	f := in.enter(ctx, op)
	if f.err != nil && !f.after {
		return zero, f.err
	}
	out, err := fn()
	if f.after {
		return zero, f.err
	}
	return out, err
}

func call0(ctx context.Context, in *Injector, op Op, fn func() error) error {
	_, err := call(ctx, in, op, func() (struct{}, error) { return struct{}{}, fn() })
	return err
}

// faultDriver is a driver.Store whose every call, the optional Atomic ones
// included, goes through an Injector. It wraps any driver once: the
// capabilities are the inner driver's, through Atomic.
type faultDriver struct {
	inner driver.Store
	in    *Injector
}

func (d *faultDriver) CreateMetadata(ctx context.Context, m *driver.Metadata) error {
	return call0(ctx, d.in, CreateMetadata, func() error { return d.inner.CreateMetadata(ctx, m) })
}

func (d *faultDriver) GetMetadata(ctx context.Context, ns, name string) (*driver.Metadata, error) {
	return call(ctx, d.in, GetMetadata, func() (*driver.Metadata, error) { return d.inner.GetMetadata(ctx, ns, name) })
}

func (d *faultDriver) UpdateMetadata(ctx context.Context, m *driver.Metadata) error {
	return call0(ctx, d.in, UpdateMetadata, func() error { return d.inner.UpdateMetadata(ctx, m) })
}

func (d *faultDriver) DeleteMetadata(ctx context.Context, ns, name string, rev int64) error {
	return call0(ctx, d.in, DeleteMetadata, func() error { return d.inner.DeleteMetadata(ctx, ns, name, rev) })
}

func (d *faultDriver) ListMetadata(ctx context.Context, ns, after string, limit int) ([]*driver.Metadata, error) {
	return call(ctx, d.in, ListMetadata, func() ([]*driver.Metadata, error) { return d.inner.ListMetadata(ctx, ns, after, limit) })
}

func (d *faultDriver) PutCiphertext(ctx context.Context, c *driver.Ciphertext) error {
	return call0(ctx, d.in, PutCiphertext, func() error { return d.inner.PutCiphertext(ctx, c) })
}

func (d *faultDriver) GetCiphertext(ctx context.Context, ns, name, id string) (*driver.Ciphertext, error) {
	return call(ctx, d.in, GetCiphertext, func() (*driver.Ciphertext, error) { return d.inner.GetCiphertext(ctx, ns, name, id) })
}

func (d *faultDriver) DeleteCiphertext(ctx context.Context, ns, name, id string) error {
	return call0(ctx, d.in, DeleteCiphertext, func() error { return d.inner.DeleteCiphertext(ctx, ns, name, id) })
}

func (d *faultDriver) ListCiphertexts(ctx context.Context, ns string, after driver.CiphertextRef, limit int) ([]driver.CiphertextRef, error) {
	return call(ctx, d.in, ListCiphertexts, func() ([]driver.CiphertextRef, error) {
		return d.inner.ListCiphertexts(ctx, ns, after, limit)
	})
}

func (d *faultDriver) ReplaceCiphertext(ctx context.Context, c *driver.Ciphertext, old []byte) error {
	return call0(ctx, d.in, ReplaceCiphertext, func() error { return d.inner.ReplaceCiphertext(ctx, c, old) })
}

func (d *faultDriver) Atomic() driver.Atomic {
	a := d.inner.Atomic()
	if a == nil {
		return nil
	}
	return faultAtomic{a, d.in}
}

func (d *faultDriver) ErrorCode(err error) error { return d.inner.ErrorCode(err) }

// Records passes the inner driver's records through, without faults.
func (d *faultDriver) Records() driver.Records { return d.inner.Records() }

// Close is never called: the wrapped Store shares the original's
// lifecycle, which closes the inner driver.
func (d *faultDriver) Close() error { return d.inner.Close() }

// Keeper wraps a keeper.Keeper with an Injector.
type Keeper struct {
	keeper.Keeper
	In *Injector
}

// NewKeeper wraps k; the returned keeper's In field controls the faults.
func NewKeeper(k keeper.Keeper) *Keeper { return &Keeper{Keeper: k, In: &Injector{}} }

func (k *Keeper) Encrypt(ctx context.Context, pt, aad []byte) ([]byte, error) {
	return call(ctx, k.In, Encrypt, func() ([]byte, error) { return k.Keeper.Encrypt(ctx, pt, aad) })
}

func (k *Keeper) Decrypt(ctx context.Context, ct, aad []byte) ([]byte, error) {
	return call(ctx, k.In, Decrypt, func() ([]byte, error) { return k.Keeper.Decrypt(ctx, ct, aad) })
}

// Rewrap is the op of the keeper Rewrap method.
const Rewrap Op = "Rewrap"

// Rewrap is the keeper Rewrap method, faulted as op Rewrap: it rewraps
// through the wrapped keeper, or fails with code FailedPrecondition when
// that keeper cannot rewrap.
func (k *Keeper) Rewrap(ctx context.Context, ct, aad []byte) ([]byte, bool, error) {
	rw, ok := k.Keeper.(canRewrap)
	if !ok {
		return nil, false, errcode.New(errcode.FailedPrecondition, "fault.Rewrap", "the wrapped keeper cannot rewrap")
	}
	return rewrapper{k.In, rw}.Rewrap(ctx, ct, aad)
}

// KEKIDs passes the wrapped keeper's KEKIDs through (not faulted: it reads
// no key); "" and nil when it has none.
func (k *Keeper) KEKIDs() (primary string, all []string) {
	if l, ok := k.Keeper.(interface{ KEKIDs() (string, []string) }); ok {
		return l.KEKIDs()
	}
	return "", nil
}

type rewrapper struct {
	in    *Injector
	inner canRewrap
}

type rewrapped struct {
	out     []byte
	changed bool
}

func (r rewrapper) Rewrap(ctx context.Context, ct, aad []byte) ([]byte, bool, error) {
	res, err := call(ctx, r.in, Rewrap, func() (rewrapped, error) {
		out, changed, err := r.inner.Rewrap(ctx, ct, aad)
		return rewrapped{out, changed}, err
	})
	return res.out, res.changed, err
}

// canRewrap is a keeper that can re-encrypt without revealing the
// plaintext (package keeper documents the method; Envelope has it).
type canRewrap interface {
	Rewrap(ctx context.Context, ciphertext, associatedData []byte) (out []byte, changed bool, err error)
}

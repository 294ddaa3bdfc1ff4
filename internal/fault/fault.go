// Package fault wraps a storage.Store and a keeper.Keeper with injected
// failures (errors, latency, a "crash" that stops every later call), so
// tests can show that DESIGN.md's invariants hold when a backend or the key
// service fails between any two steps of a write.
package fault

import (
	"context"
	"sync"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/storage"
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
)

// ErrInjected is the error injected by Fail and Crash; it has code
// Unavailable, like a backend that went away.
var ErrInjected error = errcode.New(errcode.Unavailable, "fault", "injected failure")

// Injector decides, before each call, whether it fails. The zero Injector
// passes every call through. It is safe for concurrent use.
type Injector struct {
	mu      sync.Mutex
	calls   map[Op]int
	total   int
	rules   []rule
	crashAt int // 0: no crash planned
	crashed bool
	latency time.Duration
}

type rule struct {
	op    Op // "" matches every op
	nth   int
	every bool
	err   error // nil: ErrInjected
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

// Crashed reports whether a CrashAfter point was reached.
func (in *Injector) Crashed() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.crashed
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
	in.rules, in.crashAt, in.crashed, in.latency = nil, 0, false, 0
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

// before counts a call and returns the error it must fail with, if any.
func (in *Injector) before(ctx context.Context, op Op) error {
	in.mu.Lock()
	if in.calls == nil {
		in.calls = map[Op]int{}
	}
	in.total++
	in.calls[op]++
	if in.crashAt > 0 && in.total >= in.crashAt {
		in.crashed = true
	}
	var err error
	if in.crashed {
		err = ErrInjected
	}
	for _, r := range in.rules {
		if err != nil {
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
			err = r.err
			if err == nil {
				err = ErrInjected
			}
		}
	}
	lat := in.latency
	in.mu.Unlock()
	if lat > 0 {
		t := time.NewTimer(lat)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return err
}

// Store wraps a storage.Store with an Injector.
type Store struct {
	storage.Store
	In *Injector
}

// NewStore wraps s; the returned store's In field controls the faults.
func NewStore(s storage.Store) *Store { return &Store{Store: s, In: &Injector{}} }

func (s *Store) CreateMetadata(ctx context.Context, m *storage.Metadata) (*storage.Metadata, error) {
	if err := s.In.before(ctx, CreateMetadata); err != nil {
		return nil, err
	}
	return s.Store.CreateMetadata(ctx, m)
}

func (s *Store) GetMetadata(ctx context.Context, ns, name string) (*storage.Metadata, error) {
	if err := s.In.before(ctx, GetMetadata); err != nil {
		return nil, err
	}
	return s.Store.GetMetadata(ctx, ns, name)
}

func (s *Store) UpdateMetadata(ctx context.Context, m *storage.Metadata) (*storage.Metadata, error) {
	if err := s.In.before(ctx, UpdateMetadata); err != nil {
		return nil, err
	}
	return s.Store.UpdateMetadata(ctx, m)
}

func (s *Store) DeleteMetadata(ctx context.Context, ns, name string, rev int64) error {
	if err := s.In.before(ctx, DeleteMetadata); err != nil {
		return err
	}
	return s.Store.DeleteMetadata(ctx, ns, name, rev)
}

func (s *Store) ListMetadata(ctx context.Context, ns string, o storage.ListOptions) ([]*storage.Metadata, string, error) {
	if err := s.In.before(ctx, ListMetadata); err != nil {
		return nil, "", err
	}
	return s.Store.ListMetadata(ctx, ns, o)
}

func (s *Store) PutCiphertext(ctx context.Context, c *storage.Ciphertext) error {
	if err := s.In.before(ctx, PutCiphertext); err != nil {
		return err
	}
	return s.Store.PutCiphertext(ctx, c)
}

func (s *Store) GetCiphertext(ctx context.Context, ns, name, id string) (*storage.Ciphertext, error) {
	if err := s.In.before(ctx, GetCiphertext); err != nil {
		return nil, err
	}
	return s.Store.GetCiphertext(ctx, ns, name, id)
}

func (s *Store) DeleteCiphertext(ctx context.Context, ns, name, id string) error {
	if err := s.In.before(ctx, DeleteCiphertext); err != nil {
		return err
	}
	return s.Store.DeleteCiphertext(ctx, ns, name, id)
}

func (s *Store) ListCiphertexts(ctx context.Context, ns string, size int, token string) ([]storage.CiphertextRef, string, error) {
	if err := s.In.before(ctx, ListCiphertexts); err != nil {
		return nil, "", err
	}
	return s.Store.ListCiphertexts(ctx, ns, size, token)
}

func (s *Store) ReplaceCiphertext(ctx context.Context, c *storage.Ciphertext, old []byte) error {
	if err := s.In.before(ctx, ReplaceCiphertext); err != nil {
		return err
	}
	return s.Store.ReplaceCiphertext(ctx, c, old)
}

// Keeper wraps a keeper.Keeper with an Injector.
type Keeper struct {
	keeper.Keeper
	In *Injector
}

// NewKeeper wraps k; the returned keeper's In field controls the faults.
func NewKeeper(k keeper.Keeper) *Keeper { return &Keeper{Keeper: k, In: &Injector{}} }

func (k *Keeper) Encrypt(ctx context.Context, pt, aad []byte) ([]byte, error) {
	if err := k.In.before(ctx, Encrypt); err != nil {
		return nil, err
	}
	return k.Keeper.Encrypt(ctx, pt, aad)
}

func (k *Keeper) Decrypt(ctx context.Context, ct, aad []byte) ([]byte, error) {
	if err := k.In.before(ctx, Decrypt); err != nil {
		return nil, err
	}
	return k.Keeper.Decrypt(ctx, ct, aad)
}

package storage

import (
	"context"
	"errors"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/gate"
	"github.com/strongbox-go/strongbox/storage/driver"
)

// cleanupTimeout bounds the best-effort removal of a ciphertext that a
// sequenced write stored and then could not use, or that it superseded.
// The removal runs even when the call's context is done; when it fails,
// the ciphertext is an orphan that garbage collection removes.
const cleanupTimeout = 10 * time.Second

// Store keeps metadata and ciphertexts in separate collections or tables,
// in one backend or two. It is the portable type over the drivers that
// backends implement (storage/driver): every call is checked, gated by
// Close, and its errors carry a code, the same way on every backend. All
// methods are safe for concurrent use.
//
// Listings are ordered by name. Every error matches one of the package's
// Err values (or is a context error); errors never contain ciphertext
// bytes.
type Store struct {
	lc       *lifecycle
	meta, ct driver.Store
	// atomic is the driver's cross-collection operations, when one driver
	// holds both collections and has them.
	atomic driver.Atomic
}

// lifecycle is a Store's Close gate, shared by Stores over the same drivers.
type lifecycle struct {
	gate  gate.Gate
	close func() error // closes the drivers; run once
}

// NewStore returns a Store over d, which holds both collections. Backends
// call it from their Open functions and URL openers. Close closes d.
func NewStore(d driver.Store) *Store {
	return newStore(d, d, d.Close)
}

// newSplitStore returns a Store that keeps metadata in metadata's backend
// and ciphertexts in ciphertexts' backend, for example metadata in
// PostgreSQL and ciphertexts in a docstore collection. The new Store takes
// both over: closing it closes them, and they must not be used or closed
// apart. Writes are sequenced (see the package doc, # Writes): a
// ciphertext is stored before the metadata that points at it.
func newSplitStore(metadata, ciphertexts *Store) *Store {
	return newStore(metadata.meta, ciphertexts.ct, func() error {
		return errors.Join(metadata.Close(), ciphertexts.Close())
	})
}

func newStore(meta, ct driver.Store, closeFn func() error) *Store {
	s := &Store{lc: &lifecycle{gate: gate.Gate{What: "store"}, close: closeFn}, meta: meta, ct: ct}
	if meta == ct {
		s.atomic = meta.Atomic()
	}
	return s
}

// wrapDrivers returns a Store over wrap(d) for s's drivers, sharing s's
// lifecycle: closing either closes both, and the drivers once. It is for
// internal test harnesses (fault injection), through storehook.
func (s *Store) wrapDrivers(wrap func(driver.Store) driver.Store) *Store {
	meta := wrap(s.meta)
	ct := meta
	if s.ct != s.meta {
		ct = wrap(s.ct)
	}
	w := &Store{lc: s.lc, meta: meta, ct: ct}
	if meta == ct && s.atomic != nil {
		w.atomic = meta.Atomic()
	}
	return w
}

// Close waits for calls in flight, makes later calls fail with ErrClosed
// and closes the drivers. A second Close returns nil.
func (s *Store) Close() error {
	if !s.lc.gate.Close() {
		return nil
	}
	return errcode.Wrap(errcode.Internal, "storage.Close", s.lc.close())
}

// enter starts a call: a done context fails it, and so does Close. A
// successful enter must be paired with leave.
func (s *Store) enter(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.lc.gate.Enter(op)
}

func (s *Store) leave() { s.lc.gate.Leave() }

// convert gives a driver error its code and the operation, once: a context
// error passes through (as the context's own error when ctx is done), and
// so does an Unavailable error once ctx is done; an error that carries a
// code keeps it; any other error is the context's
// when ctx is done, else gets the code d.ErrorCode gives it.
func convert(ctx context.Context, d driver.Store, op string, err error) error {
	if err == nil {
		return nil
	}
	if errcode.IsContext(err) {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		return err
	}
	var e *errcode.Error
	if errors.As(err, &e) {
		if cerr := errcode.ContextEnded(ctx); cerr != nil && e.Code == errcode.Unavailable {
			// A backend that could not be reached before the caller's
			// deadline (a dial cut short, say) failed because of it.
			return cerr
		}
		if top, ok := err.(*errcode.Error); ok && top.Op == "" {
			c := *top
			c.Op = op
			return &c
		}
		return &errcode.Error{Code: e.Code, Op: op, Err: err}
	}
	if cerr := errcode.ContextEnded(ctx); cerr != nil {
		return cerr
	}
	return &errcode.Error{Code: errcode.Of(d.ErrorCode(err)), Op: op, Err: err}
}

// refused reports whether a failed write certainly did not happen: the
// store refused it. Any other failure (unavailable, timeout, cancellation,
// internal) may come after the write committed with only its
// acknowledgement lost.
func refused(err error) bool {
	if errcode.IsContext(err) {
		return false
	}
	switch errcode.Of(err) {
	case errcode.AlreadyExists, errcode.Conflict, errcode.NotFound, errcode.Invalid,
		errcode.PermissionDenied, errcode.FailedPrecondition:
		return true
	}
	return false
}

// dropCiphertext removes a ciphertext no metadata points at any more. It
// runs even when ctx is done (the write it cleans up after is decided),
// bounded by cleanupTimeout; a failure leaves an orphan for garbage
// collection, never a dangling pointer.
func (s *Store) dropCiphertext(ctx context.Context, ns, name, valueID string) {
	if valueID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_ = s.ct.DeleteCiphertext(ctx, ns, name, valueID)
}

// CreateMetadata stores m with Revision 1 and returns the stored copy.
// It fails with secrets.ErrAlreadyExists if the name is taken in the namespace.
func (s *Store) CreateMetadata(ctx context.Context, m *Metadata) (*Metadata, error) {
	const op = "storage.CreateMetadata"
	if err := s.enter(ctx, op); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := checkMetadata(op, m); err != nil {
		return nil, err
	}
	n := normMetadata(m, 1)
	if err := s.meta.CreateMetadata(ctx, n); err != nil {
		return nil, convert(ctx, s.meta, op, err)
	}
	return normMetadata(m, 1), nil
}

// GetMetadata returns the metadata of one secret, or secrets.ErrNotFound.
func (s *Store) GetMetadata(ctx context.Context, namespace, name string) (*Metadata, error) {
	const op = "storage.GetMetadata"
	if err := s.enter(ctx, op); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := checkKey(op, namespace, name); err != nil {
		return nil, err
	}
	m, err := s.meta.GetMetadata(ctx, namespace, name)
	if err != nil {
		return nil, convert(ctx, s.meta, op, err)
	}
	return normResult(m), nil
}

// UpdateMetadata replaces the metadata if the stored revision equals
// m.Revision, and returns the stored copy with the next revision.
// secrets.ErrNotFound if absent, secrets.ErrConflict if the revision moved.
func (s *Store) UpdateMetadata(ctx context.Context, m *Metadata) (*Metadata, error) {
	const op = "storage.UpdateMetadata"
	if err := s.enter(ctx, op); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := checkMetadata(op, m); err != nil {
		return nil, err
	}
	if err := s.meta.UpdateMetadata(ctx, normMetadata(m, m.Revision)); err != nil {
		return nil, convert(ctx, s.meta, op, err)
	}
	return normMetadata(m, m.Revision+1), nil
}

// DeleteMetadata removes the metadata if its revision equals revision.
// secrets.ErrNotFound if absent, secrets.ErrConflict if the revision moved.
func (s *Store) DeleteMetadata(ctx context.Context, namespace, name string, revision int64) error {
	const op = "storage.DeleteMetadata"
	if err := s.enter(ctx, op); err != nil {
		return err
	}
	defer s.leave()
	if err := checkKey(op, namespace, name); err != nil {
		return err
	}
	return convert(ctx, s.meta, op, s.meta.DeleteMetadata(ctx, namespace, name, revision))
}

// ListMetadata returns one page of a namespace's metadata, ordered by name
// in byte order, and the token of the next page ("" after the last page).
// Pages are keyset pages by name; a label filter is applied while paging,
// so a filtered page may be short and a selective filter reads more
// records than it returns.
func (s *Store) ListMetadata(ctx context.Context, namespace string, opts ListOptions) (page []*Metadata, nextPageToken string, err error) {
	const op = "storage.ListMetadata"
	if err := s.enter(ctx, op); err != nil {
		return nil, "", err
	}
	defer s.leave()
	if err := checkNamespace(op, namespace); err != nil {
		return nil, "", err
	}
	after, err := decodeToken(op, opts.PageToken)
	if err != nil {
		return nil, "", err
	}
	size := effectivePageSize(opts.PageSize)
	batch := size + 1 // one more than the page shows whether a next page exists
	if len(opts.Labels) > 0 && batch < 100 {
		batch = 100 // a filter skips records: read more per round trip
	}
	var out []*Metadata
	for len(out) <= size {
		recs, err := s.meta.ListMetadata(ctx, namespace, after, batch)
		if err != nil {
			return nil, "", convert(ctx, s.meta, op, err)
		}
		for _, m := range recs {
			after = m.Name
			if matchLabels(m.Labels, opts.Labels) {
				out = append(out, normResult(m))
				if len(out) > size {
					break
				}
			}
		}
		if len(recs) < batch {
			break // the namespace is exhausted
		}
	}
	next := ""
	if len(out) > size {
		out = out[:size]
		next = encodeToken(out[size-1].Name)
	}
	return out, next, nil
}

// PutCiphertext stores c; it fails with secrets.ErrAlreadyExists if a ciphertext
// with the same key exists (ciphertexts are never overwritten).
func (s *Store) PutCiphertext(ctx context.Context, c *Ciphertext) error {
	const op = "storage.PutCiphertext"
	if err := s.enter(ctx, op); err != nil {
		return err
	}
	defer s.leave()
	if err := checkCiphertext(op, c); err != nil {
		return err
	}
	return convert(ctx, s.ct, op, s.ct.PutCiphertext(ctx, normCiphertext(c)))
}

// GetCiphertext returns one ciphertext, or secrets.ErrNotFound.
func (s *Store) GetCiphertext(ctx context.Context, namespace, name, valueID string) (*Ciphertext, error) {
	const op = "storage.GetCiphertext"
	if err := s.enter(ctx, op); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := checkCiphertextKey(op, namespace, name, valueID); err != nil {
		return nil, err
	}
	c, err := s.ct.GetCiphertext(ctx, namespace, name, valueID)
	if err != nil {
		return nil, convert(ctx, s.ct, op, err)
	}
	return normCiphertextResult(c), nil
}

// DeleteCiphertext removes one ciphertext; deleting an absent one is not
// an error.
func (s *Store) DeleteCiphertext(ctx context.Context, namespace, name, valueID string) error {
	const op = "storage.DeleteCiphertext"
	if err := s.enter(ctx, op); err != nil {
		return err
	}
	defer s.leave()
	if err := checkCiphertextKey(op, namespace, name, valueID); err != nil {
		return err
	}
	return convert(ctx, s.ct, op, s.ct.DeleteCiphertext(ctx, namespace, name, valueID))
}

// ListCiphertexts returns one page of the references of every ciphertext
// in a namespace (all namespaces if namespace is ""), for garbage
// collection and rewrapping. pageSize follows ListOptions.PageSize.
func (s *Store) ListCiphertexts(ctx context.Context, namespace string, pageSize int, pageToken string) (page []CiphertextRef, nextPageToken string, err error) {
	const op = "storage.ListCiphertexts"
	if err := s.enter(ctx, op); err != nil {
		return nil, "", err
	}
	defer s.leave()
	if namespace != "" {
		if err := checkNamespace(op, namespace); err != nil {
			return nil, "", err
		}
	}
	after, err := decodeCiphertextToken(op, namespace, pageToken)
	if err != nil {
		return nil, "", err
	}
	size := effectivePageSize(pageSize)
	refs, err := s.ct.ListCiphertexts(ctx, namespace, after, size+1)
	if err != nil {
		return nil, "", convert(ctx, s.ct, op, err)
	}
	next := ""
	if len(refs) > size {
		refs = refs[:size]
		next = ciphertextToken(refs[size-1])
	}
	for i := range refs {
		refs[i].CreateTime = normTime(refs[i].CreateTime)
	}
	return refs, next, nil
}

// ReplaceCiphertext swaps the data of an existing ciphertext if it still
// equals old (compare-and-swap), for rewrapping under new keys.
// secrets.ErrNotFound if absent, secrets.ErrConflict if the data changed.
func (s *Store) ReplaceCiphertext(ctx context.Context, c *Ciphertext, old []byte) error {
	const op = "storage.ReplaceCiphertext"
	if err := s.enter(ctx, op); err != nil {
		return err
	}
	defer s.leave()
	if err := checkCiphertext(op, c); err != nil {
		return err
	}
	if old == nil {
		old = []byte{}
	}
	return convert(ctx, s.ct, op, s.ct.ReplaceCiphertext(ctx, normCiphertext(c), old))
}

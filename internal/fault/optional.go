package fault

import (
	"context"

	"github.com/strongbox-go/strongbox/storage"
)

// Operations of the optional store interfaces.
const (
	GetCurrent           Op = "GetCurrent"
	CreateWithCiphertext Op = "CreateWithCiphertext"
	UpdateWithCiphertext Op = "UpdateWithCiphertext"
	DeleteSecret         Op = "DeleteSecret"
)

// WithOptional returns s as a storage.Store that also implements the
// optional interfaces (storage.CurrentGetter, storage.AtomicWriter) its
// wrapped store implements, each call going through s.In like the others.
// Without it, wrapping would hide them and tests would only ever see the
// Manager's multi-call paths.
func (s *Store) WithOptional() storage.Store {
	cg, hasCG := s.Store.(storage.CurrentGetter)
	aw, hasAW := s.Store.(storage.AtomicWriter)
	switch {
	case hasCG && hasAW:
		return struct {
			*Store
			currentGetter
			atomicWriter
		}{s, currentGetter{s, cg}, atomicWriter{s, aw}}
	case hasCG:
		return struct {
			*Store
			currentGetter
		}{s, currentGetter{s, cg}}
	case hasAW:
		return struct {
			*Store
			atomicWriter
		}{s, atomicWriter{s, aw}}
	}
	return s
}

type currentGetter struct {
	s     *Store
	inner storage.CurrentGetter
}

func (g currentGetter) GetCurrent(ctx context.Context, ns, name string) (*storage.Metadata, *storage.Ciphertext, error) {
	if err := g.s.In.before(ctx, GetCurrent); err != nil {
		return nil, nil, err
	}
	return g.inner.GetCurrent(ctx, ns, name)
}

type atomicWriter struct {
	s     *Store
	inner storage.AtomicWriter
}

func (w atomicWriter) CreateWithCiphertext(ctx context.Context, m *storage.Metadata, c *storage.Ciphertext) (*storage.Metadata, error) {
	if err := w.s.In.before(ctx, CreateWithCiphertext); err != nil {
		return nil, err
	}
	return w.inner.CreateWithCiphertext(ctx, m, c)
}

func (w atomicWriter) UpdateWithCiphertext(ctx context.Context, m *storage.Metadata, c *storage.Ciphertext, old string) (*storage.Metadata, error) {
	if err := w.s.In.before(ctx, UpdateWithCiphertext); err != nil {
		return nil, err
	}
	return w.inner.UpdateWithCiphertext(ctx, m, c, old)
}

func (w atomicWriter) DeleteSecret(ctx context.Context, ns, name string, rev int64) error {
	if err := w.s.In.before(ctx, DeleteSecret); err != nil {
		return err
	}
	return w.inner.DeleteSecret(ctx, ns, name, rev)
}

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

type current struct {
	m *storage.Metadata
	c *storage.Ciphertext
}

func (g currentGetter) GetCurrent(ctx context.Context, ns, name string) (*storage.Metadata, *storage.Ciphertext, error) {
	r, err := call(ctx, g.s.In, GetCurrent, func() (current, error) {
		m, c, err := g.inner.GetCurrent(ctx, ns, name)
		return current{m, c}, err
	})
	return r.m, r.c, err
}

type atomicWriter struct {
	s     *Store
	inner storage.AtomicWriter
}

func (w atomicWriter) CreateWithCiphertext(ctx context.Context, m *storage.Metadata, c *storage.Ciphertext) (*storage.Metadata, error) {
	return call(ctx, w.s.In, CreateWithCiphertext, func() (*storage.Metadata, error) {
		return w.inner.CreateWithCiphertext(ctx, m, c)
	})
}

func (w atomicWriter) UpdateWithCiphertext(ctx context.Context, m *storage.Metadata, c *storage.Ciphertext, old string) (*storage.Metadata, error) {
	return call(ctx, w.s.In, UpdateWithCiphertext, func() (*storage.Metadata, error) {
		return w.inner.UpdateWithCiphertext(ctx, m, c, old)
	})
}

func (w atomicWriter) DeleteSecret(ctx context.Context, ns, name string, rev int64) error {
	return call0(ctx, w.s.In, DeleteSecret, func() error { return w.inner.DeleteSecret(ctx, ns, name, rev) })
}

package storage

import (
	"context"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// The calls that read or write a secret's metadata and ciphertext
// together. When one driver holds both collections and has Atomic
// operations, each is one query or one transaction; otherwise the Store
// runs the sequence, ordered so that a crash at any point leaves no
// metadata pointing at a missing ciphertext (see the package doc, #
// Writes).

// GetCurrent returns the metadata of namespace/name and the ciphertext its
// ValueID names: secrets.ErrNotFound when the metadata is absent; a nil ciphertext
// when the value is revoked (ValueID empty) or its ciphertext is missing
// (which only damage, or a restore of one collection without the other,
// can cause).
func (s *Store) GetCurrent(ctx context.Context, namespace, name string) (*Metadata, *Ciphertext, error) {
	const op = "storage.GetCurrent"
	if err := s.enter(ctx, op); err != nil {
		return nil, nil, err
	}
	defer s.leave()
	if err := checkKey(op, namespace, name); err != nil {
		return nil, nil, err
	}
	if s.atomic != nil {
		m, c, err := s.atomic.GetCurrent(ctx, namespace, name)
		if err != nil {
			return nil, nil, convert(ctx, s.meta, op, err)
		}
		return normResult(m), normCiphertextResult(c), nil
	}
	m, err := s.meta.GetMetadata(ctx, namespace, name)
	if err != nil {
		return nil, nil, convert(ctx, s.meta, op, err)
	}
	normResult(m)
	if m.ValueID == "" {
		return m, nil, nil
	}
	c, err := s.ct.GetCiphertext(ctx, namespace, name, m.ValueID)
	if err != nil {
		err = convert(ctx, s.ct, op, err)
		if errcode.Of(err) == errcode.NotFound {
			return m, nil, nil
		}
		return nil, nil, err
	}
	return m, normCiphertextResult(c), nil
}

// CreateWithCiphertext stores a new secret: the ciphertext c and the
// metadata m that points at it, with Revision 1, and returns the stored
// metadata. It fails with secrets.ErrAlreadyExists when the name is taken, and
// then nothing is kept. Both arguments are checked before anything is
// written.
//
// Sequenced: the ciphertext first, then the metadata; when the metadata is
// refused the ciphertext is removed again, and when its outcome is unknown
// (the store went away) the ciphertext stays for garbage collection, as
// the metadata may point at it.
func (s *Store) CreateWithCiphertext(ctx context.Context, m *Metadata, c *Ciphertext) (*Metadata, error) {
	const op = "storage.CreateWithCiphertext"
	if err := s.enter(ctx, op); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := checkMetadata(op, m); err != nil {
		return nil, err
	}
	if err := checkCiphertext(op, c); err != nil {
		return nil, err
	}
	nm, nc := normMetadata(m, 1), normCiphertext(c)
	if s.atomic != nil {
		if err := s.atomic.CreateWithCiphertext(ctx, nm, nc); err != nil {
			return nil, convert(ctx, s.meta, op, err)
		}
		return normMetadata(m, 1), nil
	}
	// Fail fast when the name is taken, before writing a ciphertext that
	// would only be removed again. CreateMetadata still decides races.
	if _, err := s.meta.GetMetadata(ctx, m.Namespace, m.Name); err == nil {
		return nil, errcode.New(errcode.AlreadyExists, op, "a secret with this name exists in the namespace")
	} else if err := convert(ctx, s.meta, op, err); errcode.Of(err) != errcode.NotFound {
		return nil, err
	}
	if err := s.ct.PutCiphertext(ctx, nc); err != nil {
		return nil, convert(ctx, s.ct, op, err)
	}
	if err := s.meta.CreateMetadata(ctx, nm); err != nil {
		err = convert(ctx, s.meta, op, err)
		if refused(err) {
			s.dropCiphertext(ctx, c.Namespace, c.Name, c.ValueID)
		}
		return nil, err
	}
	return normMetadata(m, 1), nil
}

// UpdateWithCiphertext commits m, which now points at c (nil when the
// write stores no new value: a revoke, a destroy, a metadata change), if
// the stored revision is m.Revision, and removes the ciphertexts of drop:
// secrets.ErrNotFound, secrets.ErrConflict. drop names the values the write
// lets go: none, the old current value (a reset without history), or the
// kept values that fall out of a history window; empty IDs and c's are
// ignored, and one that m still references is secrets.ErrInvalid. It
// returns the stored metadata with the next revision.
//
// Sequenced: c first, then the metadata, then the removal of the dropped
// ciphertexts; a refused update removes c again.
func (s *Store) UpdateWithCiphertext(ctx context.Context, m *Metadata, c *Ciphertext, drop ...string) (*Metadata, error) {
	const op = "storage.UpdateWithCiphertext"
	if err := s.enter(ctx, op); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := checkMetadata(op, m); err != nil {
		return nil, err
	}
	var nc *Ciphertext
	if c != nil {
		if err := checkCiphertext(op, c); err != nil {
			return nil, err
		}
		nc = normCiphertext(c)
	}
	drop, err := checkDrop(op, m, c, drop)
	if err != nil {
		return nil, err
	}
	nm := normMetadata(m, m.Revision)
	if s.atomic != nil {
		if err := s.atomic.UpdateWithCiphertext(ctx, nm, nc, drop); err != nil {
			return nil, convert(ctx, s.meta, op, err)
		}
		return normMetadata(m, m.Revision+1), nil
	}
	if nc != nil {
		if err := s.ct.PutCiphertext(ctx, nc); err != nil {
			return nil, convert(ctx, s.ct, op, err)
		}
	}
	if err := s.meta.UpdateMetadata(ctx, nm); err != nil {
		err = convert(ctx, s.meta, op, err)
		if nc != nil && refused(err) {
			s.dropCiphertext(ctx, nc.Namespace, nc.Name, nc.ValueID)
		}
		return nil, err
	}
	for _, id := range drop {
		s.dropCiphertext(ctx, m.Namespace, m.Name, id)
	}
	return normMetadata(m, m.Revision+1), nil
}

// DeleteSecret removes a secret for good if its revision is revision: its
// metadata, then its ciphertext. secrets.ErrNotFound if absent, secrets.ErrConflict if the
// revision moved; then nothing is deleted. The name can be created again
// at once.
//
// Sequenced: the metadata is read (for the value IDs) and deleted at
// revision, then the current and the kept ciphertexts are removed; a crash
// in between leaves orphans for garbage collection.
func (s *Store) DeleteSecret(ctx context.Context, namespace, name string, revision int64) error {
	const op = "storage.DeleteSecret"
	if err := s.enter(ctx, op); err != nil {
		return err
	}
	defer s.leave()
	if err := checkKey(op, namespace, name); err != nil {
		return err
	}
	if s.atomic != nil {
		return convert(ctx, s.meta, op, s.atomic.DeleteSecret(ctx, namespace, name, revision))
	}
	m, err := s.meta.GetMetadata(ctx, namespace, name)
	if err != nil {
		return convert(ctx, s.meta, op, err)
	}
	if err := s.meta.DeleteMetadata(ctx, namespace, name, revision); err != nil {
		return convert(ctx, s.meta, op, err)
	}
	if m.Revision == revision {
		// Otherwise the value ID read may be an older one's; the current
		// ciphertext is then an orphan for garbage collection.
		s.dropCiphertext(ctx, namespace, name, m.ValueID)
		for _, h := range m.History {
			if h.ValueID != m.ValueID {
				s.dropCiphertext(ctx, namespace, name, h.ValueID)
			}
		}
	}
	return nil
}

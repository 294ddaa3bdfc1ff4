package secrets

// Writes: create, update, reset, revoke and delete. Each is one store
// call (storage.Store sequences or transacts it) guarded by the revision
// the caller read.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/driver"
)

func newValueID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", errcode.Wrap(errcode.Internal, "secrets.newValueID", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// newCiphertext encrypts v for (ns, name, version) under a fresh value id.
func (m *Manager) newCiphertext(ctx context.Context, ns, name string, version int64, v Value) (*storage.Ciphertext, error) {
	valueID, err := newValueID()
	if err != nil {
		return nil, err
	}
	pt := []byte(v.str())
	data, err := m.keeper.Encrypt(ctx, pt, associatedData(ns, name, version, valueID))
	clear(pt) // the Value keeps the one copy the caller gave
	if err != nil {
		return nil, err
	}
	return &storage.Ciphertext{
		Namespace: ns, Name: name, ValueID: valueID, Version: version,
		Data: data, CreateTime: m.now().UTC(),
	}, nil
}

// Create stores a new secret and returns its metadata. The caller needs the
// create permission. It fails with ErrInvalid for input outside the limits,
// ErrAlreadyExists when the name is taken; nothing is stored on failure.
func (m *Manager) Create(ctx context.Context, namespace string, spec Spec) (*Secret, error) {
	c, err := m.begin(ctx, "Create", namespace, rbac.ActionCreate, spec.Name)
	if err != nil {
		return nil, err
	}
	defer c.end()
	s, err := m.create(ctx, c, spec)
	return s, c.finish(ctx, spec.Name, err)
}

func (m *Manager) create(ctx context.Context, c *call, spec Spec) (*Secret, error) {
	decrypters := spec.Decrypters
	if decrypters == nil {
		decrypters = m.decrypters
	}
	if err := validateSpec(spec, decrypters); err != nil {
		return nil, err
	}
	keep := m.keepVersions
	if spec.KeepVersions != nil {
		keep = *spec.KeepVersions
		if err := validateKeepVersions(keep); err != nil {
			return nil, err
		}
	}
	// The creator supplies the value, so it chooses who may decrypt it
	// with the create permission alone; the event records the choice.
	c.decrypters = &decrypterChange{action: c.action, after: slices.Clone(decrypters)}
	ct, err := m.newCiphertext(ctx, c.ns, spec.Name, 1, spec.Value)
	if err != nil {
		return nil, err
	}
	now := m.now().UTC()
	md := &storage.Metadata{
		Namespace:    c.ns,
		Name:         spec.Name,
		Description:  spec.Description,
		Labels:       cloneLabels(spec.Labels),
		Decrypters:   slices.Clone(decrypters),
		Version:      1,
		ValueID:      ct.ValueID,
		CreateTime:   now,
		UpdateTime:   now,
		CreatedBy:    c.p.String(),
		UpdatedBy:    c.p.String(),
		KeepVersions: keep,
		History:      []driver.HistoryEntry{{Version: 1, ValueID: ct.ValueID, CreateTime: now, CreatedBy: c.p.String()}},
		// The first value's random id names this life of the name: a
		// write read before a delete and re-create (revision 1 again)
		// then conflicts instead of landing on the new secret.
		Incarnation: ct.ValueID,
	}
	// One transaction, or the ciphertext first: a crash leaves at worst an
	// orphan for CollectGarbage, never metadata pointing at nothing.
	md, err = m.store.CreateWithCiphertext(ctx, md, ct)
	if err != nil {
		if errcode.Of(err) == errcode.AlreadyExists {
			return nil, alreadyExists(c.ns, spec.Name)
		}
		return nil, err
	}
	return secretFromMetadata(md), nil
}

func alreadyExists(ns, name string) error {
	return errcode.New(errcode.AlreadyExists, "", fmt.Sprintf("secret %q already exists in namespace %q", name, ns))
}

func validateSpec(spec Spec, decrypters []string) error {
	for _, err := range []error{
		validateName(spec.Name),
		validateDescription(spec.Description),
		validateLabels(spec.Labels),
		validateDecrypters(decrypters),
		ValidateValue(spec.Value),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

func cloneLabels(l map[string]string) map[string]string {
	if len(l) == 0 {
		return nil
	}
	out := make(map[string]string, len(l))
	for k, v := range l {
		out[k] = v
	}
	return out
}

// Update replaces the description, labels and decrypters of a secret with
// those of s. s.Revision must be the revision the caller read: if the secret
// changed since, Update fails with ErrConflict and changes nothing. The
// caller needs the update permission, and rbac.ActionSetDecrypters too
// when s.Decrypters is not the current set (ErrPermissionDenied
// otherwise). A caller that may not read the namespace gets ErrNotFound
// for a missing secret, a stale revision and a refused decrypters change
// alike (see # Errors). Other fields of s are ignored.
func (m *Manager) Update(ctx context.Context, namespace string, s *Secret) (*Secret, error) {
	if s == nil {
		return nil, errcode.New(errcode.Invalid, "secrets.Update", "secret is nil")
	}
	c, err := m.begin(ctx, "Update", namespace, rbac.ActionUpdate, s.Name)
	if err != nil {
		return nil, err
	}
	defer c.end()
	out, err := guarded(s.Revision, func() (*Secret, error) { return m.update(ctx, c, s) })
	return c.visible(ctx, out), c.finishHidden(ctx, s.Name, err)
}

func (m *Manager) update(ctx context.Context, c *call, s *Secret) (*Secret, error) {
	if s.Revision <= 0 {
		return nil, errcode.New(errcode.Invalid, "secrets.Update", "revision is required; pass the one Get returned")
	}
	for _, err := range []error{validateDescription(s.Description), validateLabels(s.Labels), validateDecrypters(s.Decrypters), validateKeepVersions(s.KeepVersions)} {
		if err != nil {
			return nil, err
		}
	}
	md, err := m.getMetadata(ctx, c.ns, s.Name)
	if err != nil {
		return nil, err
	}
	if md.Revision != s.Revision {
		return nil, conflict(s.Name, s.Revision, md.Revision)
	}
	if !sameSet(md.Decrypters, s.Decrypters) {
		// Granting (or withdrawing) decrypt on a value someone else
		// supplied is its own permission, not an update.
		c.decrypters = &decrypterChange{action: rbac.ActionSetDecrypters, before: slices.Clone(md.Decrypters), after: slices.Clone(s.Decrypters)}
		if err := m.authz.Authorize(ctx, c.p, c.ns, rbac.ActionSetDecrypters); err != nil {
			if errcode.IsContext(err) {
				return nil, err
			}
			return nil, &secretDenial{errcode.Wrap(errcode.PermissionDenied, "", err)}
		}
	}
	var drop []string
	if s.KeepVersions != md.KeepVersions {
		// A smaller window drops the kept values that fall out of it,
		// which is destroying them: that takes the delete permission too.
		md.KeepVersions = s.KeepVersions
		md.History, drop = window(history(md), md.KeepVersions)
		if len(drop) > 0 {
			if err := m.authz.Authorize(ctx, c.p, c.ns, rbac.ActionDelete); err != nil {
				if errcode.IsContext(err) {
					return nil, err
				}
				return nil, &secretDenial{errcode.Wrap(errcode.PermissionDenied, "",
					fmt.Errorf("keeping fewer versions destroys kept values, which needs the delete permission: %w", err))}
			}
		}
	}
	md.Description = s.Description
	md.Labels = cloneLabels(s.Labels)
	md.Decrypters = slices.Clone(s.Decrypters)
	md.UpdateTime = m.now().UTC()
	md.UpdatedBy = c.p.String()
	var out *storage.Metadata
	if len(drop) > 0 {
		out, err = m.store.UpdateWithCiphertext(ctx, md, nil, drop...)
	} else {
		out, err = m.store.UpdateMetadata(ctx, md)
	}
	if err != nil {
		return nil, err
	}
	return secretFromMetadata(out), nil
}

// sameSet reports whether a and b list the same ids, in any order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func conflict(name string, want, got int64) error {
	return staleRevision{errcode.New(errcode.Conflict, "", fmt.Sprintf("secret %q is at revision %d, not %d", name, got, want))}
}

// staleRevision is the Manager's own ErrConflict: the revision the caller
// passed is not the stored one. A conflict without it is the store's,
// refusing a write whose read the secret has since moved past.
type staleRevision struct{ error }

func (e staleRevision) Unwrap() error { return e.error }

// guardedAttempts bounds the runs of one guarded write.
const guardedAttempts = 3

// guarded runs write (a read of the secret, then a write guarded by what
// it read) again when the store refused the write as a conflict although
// the caller's revision had matched: the secret moved between the read and
// the write, and whether the caller's revision still holds is for a new
// read to say. Usually it no longer does (another write won) and the rerun
// fails with the caller's stale revision; but a secret deleted and created
// again is at revision 1 again, and a write the caller guarded with 1
// then applies to the new secret, as it would had it come a moment later.
// With revision 0 nothing is rerun: the conflict says the secret moved.
func guarded[T any](revision int64, write func() (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		out, err := write()
		if revision == 0 || attempt == guardedAttempts || errcode.Of(err) != errcode.Conflict || errors.As(err, new(staleRevision)) {
			return out, err
		}
	}
}

// current reads a secret's metadata and checks it is at revision, unless
// revision is 0 (whatever is current; the write that follows is still
// guarded by the revision read here).
func (m *Manager) current(ctx context.Context, ns, name string, revision int64) (*storage.Metadata, error) {
	if revision < 0 {
		return nil, errcode.New(errcode.Invalid, "", "revision is negative")
	}
	md, err := m.getMetadata(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if revision != 0 && md.Revision != revision {
		return nil, conflict(name, revision, md.Revision)
	}
	return md, nil
}

// Reset gives a secret a new value (a new version), which also ends a
// revocation. revision guards the write (0: whatever is current). The old
// ciphertext is removed once the new one is committed. The caller needs the
// update permission.
func (m *Manager) Reset(ctx context.Context, namespace, name string, value Value, revision int64) (*Secret, error) {
	c, err := m.begin(ctx, "Reset", namespace, rbac.ActionUpdate, name)
	if err != nil {
		return nil, err
	}
	defer c.end()
	out, err := guarded(revision, func() (*Secret, error) { return m.reset(ctx, c, name, value, revision) })
	return c.visible(ctx, out), c.finishHidden(ctx, name, err)
}

func (m *Manager) reset(ctx context.Context, c *call, name string, value Value, revision int64) (*Secret, error) {
	if err := ValidateValue(value); err != nil {
		return nil, err
	}
	md, err := m.current(ctx, c.ns, name, revision)
	if err != nil {
		return nil, err
	}
	return m.writeValue(ctx, c, md, value)
}

// writeValue makes v the value of the secret md describes, as its next
// version, guarded by md's revision: the old value becomes a kept one, or
// is dropped with the values that fall out of the window (without
// history: the old value). Reset and Rollback write through it.
func (m *Manager) writeValue(ctx context.Context, c *call, md *storage.Metadata, v Value) (*Secret, error) {
	ct, err := m.newCiphertext(ctx, c.ns, md.Name, md.Version+1, v)
	if err != nil {
		return nil, err
	}
	drop := advance(md, ct, c.p.String(), m.now().UTC())
	out, err := m.store.UpdateWithCiphertext(ctx, md, ct, drop...)
	if err != nil {
		return nil, err
	}
	return secretFromMetadata(out), nil
}

// Revoke makes a secret's value undecryptable: its ciphertext is removed and
// the metadata marked revoked until the next Reset. Revoking a revoked
// secret changes nothing. The caller needs the update permission.
func (m *Manager) Revoke(ctx context.Context, namespace, name string, revision int64) (*Secret, error) {
	c, err := m.begin(ctx, "Revoke", namespace, rbac.ActionUpdate, name)
	if err != nil {
		return nil, err
	}
	defer c.end()
	out, err := guarded(revision, func() (*Secret, error) { return m.revoke(ctx, c, name, revision) })
	return c.visible(ctx, out), c.finishHidden(ctx, name, err)
}

func (m *Manager) revoke(ctx context.Context, c *call, name string, revision int64) (*Secret, error) {
	md, err := m.current(ctx, c.ns, name, revision)
	if err != nil {
		return nil, err
	}
	if md.Revoked {
		return secretFromMetadata(md), nil
	}
	oldValueID := md.ValueID
	// Only the current value goes: earlier kept values stay, so Rollback
	// can restore one.
	h := history(md)
	h[0].ValueID, h[0].Revoked = "", true
	md.History = h
	md.Revoked = true
	md.ValueID = ""
	md.UpdateTime = m.now().UTC()
	md.UpdatedBy = c.p.String()
	out, err := m.store.UpdateWithCiphertext(ctx, md, nil, oldValueID)
	if err != nil {
		return nil, err
	}
	return secretFromMetadata(out), nil
}

// Delete removes a secret for good: metadata first, then its ciphertext.
// The name can be created again at once. revision guards the delete (0:
// whatever is current). The caller needs the delete permission.
func (m *Manager) Delete(ctx context.Context, namespace, name string, revision int64) error {
	c, err := m.begin(ctx, "Delete", namespace, rbac.ActionDelete, name)
	if err != nil {
		return err
	}
	defer c.end()
	_, err = guarded(revision, func() (struct{}, error) { return struct{}{}, m.delete(ctx, c, name, revision) })
	return c.finishHidden(ctx, name, err)
}

func (m *Manager) delete(ctx context.Context, c *call, name string, revision int64) error {
	md, err := m.current(ctx, c.ns, name, revision)
	if err != nil {
		return err
	}
	return m.store.DeleteSecret(ctx, c.ns, name, md.Revision)
}

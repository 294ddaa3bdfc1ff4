package secrets

// Value history: earlier values kept as ordinary ciphertexts, listed by
// Versions, restored by Rollback, removed by Destroy and revealed pinned
// as "name@N". The metadata's History (newest first: the current value,
// then the earlier ones in the window) says which ciphertexts are kept;
// every write that changes the value computes the new window here and
// tells the store which ciphertexts fall out of it.

import (
	"context"
	"fmt"
	"github.com/strongbox-go/strongbox/storage/driver"
	"slices"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/storage"
)

// MaxKeepVersions is the most earlier values a secret keeps
// (Options.KeepVersions, Spec.KeepVersions, Secret.KeepVersions).
const MaxKeepVersions = driver.MaxKeepVersions

// Version is one value of a secret, as metadata: never the value.
type Version struct {
	Version    int64     `json:"version"`
	CreateTime time.Time `json:"createTime"`
	CreatedBy  string    `json:"createdBy,omitempty"`
	// Current is set on the secret's current version.
	Current bool `json:"current,omitempty"`
	// Revoked: the value was dropped by Revoke.
	Revoked bool `json:"revoked,omitempty"`
	// Destroyed: the value was removed by Destroy.
	Destroyed bool `json:"destroyed,omitempty"`
}

func validateKeepVersions(n int) error {
	if n < 0 || n > MaxKeepVersions {
		return errcode.New(errcode.Invalid, "", fmt.Sprintf("keep versions is %d; it must be from 0 to %d", n, MaxKeepVersions))
	}
	return nil
}

// history returns md's history, newest first, starting with the current
// version. Metadata written before history existed has none: its current
// value alone is described from the metadata.
func history(md *storage.Metadata) []driver.HistoryEntry {
	if len(md.History) > 0 && md.History[0].Version == md.Version {
		return slices.Clone(md.History)
	}
	cur := driver.HistoryEntry{Version: md.Version, ValueID: md.ValueID, Revoked: md.Revoked,
		CreateTime: md.UpdateTime, CreatedBy: md.UpdatedBy}
	if md.Version == 1 {
		cur.CreateTime, cur.CreatedBy = md.CreateTime, md.CreatedBy
	}
	h := []driver.HistoryEntry{cur}
	for _, e := range md.History {
		if e.Version < md.Version {
			h = append(h, e)
		}
	}
	return h
}

// window keeps the entries of h (newest first, h[0] current) that are in
// the window of keep earlier versions: those from h[0].Version-keep. It
// returns them and the value IDs of the kept values that fall out, which
// the write must drop. Versions count up by one on every new value, so
// the window is a range of versions, whatever was revoked or destroyed in
// it.
func window(h []driver.HistoryEntry, keep int) (in []driver.HistoryEntry, drop []string) {
	if len(h) == 0 {
		return nil, nil
	}
	oldest := h[0].Version - int64(keep)
	for _, e := range h {
		if e.Version >= oldest {
			in = append(in, e)
		} else if e.ValueID != "" {
			drop = append(drop, e.ValueID)
		}
	}
	return in, drop
}

// advance makes ct, encrypted for version md.Version+1, md's current
// value, set by by at now: the version counts up, the earlier current value
// becomes a kept one, and advance returns the value IDs that fall out of
// the window, for the write to drop.
func advance(md *storage.Metadata, ct *storage.Ciphertext, by string, now time.Time) []string {
	old := history(md)
	md.Version++
	h := append([]driver.HistoryEntry{{Version: md.Version, ValueID: ct.ValueID, CreateTime: now, CreatedBy: by}}, old...)
	var drop []string
	md.History, drop = window(h, md.KeepVersions)
	md.ValueID, md.Revoked = ct.ValueID, false
	md.UpdateTime, md.UpdatedBy = now, by
	return drop
}

// entry finds version v in h, or returns the ErrNotFound that names it:
// it never existed, fell out of the window, or its value is gone.
func entry(md *storage.Metadata, h []driver.HistoryEntry, name string, v int64) (*driver.HistoryEntry, error) {
	switch {
	case v > md.Version:
		return nil, errcode.New(errcode.NotFound, "", fmt.Sprintf("secret %q has no version %d (its current version is %d)", name, v, md.Version))
	}
	for i := range h {
		e := &h[i]
		if e.Version != v {
			continue
		}
		switch {
		case e.Destroyed:
			return nil, errcode.New(errcode.NotFound, "", fmt.Sprintf("version %d of secret %q was destroyed", v, name))
		case e.Revoked || e.ValueID == "":
			return nil, errcode.New(errcode.NotFound, "", fmt.Sprintf("version %d of secret %q was revoked", v, name))
		}
		return e, nil
	}
	return nil, errcode.New(errcode.NotFound, "", fmt.Sprintf("version %d of secret %q is no longer kept (the secret keeps %d earlier versions)", v, name, md.KeepVersions))
}

// Versions returns the history of a secret's values, newest first: the
// current version, then the earlier ones still in its window (kept,
// revoked or destroyed). It never returns a value. The caller needs the
// read permission.
func (m *Manager) Versions(ctx context.Context, namespace, name string) ([]Version, error) {
	c, err := m.begin(ctx, "Versions", namespace, rbac.ActionRead, name)
	if err != nil {
		return nil, err
	}
	defer c.end()
	md, err := m.getMetadata(ctx, c.ns, name)
	if err != nil {
		return nil, c.finish(ctx, name, err)
	}
	h := history(md)
	out := make([]Version, len(h))
	for i, e := range h {
		out[i] = Version{Version: e.Version, CreateTime: e.CreateTime, CreatedBy: e.CreatedBy,
			Current: e.Version == md.Version, Revoked: e.Revoked, Destroyed: e.Destroyed}
	}
	return out, c.finish(ctx, name, nil)
}

// Rollback makes the kept value of version current again, as a new version
// (history is never rewritten): the value is decrypted and encrypted again
// under the new version's associated data, the earlier current value
// becomes a kept one, and what falls out of the window is removed. It ends
// a revocation. revision guards the write (0: whatever is current). The
// caller needs the update permission (which covers Reset). A version that
// never existed, fell out of the window, or was revoked or destroyed is
// ErrNotFound; the current version is ErrFailedPrecondition.
func (m *Manager) Rollback(ctx context.Context, namespace, name string, version, revision int64) (*Secret, error) {
	c, err := m.begin(ctx, "Rollback", namespace, rbac.ActionUpdate, name)
	if err != nil {
		return nil, err
	}
	defer c.end()
	out, err := guarded(revision, func() (*Secret, error) { return m.rollback(ctx, c, name, version, revision) })
	return c.visible(ctx, out), c.finishHidden(ctx, name, err)
}

func (m *Manager) rollback(ctx context.Context, c *call, name string, version, revision int64) (*Secret, error) {
	if version < 1 {
		return nil, errcode.New(errcode.Invalid, "", "version must be at least 1")
	}
	md, err := m.current(ctx, c.ns, name, revision)
	if err != nil {
		return nil, err
	}
	h := history(md)
	e, err := entry(md, h, name, version)
	if err != nil {
		return nil, err
	}
	if e.Version == md.Version {
		return nil, errcode.New(errcode.FailedPrecondition, "", fmt.Sprintf("version %d of secret %q is the current one", version, name))
	}
	v, err := m.decryptKept(ctx, c.ns, name, e)
	if err != nil {
		return nil, err
	}
	return m.writeValue(ctx, c, md, v)
}

// decryptKept decrypts the kept value of e, bound to its own version.
func (m *Manager) decryptKept(ctx context.Context, ns, name string, e *driver.HistoryEntry) (Value, error) {
	ct, err := m.store.GetCiphertext(ctx, ns, name, e.ValueID)
	if errcode.Of(err) == errcode.NotFound {
		// A concurrent write dropped it after the metadata was read (its
		// own write then fails on the revision), or the store is damaged.
		return Value{}, errcode.New(errcode.NotFound, "", fmt.Sprintf("version %d of secret %q is no longer kept", e.Version, name))
	}
	if err != nil {
		return Value{}, err
	}
	pt, err := m.keeper.Decrypt(ctx, ct.Data, associatedData(ns, name, e.Version, e.ValueID))
	if err != nil {
		clear(pt)
		if errcode.IsContext(err) || errcode.Of(err) == errcode.Unavailable {
			return Value{}, err
		}
		return Value{}, fmt.Errorf("version %d: %w", e.Version, keeper.ErrDecrypt)
	}
	v := NewValue(string(pt))
	clear(pt)
	return v, nil
}

// Destroy removes the kept value of one earlier version for good; the
// version stays listed by Versions, Destroyed, until it falls out of the
// window. The current value is refused with ErrFailedPrecondition (Revoke
// it instead); a version that never existed, fell out of the window, or
// was revoked or destroyed is ErrNotFound. revision guards the write (0:
// whatever is current). The caller needs the delete permission.
func (m *Manager) Destroy(ctx context.Context, namespace, name string, version, revision int64) (*Secret, error) {
	c, err := m.begin(ctx, "Destroy", namespace, rbac.ActionDelete, name)
	if err != nil {
		return nil, err
	}
	defer c.end()
	out, err := guarded(revision, func() (*Secret, error) { return m.destroy(ctx, c, name, version, revision) })
	return c.visible(ctx, out), c.finishHidden(ctx, name, err)
}

func (m *Manager) destroy(ctx context.Context, c *call, name string, version, revision int64) (*Secret, error) {
	if version < 1 {
		return nil, errcode.New(errcode.Invalid, "", "version must be at least 1")
	}
	md, err := m.current(ctx, c.ns, name, revision)
	if err != nil {
		return nil, err
	}
	if version == md.Version {
		return nil, errcode.New(errcode.FailedPrecondition, "",
			fmt.Sprintf("version %d of secret %q is the current value; revoke it instead", version, name))
	}
	h := history(md)
	e, err := entry(md, h, name, version)
	if err != nil {
		return nil, err
	}
	gone := e.ValueID
	e.ValueID, e.Destroyed = "", true
	md.History = h
	md.UpdateTime = m.now().UTC()
	md.UpdatedBy = c.p.String()
	out, err := m.store.UpdateWithCiphertext(ctx, md, nil, gone)
	if err != nil {
		return nil, err
	}
	return secretFromMetadata(out), nil
}

// revealPinned is reveal for name@version: the kept value of that version,
// bound to it, for a decrypter of the secret.
func (m *Manager) revealPinned(ctx context.Context, c *call, name string, version int64) (Value, error) {
	md, err := m.getMetadata(ctx, c.ns, name)
	if err != nil {
		return Value{}, err
	}
	if !slices.Contains(md.Decrypters, c.p.ID) {
		return Value{}, &secretDenial{errcode.New(errcode.PermissionDenied, "", fmt.Sprintf("%s is not a decrypter of secret %q", c.p, name))}
	}
	e, err := entry(md, history(md), name, version)
	if err != nil {
		return Value{}, err
	}
	return m.decryptKept(ctx, c.ns, name, e)
}

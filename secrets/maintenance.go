package secrets

// Maintenance: garbage collection, KEK usage and (rewrap.go) Rewrap. Each
// walks the stored ciphertexts through the one listing loop, eachPage, and
// is authorized and audited like any call.

import (
	"context"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/storage"
)

// CollectGarbage removes the ciphertexts of a namespace that no metadata
// points at, as its current value or as a kept earlier one (History), (left by a crash or a failed cleanup) and that are older than
// minAge, so writes in flight keep theirs. 0 means one hour; a negative
// minAge collects every orphan whatever its age (only safe when no write is
// in flight). It returns how many it removed. The caller needs the delete
// permission.
func (m *Manager) CollectGarbage(ctx context.Context, namespace string, minAge time.Duration) (int, error) {
	c, err := m.begin(ctx, "CollectGarbage", namespace, rbac.ActionDelete)
	if err != nil {
		return 0, err
	}
	defer c.end()
	n, err := m.collectGarbage(ctx, c, minAge)
	c.audit(ctx, nil, err)
	return n, c.wrap(err)
}

func (m *Manager) collectGarbage(ctx context.Context, c *call, minAge time.Duration) (int, error) {
	if minAge == 0 {
		minAge = time.Hour
	}
	cutoff := m.now().Add(-minAge)
	removed := 0
	err := m.eachPage(ctx, c, storage.MaxPageSize, "", func(refs []storage.CiphertextRef, _ string) (bool, error) {
		for _, ref := range refs {
			if ref.CreateTime.After(cutoff) {
				continue
			}
			md, err := m.store.GetMetadata(ctx, ref.Namespace, ref.Name)
			switch {
			case errcode.Of(err) == errcode.NotFound:
			case err != nil:
				return false, err
			case md.ValueID == ref.ValueID || keptValue(md, ref.ValueID):
				continue // live: the current value or a kept one
			}
			if err := m.store.DeleteCiphertext(ctx, ref.Namespace, ref.Name, ref.ValueID); err != nil {
				return false, err
			}
			removed++
		}
		return true, nil
	})
	return removed, err
}

// keptValue reports whether md's history keeps the value of valueID.
func keptValue(md *storage.Metadata, valueID string) bool {
	for _, e := range md.History {
		if e.ValueID == valueID {
			return true
		}
	}
	return false
}

// KEKUsage counts the stored ciphertexts of namespace by the id of the
// key-encryption key that protects them, reading only their non-secret
// headers (keeper.ParseHeader); ciphertexts that are not envelope
// ciphertexts count under "". It reveals no value. namespace "" counts
// every namespace of the store.
//
// The caller needs the read permission in every namespace counted: a
// namespace it may not read that holds ciphertexts fails the whole call
// with ErrPermissionDenied, never a count that leaves it out.
func (m *Manager) KEKUsage(ctx context.Context, namespace string) (map[string]int, error) {
	c, err := m.beginScan(ctx, "KEKUsage", namespace)
	if err != nil {
		return nil, err
	}
	defer c.end()
	use := map[string]int{}
	err = m.eachCiphertext(ctx, c, func(ct *storage.Ciphertext) bool {
		h, err := keeper.ParseHeader(ct.Data)
		if err != nil {
			use[""]++
		} else {
			use[h.KEKID]++
		}
		return true
	})
	c.audit(ctx, nil, err)
	if err != nil {
		return nil, c.wrap(err)
	}
	return use, nil
}

// KEKInUse returns the keeper.RemoveOptions.InUse function that refuses to
// remove a key-encryption key while any stored ciphertext, in any
// namespace, still names it:
//
//	err := envelope.RemoveKEK(ctx, "kek-2025", keeper.RemoveOptions{InUse: m.KEKInUse()})
//
// Each check is a KEKUsage call over every namespace, made with the
// principal of the context RemoveKEK passes: unless it may read every
// namespace that holds ciphertexts, the check fails with
// ErrPermissionDenied and RemoveKEK removes nothing.
func (m *Manager) KEKInUse() func(ctx context.Context, kekID string) (bool, error) {
	return func(ctx context.Context, kekID string) (bool, error) {
		c, err := m.beginScan(ctx, "KEKInUse", "")
		if err != nil {
			return false, err
		}
		defer c.end()
		found := false
		err = m.eachCiphertext(ctx, c, func(ct *storage.Ciphertext) bool {
			h, err := keeper.ParseHeader(ct.Data)
			found = err == nil && h.KEKID == kekID
			return !found
		})
		c.audit(ctx, nil, err)
		return found, c.wrap(err)
	}
}

// beginScan begins a read-only scan of namespace, or of every namespace
// when namespace is "": then each namespace is authorized as the scan
// reaches it (see eachPage).
func (m *Manager) beginScan(ctx context.Context, op, namespace string) (*call, error) {
	if namespace != "" {
		return m.begin(ctx, op, namespace, rbac.ActionRead)
	}
	if err := m.gate.Enter("secrets." + op); err != nil {
		return nil, err
	}
	p, _ := rbac.PrincipalFrom(ctx)
	c := &call{m: m, op: op, action: rbac.ActionRead, p: p, all: true, allowed: map[string]bool{}}
	if err := ctx.Err(); err != nil {
		c.end()
		return nil, err
	}
	return c, nil
}

// eachPage is the one loop over stored ciphertexts. It lists the call's
// namespace (every namespace, for a scan of all) from token, size refs at a
// time, and calls fn with each page and the token that resumes after it,
// until the last page, fn returns false, or an error. Refs of another
// namespace, which a store must not return, are dropped: a call never
// crosses namespaces. In a scan of all, each namespace is authorized once,
// when first met, and one the caller may not act in fails the scan.
func (m *Manager) eachPage(ctx context.Context, c *call, size int, token string, fn func(refs []storage.CiphertextRef, next string) (bool, error)) error {
	for {
		refs, next, err := m.store.ListCiphertexts(ctx, c.ns, size, token)
		if err != nil {
			return err
		}
		keep := refs[:0]
		for _, ref := range refs {
			switch {
			case c.all:
				if err := c.authorizeIn(ctx, ref.Namespace); err != nil {
					return err
				}
			case ref.Namespace != c.ns:
				continue
			}
			keep = append(keep, ref)
		}
		if more, err := fn(keep, next); err != nil || !more {
			return err
		}
		if next == "" {
			return nil
		}
		token = next
	}
}

// eachCiphertext reads every ciphertext eachPage lists and calls fn with
// it until fn returns false. Ciphertexts deleted during the scan are
// skipped.
func (m *Manager) eachCiphertext(ctx context.Context, c *call, fn func(*storage.Ciphertext) bool) error {
	return m.eachPage(ctx, c, storage.MaxPageSize, "", func(refs []storage.CiphertextRef, _ string) (bool, error) {
		for _, ref := range refs {
			ct, err := m.store.GetCiphertext(ctx, ref.Namespace, ref.Name, ref.ValueID)
			if errcode.Of(err) == errcode.NotFound {
				continue
			}
			if err != nil {
				return false, err
			}
			if !fn(ct) {
				return false, nil
			}
		}
		return true, nil
	})
}

// authorizeIn authorizes a scan of all namespaces in ns, once per ns.
func (c *call) authorizeIn(ctx context.Context, ns string) error {
	if c.allowed[ns] {
		return nil
	}
	if err := c.m.authz.Authorize(ctx, c.p, ns, c.action); err != nil {
		if errcode.IsContext(err) {
			return err
		}
		return errcode.Wrap(errcode.PermissionDenied, "", err)
	}
	c.allowed[ns] = true
	return nil
}

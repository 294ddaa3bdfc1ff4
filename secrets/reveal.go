package secrets

// Reveal: the one path by which a value leaves the Manager.

import (
	"context"
	"fmt"
	"github.com/strongbox-go/strongbox/internal/names"
	"slices"
	"strings"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/storage"
)

// Reveal decrypts the values of one or several secrets for the calling
// service identity. The call fails as a whole (ErrPermissionDenied) when the
// caller is not a service with the decrypt permission in the namespace;
// otherwise each name gets its own result: a Value, or ErrNotFound,
// ErrPermissionDenied (the secret does not list the caller as a decrypter,
// for a caller that may read the namespace; one that may not gets
// ErrNotFound, as for a missing secret), ErrRevoked or keeper.ErrDecrypt.
// Every name is audited, never a value.
//
// A name may pin a version, "name@N" (see # Format/history): that version's value,
// while it is kept (the current one, or an earlier one in the secret's
// window, not revoked or destroyed); otherwise ErrNotFound naming the
// version. Authorization is the same as for the current value.
func (m *Manager) Reveal(ctx context.Context, namespace string, names ...string) ([]RevealResult, error) {
	c, err := m.begin(ctx, "Reveal", namespace, rbac.ActionDecrypt, names...)
	if err != nil {
		m.metrics.reveal(ctx, min(len(names), maxRevealNames), err)
		return nil, err
	}
	defer c.end()
	if len(names) == 0 || len(names) > maxRevealNames {
		err := errcode.New(errcode.Invalid, "secrets.Reveal", fmt.Sprintf("asked for %d names; ask for 1 to %d", len(names), maxRevealNames))
		c.audit(ctx, names, err)
		m.metrics.reveal(ctx, 1, err)
		return nil, err
	}
	results := make([]RevealResult, len(names))
	for i, name := range names {
		v, err := m.reveal(ctx, c, name)
		if errcode.IsContext(err) {
			m.metrics.reveal(ctx, len(names)-i, err)
			return nil, err
		}
		results[i] = RevealResult{Name: name, Value: v, Err: c.finishHidden(ctx, name, err)}
		m.metrics.reveal(ctx, 1, results[i].Err)
	}
	return results, nil
}

// RevealValue is Reveal for one name.
func (m *Manager) RevealValue(ctx context.Context, namespace, name string) (Value, error) {
	res, err := m.Reveal(ctx, namespace, name)
	if err != nil {
		return Value{}, err
	}
	return res[0].Value, res[0].Err
}

func (m *Manager) reveal(ctx context.Context, c *call, name string) (Value, error) {
	if strings.IndexByte(name, '@') >= 0 {
		// name@N: a pinned version.
		n, v, err := names.ParseRef(name)
		if err != nil {
			return Value{}, err
		}
		return m.revealPinned(ctx, c, n, v)
	}
	md, ct, err := m.load(ctx, c.ns, name)
	if err != nil {
		return Value{}, err
	}
	if !slices.Contains(md.Decrypters, c.p.ID) {
		return Value{}, &secretDenial{errcode.New(errcode.PermissionDenied, "", fmt.Sprintf("%s is not a decrypter of secret %q", c.p, name))}
	}
	if md.Revoked || md.ValueID == "" {
		return Value{}, ErrRevoked
	}
	if ct == nil {
		// Metadata never points at a missing ciphertext unless the stores
		// were damaged or restored apart.
		return Value{}, fmt.Errorf("ciphertext of version %d is missing: %w", md.Version, keeper.ErrDecrypt)
	}
	pt, err := m.keeper.Decrypt(ctx, ct.Data, associatedData(c.ns, name, md.Version, md.ValueID))
	if err != nil {
		clear(pt)
		if errcode.IsContext(err) || errcode.Of(err) == errcode.Unavailable {
			return Value{}, err
		}
		return Value{}, fmt.Errorf("version %d: %w", md.Version, keeper.ErrDecrypt)
	}
	// The Value's string is the one copy that stays; the keeper's buffer
	// is cleared (see # Security in the package doc).
	v := NewValue(string(pt))
	clear(pt)
	return v, nil
}

// load reads a secret's metadata and current ciphertext (nil when revoked
// or missing), in one round trip when the store can.
func (m *Manager) load(ctx context.Context, ns, name string) (*storage.Metadata, *storage.Ciphertext, error) {
	if err := validateName(name); err != nil {
		return nil, nil, err
	}
	return m.store.GetCurrent(ctx, ns, name)
}

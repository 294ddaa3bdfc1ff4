package keeper

import (
	"context"
	"fmt"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// AddKEK opens k and adds it to the keys that unwrap. It does not become
// primary; call SetPrimary for that. An id already held fails with code
// AlreadyExists.
func (e *envelope) AddKEK(ctx context.Context, k KEK) error {
	const op = "keeper.AddKEK"
	if err := e.begin(op); err != nil {
		return err
	}
	defer e.end()
	ok, err := openKEK(ctx, op, k)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, dup := e.keks[ok.id]; dup {
		ok.release()
		return errcode.New(errcode.AlreadyExists, op, fmt.Sprintf("KEK %q is already held", ok.id))
	}
	e.keks[ok.id] = ok
	return nil
}

// SetPrimary makes KEK id the one that wraps new data keys. The next
// Encrypt makes a new data key under it (one KEK call); ciphertexts under
// the previous primary keep decrypting and Rewrap moves them over.
func (e *envelope) SetPrimary(id string) error {
	const op = "keeper.SetPrimary"
	if err := e.begin(op); err != nil {
		return err
	}
	defer e.end()
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.keks[id]; !ok {
		return errcode.New(errcode.NotFound, op, fmt.Sprintf("KEK %q is not held", id))
	}
	e.primary = id
	return nil
}

// RemoveOptions says how RemoveKEK decides that a key no longer protects
// data.
type RemoveOptions struct {
	// InUse reports whether any stored ciphertext still names kekID (the
	// secrets Manager scans stored ciphertext headers with ParseHeader).
	// RemoveKEK refuses when it returns true or fails.
	InUse func(ctx context.Context, kekID string) (bool, error)
	// Force removes the key without asking InUse. Data still under it
	// becomes undecryptable by this Envelope.
	Force bool
}

// RemoveKEK stops using KEK id: it forgets the key and every data key it
// unwrapped, and closes it if the Envelope opened it. Because the keeper
// stores nothing, it must be told whether data still uses the key:
// without Force, opts.InUse is required and must report false. The primary
// KEK cannot be removed. Errors: NotFound for an unknown id,
// FailedPrecondition for the primary, a key still in use, or no way to
// tell.
func (e *envelope) RemoveKEK(ctx context.Context, id string, opts RemoveOptions) error {
	const op = "keeper.RemoveKEK"
	if err := e.begin(op); err != nil {
		return err
	}
	defer e.end()
	check := func() error {
		e.mu.RLock()
		defer e.mu.RUnlock()
		if _, ok := e.keks[id]; !ok {
			return errcode.New(errcode.NotFound, op, fmt.Sprintf("KEK %q is not held", id))
		}
		if id == e.primary {
			return errcode.New(errcode.FailedPrecondition, op, fmt.Sprintf("KEK %q is the primary; make another key primary first", id))
		}
		return nil
	}
	if err := check(); err != nil {
		return err
	}
	if !opts.Force {
		if opts.InUse == nil {
			return errcode.New(errcode.FailedPrecondition, op, fmt.Sprintf("cannot tell whether KEK %q still protects data: set RemoveOptions.InUse, or Force", id))
		}
		used, err := opts.InUse(ctx, id)
		if err != nil {
			if errcode.IsContext(err) {
				return err
			}
			return errcode.Wrap(errcode.FailedPrecondition, op, fmt.Errorf("checking whether KEK %q is in use: %w", id, err))
		}
		if used {
			return errcode.New(errcode.FailedPrecondition, op, fmt.Sprintf("KEK %q still protects stored data; rewrap it first, or Force", id))
		}
	}
	e.mu.Lock()
	k, ok := e.keks[id]
	if ok && id == e.primary {
		e.mu.Unlock()
		return check()
	}
	delete(e.keks, id)
	e.mu.Unlock()
	if !ok {
		return errcode.New(errcode.NotFound, op, fmt.Sprintf("KEK %q is not held", id))
	}
	e.cache.purge(id)
	e.rotateMu.Lock()
	if cur := e.current.Load(); cur != nil && cur.dk.kekID == id {
		e.current.Store(nil)
	}
	e.rotateMu.Unlock()
	if err := k.release(); err != nil {
		return errcode.Wrap(errcode.Internal, op, fmt.Errorf("closing KEK %q: %w", id, err))
	}
	return nil
}

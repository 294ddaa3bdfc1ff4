package secrets

import (
	"context"
	"fmt"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/storage"
)

// RewrapOptions configures Manager.Rewrap. The zero value rewraps a whole
// namespace from the start.
type RewrapOptions struct {
	// PageToken resumes an interrupted run: pass the last
	// RewrapProgress.PageToken it reported. Empty starts at the beginning.
	PageToken string
	// PageSize is how many ciphertexts are listed at a time; 0 means
	// storage.MaxPageSize.
	PageSize int
	// Progress, if non-nil, is called after every page with the totals so
	// far and the token that resumes after that page.
	Progress func(RewrapProgress)
}

// RewrapProgress reports a Rewrap run. It holds counts and a page token,
// never a value or a key.
type RewrapProgress struct {
	// Scanned counts ciphertexts looked at; Rewrapped those re-encrypted
	// and stored; Current those already under the primary key; Gone those
	// deleted while the run went on; Failed those that did not decrypt.
	Scanned, Rewrapped, Current, Gone, Failed int
	// PageToken resumes after the last finished page; "" when done.
	PageToken string
}

// Rewrap re-encrypts every stored ciphertext of namespace that is not under
// the keeper's primary key-encryption key, so that old keys can be removed
// (see keeper.Envelope.RemoveKEK). Values never leave the keeper: it uses
// the keeper's Rewrap method (see package keeper). Each ciphertext is
// swapped by compare-and-swap
// (storage.Store.ReplaceCiphertext), so a concurrent write is never lost;
// a ciphertext that changed meanwhile is read again. A ciphertext whose
// header (keeper.ParseHeader) already names the keeper's primary KEK
// (keeper.Envelope.KEKIDs) counts as Current without being decrypted. The
// run is idempotent, and resumable from any RewrapProgress.PageToken.
//
// The caller needs the update permission in the namespace. Rewrap fails
// with ErrFailedPrecondition if the keeper cannot rewrap. A ciphertext that
// does not decrypt is counted in Failed and skipped; if any failed, Rewrap
// returns an error matching keeper.ErrDecrypt after the whole pass. An
// unavailable key service or store, or a context error, stops the run:
// resume it with the last reported PageToken.
func (m *Manager) Rewrap(ctx context.Context, namespace string, opts RewrapOptions) error {
	c, err := m.begin(ctx, "Rewrap", namespace, rbac.ActionUpdate)
	if err != nil {
		return err
	}
	defer c.end()
	err = m.rewrap(ctx, c, opts)
	c.audit(ctx, nil, err)
	return c.wrap(err)
}

// kekLister is implemented by keepers that name their primary
// key-encryption key (keeper.Envelope, through KEKIDs).
type kekLister interface {
	KEKIDs() (primary string, all []string)
}

func (m *Manager) rewrap(ctx context.Context, c *call, opts RewrapOptions) error {
	rw, ok := m.keeper.(rewrapper)
	if !ok {
		return errcode.New(errcode.FailedPrecondition, "", fmt.Sprintf("keeper %T cannot rewrap", m.keeper))
	}
	// A ciphertext whose header names the primary KEK is current: skip it
	// without asking the keeper to decrypt it. With a keeper that does not
	// name its primary, every ciphertext goes to Rewrap, which decides.
	primary := ""
	if l, ok := m.keeper.(kekLister); ok {
		primary, _ = l.KEKIDs()
	}
	size := opts.PageSize
	if size <= 0 {
		size = storage.MaxPageSize
	}
	var p RewrapProgress
	err := m.eachPage(ctx, c, size, opts.PageToken, func(refs []storage.CiphertextRef, next string) (bool, error) {
		for _, ref := range refs {
			p.Scanned++
			if err := m.rewrapOne(ctx, rw, primary, ref, &p); err != nil {
				return false, err
			}
		}
		p.PageToken = next
		if opts.Progress != nil {
			opts.Progress(p)
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	if p.Failed > 0 {
		return fmt.Errorf("%d of %d ciphertexts did not decrypt and were not rewrapped: %w", p.Failed, p.Scanned, keeper.ErrDecrypt)
	}
	return nil
}

// rewrapOne rewraps one ciphertext, counting the outcome in p. It returns
// an error only when the run must stop.
func (m *Manager) rewrapOne(ctx context.Context, rw rewrapper, primary string, ref storage.CiphertextRef, p *RewrapProgress) error {
	// Two tries: a conflict means someone else (another rewrap) changed the
	// ciphertext after we read it; read it again and decide afresh.
	for attempt := 0; ; attempt++ {
		ct, err := m.store.GetCiphertext(ctx, ref.Namespace, ref.Name, ref.ValueID)
		if errcode.Of(err) == errcode.NotFound {
			p.Gone++
			return nil
		}
		if err != nil {
			return err
		}
		if h, err := keeper.ParseHeader(ct.Data); primary != "" && err == nil && h.KEKID == primary {
			p.Current++
			return nil
		}
		out, changed, err := rw.Rewrap(ctx, ct.Data, associatedData(ct.Namespace, ct.Name, ct.Version, ct.ValueID))
		switch {
		case err == nil:
		case errcode.IsContext(err), errcode.Of(err) == errcode.Unavailable:
			return err
		default:
			p.Failed++
			return nil
		}
		if !changed {
			p.Current++
			return nil
		}
		next := *ct
		next.Data = out
		err = m.store.ReplaceCiphertext(ctx, &next, ct.Data)
		switch {
		case err == nil:
			p.Rewrapped++
			return nil
		case errcode.Of(err) == errcode.NotFound:
			p.Gone++
			return nil
		case errcode.Of(err) == errcode.Conflict && attempt == 0:
			continue
		}
		return err
	}
}

// rewrapper is a keeper that can re-encrypt without revealing the
// plaintext (package keeper documents the method; Envelope has it).
type rewrapper interface {
	Rewrap(ctx context.Context, ciphertext, associatedData []byte) (out []byte, changed bool, err error)
}

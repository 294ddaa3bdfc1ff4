package service

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"gocloud.dev/gcerrors"
	"gocloud.dev/secrets"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/storage"
)

// DefaultReadyInterval is how long Readiness keeps a KEK probe's result.
const DefaultReadyInterval = 10 * time.Second

// Readiness checks that a service can do its work: that its store answers
// and that each of its key-encryption keys answers. Use Check in a
// readiness probe (/readyz).
type Readiness struct {
	// Store is read (one metadata lookup of a name that does not exist) on
	// every Check; a storage store has this method.
	Store interface {
		GetMetadata(ctx context.Context, namespace, name string) (*storage.Metadata, error)
	}
	// KEKs are probed by encrypting a fixed, non-secret text with each; a
	// base64key:// KEK is in memory and is not probed. Results are kept for
	// Interval, so that a probe run every second makes few calls to a
	// key service.
	KEKs []keeper.KEK
	// Interval; 0 means DefaultReadyInterval.
	Interval time.Duration

	mu      sync.Mutex
	checked time.Time
	last    error
}

// readyNamespace is a namespace no secret can be in: its name breaks the
// secrets limits.
const readyNamespace = "strongbox readiness probe"

// Check returns nil when the store and every KEK answered, and otherwise
// an error naming the first part that did not and the error code
// ("store: unavailable", "key-encryption key kek-...: unavailable"),
// never a URL or a credential.
func (r *Readiness) Check(ctx context.Context) error {
	if r.Store != nil {
		_, err := r.Store.GetMetadata(ctx, readyNamespace, "probe")
		if err != nil && !errors.Is(err, errcode.NotFound) {
			return errcode.New(errcode.Unavailable, "", "store: "+errcode.Of(err).String())
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	interval := r.Interval
	if interval <= 0 {
		interval = DefaultReadyInterval
	}
	if !r.checked.IsZero() && time.Since(r.checked) < interval {
		return r.last
	}
	r.last = r.probeKEKs(ctx)
	r.checked = time.Now()
	return r.last
}

func (r *Readiness) probeKEKs(ctx context.Context) error {
	for _, k := range r.KEKs {
		if k.URL == "" || strings.HasPrefix(strings.ToLower(k.URL), "base64key:") {
			continue
		}
		id := k.ID
		if id == "" {
			id = keeper.DefaultKEKID(k.URL)
		}
		if err := probe(ctx, k.URL); err != nil {
			return errcode.New(errcode.Unavailable, "", "key-encryption key "+id+": "+err.Error())
		}
	}
	return nil
}

// probe opens the KEK URL and encrypts a fixed text; the error it returns
// is the gocloud error code only, since gocloud's messages may quote the
// URL.
func probe(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	k, err := secrets.OpenKeeper(ctx, u)
	if err != nil {
		return errors.New("cannot be opened")
	}
	defer k.Close()
	if _, err := k.Encrypt(ctx, []byte("strongbox readiness probe")); err != nil {
		return errors.New(gcerrors.Code(err).String())
	}
	return nil
}

package runtoken

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// Grant describes a token to issue.
type Grant struct {
	// Namespace the token is good for (required).
	Namespace string
	// Subject is the run identity: the service ID that the secrets list in
	// their decrypters (required).
	Subject string
	// Names are the secrets the token may decrypt, 1 to 100 of them.
	// Leave it empty and set AllNames to grant the whole namespace; one of
	// the two is required, so that an empty list never grants everything
	// by accident.
	Names    []string
	AllNames bool
	// TTL is how long the token lives; 0 means IssuerOptions.DefaultTTL.
	// It may not exceed IssuerOptions.MaxTTL.
	TTL time.Duration
}

// IssuerOptions configures an Issuer. Key is required.
type IssuerOptions struct {
	// Key signs new tokens; it must hold signing material.
	Key *Key
	// OldKeys are still accepted by Verify (rotation): tokens they signed
	// stay valid until they expire.
	OldKeys []*Key
	// Revocations holds revoked token ids; nil means a new in-memory set,
	// which the Issuer's Verifier uses: for tests and single-process
	// embeddings only, since a revocation then holds in this process alone
	// and is lost when it exits. When several processes verify tokens, or
	// revocations must survive a restart, use a shared durable set such as
	// fleet.RunTokenRevocations (package secrets/fleet).
	Revocations RevocationSet
	// Clock is the time source of issue times and of the Issuer's
	// Verifier; nil means time.Now.
	Clock func() time.Time
	// DefaultTTL is the life of a token whose Grant.TTL is 0; 0 means one
	// hour.
	DefaultTTL time.Duration
	// MaxTTL caps Grant.TTL; 0 means 24 hours. It is
	// also the MaxLifetime of the Issuer's Verifier: tokens living longer,
	// even signed by OldKeys, are refused.
	MaxTTL time.Duration
}

// Issuer issues run tokens next to a secrets.Manager: the service that
// starts a test run asks it for a token scoped to the run's namespace and
// secrets, and hands the token to the runner. Its Verifier checks and
// revokes them. Issue does not check a caller: it is for trusted code, so expose it
// only behind your own authorization. It is safe for concurrent use.
type Issuer struct {
	key        *Key
	verifier   *Verifier
	now        func() time.Time
	defaultTTL time.Duration
	maxTTL     time.Duration
}

// NewIssuer returns an Issuer. It fails with ErrInvalid (secrets) when the
// key cannot sign, key ids collide or the TTLs are inconsistent.
func NewIssuer(opts IssuerOptions) (*Issuer, error) {
	const op = "runtoken.NewIssuer"
	if opts.Key == nil || !opts.Key.canSign() {
		return nil, errcode.New(errcode.Invalid, op, "IssuerOptions.Key must be a signing key")
	}
	i := &Issuer{key: opts.Key, now: opts.Clock, defaultTTL: opts.DefaultTTL, maxTTL: opts.MaxTTL}
	if i.now == nil {
		i.now = time.Now
	}
	if i.defaultTTL <= 0 {
		i.defaultTTL = time.Hour
	}
	if i.maxTTL <= 0 {
		i.maxTTL = defaultMaxLifetime
	}
	if i.defaultTTL > i.maxTTL {
		return nil, errcode.New(errcode.Invalid, op, "DefaultTTL exceeds MaxTTL")
	}
	v, err := NewVerifier(VerifierOptions{
		Keys:        append([]*Key{opts.Key}, opts.OldKeys...),
		Revocations: opts.Revocations,
		Clock:       i.now,
		// Issue rounds a TTL to whole seconds, so a TTL of MaxTTL may
		// become up to its next whole second.
		MaxLifetime: (i.maxTTL + time.Second - 1).Truncate(time.Second),
	})
	if err != nil {
		return nil, err
	}
	i.verifier = v
	return i, nil
}

// Issue returns a new signed token and its claims. It fails with ErrInvalid
// (secrets) for a grant outside the limits. The token is a bearer
// credential: hand it only to the run it is for.
func (i *Issuer) Issue(ctx context.Context, g Grant) (string, Claims, error) {
	const op = "runtoken.Issue"
	if err := ctx.Err(); err != nil {
		return "", Claims{}, err
	}
	ttl := g.TTL
	switch {
	case ttl == 0:
		ttl = i.defaultTTL
	case ttl < time.Second || ttl > i.maxTTL:
		return "", Claims{}, errcode.New(errcode.Invalid, op, fmt.Sprintf("TTL must be between 1s and %s", i.maxTTL))
	}
	var names []string
	switch {
	case g.AllNames && len(g.Names) > 0:
		return "", Claims{}, errcode.New(errcode.Invalid, op, "set either Names or AllNames, not both")
	case !g.AllNames && len(g.Names) == 0:
		return "", Claims{}, errcode.New(errcode.Invalid, op, "Names is empty; list the secrets or set AllNames")
	case !g.AllNames:
		names = slices.Clone(g.Names)
		slices.Sort(names)
		names = slices.Compact(names)
	}
	id, err := newTokenID()
	if err != nil {
		return "", Claims{}, err
	}
	now := i.now().UTC().Truncate(time.Second)
	c := Claims{ID: id, KeyID: i.key.id, Namespace: g.Namespace, Subject: g.Subject, Names: names,
		IssuedAt: now, Expiry: now.Add(ttl.Round(time.Second))}
	if err := validate(c); err != nil {
		return "", Claims{}, errcode.New(errcode.Invalid, op, withoutCode(err).Error())
	}
	tok, err := encode(i.key, c)
	if err != nil {
		return "", Claims{}, err
	}
	return tok, c, nil
}

// Verifier returns the Verifier that accepts this Issuer's tokens (signed
// with Key or OldKeys, living at most MaxTTL) and shares its revocation
// set: hand it to the HTTP handler, and revoke through it.
func (i *Issuer) Verifier() *Verifier { return i.verifier }

// RevocationSet records revoked token ids. Verify consults it on every
// request, so a revoked token fails on its next use. Implementations must be
// safe for concurrent use; a shared one (a cache, a database) lets every
// server of a deployment see a revocation. An error from Revoked refuses the
// token.
type RevocationSet interface {
	// Revoke records id as revoked until expiry, after which the token is
	// refused as expired anyway and the id may be forgotten (never
	// before). Verifier.Revoke passes a time at least the verifier's
	// MaxLifetime plus Leeway ahead, whatever its caller passed.
	Revoke(ctx context.Context, id string, expiry time.Time) error
	// Revoked reports whether id is revoked.
	Revoked(ctx context.Context, id string) (bool, error)
}

// memoryRevocations is the in-memory RevocationSet of one process, used
// when the options give none. Ids are forgotten once the expiry they were
// revoked until has passed (swept at most once a minute, never earlier).
type memoryRevocations struct {
	now  func() time.Time
	mu   sync.RWMutex
	ids  map[string]time.Time
	next time.Time // when to sweep expired ids next
}

// newMemoryRevocations returns an empty set on the clock now.
func newMemoryRevocations(now func() time.Time) *memoryRevocations {
	return &memoryRevocations{now: now, ids: map[string]time.Time{}}
}

// Revoke implements RevocationSet. It fails with code Invalid for an
// expiry that is not after now, which would revoke nothing; Verifier.Revoke
// computes a safe one.
func (m *memoryRevocations) Revoke(_ context.Context, id string, expiry time.Time) error {
	now := m.now()
	if !expiry.After(now) {
		return errcode.New(errcode.Invalid, "runtoken.Revoke", "expiry must be in the future: a revocation until now revokes nothing")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.ids[id]; !ok || expiry.After(old) {
		m.ids[id] = expiry
	}
	if !now.Before(m.next) {
		for k, exp := range m.ids {
			if now.After(exp) {
				delete(m.ids, k)
			}
		}
		m.next = now.Add(time.Minute)
	}
	return nil
}

// Revoked implements RevocationSet.
func (m *memoryRevocations) Revoked(_ context.Context, id string) (bool, error) {
	m.mu.RLock()
	_, ok := m.ids[id]
	m.mu.RUnlock()
	return ok, nil
}

// len returns how many ids the set holds.
func (m *memoryRevocations) len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.ids)
}

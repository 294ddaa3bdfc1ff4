package apitoken

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"github.com/strongbox-go/strongbox/internal/names"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
)

// Prefix starts every API token, so that secret scanners can match it and
// the HTTP handler can tell it from other bearer tokens.
const Prefix = "sbx_"

// Lengths of the parts of a token: "sbx_" + id + "_" + secret.
const (
	idChars     = 16 // 10 random bytes, base32
	secretChars = 52 // 32 random bytes (256 bits), base32
	tokenLength = len(Prefix) + idChars + 1 + secretChars
)

// Limits of a Grant.
const (
	// defaultTTL is the life of a token whose Grant.TTL is 0.
	defaultTTL = 90 * 24 * time.Hour
	// DefaultMaxTTL caps Grant.TTL when Options.MaxTTL is 0.
	DefaultMaxTTL = 366 * 24 * time.Hour
	// maxRoles is the most roles one token may carry.
	maxRoles = 16
)

// b32 is lowercase RFC 4648 base32 without padding: letters and digits
// only, so a token is one word to a shell, a header and a scanner.
var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Errors of Verify. Each matches ErrInvalidToken, which has code
// PermissionDenied; a store that cannot answer gives code Unavailable
// instead, and the token is refused.
var (
	ErrInvalidToken = errcode.New(errcode.PermissionDenied, "", "invalid API token")
	ErrExpired      = fmt.Errorf("%w: expired", ErrInvalidToken)
)

// Guard authorizes and audits the operations of Tokens; *secrets.Manager is
// one (see secrets.Manager.Authorize), so that API tokens are decided by the
// deployment's Authorizer and recorded in its audit trail.
type Guard interface {
	Authorize(ctx context.Context, namespace string, action rbac.Action, operation string) (done func(err error, ids ...string), err error)
}

// Options configures Tokens. Store and Guard are required.
type Options struct {
	Store Store
	Guard Guard
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxTTL caps Grant.TTL; 0 means DefaultMaxTTL.
	MaxTTL time.Duration
}

// Grant describes an API token to issue.
type Grant struct {
	// Subject is the principal ID the token acts as, e.g. "ci-deploy"; ""
	// means "apitoken-" followed by the token id.
	Subject string
	// Roles the token holds in its namespace: 1 to 16, not
	// rbac.RoleDecrypter (an API token never decrypts).
	Roles []rbac.Role
	// TTL is how long the token lives; 0 means 90 days (or MaxTTL if
	// shorter). It may not
	// exceed Options.MaxTTL.
	TTL time.Duration
	// Description says what the token is for (at most 253 printable
	// characters).
	Description string
}

// Tokens issues, lists, revokes and verifies API tokens. It is safe for
// concurrent use.
type Tokens struct {
	store  Store
	guard  Guard
	now    func() time.Time
	maxTTL time.Duration
}

// New returns Tokens. It fails with secrets.ErrInvalid when Store or Guard
// is missing.
func New(opts Options) (*Tokens, error) {
	const op = "apitoken.New"
	if opts.Store == nil || opts.Guard == nil {
		return nil, errcode.New(errcode.Invalid, op, "Options.Store and Options.Guard are required")
	}
	t := &Tokens{store: opts.Store, guard: opts.Guard, now: opts.Now, maxTTL: opts.MaxTTL}
	if t.now == nil {
		t.now = time.Now
	}
	if t.maxTTL <= 0 {
		t.maxTTL = DefaultMaxTTL
	}
	return t, nil
}

// Issue creates a token in namespace for the caller in ctx, who needs
// rbac.ActionManageAPITokens there (Admin). It returns the token, which is
// stored only as a digest and cannot be read again, and its record. It
// fails with secrets.ErrInvalid for a grant outside the limits.
func (t *Tokens) Issue(ctx context.Context, namespace string, g Grant) (secrets.Value, Record, error) {
	done, err := t.guard.Authorize(ctx, namespace, rbac.ActionManageAPITokens, "IssueAPIToken")
	if err != nil {
		return secrets.Value{}, Record{}, err
	}
	p, _ := rbac.PrincipalFrom(ctx)
	tok, rec, err := t.issue(ctx, namespace, g, p.String())
	done(err, rec.ID)
	return tok, rec, err
}

func (t *Tokens) issue(ctx context.Context, namespace string, g Grant, by string) (secrets.Value, Record, error) {
	const op = "apitoken.Issue"
	if err := names.Namespace("", namespace); err != nil {
		return secrets.Value{}, Record{}, err
	}
	ttl := g.TTL
	switch {
	case ttl == 0:
		ttl = min(defaultTTL, t.maxTTL)
	case ttl < time.Second || ttl > t.maxTTL:
		return secrets.Value{}, Record{}, errcode.New(errcode.Invalid, op, fmt.Sprintf("TTL must be between 1s and %s", t.maxTTL))
	}
	if err := validateGrant(g); err != nil {
		return secrets.Value{}, Record{}, errcode.New(errcode.Invalid, op, err.Error())
	}
	var raw [10 + 32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return secrets.Value{}, Record{}, errcode.Wrap(errcode.Internal, op, err)
	}
	id := b32.EncodeToString(raw[:10])
	text := Prefix + id + "_" + b32.EncodeToString(raw[10:])
	clear(raw[:])
	sum := sha256.Sum256([]byte(text))
	now := t.now().UTC().Truncate(time.Second)
	rec := Record{ID: id, Namespace: namespace, Subject: g.Subject, Roles: slices.Clone(g.Roles),
		Description: g.Description, CreatedBy: by, CreatedAt: now, ExpiresAt: now.Add(ttl.Round(time.Second)), Hash: sum[:]}
	if rec.Subject == "" {
		rec.Subject = "apitoken-" + id
	}
	rev, err := t.store.Put(ctx, rec)
	if err != nil {
		return secrets.Value{}, Record{}, errcode.Wrap(errcode.Of(err), op, err)
	}
	rec.Revision, rec.Hash = rev, nil
	return secrets.NewValue(text), rec, nil
}

func validateGrant(g Grant) error {
	if g.Subject != "" && !(rbac.Principal{Kind: rbac.KindUser, ID: g.Subject, Namespace: "x"}).Valid() {
		return errors.New("subject must have 1 to 253 printable characters")
	}
	if len(g.Roles) == 0 || len(g.Roles) > maxRoles {
		return fmt.Errorf("a token holds 1 to %d roles", maxRoles)
	}
	for i, r := range g.Roles {
		switch {
		case r == rbac.RoleDecrypter:
			return errors.New("an API token may not hold the decrypter role: run tokens decrypt")
		case !printable(string(r), 64):
			return fmt.Errorf("role %d must have 1 to 64 printable characters", i+1)
		case slices.Contains(g.Roles[:i], r):
			return fmt.Errorf("role %d is listed twice", i+1)
		}
	}
	if g.Description != "" && !printable(g.Description, 253) {
		return errors.New("description must have at most 253 printable characters")
	}
	return nil
}

func printable(s string, limit int) bool {
	if s == "" || len(s) > limit || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// List returns the records of namespace's tokens, sorted by id, without
// their digests. The caller in ctx needs rbac.ActionManageAPITokens.
func (t *Tokens) List(ctx context.Context, namespace string) ([]Record, error) {
	done, err := t.guard.Authorize(ctx, namespace, rbac.ActionManageAPITokens, "ListAPITokens")
	if err != nil {
		return nil, err
	}
	recs, err := t.store.List(ctx, namespace)
	if err != nil {
		err = errcode.Wrap(errcode.Of(err), "apitoken.List", err)
		recs = nil
	}
	for i := range recs {
		recs[i].Hash = nil
	}
	done(err)
	return recs, err
}

// Revoke deletes the token with the given id from namespace; it fails to
// verify from its next use. The caller in ctx needs
// rbac.ActionManageAPITokens. It fails with secrets.ErrNotFound when the
// namespace has no token with that id.
func (t *Tokens) Revoke(ctx context.Context, namespace, id string) error {
	const op = "apitoken.Revoke"
	done, err := t.guard.Authorize(ctx, namespace, rbac.ActionManageAPITokens, "RevokeAPIToken")
	if err != nil {
		return err
	}
	err = func() error {
		if !validID(id) {
			return errcode.New(errcode.NotFound, op, "no API token with this id in the namespace")
		}
		rec, err := t.store.Get(ctx, id)
		switch {
		case errcode.Of(err) == errcode.NotFound || err == nil && rec.Namespace != namespace:
			return errcode.New(errcode.NotFound, op, "no API token with this id in the namespace")
		case err != nil:
			return errcode.Wrap(errcode.Of(err), op, err)
		}
		if err := t.store.Delete(ctx, id, rec.Revision); err != nil {
			return errcode.Wrap(errcode.Of(err), op, err)
		}
		return nil
	}()
	done(err, id)
	return err
}

// Verify returns the principal an API token acts as (see # Principal).
// The token's digest is compared in constant time. It fails with an error
// matching ErrInvalidToken for a malformed, unknown, revoked or expired
// token (ErrExpired for the last), or with code Unavailable when the store
// cannot answer. Errors never contain the token.
func (t *Tokens) Verify(ctx context.Context, token string) (rbac.Principal, error) {
	const op = "apitoken.Verify"
	id, ok := parse(token)
	if !ok {
		return rbac.Principal{}, fmt.Errorf("%s: %w: malformed", op, ErrInvalidToken)
	}
	sum := sha256.Sum256([]byte(token))
	return t.verify(ctx, op, id, sum[:])
}

// VerifyDigest is Verify for a token known by its id and the SHA-256 of
// its text, for a server that must not keep the token itself (the secrets
// page's sessions keep these two and check them on every request): it
// fails as Verify does, so revoking or expiring the token refuses it at
// once. The digest is no credential outside this process: the API takes
// only tokens.
func (t *Tokens) VerifyDigest(ctx context.Context, id string, digest []byte) (rbac.Principal, error) {
	const op = "apitoken.VerifyDigest"
	if !validID(id) || len(digest) != sha256.Size {
		return rbac.Principal{}, fmt.Errorf("%s: %w: malformed", op, ErrInvalidToken)
	}
	return t.verify(ctx, op, id, digest)
}

func (t *Tokens) verify(ctx context.Context, op, id string, sum []byte) (rbac.Principal, error) {
	rec, err := t.store.Get(ctx, id)
	switch {
	case errcode.Of(err) == errcode.NotFound:
		return rbac.Principal{}, fmt.Errorf("%s: %w: unknown or revoked", op, ErrInvalidToken)
	case errcode.IsContext(err):
		return rbac.Principal{}, err
	case err != nil:
		return rbac.Principal{}, errcode.Wrap(errcode.Unavailable, op, err)
	}
	if len(rec.Hash) != sha256.Size || subtle.ConstantTimeCompare(sum, rec.Hash) != 1 {
		return rbac.Principal{}, fmt.Errorf("%s: %w: unknown or revoked", op, ErrInvalidToken)
	}
	if !t.now().Before(rec.ExpiresAt) {
		return rbac.Principal{}, fmt.Errorf("%s: %w", op, ErrExpired)
	}
	p := rec.principal()
	if !p.Valid() {
		return rbac.Principal{}, fmt.Errorf("%s: %w: stored record names no valid principal", op, ErrInvalidToken)
	}
	return p, nil
}

// IDOf returns the public id of a token of the API-token form, without
// verifying it: for audits, after Verify accepted the token (before, the
// id is whatever the sender chose).
func IDOf(token string) (id string, ok bool) { return parse(token) }

// parse checks the form of a token and returns its id.
func parse(token string) (id string, ok bool) {
	if len(token) != tokenLength || !strings.HasPrefix(token, Prefix) || token[len(Prefix)+idChars] != '_' {
		return "", false
	}
	id, secret := token[len(Prefix):len(Prefix)+idChars], token[len(Prefix)+idChars+1:]
	// A non-canonical spelling of the same bytes is refused too: the digest
	// is of the text.
	if !validID(id) || !isB32(secret) {
		return "", false
	}
	return id, true
}

func validID(id string) bool { return len(id) == idChars && isB32(id) }

func isB32(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// Bootstrap is for a service's first start: when the store holds no token
// at all, it issues one with rbac.RoleAdmin in namespace, for subject
// "admin", living Options.MaxTTL, and returns it with its record; it is
// the only time the token can be read. When any token exists (even expired
// or of another namespace) it returns a zero Value and a nil record, so a
// second start never issues another. It is trusted startup code: it checks
// no caller and is not audited (the caller logs that it ran). Run it in one
// process before serving: two processes starting at once may both issue.
func (t *Tokens) Bootstrap(ctx context.Context, namespace string) (secrets.Value, *Record, error) {
	recs, err := t.store.List(ctx, "")
	if err != nil {
		return secrets.Value{}, nil, errcode.Wrap(errcode.Of(err), "apitoken.Bootstrap", err)
	}
	if len(recs) > 0 {
		return secrets.Value{}, nil, nil
	}
	tok, rec, err := t.issue(ctx, namespace, Grant{Subject: "admin", Roles: []rbac.Role{rbac.RoleAdmin},
		TTL: t.maxTTL, Description: "bootstrap admin token"}, "bootstrap")
	if err != nil {
		return secrets.Value{}, nil, err
	}
	return tok, &rec, nil
}

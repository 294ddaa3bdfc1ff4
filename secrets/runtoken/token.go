package runtoken

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/names"
	"github.com/strongbox-go/strongbox/internal/strictjson"
	"github.com/strongbox-go/strongbox/rbac"
)

// Prefix starts every version-1 token; it also tells a run token apart
// from other bearer tokens.
const Prefix = "sbrt1."

// maxTokenLength is the longest token Verify reads (48 KiB); longer input
// is rejected before any decoding.
const maxTokenLength = 48 << 10

// maxNames is the most secret names one token may list: as many as one
// Reveal call may ask for.
const maxNames = names.MaxRevealNames

// defaultMaxLifetime is the longest lifetime (exp - iat) a Verifier accepts
// when VerifierOptions.MaxLifetime is 0. It matches the Issuer's default
// MaxTTL.
const defaultMaxLifetime = 24 * time.Hour

// defaultLeeway is the clock skew a Verifier tolerates on a token's issue
// time when VerifierOptions.Leeway is 0.
const defaultLeeway = 30 * time.Second

// maxUnix bounds "iat" and "exp": 9999-12-31T23:59:59Z.
const maxUnix = 253402300799

// ErrInvalidToken is matched (errors.Is) by every refusal of Verify; Reason
// says which one. It has code PermissionDenied (errors.Is(err,
// secrets.ErrPermissionDenied) holds). A failure to consult the revocation
// set is not a refusal: it has code Unavailable, and the token is refused.
var ErrInvalidToken error = errcode.New(errcode.PermissionDenied, "", "invalid run token")

// The refusals of Verify, each wrapping ErrInvalidToken; Reason names them.
var (
	errMalformed   = fmt.Errorf("%w: malformed", ErrInvalidToken)
	errUnknownKey  = fmt.Errorf("%w: signed with an unknown key", ErrInvalidToken)
	errSignature   = fmt.Errorf("%w: bad signature", ErrInvalidToken)
	errExpired     = fmt.Errorf("%w: expired", ErrInvalidToken)
	errNotYetValid = fmt.Errorf("%w: issued in the future", ErrInvalidToken)
	errRevoked     = fmt.Errorf("%w: revoked", ErrInvalidToken)
	errLifetime    = fmt.Errorf("%w: lifetime exceeds the verifier's maximum", ErrInvalidToken)
)

// reasons pairs each refusal with the name Reason gives it.
var reasons = []struct {
	err    error
	reason string
}{
	{errExpired, "expired"},
	{errRevoked, "revoked"},
	{errLifetime, "lifetime"},
	{errNotYetValid, "not_yet_valid"},
	{errUnknownKey, "unknown_key"},
	{errSignature, "signature"},
	{errMalformed, "malformed"},
}

// Reason names why Verify refused a token: "malformed", "unknown_key",
// "signature" (the signature does not verify), "lifetime" (exp - iat
// exceeds the verifier's maximum), "expired", "not_yet_valid" (issued in
// the future) or "revoked" (a revoked run token; secrets.ErrRevoked is a
// revoked secret value). It returns "" for an error that is not one of
// these refusals (nil, claims that fail validation, the revocation set
// unavailable). The names are stable: they suit messages and metric labels.
func Reason(err error) string {
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return r.reason
		}
	}
	return ""
}

// IDFromError returns the id of the token a Verify error refused,
// when the token's signature was valid and its id well-formed: expired,
// not yet valid, revoked, too long-lived, claims that fail validation, or
// the revocation set unavailable. It returns "", false for every other
// error (malformed, unknown key, bad signature), so an id it returns was
// chosen by a holder of a signing key, never by whoever sent the token.
// The id is not secret: audits record it. The error's message is the same
// with or without the id; it never contains it.
func IDFromError(err error) (id string, ok bool) {
	var e *idError
	if errors.As(err, &e) {
		return e.id, true
	}
	return "", false
}

// idError carries the id of a signed token that verification refused.
type idError struct {
	id  string
	err error
}

func (e *idError) Error() string { return e.err.Error() }
func (e *idError) Unwrap() error { return e.err }

// withID attaches id to err when id is a well-formed token id.
func withID(id string, err error) error {
	if err == nil || !validID(id) {
		return err
	}
	return &idError{id: id, err: err}
}

// validID reports whether id has the form of a token id: 22 base64url
// characters.
func validID(id string) bool { return len(id) == 22 && checkKeyID("", id) == nil }

// Claims is what a token grants: decrypting, in one namespace, the secrets
// named in Names (all of them when Names is nil), as the service identity
// Subject, until Expiry.
type Claims struct {
	// ID is the token's random id (22 base64url characters). It is not
	// secret: audits may record it and Revoke takes it.
	ID string
	// KeyID names the key that signed the token.
	KeyID     string
	Namespace string
	// Subject is the run identity: the service principal's ID, which
	// secrets list in their decrypters.
	Subject string
	// Names are the secrets the token may decrypt, sorted; nil means every
	// secret of the namespace.
	Names    []string
	IssuedAt time.Time
	Expiry   time.Time
}

// AllowsName reports whether the token may decrypt the named secret.
func (c Claims) AllowsName(name string) bool {
	if c.Names == nil {
		return true
	}
	_, found := slices.BinarySearch(c.Names, name)
	return found
}

// Principal returns the principal the token acts as: a service named
// Subject in Namespace holding only the decrypter role.
func (c Claims) Principal() rbac.Principal {
	return rbac.Principal{Kind: rbac.KindService, ID: c.Subject, Namespace: c.Namespace, Roles: []rbac.Role{rbac.RoleDecrypter}}
}

// payload is the JSON form of the claims inside a token.
type payload struct {
	ID        string   `json:"jti"`
	Namespace string   `json:"ns"`
	Subject   string   `json:"sub"`
	Names     []string `json:"names,omitempty"`
	IssuedAt  int64    `json:"iat"`
	Expiry    int64    `json:"exp"`
}

var b64 = base64.RawURLEncoding.Strict()

// sign returns the signature of input under k.
func (k *Key) sign(input []byte) []byte {
	if k.m.hmac != nil {
		m := hmac.New(sha256.New, k.m.hmac)
		m.Write(input)
		return m.Sum(nil)
	}
	return ed25519.Sign(k.m.priv, input)
}

// verify checks sig over input under k, in constant time for HMAC.
func (k *Key) verify(input, sig []byte) bool {
	switch k.alg {
	case algHMACSHA256:
		if k.m.hmac == nil {
			return false
		}
		return hmac.Equal(k.sign(input), sig)
	case algEd25519:
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(k.m.pub, input, sig)
	}
	return false
}

// encode makes the token text of c signed by k.
func encode(k *Key, c Claims) (string, error) {
	p := payload{ID: c.ID, Namespace: c.Namespace, Subject: c.Subject, Names: c.Names,
		IssuedAt: c.IssuedAt.Unix(), Expiry: c.Expiry.Unix()}
	js, err := json.Marshal(p)
	if err != nil {
		return "", errcode.Wrap(errcode.Internal, "runtoken.encode", err)
	}
	var b strings.Builder
	b.Grow(len(Prefix) + len(k.id) + 2 + b64.EncodedLen(len(js)) + 90)
	b.WriteString(Prefix)
	b.WriteString(k.id)
	b.WriteByte('.')
	b.WriteString(b64.EncodeToString(js))
	sig := k.sign([]byte(b.String()))
	b.WriteByte('.')
	b.WriteString(b64.EncodeToString(sig))
	return b.String(), nil
}

// parse checks a token's format and signature against keys (by key id) and
// returns its claims. It does not check times or revocation; Verifier.Verify
// does. Errors never contain the token.
func parse(token string, keys func(id string) *Key) (Claims, error) {
	const op = "runtoken.Parse"
	fail := func(err error) (Claims, error) { return Claims{}, fmt.Errorf("%s: %w", op, err) }
	if len(token) > maxTokenLength {
		return fail(errMalformed)
	}
	rest, ok := strings.CutPrefix(token, Prefix)
	if !ok {
		return fail(errMalformed)
	}
	kid, rest, ok1 := strings.Cut(rest, ".")
	body, sigText, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || checkKeyID(op, kid) != nil || body == "" || sigText == "" {
		return fail(errMalformed)
	}
	k := keys(kid)
	if k == nil {
		return fail(errUnknownKey)
	}
	sig, err := b64.DecodeString(sigText)
	if err != nil {
		return fail(errMalformed)
	}
	signed := token[:len(token)-len(sigText)-1]
	if !k.verify([]byte(signed), sig) {
		return fail(errSignature)
	}
	// Only signed bytes reach the JSON decoder.
	js, err := b64.DecodeString(body)
	if err != nil {
		return fail(errMalformed)
	}
	c, err := decodePayload(js)
	if err != nil {
		// The signature is valid: the id, if well-formed, is the issuer's.
		return Claims{}, withID(c.ID, fmt.Errorf("%s: %w", op, err))
	}
	c.KeyID = kid
	return c, nil
}

// decodePayload parses and validates the JSON claims.
func decodePayload(js []byte) (Claims, error) {
	// Exactly the members of payload, each once, spelled exactly; valid
	// UTF-8 and escapes; nothing after the object.
	var p payload
	if err := strictjson.Decode(js, &p); err != nil {
		return Claims{}, fmt.Errorf("%w: claims: %w", errMalformed, plainError(err.Error()))
	}
	if p.IssuedAt < 0 || p.IssuedAt > maxUnix || p.Expiry < 0 || p.Expiry > maxUnix {
		return Claims{ID: p.ID}, fmt.Errorf("%w: token times out of range", errMalformed)
	}
	c := Claims{ID: p.ID, Namespace: p.Namespace, Subject: p.Subject, Names: p.Names,
		IssuedAt: time.Unix(p.IssuedAt, 0).UTC(), Expiry: time.Unix(p.Expiry, 0).UTC()}
	if err := validate(c); err != nil {
		return Claims{ID: p.ID}, fmt.Errorf("%w: %w", errMalformed, withoutCode(err))
	}
	return c, nil
}

// validate checks every field of c; Names must be sorted and unique.
func validate(c Claims) error {
	if !validID(c.ID) {
		return errcode.New(errcode.Invalid, "", "token id must have 22 base64url characters")
	}
	if err := names.Namespace("", c.Namespace); err != nil {
		return err
	}
	if err := names.Decrypters("", []string{c.Subject}); err != nil {
		return err
	}
	if c.Names != nil && (len(c.Names) == 0 || len(c.Names) > maxNames) {
		return errcode.New(errcode.Invalid, "", fmt.Sprintf("a token lists 1 to %d names", maxNames))
	}
	for i, n := range c.Names {
		if err := names.Name("", n); err != nil {
			return err
		}
		if i > 0 && c.Names[i-1] >= n {
			return errcode.New(errcode.Invalid, "", "token names are not sorted and unique")
		}
	}
	if !c.Expiry.After(c.IssuedAt) {
		return errcode.New(errcode.Invalid, "", "token expires before it is issued")
	}
	return nil
}

// newTokenID returns 128 random bits in unpadded base64url that never
// begin with '-': an id is passed on command lines (strongbox token revoke
// ID), where a leading '-' reads as a flag. One draw in 64 is redrawn.
func newTokenID() (string, error) {
	var b [16]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return "", errcode.Wrap(errcode.Internal, "runtoken.newTokenID", err)
		}
		if id := b64.EncodeToString(b[:]); id[0] != '-' {
			return id, nil
		}
	}
}

// VerifierOptions configures a Verifier. Keys is required.
type VerifierOptions struct {
	// Keys are the keys tokens may be signed with, by id: the current key
	// and, during a rotation, the previous ones. Verify-only Ed25519 keys
	// are enough.
	Keys []*Key
	// Revocations is consulted on every Verify; nil means a new in-memory
	// set local to the Verifier.
	Revocations RevocationSet
	// Clock is the time source of expiry and issue-time checks and of
	// revocation retention; nil means time.Now. Set it when the deployment
	// keeps its own time source (e.g. one clock shared with the Issuer).
	Clock func() time.Time
	// Leeway is the clock skew tolerated on IssuedAt (a token issued
	// slightly in the future is accepted); 0 means 30 seconds. Expiry is never extended.
	Leeway time.Duration
	// MaxLifetime is the longest lifetime (Expiry - IssuedAt) of a token
	// Verify accepts; a longer-lived one fails with errLifetime even when
	// its signature is valid. 0 means 24 hours. It is
	// also how long Revoke keeps a revocation at least. Every Verifier
	// sharing a RevocationSet should use the same value.
	MaxLifetime time.Duration
}

// Verifier checks tokens: format, signature, times and revocation. It
// reads no database: the revocation set is in memory unless the
// deployment plugs in a shared one. It is safe for concurrent use.
type Verifier struct {
	keys        map[string]*Key
	revs        RevocationSet
	now         func() time.Time
	leeway      time.Duration
	maxLifetime time.Duration
	parsed      *parsedCache // behind a pointer: a Verifier value still copies (see print.go)
}

// NewVerifier returns a Verifier. It fails with ErrInvalid (secrets) when
// no key is given or two keys share an id.
func NewVerifier(opts VerifierOptions) (*Verifier, error) {
	const op = "runtoken.NewVerifier"
	if len(opts.Keys) == 0 {
		return nil, errcode.New(errcode.Invalid, op, "at least one key is required")
	}
	if opts.Leeway < 0 || opts.MaxLifetime < 0 {
		return nil, errcode.New(errcode.Invalid, op, "Leeway and MaxLifetime may not be negative")
	}
	v := &Verifier{keys: map[string]*Key{}, revs: opts.Revocations, now: opts.Clock, parsed: new(parsedCache),
		leeway: opts.Leeway, maxLifetime: opts.MaxLifetime}
	for _, k := range opts.Keys {
		if !k.valid() {
			return nil, errcode.New(errcode.Invalid, op, "nil or zero key; make keys with NewHMACKey or NewEd25519Key")
		}
		if _, dup := v.keys[k.id]; dup {
			return nil, errcode.New(errcode.Invalid, op, "two keys have id "+k.id)
		}
		v.keys[k.id] = k
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.revs == nil {
		v.revs = newMemoryRevocations(v.now)
	}
	if v.leeway == 0 {
		v.leeway = defaultLeeway
	}
	if v.maxLifetime == 0 {
		v.maxLifetime = defaultMaxLifetime
	}
	return v, nil
}

// Verify returns the claims of a valid token. It fails with an error
// matching ErrInvalidToken (and one of errMalformed, errUnknownKey,
// errSignature, errLifetime, errExpired, errNotYetValid, errRevoked), or
// with code Unavailable when the revocation set cannot be read; context
// errors pass through. Errors never contain the token; IDFromError gives
// the token id of those refusing a token whose signature was valid.
func (v *Verifier) Verify(ctx context.Context, token string) (Claims, error) {
	const op = "runtoken.Verify"
	c, cached := v.parsed.get(token)
	if !cached {
		var err error
		c, err = parse(token, func(id string) *Key { return v.keys[id] })
		if err != nil {
			return Claims{}, err
		}
		v.parsed.put(token, c)
	}
	fail := func(err error) (Claims, error) { return Claims{}, withID(c.ID, err) }
	now := v.now()
	switch {
	case c.Expiry.Sub(c.IssuedAt) > v.maxLifetime:
		return fail(fmt.Errorf("%s: %w", op, errLifetime))
	case !now.Before(c.Expiry):
		return fail(fmt.Errorf("%s: %w", op, errExpired))
	case c.IssuedAt.After(now.Add(v.leeway)):
		return fail(fmt.Errorf("%s: %w", op, errNotYetValid))
	}
	revoked, err := v.revs.Revoked(ctx, c.ID)
	if err != nil {
		if errcode.IsContext(err) {
			return Claims{}, err
		}
		return fail(errcode.Wrap(errcode.Unavailable, op, err))
	}
	if revoked {
		return fail(fmt.Errorf("%s: %w", op, errRevoked))
	}
	return c, nil
}

// Revoke makes the token with the given id fail verification from now on;
// it is the one way to revoke a token (an Issuer's tokens are revoked
// through Issuer.Verifier).
// The revocation is kept until expiry or until no token with that id can
// still verify here, whichever is later: at least MaxLifetime plus Leeway
// from now, so a zero, past or too early expiry still revokes the token
// for the rest of its life. Pass the token's Expiry, or time.Time{} when
// only the id is known. It fails with ErrInvalid (secrets) when id is not
// a token id (22 base64url characters).
func (v *Verifier) Revoke(ctx context.Context, id string, expiry time.Time) error {
	const op = "runtoken.Revoke"
	if !validID(id) {
		return errcode.New(errcode.Invalid, op, "token id must have 22 base64url characters")
	}
	// A token verifies only while now < Expiry <= IssuedAt + maxLifetime
	// and IssuedAt <= now + leeway.
	if hold := v.now().Add(v.maxLifetime + v.leeway); expiry.Before(hold) {
		expiry = hold
	}
	if err := v.revs.Revoke(ctx, id, expiry); err != nil {
		if errcode.IsContext(err) {
			return err
		}
		return errcode.Wrap(errcode.Of(err), op, err)
	}
	return nil
}

// withoutCode keeps the message of a validation error but not its code, so
// that a malformed token matches only PermissionDenied.
func withoutCode(err error) error {
	var e *errcode.Error
	if errors.As(err, &e) && e.Op == "" && e.Err == nil {
		return plainError(e.Msg)
	}
	return plainError(err.Error())
}

type plainError string

func (e plainError) Error() string { return string(e) }

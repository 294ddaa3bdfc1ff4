package keeper

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper/internal/kekurl"
)

// Wrapper is a key-encryption key's service: it encrypts (wraps) and
// decrypts (unwraps) the small data-key records of an Envelope. Give one
// as KEK.Wrapper to use a key that no URL names; package gocloudkeeper's
// Wrapper makes one of any gocloud secrets keeper. Implementations are
// safe for concurrent use.
//
// Unwrap returns nil and an error when wrapped does not open. Errors are
// classified by the error codes of package secrets, matched with
// errors.Is: an error matching secrets.ErrUnavailable (or a net.Error, or
// context.DeadlineExceeded while the caller's context is live) is an
// outage, which a warm cache rides out; secrets.ErrPermissionDenied a
// refusal; secrets.ErrFailedPrecondition a key that is disabled or gone.
// Any other error from Unwrap means the key does not open the record
// (wrong key, tampered bytes) and becomes ErrDecrypt; from Wrap, code
// Internal. Errors must not contain key material.
type Wrapper interface {
	Wrap(ctx context.Context, record []byte) ([]byte, error)
	Unwrap(ctx context.Context, wrapped []byte) ([]byte, error)
}

// KEK is a key-encryption key: a key that wraps data keys, named by a
// non-secret id that every ciphertext it protects carries.
//
// Give either URL or Wrapper. Every printed form of a KEK (fmt under every
// verb, encoding/json, encoding.TextMarshaler, and so slog) shows its id,
// the redacted URL and whether Wrapper is set, never the URL itself; see
// the package doc's # Security.
type KEK struct {
	// ID names the key in ciphertexts: 1 to 64 letters, digits, '-', '_',
	// '.' or ':'. It must stay the same for as long as data under the key
	// exists. Empty means an id derived from URL (see DefaultKEKID); it is
	// required with Wrapper.
	ID string
	// URL names the key: base64key://KEY, a local key, is built in (see
	// the package doc's # Local keys); awskms://, gcpkms://,
	// azurekeyvault://, hashivault:// and every other gocloud secrets URL
	// open once the program imports package gocloudkeeper and the gocloud
	// driver. A base64key:// URL is key material; keep it out of logs. The
	// Envelope opens it and closes it on Close.
	URL string
	// Wrapper is a key given as code instead of URL. The Envelope does not
	// close it.
	Wrapper Wrapper
}

// NewThrowawayKEKURL returns a fresh random base64key:// URL: a local
// key-encryption key for tests and demos. The key exists only in the
// returned URL: whatever is encrypted under it is lost with it. To keep
// data, keep the URL like a password (a file readable only by the service,
// a secret of the platform), never in the same place as the ciphertexts
// it protects, and open it again with OpenEnvelope or KEK.URL. This is the
// only way this package makes a random key: a base64key URL without a
// well-formed key is refused, never replaced by a random one.
func NewThrowawayKEKURL() (string, error) {
	var k [localKeyLen]byte
	defer clear(k[:])
	if _, err := rand.Read(k[:]); err != nil {
		return "", errcode.Wrap(errcode.Internal, "keeper.NewThrowawayKEKURL", err)
	}
	return localScheme + "//" + base64.URLEncoding.EncodeToString(k[:]), nil
}

const (
	// localScheme starts a base64key URL, compared without regard to case.
	localScheme = "base64key:"
	// localKeyLen is the size of a base64key key; its padded URL-safe
	// base64 is 44 characters, the last '='.
	localKeyLen = 32
	localWant   = "want base64key:// followed by the 32-byte key in padded URL-safe base64 (44 characters ending in '=')"
)

// isLocalURL reports whether kekURL is a base64key URL.
func isLocalURL(kekURL string) bool {
	return len(kekURL) >= len(localScheme) && strings.EqualFold(kekURL[:len(localScheme)], localScheme)
}

// parseLocalKEKURL reads the key of a base64key URL. Only
// base64key://KEY is accepted (the scheme in any case), KEY the padded
// URL-safe base64 of exactly 32 bytes, as gocloud's localsecrets decodes
// it: gocloud would open an empty key, a key in the path or after
// "base64key:" as a fresh random key, and ignore a path, user info or
// fragment, so all are refused. The error says what is wrong and never
// quotes the URL.
func parseLocalKEKURL(kekURL string) (key [localKeyLen]byte, err error) {
	fail := func(why string) ([localKeyLen]byte, error) {
		return [localKeyLen]byte{}, errors.New("base64key URL: " + why + "; " + localWant)
	}
	if !isLocalURL(kekURL) {
		return fail("not a base64key URL")
	}
	rest := kekURL[len(localScheme):]
	switch {
	case rest == "":
		return fail("no key")
	case !strings.HasPrefix(rest, "//"):
		return fail(`the key must follow "base64key://" with two slashes`)
	}
	k := rest[2:]
	switch {
	case k == "":
		return fail("no key (an empty base64key:// is refused, not given a random key: call keeper.NewThrowawayKEKURL for a throwaway one)")
	case k[0] == '/':
		return fail("the key is after a third '/'")
	}
	for i := 0; i < len(k); i++ {
		switch c := k[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '=':
		case c == '+':
			return fail("'+' is standard base64: use the URL-safe alphabet, '-' for '+' and '_' for '/'")
		case c == '/':
			return fail("a '/' in or after the key: a path, or standard base64 (the URL-safe alphabet has '_' for '/')")
		case c == '?':
			return fail("a query is not allowed")
		case c == '#':
			return fail("a fragment ('#') is not allowed")
		case c == '@':
			return fail("user info ('@') is not allowed")
		case c == ':':
			return fail("a port (':') is not allowed")
		case c == '%':
			return fail("percent-escapes are not allowed")
		case c <= ' ' || c == 0x7f:
			return fail("the URL has whitespace or a control character")
		default:
			return fail("the key has a character outside URL-safe base64")
		}
	}
	if !strings.Contains(k, "=") && len(k)%4 != 0 {
		return fail("the key is not padded base64")
	}
	b, err := base64.URLEncoding.DecodeString(k)
	defer clear(b)
	if err != nil {
		return fail("the key is not valid padded base64 ('=' misplaced or missing)")
	}
	if len(b) != localKeyLen {
		return fail(fmt.Sprintf("the key is %d bytes, want %d", len(b), localKeyLen))
	}
	copy(key[:], b)
	return key, nil
}

// DefaultKEKID returns the id used for a KEK given without one: "kek-"
// followed by 16 hex digits of a SHA-256 of the URL. The digest reveals
// nothing usable about the key, and the same URL always gets the same id.
func DefaultKEKID(kekURL string) string {
	sum := sha256.Sum256([]byte("strongbox keeper KEK id v1\x00" + kekURL))
	return "kek-" + hex.EncodeToString(sum[:8])
}

// redactURL returns kekURL fit for logs and errors: scheme, host and path,
// without user info or query, and with the host of a base64key:// URL (the
// key itself) replaced by [REDACTED].
func redactURL(kekURL string) string {
	u, err := url.Parse(kekURL)
	if err != nil || u.Scheme == "" {
		return "[REDACTED]"
	}
	var b strings.Builder
	b.WriteString(u.Scheme)
	b.WriteString("://")
	switch {
	case strings.EqualFold(u.Scheme, "base64key"):
		if u.Host != "" || u.Opaque != "" || u.Path != "" {
			b.WriteString("[REDACTED]")
		}
		return b.String()
	case u.Opaque != "":
		b.WriteString("[REDACTED]")
		return b.String()
	}
	b.WriteString(u.Host)
	b.WriteString(u.EscapedPath())
	if u.RawQuery != "" || u.User != nil {
		b.WriteString("?[REDACTED]")
	}
	return b.String()
}

// scrub removes every part of kekURL that could be secret from msg, raw
// or in the escaped forms a message may quote it in (%q, URL escaping),
// longest first so that no piece of a longer part is left behind.
func scrub(msg, kekURL string) string {
	parts := []string{kekURL}
	if u, err := url.Parse(kekURL); err == nil {
		parts = append(parts, u.String(), u.Host, u.Opaque, u.RawQuery, u.Path, u.EscapedPath(),
			u.Fragment, u.EscapedFragment())
		if u.User != nil {
			p, _ := u.User.Password()
			parts = append(parts, u.User.String(), u.User.Username(), p)
		}
		for _, vs := range u.Query() {
			parts = append(parts, vs...)
		}
	}
	var forms []string
	for _, p := range parts {
		forms = append(forms, p, strings.Trim(strconv.Quote(p), `"`), url.QueryEscape(p), url.PathEscape(p))
	}
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	for _, f := range forms {
		if len(f) >= 4 {
			msg = strings.ReplaceAll(msg, f, "[REDACTED]")
		}
	}
	return msg
}

// openedKEK is a KEK in use.
type openedKEK struct {
	unprintable
	id      string
	wrapper Wrapper
	close   func() error // nil: not the Envelope's to close
}

// release closes k if the Envelope opened it.
func (k *openedKEK) release() error {
	if k.close == nil {
		return nil
	}
	return k.close()
}

func openKEK(ctx context.Context, op string, k KEK) (*openedKEK, error) {
	id := k.ID
	switch {
	case k.URL != "" && k.Wrapper != nil:
		return nil, errcode.New(errcode.Invalid, op, fmt.Sprintf("KEK %q: set URL or Wrapper, not both", id))
	case k.URL == "" && k.Wrapper == nil:
		return nil, errcode.New(errcode.Invalid, op, fmt.Sprintf("KEK %q: URL or Wrapper is required", id))
	case id == "" && k.Wrapper != nil:
		return nil, errcode.New(errcode.Invalid, op, "KEK with a Wrapper needs an ID")
	case id == "":
		id = DefaultKEKID(k.URL)
	}
	if !validKEKID([]byte(id)) {
		return nil, errcode.New(errcode.Invalid, op, fmt.Sprintf("KEK id %q: want 1 to %d letters, digits, '-', '_', '.' or ':'", id, maxKEKIDLen))
	}
	if k.Wrapper != nil {
		return &openedKEK{id: id, wrapper: k.Wrapper}, nil
	}
	if isLocalURL(k.URL) {
		// Opened here, never through gocloud's URL opener, which gives a
		// base64key URL without a key a random one.
		key, err := parseLocalKEKURL(k.URL)
		defer clear(key[:])
		if err != nil {
			return nil, errcode.New(errcode.Invalid, op, fmt.Sprintf("open KEK %q: %s", id, err))
		}
		lk := &localKEK{key: key}
		return &openedKEK{id: id, wrapper: lk, close: lk.destroy}, nil
	}
	// A URL that does not parse is refused here: an opener's error would
	// quote it escaped (%q), where scrub does not find it.
	u, err := url.Parse(k.URL)
	if err != nil || u.Scheme == "" {
		why := "does not parse as a URL"
		switch {
		case strings.ContainsFunc(k.URL, func(r rune) bool { return r < ' ' || r == 0x7f }):
			why = "has a control character (a trailing newline?)"
		case err == nil:
			why = "has no scheme"
		}
		return nil, errcode.New(errcode.Invalid, op, fmt.Sprintf("open KEK %q: the URL %s", id, why))
	}
	open := kekurl.Get()
	if open == nil {
		return nil, errcode.New(errcode.Invalid, op, fmt.Sprintf(
			"open KEK %q (%s): only base64key:// is built in; to open %s:// URLs, import _ %q and the gocloud driver for the scheme",
			id, redactURL(k.URL), strings.ToLower(u.Scheme), kekurl.Adapter))
	}
	w, closer, err := open(ctx, k.URL)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		// The opener's message may quote the URL, which can hold
		// credentials: keep only a scrubbed copy of the text.
		return nil, errcode.New(errcode.Invalid, op, fmt.Sprintf("open KEK %q (%s): %s", id, redactURL(k.URL), scrub(err.Error(), k.URL)))
	}
	return &openedKEK{id: id, wrapper: w, close: closer}, nil
}

// kekError classifies an error from a call to KEK k by the codes in its
// chain (see Wrapper). unwrap says whether the call was an unwrap, where
// an unclassified error means "wrong key or tampered": errAuthentication.
func kekError(ctx context.Context, op string, k *openedKEK, unwrap bool, err error) error {
	kekID := k.id
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	what := "wrap data key"
	if unwrap {
		what = "unwrap data key"
	}
	var netErr net.Error
	switch {
	case errors.Is(err, errcode.Unavailable), errors.As(err, &netErr),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return errcode.Wrap(errcode.Unavailable, op, fmt.Errorf("KEK %q: %s: %w", kekID, what, err))
	case errors.Is(err, errcode.PermissionDenied):
		return errcode.Wrap(errcode.PermissionDenied, op, fmt.Errorf("KEK %q: %s: %w", kekID, what, err))
	case errors.Is(err, errcode.FailedPrecondition), errors.Is(err, errcode.NotFound):
		return errcode.Wrap(errcode.FailedPrecondition, op, fmt.Errorf("KEK %q: %s: %w", kekID, what, err))
	case unwrap:
		// The wrapper's message is dropped: it says no more than this.
		return fmt.Errorf("%s: KEK %q could not unwrap the data key: %w", op, kekID, errAuthentication)
	default:
		return errcode.Wrap(errcode.Internal, op, fmt.Errorf("KEK %q: %s: %w", kekID, what, err))
	}
}

// isUnavailable reports whether err means "try again later": the errors a
// warm cache may paper over.
func isUnavailable(err error) bool {
	return errors.Is(err, errcode.Unavailable) && !errors.Is(err, ErrUnknownKEK)
}

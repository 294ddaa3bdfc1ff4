package gocloudkeeper

import (
	"context"
	"errors"
	"net/url"
	"sync"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper"
	"gocloud.dev/gcerrors"
	"gocloud.dev/secrets"
	"gocloud.dev/secrets/driver"
)

// scheme is the URL scheme registered with secrets.DefaultURLMux.
const scheme = "strongbox"

// defaultAssociatedData is bound to every ciphertext when
// Options.AssociatedData is nil.
const defaultAssociatedData = "strongbox/gocloudkeeper/v1"

// Options configures New. The zero value is ready to use.
type Options struct {
	// AssociatedData is bound to every ciphertext; nil means
	// "strongbox/gocloudkeeper/v1". Use a non-nil empty slice for none.
	AssociatedData []byte
	// CloseKeeper makes Close close the wrapped keeper too.
	CloseKeeper bool
}

// New returns a *secrets.Keeper that encrypts with k.
func New(k keeper.Keeper, opts Options) *secrets.Keeper {
	return secrets.NewKeeper(newDriver(k, opts))
}

// newDriver returns k as a gocloud secrets driver.Keeper.
func newDriver(k keeper.Keeper, opts Options) driver.Keeper {
	ad := []byte(defaultAssociatedData)
	if opts.AssociatedData != nil {
		ad = append([]byte{}, opts.AssociatedData...)
	}
	return &adapter{k: k, ad: ad, closeKeeper: opts.CloseKeeper}
}

type adapter struct {
	k           keeper.Keeper
	ad          []byte
	closeKeeper bool
	closeOnce   sync.Once
	closeErr    error
}

func (a *adapter) Encrypt(ctx context.Context, plaintext []byte) ([]byte, error) {
	return a.k.Encrypt(ctx, plaintext, a.ad)
}

func (a *adapter) Decrypt(ctx context.Context, ciphertext []byte) ([]byte, error) {
	return a.k.Decrypt(ctx, ciphertext, a.ad)
}

func (a *adapter) Close() error {
	if !a.closeKeeper {
		return nil
	}
	a.closeOnce.Do(func() { a.closeErr = a.k.Close() })
	return a.closeErr
}

// ErrorAs is errors.As.
func (a *adapter) ErrorAs(err error, target any) bool { return errors.As(err, target) }

// ErrorCode maps strongbox error codes to gocloud's; see the package doc.
func (a *adapter) ErrorCode(err error) gcerrors.ErrorCode { return code(err) }

// code returns the gocloud error code for a strongbox error.
func code(err error) gcerrors.ErrorCode {
	switch {
	case err == nil:
		return gcerrors.OK
	case errors.Is(err, context.Canceled):
		return gcerrors.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return gcerrors.DeadlineExceeded
	case errors.Is(err, keeper.ErrDecrypt):
		return gcerrors.InvalidArgument
	}
	switch errcode.Of(err) {
	case errcode.NotFound:
		return gcerrors.NotFound
	case errcode.AlreadyExists:
		return gcerrors.AlreadyExists
	case errcode.Invalid:
		return gcerrors.InvalidArgument
	case errcode.Conflict, errcode.FailedPrecondition:
		return gcerrors.FailedPrecondition
	case errcode.PermissionDenied:
		return gcerrors.PermissionDenied
	case errcode.Unavailable:
		return gcerrors.ResourceExhausted
	case errcode.Internal:
		return gcerrors.Internal
	}
	return gcerrors.Unknown
}

// urlOpener opens strongbox:// URLs: a required kek parameter (a KEK URL,
// query-escaped) and an optional aad parameter (the associated data;
// absent means the default), each at most once. Anything the opener would
// otherwise ignore is refused with code Invalid: other parameters, a host,
// a path other than "/", user info, a fragment. The kek is opened by
// keeper.OpenEnvelope, so a malformed base64key URL is refused too (see
// package keeper's # Local keys).
type urlOpener struct{}

func init() {
	secrets.DefaultURLMux().RegisterKeeper(scheme, urlOpener{})
}

// OpenKeeperURL opens an Envelope over the URL's kek and returns it as a
// keeper that closes the Envelope on Close. Its errors never quote the URL.
func (urlOpener) OpenKeeperURL(ctx context.Context, u *url.URL) (*secrets.Keeper, error) {
	const op = "gocloudkeeper.OpenKeeperURL"
	// Refuse what would be ignored: a URL that says more than its
	// parameters must not open as if it did not.
	switch {
	case u.Host != "":
		return nil, errcode.New(errcode.Invalid, op, "a host is not allowed; want strongbox://?kek=...")
	case u.Opaque != "" || (u.Path != "" && u.Path != "/"):
		return nil, errcode.New(errcode.Invalid, op, "a path is not allowed; want strongbox://?kek=...")
	case u.User != nil:
		return nil, errcode.New(errcode.Invalid, op, "user info is not allowed; want strongbox://?kek=...")
	case u.Fragment != "" || u.RawFragment != "":
		return nil, errcode.New(errcode.Invalid, op, "a fragment is not allowed; want strongbox://?kek=...")
	}
	q := u.Query()
	for p := range q {
		if p != "kek" && p != "aad" {
			return nil, errcode.New(errcode.Invalid, op, "unknown query parameter "+strconvQuote(p)+"; want kek and optionally aad")
		}
	}
	if len(q["kek"]) != 1 || q.Get("kek") == "" {
		return nil, errcode.New(errcode.Invalid, op, "want exactly one kek parameter")
	}
	if len(q["aad"]) > 1 {
		return nil, errcode.New(errcode.Invalid, op, "want at most one aad parameter")
	}
	env, err := keeper.OpenEnvelope(ctx, q.Get("kek"), keeper.EnvelopeOptions{})
	if err != nil {
		return nil, err
	}
	opts := Options{CloseKeeper: true}
	if aad, ok := q["aad"]; ok {
		opts.AssociatedData = []byte(aad[0])
	}
	return New(env, opts), nil
}

// strconvQuote quotes a parameter name, cut short: it comes from the URL,
// but names are not secrets.
func strconvQuote(s string) string {
	if len(s) > 32 {
		s = s[:32] + "..."
	}
	return `"` + url.QueryEscape(s) + `"`
}

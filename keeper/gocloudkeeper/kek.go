package gocloudkeeper

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/keeper/internal/kekurl"
	"gocloud.dev/gcerrors"
	"gocloud.dev/secrets"
)

func init() {
	// Every KEK URL but base64key:// (which package keeper opens itself)
	// goes through gocloud's URL mux: awskms://, gcpkms://,
	// azurekeyvault://, hashivault:// once their drivers are imported.
	kekurl.Register(func(ctx context.Context, kekURL string) (kekurl.Wrapper, func() error, error) {
		sk, err := secrets.OpenKeeper(ctx, kekURL)
		if err != nil {
			return nil, nil, err
		}
		return wrapper{sk}, sk.Close, nil
	})
}

// Wrapper returns sk, an opened gocloud secrets keeper, as a key-encryption
// key for keeper.KEK.Wrapper: for a key service client built in code, for
// example with awskms.OpenKeeper and credentials of the program's own.
// Closing sk stays the caller's job.
//
// gocloud reports a remote key service that cannot be reached as code
// Unknown, the code it also gives an unclassified failure, so Unknown (like
// DeadlineExceeded, ResourceExhausted, Canceled and Internal) counts as an
// outage: keeper retries later and a warm cache keeps serving.
// PermissionDenied stays PermissionDenied; NotFound, FailedPrecondition and
// Unimplemented become FailedPrecondition. Any other failure to unwrap
// means the key does not fit. For a key held in memory use a base64key://
// URL, whose wrong-key errors are never taken for an outage.
func Wrapper(sk *secrets.Keeper) keeper.Wrapper { return wrapper{sk} }

// wrapper is a gocloud secrets keeper as a keeper.Wrapper.
type wrapper struct{ sk *secrets.Keeper }

func (w wrapper) Wrap(ctx context.Context, record []byte) ([]byte, error) {
	out, err := w.sk.Encrypt(ctx, record)
	return out, classify(err)
}

func (w wrapper) Unwrap(ctx context.Context, wrapped []byte) ([]byte, error) {
	out, err := w.sk.Decrypt(ctx, wrapped)
	if err != nil {
		return nil, classify(err)
	}
	return out, nil
}

// classify gives a gocloud error the strongbox code package keeper reads;
// see Wrapper.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var netErr net.Error
	switch code := gcerrors.Code(err); {
	case code == gcerrors.DeadlineExceeded, code == gcerrors.ResourceExhausted,
		code == gcerrors.Canceled, code == gcerrors.Internal, code == gcerrors.Unknown,
		errors.As(err, &netErr):
		return errcode.Wrap(errcode.Unavailable, "gocloudkeeper", err)
	case code == gcerrors.PermissionDenied:
		return errcode.Wrap(errcode.PermissionDenied, "gocloudkeeper", err)
	case code == gcerrors.NotFound, code == gcerrors.FailedPrecondition, code == gcerrors.Unimplemented:
		return errcode.Wrap(errcode.FailedPrecondition, "gocloudkeeper", err)
	}
	return err
}

const wrapperMark = "gocloudkeeper KEK wrapper"

// The wrapper prints a fixed mark: it holds an opened key.
func (wrapper) String() string               { return wrapperMark }
func (wrapper) GoString() string             { return wrapperMark }
func (wrapper) Format(f fmt.State, _ rune)   { io.WriteString(f, wrapperMark) }
func (wrapper) MarshalText() ([]byte, error) { return []byte(wrapperMark), nil }
func (wrapper) LogValue() slog.Value         { return slog.StringValue(wrapperMark) }

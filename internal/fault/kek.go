package fault

import (
	"context"
	"errors"

	"gocloud.dev/gcerrors"
	"gocloud.dev/secrets"
	"gocloud.dev/secrets/driver"
	"gocloud.dev/secrets/localsecrets"
)

// KEKDriver is a gocloud secrets driver that wraps another one with an
// Injector, so a key-encryption key can be made unavailable, slow or
// refusing. Its calls are the ops KEKEncrypt (wrap a data key) and
// KEKDecrypt (unwrap one).
//
// Injected errors report gcerrors.Internal, which the keeper treats as an
// outage (ErrUnavailable), unless the error is one of KEKPermissionDenied or
// KEKNotFound; a hang returns the context's error.
type KEKDriver struct {
	inner driver.Keeper
	In    *Injector
}

// Errors a KEKDriver can be told to inject, reported with the gcerrors
// code of a key service that refuses access or lost the key.
var (
	KEKPermissionDenied = errors.New("fault: injected KEK permission denied")
	KEKNotFound         = errors.New("fault: injected KEK not found")
)

// NewKEK returns a gocloud secrets.Keeper over a fresh random local key,
// driven through a KEKDriver whose Injector is in (nil: a new one), and
// that Injector. Share an Injector between a Store, a Keeper and a KEK to
// make one "process" whose crash stops all three. Give the keeper to
// keeper.KEK{ID: ..., Keeper: k} (Local false: its errors are classified
// like a remote key service's).
func NewKEK(in *Injector) (*secrets.Keeper, *Injector, error) {
	key, err := localsecrets.NewRandomKey()
	if err != nil {
		return nil, nil, err
	}
	// localsecrets.NewKeeper hides its driver; unwrap it through a second
	// keeper built on a driver adapter.
	if in == nil {
		in = &Injector{}
	}
	d := &KEKDriver{inner: keeperDriver{localsecrets.NewKeeper(key)}, In: in}
	return secrets.NewKeeper(d), d.In, nil
}

// NewKEKDriver wraps a driver.
func NewKEKDriver(inner driver.Keeper) *KEKDriver { return &KEKDriver{inner: inner, In: &Injector{}} }

// Encrypt implements driver.Keeper.
func (d *KEKDriver) Encrypt(ctx context.Context, pt []byte) ([]byte, error) {
	return call(ctx, d.In, KEKEncrypt, func() ([]byte, error) { return d.inner.Encrypt(ctx, pt) })
}

// Decrypt implements driver.Keeper.
func (d *KEKDriver) Decrypt(ctx context.Context, ct []byte) ([]byte, error) {
	return call(ctx, d.In, KEKDecrypt, func() ([]byte, error) { return d.inner.Decrypt(ctx, ct) })
}

// Close implements driver.Keeper.
func (d *KEKDriver) Close() error { return d.inner.Close() }

// ErrorAs implements driver.Keeper.
func (d *KEKDriver) ErrorAs(err error, i any) bool { return d.inner.ErrorAs(err, i) }

// ErrorCode implements driver.Keeper.
func (d *KEKDriver) ErrorCode(err error) gcerrors.ErrorCode {
	switch {
	case errors.Is(err, KEKPermissionDenied):
		return gcerrors.PermissionDenied
	case errors.Is(err, KEKNotFound):
		return gcerrors.NotFound
	case errors.Is(err, context.DeadlineExceeded):
		return gcerrors.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return gcerrors.Canceled
	case errors.Is(err, ErrInjected):
		return gcerrors.Internal
	}
	return d.inner.ErrorCode(err)
}

// keeperDriver adapts a *secrets.Keeper back to a driver.Keeper.
type keeperDriver struct{ k *secrets.Keeper }

func (d keeperDriver) Encrypt(ctx context.Context, pt []byte) ([]byte, error) {
	return d.k.Encrypt(ctx, pt)
}
func (d keeperDriver) Decrypt(ctx context.Context, ct []byte) ([]byte, error) {
	return d.k.Decrypt(ctx, ct)
}
func (d keeperDriver) Close() error                  { return d.k.Close() }
func (d keeperDriver) ErrorAs(err error, i any) bool { return d.k.ErrorAs(err, i) }
func (d keeperDriver) ErrorCode(err error) gcerrors.ErrorCode {
	return gcerrors.Code(err)
}

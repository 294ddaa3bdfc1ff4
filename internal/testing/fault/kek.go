package fault

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// KEK is a key-encryption key (a keeper.Wrapper, for keeper.KEK.Wrapper)
// over a random local key whose calls go through an Injector, so that it
// can be made unavailable, slow or refusing. Its calls are the ops
// KEKEncrypt (wrap a data key) and KEKDecrypt (unwrap one).
//
// Injected errors have code Unavailable (ErrInjected), an outage, unless
// the error is KEKPermissionDenied or KEKNotFound; a hang returns the
// context's error.
type KEK struct {
	aead cipher.AEAD
	In   *Injector
}

// Errors a KEK can be told to inject, with the codes of a key service
// that refuses access or lost the key.
var (
	KEKPermissionDenied error = errcode.New(errcode.PermissionDenied, "fault", "injected KEK permission denied")
	KEKNotFound         error = errcode.New(errcode.FailedPrecondition, "fault", "injected KEK not found")
)

// errWrongKey is what Unwrap returns for a record the key does not open;
// it has no code, so the keeper reads it as a wrong key.
var errWrongKey = errors.New("fault: KEK: record does not open")

// NewKEK returns a KEK over a fresh random key whose Injector is in (nil:
// a new one), and that Injector. Share an Injector between a Store, a
// Keeper and a KEK to make one "process" whose crash stops all three.
func NewKEK(in *Injector) (*KEK, *Injector, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, nil, err
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, err
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil, nil, err
	}
	if in == nil {
		in = &Injector{}
	}
	return &KEK{aead: a, In: in}, in, nil
}

// Share returns a KEK over the same key whose calls go through in: the
// key as another process holds it (each instance of a fleet is given a
// local key by its own configuration), so that one process's crash or
// outage leaves the others' calls alone.
func (k *KEK) Share(in *Injector) *KEK { return &KEK{aead: k.aead, In: in} }

// Wrap implements keeper.Wrapper.
func (k *KEK) Wrap(ctx context.Context, record []byte) ([]byte, error) {
	return call(ctx, k.In, KEKEncrypt, func() ([]byte, error) {
		nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(record)+k.aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		return k.aead.Seal(nonce, nonce, record, nil), nil
	})
}

// Unwrap implements keeper.Wrapper.
func (k *KEK) Unwrap(ctx context.Context, wrapped []byte) ([]byte, error) {
	return call(ctx, k.In, KEKDecrypt, func() ([]byte, error) {
		n := k.aead.NonceSize()
		if len(wrapped) < n {
			return nil, errWrongKey
		}
		out, err := k.aead.Open(nil, wrapped[:n], wrapped[n:], nil)
		if err != nil {
			return nil, errWrongKey
		}
		return out, nil
	})
}

// Close releases nothing; it is there so tests can close a KEK like a
// key service client.
func (k *KEK) Close() error { return nil }

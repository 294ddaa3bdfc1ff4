package keeper

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"golang.org/x/crypto/nacl/secretbox"
)

// localNonceLen is the size of the random nonce that starts every record
// a local key wraps.
const localNonceLen = 24

// errLocalOpen is what a local key's Unwrap returns for a record it does
// not open; kekError reads it as a wrong key (ErrDecrypt).
var errLocalOpen = errors.New("local key: record does not open")

// localKEK is the key of a base64key:// URL. It wraps exactly as gocloud's
// localsecrets does, so that data written through either reads through
// the other: a wrapped record is a random 24-byte nonce followed by
// secretbox.Seal (XSalsa20-Poly1305) of the record under the 32-byte key
// with that nonce.
type localKEK struct {
	unprintable
	mu        sync.RWMutex // guards key and destroyed
	key       [localKeyLen]byte
	destroyed bool
}

// errDestroyed: a call raced with RemoveKEK or Close of its KEK.
var errDestroyed = errcode.New(errcode.FailedPrecondition, "", "local key was closed")

func (k *localKEK) Wrap(_ context.Context, record []byte) ([]byte, error) {
	var nonce [localNonceLen]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, err
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.destroyed {
		return nil, errDestroyed
	}
	out := make([]byte, localNonceLen, localNonceLen+len(record)+secretbox.Overhead)
	copy(out, nonce[:])
	return secretbox.Seal(out, record, &nonce, &k.key), nil
}

func (k *localKEK) Unwrap(_ context.Context, wrapped []byte) ([]byte, error) {
	if len(wrapped) < localNonceLen+secretbox.Overhead {
		return nil, errLocalOpen
	}
	var nonce [localNonceLen]byte
	copy(nonce[:], wrapped)
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.destroyed {
		return nil, errDestroyed
	}
	out, ok := secretbox.Open(nil, wrapped[localNonceLen:], &nonce, &k.key)
	if !ok {
		return nil, errLocalOpen
	}
	return out, nil
}

// destroy zeroes the key; later calls fail to open anything.
func (k *localKEK) destroy() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	clear(k.key[:])
	k.destroyed = true
	return nil
}

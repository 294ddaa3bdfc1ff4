// Package kekurl is the hook through which an adapter package (package
// gocloudkeeper) lets package keeper open key-encryption key URLs that it
// does not build in. It holds one Opener, set from the adapter's init.
package kekurl

import (
	"context"
	"sync/atomic"
)

// Wrapper has the method set of keeper.Wrapper, so that a Wrapper is
// assignable to it (this package cannot import keeper).
type Wrapper interface {
	Wrap(ctx context.Context, record []byte) ([]byte, error)
	Unwrap(ctx context.Context, wrapped []byte) ([]byte, error)
}

// Opener opens kekURL, a URL that is not base64key://, and returns the
// key with the function that releases it. Its error may quote the URL:
// package keeper scrubs it before returning it.
type Opener func(ctx context.Context, kekURL string) (w Wrapper, close func() error, err error)

// Adapter is the import path that registers an Opener, for the error
// package keeper gives when none is registered.
const Adapter = "github.com/strongbox-go/strongbox/keeper/gocloudkeeper"

var opener atomic.Pointer[Opener]

// Register sets the Opener; the last call wins.
func Register(o Opener) { opener.Store(&o) }

// Get returns the registered Opener, or nil.
func Get() Opener {
	if p := opener.Load(); p != nil {
		return *p
	}
	return nil
}

package keeper

import (
	"context"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// Test access to unexported parts of the package, for package keeper_test.
var (
	ErrUnknownVersion = errUnknownVersion
	ErrMalformed      = errMalformed
	ErrAuthentication = errAuthentication

	ErrInvalid     error = errcode.Invalid
	ErrUnavailable error = errcode.Unavailable
	RedactURL            = redactURL
)

const (
	FormatVersion = formatVersion
	MaxKEKIDLen   = maxKEKIDLen
)

// OpenEnvelopeAt is OpenEnvelope with a clock.
func OpenEnvelopeAt(ctx context.Context, kekURL string, opts EnvelopeOptions, now func() time.Time) (*Envelope, error) {
	return openEnvelope(ctx, kekURL, opts, now)
}

// NewLocalWrapper returns the Wrapper of a base64key:// URL with key.
func NewLocalWrapper(key [32]byte) Wrapper { return &localKEK{key: key} }

// Stats are an Envelope's counters, and RotateDataKey starts a new data
// key at once: test access only (data keys rotate by use and age).
type Stats = stats

func StatsOf(e *Envelope) Stats { return e.stats() }

func RotateDataKey(ctx context.Context, e *Envelope) error { return e.rotateDataKey(ctx) }

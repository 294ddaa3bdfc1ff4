package runtoken

import "time"

// Names the external tests use for unexported parts of the package. They
// exist only in test builds.

const (
	AlgHMACSHA256  = algHMACSHA256
	AlgEd25519     = algEd25519
	MaxTokenLength = maxTokenLength
	MaxNames       = maxNames
)

var Parse = parse

// NewMemoryRevocations returns the in-memory set on the clock now.
func NewMemoryRevocations(now func() time.Time) *memoryRevocations { return newMemoryRevocations(now) }

// Len returns how many ids the set holds.
func (m *memoryRevocations) Len() int { return m.len() }

// ID returns the key id (tokens carry it; a Key prints it).
func (k *Key) ID() string { return k.id }

// Algorithm returns the key's algorithm.
func (k *Key) Algorithm() string { return k.alg }

// CanSign reports whether the key holds signing material.
func (k *Key) CanSign() bool { return k.canSign() }

// The refusals of Verify, by the names the tests match them with.
var (
	ErrMalformed    = errMalformed
	ErrUnknownKey   = errUnknownKey
	ErrSignature    = errSignature
	ErrExpired      = errExpired
	ErrNotYetValid  = errNotYetValid
	ErrTokenRevoked = errRevoked
	ErrLifetime     = errLifetime
)

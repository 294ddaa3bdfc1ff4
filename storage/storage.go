package storage

import (
	"github.com/strongbox-go/strongbox/internal/gate"

	"github.com/strongbox-go/strongbox/storage/driver"
)

// Errors: every Store error matches one of the secrets package's error
// codes (secrets.ErrNotFound, secrets.ErrAlreadyExists, secrets.ErrInvalid,
// secrets.ErrConflict, secrets.ErrFailedPrecondition, secrets.ErrUnavailable,
// secrets.ErrInternal) with errors.Is; the set is exported once, there.
var (
	// ErrClosed matches every call made after Close. It has the code
	// secrets.ErrFailedPrecondition.
	ErrClosed = gate.ErrClosed
)

// Metadata is everything about a secret except its value. It is stored in
// the metadata collection; it never holds plaintext or ciphertext.
type Metadata = driver.Metadata

// Ciphertext is one encrypted value, stored in the ciphertext collection
// apart from the metadata. (Namespace, Name, ValueID) is its key.
type Ciphertext = driver.Ciphertext

// CiphertextRef identifies a stored ciphertext without its data, for
// garbage collection and rewrapping.
type CiphertextRef = driver.CiphertextRef

// ListOptions narrows and pages a metadata listing.
type ListOptions struct {
	// Labels, if non-empty, keeps only secrets whose labels contain every
	// key with exactly that value.
	Labels map[string]string
	// PageSize is the maximum number of items returned; 0 means 100, and
	// values above 1000 are treated as 1000.
	PageSize int
	// PageToken continues a previous listing; empty starts at the beginning.
	PageToken string
}

// MaxPageSize is the largest page of a listing; a larger page size is
// treated as MaxPageSize, and 0 (or less) means 100.
const MaxPageSize = 1000

// defaultPageSize is the page size of a listing asked for with 0.
const defaultPageSize = 100

func effectivePageSize(n int) int {
	switch {
	case n <= 0:
		return defaultPageSize
	case n > MaxPageSize:
		return MaxPageSize
	}
	return n
}

// matchLabels reports whether labels hold every key of want with the same
// value.
func matchLabels(labels, want map[string]string) bool {
	for k, v := range want {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

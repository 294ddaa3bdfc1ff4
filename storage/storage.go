package storage

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// Errors returned by every Store, usable with errors.Is. They are the same
// values as the secrets package's codes.
var (
	ErrNotFound      error = errcode.NotFound
	ErrAlreadyExists error = errcode.AlreadyExists
	ErrInvalid       error = errcode.Invalid
	ErrConflict      error = errcode.Conflict
	ErrUnavailable   error = errcode.Unavailable
	ErrInternal      error = errcode.Internal
	// ErrFailedPrecondition is the code of calls on a closed store and of
	// opening a database that is not a strongbox database.
	ErrFailedPrecondition error = errcode.FailedPrecondition
	// ErrClosed matches every call made after Close; stores wrap it in an
	// error with the code ErrFailedPrecondition.
	ErrClosed = errors.New("store is closed")
)

// Metadata is everything about a secret except its value. It is stored in
// the metadata collection; it never holds plaintext or ciphertext.
type Metadata struct {
	Namespace   string
	Name        string
	Description string
	Labels      map[string]string
	// Decrypters are the service identities allowed to decrypt the value.
	Decrypters []string
	// Version counts values: 1 on create, +1 on every Reset.
	Version int64
	// ValueID identifies the current ciphertext (random, unique per value).
	// Empty when the value is revoked.
	ValueID string
	Revoked bool
	// Revision is set by the store: 1 on create, +1 on every update. Writes
	// carry the revision they read and fail with ErrConflict if it moved.
	Revision   int64
	CreateTime time.Time
	UpdateTime time.Time
	CreatedBy  string
	UpdatedBy  string
}

// Clone returns a deep copy of m.
func (m *Metadata) Clone() *Metadata {
	if m == nil {
		return nil
	}
	c := *m
	c.Labels = maps.Clone(m.Labels)
	c.Decrypters = slices.Clone(m.Decrypters)
	return &c
}

// Ciphertext is one encrypted value, stored in the ciphertext collection
// apart from the metadata. (Namespace, Name, ValueID) is its key.
type Ciphertext struct {
	Namespace string
	Name      string
	ValueID   string
	Version   int64
	// Data is the keeper's output; the store treats it as opaque bytes.
	Data       []byte
	CreateTime time.Time
}

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

// Page sizes.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// EffectivePageSize applies the documented defaults of ListOptions.PageSize.
func (o ListOptions) EffectivePageSize() int {
	switch {
	case o.PageSize <= 0:
		return DefaultPageSize
	case o.PageSize > MaxPageSize:
		return MaxPageSize
	}
	return o.PageSize
}

// CiphertextRef identifies a stored ciphertext without its data, for
// garbage collection.
type CiphertextRef struct {
	Namespace  string
	Name       string
	ValueID    string
	Version    int64
	CreateTime time.Time
}

// Store keeps metadata and ciphertexts in separate collections or tables.
// Listings are ordered by name. All methods are safe for concurrent use.
//
// Every error matches one of the package's Err values (or is a context
// error). Errors never contain ciphertext bytes.
type Store interface {
	// CreateMetadata stores m with Revision 1 and returns the stored copy.
	// It fails with ErrAlreadyExists if the name is taken in the namespace.
	CreateMetadata(ctx context.Context, m *Metadata) (*Metadata, error)
	// GetMetadata returns the metadata of one secret, or ErrNotFound.
	GetMetadata(ctx context.Context, namespace, name string) (*Metadata, error)
	// UpdateMetadata replaces the metadata if the stored revision equals
	// m.Revision, and returns the stored copy with the next revision.
	// ErrNotFound if absent, ErrConflict if the revision moved.
	UpdateMetadata(ctx context.Context, m *Metadata) (*Metadata, error)
	// DeleteMetadata removes the metadata if its revision equals revision.
	// ErrNotFound if absent, ErrConflict if the revision moved.
	DeleteMetadata(ctx context.Context, namespace, name string, revision int64) error
	// ListMetadata returns one page of a namespace's metadata, ordered by
	// name, and the token of the next page ("" after the last page).
	ListMetadata(ctx context.Context, namespace string, opts ListOptions) (page []*Metadata, nextPageToken string, err error)

	// PutCiphertext stores c; it fails with ErrAlreadyExists if a ciphertext
	// with the same key exists (ciphertexts are never overwritten).
	PutCiphertext(ctx context.Context, c *Ciphertext) error
	// GetCiphertext returns one ciphertext, or ErrNotFound.
	GetCiphertext(ctx context.Context, namespace, name, valueID string) (*Ciphertext, error)
	// DeleteCiphertext removes one ciphertext; deleting an absent one is not
	// an error.
	DeleteCiphertext(ctx context.Context, namespace, name, valueID string) error
	// ListCiphertexts returns one page of the references of every
	// ciphertext in a namespace (all namespaces if namespace is ""), for
	// garbage collection and rewrapping.
	ListCiphertexts(ctx context.Context, namespace string, pageSize int, pageToken string) (page []CiphertextRef, nextPageToken string, err error)
	// ReplaceCiphertext swaps the data of an existing ciphertext if it still
	// equals old (compare-and-swap), for rewrapping under new keys.
	// ErrNotFound if absent, ErrConflict if the data changed.
	ReplaceCiphertext(ctx context.Context, c *Ciphertext, old []byte) error

	// Close releases the store. It waits for calls in flight; later calls
	// fail.
	Close() error
}

// MatchLabels reports whether labels hold every key of want with the same
// value. Backends that filter in memory use it so they all agree.
func MatchLabels(labels, want map[string]string) bool {
	for k, v := range want {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// The optional interfaces below let a Store do in one round trip or one
// transaction what the secrets Manager otherwise does in several calls.
// The Manager uses them when a Store implements them. Each must behave
// exactly like the sequence of calls it replaces, and on any error must
// leave the store as it was. storagetest checks both.

// CurrentGetter reads a secret's metadata and its current ciphertext in one
// round trip.
type CurrentGetter interface {
	// GetCurrent returns the metadata of namespace/name and the ciphertext
	// its ValueID names. ErrNotFound when the metadata is absent. The
	// ciphertext is nil when ValueID is empty (revoked) or when no such
	// ciphertext exists (which only damage or a restore can cause).
	GetCurrent(ctx context.Context, namespace, name string) (*Metadata, *Ciphertext, error)
}

// AtomicWriter writes ciphertexts and the metadata that points at them in
// one transaction, so no crash can leave an orphan or a dangling pointer.
// Each method checks every argument before it writes anything and fails
// with ErrInvalid on a malformed one (the sequence it replaces would have
// stored the ciphertext before rejecting bad metadata).
type AtomicWriter interface {
	// CreateWithCiphertext is PutCiphertext(c) then CreateMetadata(m) as one
	// transaction: ErrAlreadyExists when the name is taken, and then
	// nothing is stored.
	CreateWithCiphertext(ctx context.Context, m *Metadata, c *Ciphertext) (*Metadata, error)
	// UpdateWithCiphertext is, as one transaction: PutCiphertext(c) when c
	// is not nil, UpdateMetadata(m) (ErrNotFound, ErrConflict), and
	// DeleteCiphertext of oldValueID when it is not empty and differs from
	// c's value id (a ciphertext is never deleted by the write that stores
	// it).
	UpdateWithCiphertext(ctx context.Context, m *Metadata, c *Ciphertext, oldValueID string) (*Metadata, error)
	// DeleteSecret is DeleteMetadata(namespace, name, revision) and the
	// deletion of every ciphertext of that name, as one transaction. On
	// ErrNotFound or ErrConflict nothing is deleted, leftover ciphertexts
	// included.
	DeleteSecret(ctx context.Context, namespace, name string, revision int64) error
}

// Package driver defines the interface strongbox storage backends
// implement. Users never call a driver: they hold a *storage.Store, the
// portable type over one (or, with metadata and ciphertexts apart, two),
// which checks arguments, runs the lifecycle (Close waits for calls in
// flight; later calls fail), converts errors, pages, filters by label,
// normalizes times and copies, and chooses between a driver's Atomic
// operations and the sequenced fallback. A driver only reads and writes.
//
// A backend is one package: an unexported type implementing Store, a
// URL opener registered with storage.Register that wraps it with
// storage.NewStore, and a test whose first test, TestConformance, runs
// storage/drivertest.
//
// # What the portable type guarantees a driver
//
// Every argument has been checked: namespaces, names and value IDs are
// non-empty UTF-8 without NUL bytes; metadata and ciphertexts are not nil;
// limits are at least 1. Times are in UTC, truncated to the microsecond,
// without a monotonic reading (the zero time stays zero), so a driver may
// store them as Unix microseconds. Metadata and ciphertexts passed in are
// copies, the driver's to keep (Data never nil); results must be fresh
// values the caller may change.
// Record kinds are short identifiers (a-z, 0-9, '.', '_', '-'), record
// keys non-empty UTF-8 without NUL bytes of at most 512 bytes, record data
// at most 64 KiB and never nil.
// No call arrives after Close, and Close is called once, after every call
// in flight has returned.
//
// # Errors
//
// A driver reports outcomes with errors: absent records, taken keys and
// revision mismatches as errors that match secrets.ErrNotFound,
// secrets.ErrAlreadyExists and secrets.ErrConflict (wrap them, or let
// ErrorCode return them). The codes are the storage package's Err values,
// exported there once. The portable type passes context errors
// through when the call's context is done, keeps the code of an error that
// already carries one, and asks ErrorCode for the rest. Errors must never
// contain ciphertext bytes.
package driver

import (
	"context"
	"maps"
	"slices"
	"time"
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
	// carry the revision they read and fail with a conflict if it moved.
	Revision int64
	// Incarnation tells one life of a name from the next: the creator
	// sets it (the Manager, to a fresh random id) and it never changes.
	// Revisions restart at 1 when a name is deleted and created again, so
	// a write carries the incarnation it read as well as the revision, and
	// fails with a conflict if either moved: a write read before a delete
	// never lands on the secret created after it. Empty for metadata
	// written before incarnations existed (and matched as such).
	Incarnation string
	CreateTime  time.Time
	UpdateTime  time.Time
	CreatedBy   string
	UpdatedBy   string
	// KeepVersions is how many earlier values the secret keeps besides the
	// current one, 0 to MaxKeepVersions.
	KeepVersions int
	// History describes the secret's values, newest first: the current
	// version, then the earlier ones still in the window (see HistoryEntry).
	// Empty for metadata written before history existed. At most
	// MaxKeepVersions+1 entries.
	History []HistoryEntry
}

// MaxKeepVersions is the largest KeepVersions; History holds at most
// MaxKeepVersions+1 entries (the current value and MaxKeepVersions earlier
// ones), so metadata stays
// small whatever a secret's life.
const MaxKeepVersions = 100

// HistoryEntry is one value of a secret, as metadata: never the value.
// A kept value's ciphertext is an ordinary one, keyed by (Namespace, Name,
// ValueID) like the current value's; an entry whose value is gone (revoked
// or destroyed) keeps its place, with an empty ValueID, until it falls
// out of the window.
type HistoryEntry struct {
	Version    int64
	ValueID    string // empty when Revoked or Destroyed
	CreateTime time.Time
	CreatedBy  string
	Revoked    bool
	Destroyed  bool
}

// Clone returns a deep copy of m.
func (m *Metadata) Clone() *Metadata {
	if m == nil {
		return nil
	}
	c := *m
	c.Labels = maps.Clone(m.Labels)
	c.Decrypters = slices.Clone(m.Decrypters)
	c.History = slices.Clone(m.History)
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

// CiphertextRef identifies a stored ciphertext without its data, for
// garbage collection and rewrapping.
type CiphertextRef struct {
	Namespace  string
	Name       string
	ValueID    string
	Version    int64
	CreateTime time.Time
}

// Store is what a backend implements: a metadata collection and a
// ciphertext collection. A Store opened for one of the two (metadata and
// ciphertexts apart) is only ever called for that one. All methods are
// safe for concurrent use.
type Store interface {
	// CreateMetadata stores m with revision 1 (whatever m.Revision is), or
	// fails with AlreadyExists if the name is taken in the namespace.
	CreateMetadata(ctx context.Context, m *Metadata) error
	// GetMetadata returns the metadata of one secret, or NotFound.
	GetMetadata(ctx context.Context, namespace, name string) (*Metadata, error)
	// UpdateMetadata replaces the metadata, with revision m.Revision+1, if
	// the stored revision is m.Revision and the stored incarnation is
	// m.Incarnation: NotFound if absent, Conflict if either moved (the
	// incarnation itself is never changed). Of racing writers with one
	// revision, one wins.
	UpdateMetadata(ctx context.Context, m *Metadata) error
	// DeleteMetadata removes the metadata if its revision is revision:
	// NotFound if absent, Conflict if the revision moved.
	DeleteMetadata(ctx context.Context, namespace, name string, revision int64) error
	// ListMetadata returns up to limit records of namespace whose names
	// sort after after in byte order, in that order. It returns fewer than
	// limit only when no more records follow.
	ListMetadata(ctx context.Context, namespace, after string, limit int) ([]*Metadata, error)

	// PutCiphertext stores c, or fails with AlreadyExists if a ciphertext
	// with its key exists (ciphertexts are never overwritten).
	PutCiphertext(ctx context.Context, c *Ciphertext) error
	// GetCiphertext returns one ciphertext (Data never nil), or NotFound.
	GetCiphertext(ctx context.Context, namespace, name, valueID string) (*Ciphertext, error)
	// DeleteCiphertext removes one ciphertext; an absent one is not an
	// error.
	DeleteCiphertext(ctx context.Context, namespace, name, valueID string) error
	// ListCiphertexts returns up to limit references of the ciphertexts of
	// namespace ("" for every namespace) that come after the key of after
	// (the zero CiphertextRef: from the start), in an order of the
	// driver's choosing that is the same for every call and in which
	// after's key has a place even when it is no longer stored. It returns
	// fewer than limit only when no more follow.
	ListCiphertexts(ctx context.Context, namespace string, after CiphertextRef, limit int) ([]CiphertextRef, error)
	// ReplaceCiphertext swaps the data of an existing ciphertext if it
	// still equals old: NotFound if absent, Conflict if the data changed.
	ReplaceCiphertext(ctx context.Context, c *Ciphertext, old []byte) error

	// Records returns the driver's record collection, or nil if it keeps
	// none (then the portable type's record calls fail with
	// FailedPrecondition). A Store opened for ciphertexts only is never
	// asked.
	Records() Records
	// Atomic returns the driver's operations on both collections at once,
	// or nil if it has none; the portable type then runs the sequence each
	// replaces. It is used only when this Store holds both collections.
	Atomic() Atomic
	// ErrorCode classifies an error this driver returned that carries no
	// code of its own, returning one of the storage package's Err values:
	// secrets.ErrUnavailable for what may pass on a retry,
	// secrets.ErrInternal for the rest, or any other of them.
	ErrorCode(error) error
	// Close releases the driver's resources.
	Close() error
}

// Atomic is the optional part of a driver that holds both collections:
// each method does in one query or one transaction what the portable type
// otherwise does in several calls, and must behave exactly like that
// sequence, except that on any error it leaves the store as it was.
// storage/drivertest checks both.
type Atomic interface {
	// GetCurrent returns the metadata of namespace/name and the ciphertext
	// its ValueID names, in one read: NotFound when the metadata is absent;
	// a nil ciphertext when ValueID is empty (revoked) or names no stored
	// ciphertext (which only damage or a restore can cause).
	GetCurrent(ctx context.Context, namespace, name string) (*Metadata, *Ciphertext, error)
	// CreateWithCiphertext is PutCiphertext(c) then CreateMetadata(m), in
	// one transaction: AlreadyExists when the name is taken, and then
	// nothing is stored.
	CreateWithCiphertext(ctx context.Context, m *Metadata, c *Ciphertext) error
	// UpdateWithCiphertext is, in one transaction: PutCiphertext(c) when c
	// is not nil, UpdateMetadata(m) (NotFound, Conflict), and
	// DeleteCiphertext of each value ID of drop (none, one, or several: the
	// values a write lets fall out of a secret's history window). drop is
	// checked: never empty strings, never c's value ID, never one m
	// references, at most MaxKeepVersions+1.
	UpdateWithCiphertext(ctx context.Context, m *Metadata, c *Ciphertext, drop []string) error
	// DeleteSecret is DeleteMetadata(namespace, name, revision) and the
	// deletion of every ciphertext of that name, in one transaction. On
	// NotFound or Conflict nothing is deleted.
	DeleteSecret(ctx context.Context, namespace, name string, revision int64) error
}

// Record is one small opaque record of a service's own state (API tokens,
// revocations, key configuration), kept apart from secrets. (Kind, Key) is
// its key.
type Record struct {
	// Kind groups records of one sort, such as "apitoken" or "revocation":
	// 1 to 32 characters of a-z, 0-9, '.', '_', '-', starting with a letter.
	Kind string
	// Key is the record's name within its kind: non-empty UTF-8 without
	// NUL bytes, at most 512 bytes.
	Key string
	// Data is opaque, at most 64 KiB.
	Data []byte
	// Revision is set by the store: 1 on create, +1 on every update.
	Revision int64
	// ExpireTime, if not zero, is when the record stops being read; expired
	// records are removed by a sweep.
	ExpireTime time.Time
	// UpdateTime is set by the portable type on every write.
	UpdateTime time.Time
}

// Records is a driver's collection of records. The portable type checks
// arguments, hides expired records from reads, sweeps them, and pages; a
// driver only stores. Every successful write of a kind (create, update,
// delete) must increase that kind's Sequence, in the same transaction where
// the backend has them, so a poller that reads an unchanged Sequence
// knows nothing of the kind changed.
type Records interface {
	// GetRecord returns one record, expired or not, or NotFound.
	GetRecord(ctx context.Context, kind, key string) (*Record, error)
	// CreateRecord stores r and returns its revision, or fails with
	// AlreadyExists if (kind, key) holds a record that has not expired at
	// now. A new key gets revision 1; a record expired at now is replaced
	// in the same compare-and-swap, with its revision + 1, so a write at
	// the expired record's revision fails. Of racing creators of one key,
	// one wins.
	CreateRecord(ctx context.Context, r *Record, now time.Time) (revision int64, err error)
	// UpdateRecord replaces the record, with revision r.Revision+1, if the
	// stored revision is r.Revision: NotFound if absent, Conflict if the
	// revision moved. Of racing writers with one revision, one wins.
	UpdateRecord(ctx context.Context, r *Record) error
	// DeleteRecord removes the record if its revision is revision:
	// NotFound if absent, Conflict if the revision moved.
	DeleteRecord(ctx context.Context, kind, key string, revision int64) error
	// ListRecords returns up to limit records of kind, expired or not,
	// whose keys sort after after in byte order, in that order. It returns
	// fewer than limit only when no more records follow.
	ListRecords(ctx context.Context, kind, after string, limit int) ([]*Record, error)
	// Sequence returns a number that grows with every write of kind (0
	// before the first). It must be cheap: pollers call it often.
	//
	// A Records that can wait for a write (PostgreSQL's LISTEN) also has
	// the optional method
	//
	//	WaitSequence(ctx context.Context, kind string, seq int64) error
	//
	// which returns nil as soon as a record of kind may have been written
	// since its sequence was seq, ctx's error when ctx is done, or another
	// error when it cannot wait right now; the portable type polls
	// Sequence otherwise.
	Sequence(ctx context.Context, kind string) (int64, error)
}

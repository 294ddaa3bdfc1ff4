package apitoken

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/rbac"
)

// Record is what a Store keeps of an API token: its metadata and the
// SHA-256 digest of the token, never the token. Records returned by Tokens
// (Issue, List) have no Hash.
type Record struct {
	// ID is the token's public id (also its second part, see # Format).
	ID        string `json:"id"`
	Namespace string `json:"namespace"`
	// Subject is the principal ID the token acts as.
	Subject     string      `json:"subject"`
	Roles       []rbac.Role `json:"roles"`
	Description string      `json:"description,omitempty"`
	// CreatedBy is the issuing principal (rbac.Principal.String()), or
	// "bootstrap".
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	// Hash is SHA-256 of the whole token text.
	Hash []byte `json:"hash,omitempty"`
	// Revision is the store's revision of the record, set by Put; it is
	// not part of the record's JSON (a durable store keeps it itself).
	Revision int64 `json:"-"`
}

// principal returns the principal the token acts as: a user (see #
// Principal) named Subject in Namespace with the token's roles.
func (r Record) principal() rbac.Principal {
	return rbac.Principal{Kind: rbac.KindUser, ID: r.Subject, Namespace: r.Namespace, Roles: slices.Clone(r.Roles)}
}

func (r Record) clone() Record {
	r.Roles = slices.Clone(r.Roles)
	r.Hash = slices.Clone(r.Hash)
	return r
}

// Store keeps token records by id. Implementations must be safe for
// concurrent use and return errors with the secrets codes: ErrNotFound for
// a missing id, ErrAlreadyExists for a Put creating an id that exists,
// ErrConflict for a revision that is not the current one, ErrUnavailable
// when the backend cannot answer. MemoryStore is the in-process one; a
// durable one (over package storage) runs apitokentest.RunConformance.
type Store interface {
	// Put stores rec and returns its new revision. rec.Revision 0 creates
	// the record (ErrAlreadyExists if the id is taken); any other revision
	// replaces the record only if it is the current one (ErrConflict, or
	// ErrNotFound when there is none).
	Put(ctx context.Context, rec Record) (revision int64, err error)
	// Get returns the record with the id, its Revision set.
	Get(ctx context.Context, id string) (Record, error)
	// List returns the records of namespace ("" means every namespace),
	// sorted by id, their Revision set.
	List(ctx context.Context, namespace string) ([]Record, error)
	// Delete removes the record if revision is 0 or the current one.
	Delete(ctx context.Context, id string, revision int64) error
}

// MemoryStore is a Store in the memory of one process, for tests and
// single-process services that accept losing their tokens at exit. Make one
// with NewMemoryStore.
type MemoryStore struct {
	mu   sync.Mutex
	recs map[string]Record
	rev  int64
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{recs: map[string]Record{}} }

// Put implements Store.
func (m *MemoryStore) Put(ctx context.Context, rec Record) (int64, error) {
	const op = "apitoken.MemoryStore.Put"
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.recs[rec.ID]
	switch {
	case rec.Revision == 0 && ok:
		return 0, errcode.New(errcode.AlreadyExists, op, "a token with this id exists")
	case rec.Revision != 0 && !ok:
		return 0, errcode.New(errcode.NotFound, op, "no token with this id")
	case rec.Revision != 0 && cur.Revision != rec.Revision:
		return 0, errcode.New(errcode.Conflict, op, "the token record changed; read it again")
	}
	m.rev++
	rec = rec.clone()
	rec.Revision = m.rev
	m.recs[rec.ID] = rec
	return rec.Revision, nil
}

// Get implements Store.
func (m *MemoryStore) Get(ctx context.Context, id string) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.recs[id]
	if !ok {
		return Record{}, errcode.New(errcode.NotFound, "apitoken.MemoryStore.Get", "no token with this id")
	}
	return rec.clone(), nil
}

// List implements Store.
func (m *MemoryStore) List(ctx context.Context, namespace string) ([]Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []Record{}
	for _, rec := range m.recs {
		if namespace == "" || rec.Namespace == namespace {
			out = append(out, rec.clone())
		}
	}
	slices.SortFunc(out, func(a, b Record) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Delete implements Store.
func (m *MemoryStore) Delete(ctx context.Context, id string, revision int64) error {
	const op = "apitoken.MemoryStore.Delete"
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.recs[id]
	switch {
	case !ok:
		return errcode.New(errcode.NotFound, op, "no token with this id")
	case revision != 0 && cur.Revision != revision:
		return errcode.New(errcode.Conflict, op, "the token record changed; read it again")
	}
	delete(m.recs, id)
	return nil
}

package docstorage

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net/url"
	"slices"
	"time"

	"gocloud.dev/docstore"
	"gocloud.dev/docstore/memdocstore"
	"gocloud.dev/gcerrors"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/internal/storeutil"
)

// Field names of the documents (see the package doc, # Format).
const (
	KeyField  = "id"
	nsField   = "ns"
	nameField = "name"
)

// metaDoc is a metadata document.
type metaDoc struct {
	ID          string            `docstore:"id"`
	Namespace   string            `docstore:"ns"`
	Name        string            `docstore:"name"`
	Description string            `docstore:"description"`
	Labels      map[string]string `docstore:"labels"`
	Decrypters  []string          `docstore:"decrypters"`
	Version     int64             `docstore:"version"`
	ValueID     string            `docstore:"value_id"`
	Revoked     bool              `docstore:"revoked"`
	Revision    int64             `docstore:"revision"`
	CreateTime  time.Time         `docstore:"create_time"`
	UpdateTime  time.Time         `docstore:"update_time"`
	CreatedBy   string            `docstore:"created_by"`
	UpdatedBy   string            `docstore:"updated_by"`
	// Deleted marks a tombstone: DeleteMetadata first marks the document
	// under gocloud's revision (so exactly one racing delete wins, on every
	// driver), then removes it. A tombstone left by a crash reads as absent
	// and is removed by the next CreateMetadata of the name.
	Deleted bool `docstore:"deleted"`
	// DocstoreRevision is gocloud's revision, used for compare-and-swap.
	DocstoreRevision any
}

// ctDoc is a ciphertext document.
type ctDoc struct {
	ID               string    `docstore:"id"`
	Namespace        string    `docstore:"ns"`
	Name             string    `docstore:"name"`
	ValueID          string    `docstore:"value_id"`
	Version          int64     `docstore:"version"`
	Data             []byte    `docstore:"data"`
	CreateTime       time.Time `docstore:"create_time"`
	DocstoreRevision any
}

// metaID and ctID build the composite key: query-escaped parts joined by
// ':', which escaping removes from the parts, so keys never collide.
func metaID(ns, name string) string { return url.QueryEscape(ns) + ":" + url.QueryEscape(name) }

func ctID(ns, name, valueID string) string {
	return url.QueryEscape(ns) + ":" + url.QueryEscape(name) + ":" + url.QueryEscape(valueID)
}

func toDoc(m *storage.Metadata, rev int64) *metaDoc {
	return &metaDoc{
		ID:          metaID(m.Namespace, m.Name),
		Namespace:   m.Namespace,
		Name:        m.Name,
		Description: m.Description,
		Labels:      maps.Clone(m.Labels),
		Decrypters:  slices.Clone(m.Decrypters),
		Version:     m.Version,
		ValueID:     m.ValueID,
		Revoked:     m.Revoked,
		Revision:    rev,
		CreateTime:  storeutil.Time(m.CreateTime),
		UpdateTime:  storeutil.Time(m.UpdateTime),
		CreatedBy:   m.CreatedBy,
		UpdatedBy:   m.UpdatedBy,
	}
}

func (d *metaDoc) metadata() *storage.Metadata {
	m := &storage.Metadata{
		Namespace:   d.Namespace,
		Name:        d.Name,
		Description: d.Description,
		Version:     d.Version,
		ValueID:     d.ValueID,
		Revoked:     d.Revoked,
		Revision:    d.Revision,
		CreateTime:  storeutil.Time(d.CreateTime),
		UpdateTime:  storeutil.Time(d.UpdateTime),
		CreatedBy:   d.CreatedBy,
		UpdatedBy:   d.UpdatedBy,
	}
	if len(d.Labels) > 0 {
		m.Labels = maps.Clone(d.Labels)
	}
	if len(d.Decrypters) > 0 {
		m.Decrypters = slices.Clone(d.Decrypters)
	}
	return m
}

func (d *ctDoc) ciphertext() *storage.Ciphertext {
	return &storage.Ciphertext{
		Namespace:  d.Namespace,
		Name:       d.Name,
		ValueID:    d.ValueID,
		Version:    d.Version,
		Data:       bytes.Clone(d.Data),
		CreateTime: storeutil.Time(d.CreateTime),
	}
}

// Store is a storage.Store over two gocloud docstore collections. It is
// safe for concurrent use.
type Store struct {
	meta, ct *docstore.Collection
	owned    bool // Close closes the collections
	gate     storeutil.Gate
}

var _ storage.Store = (*Store)(nil)

// Open opens a Store over two collections given by gocloud docstore URLs,
// one for metadata and one for ciphertexts; they may live in different
// services or accounts. The driver of each URL's scheme must be linked in
// (memdocstore always is). Close closes both collections.
//
// Errors never repeat the URLs.
func Open(ctx context.Context, metadataURL, ciphertextURL string) (*Store, error) {
	const op = "docstorage.Open"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if metadataURL == "" || ciphertextURL == "" {
		return nil, errcode.New(errcode.Invalid, op, "both a metadata and a ciphertext collection URL are required")
	}
	if metadataURL == ciphertextURL {
		return nil, errcode.New(errcode.Invalid, op, "metadata and ciphertexts must be separate collections")
	}
	meta, err := docstore.OpenCollection(ctx, metadataURL)
	if err != nil {
		return nil, openError(ctx, op, "metadata", err)
	}
	ct, err := docstore.OpenCollection(ctx, ciphertextURL)
	if err != nil {
		_ = meta.Close()
		return nil, openError(ctx, op, "ciphertext", err)
	}
	return &Store{meta: meta, ct: ct, owned: true}, nil
}

func openError(ctx context.Context, op, which string, err error) error {
	if errcode.IsContext(err) {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
	}
	code := errcode.Invalid
	if c := gcerrors.Code(err); c == gcerrors.DeadlineExceeded || c == gcerrors.ResourceExhausted {
		code = errcode.Unavailable
	}
	// gocloud's messages repeat the URL; keep only the code.
	return errcode.New(code, op, "cannot open the "+which+" collection ("+gcerrors.Code(err).String()+
		"): check the URL's scheme is registered (import its gocloud driver) and its key field is \""+KeyField+"\"")
}

// OpenCollections returns a Store over two open collections whose key field
// is "id" (or whose driver derives the key from the documents' other
// fields; see the package doc). Close does not close them.
func OpenCollections(metadata, ciphertexts *docstore.Collection) (*Store, error) {
	if metadata == nil || ciphertexts == nil {
		return nil, errcode.New(errcode.Invalid, "docstorage.OpenCollections", "both collections are required")
	}
	if metadata == ciphertexts {
		return nil, errcode.New(errcode.Invalid, "docstorage.OpenCollections", "metadata and ciphertexts must be separate collections")
	}
	return &Store{meta: metadata, ct: ciphertexts}, nil
}

// NewInMemory returns a Store over two new in-memory collections
// (memdocstore), private to the Store. It needs nothing and keeps nothing:
// the data is gone at Close. It is the store of the quickstart and of tests.
func NewInMemory() *Store {
	meta, err := memdocstore.OpenCollection(KeyField, nil)
	if err != nil {
		panic("docstorage: memdocstore: " + err.Error()) // cannot happen with these options
	}
	ct, err := memdocstore.OpenCollection(KeyField, nil)
	if err != nil {
		panic("docstorage: memdocstore: " + err.Error())
	}
	return &Store{meta: meta, ct: ct, owned: true}
}

// Close waits for calls in flight, makes later calls fail with
// storage.ErrClosed and closes the collections the Store opened. A second
// Close returns nil.
func (s *Store) Close() error {
	if !s.gate.Close() || !s.owned {
		return nil
	}
	err1 := s.meta.Close()
	err2 := s.ct.Close()
	if err1 == nil {
		err1 = err2
	}
	return errcode.Wrap(errcode.Internal, "docstorage.Close", err1)
}

// convert maps a docstore error to a strongbox code; context errors pass
// through unchanged.
func convert(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if errcode.IsContext(err) {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
	}
	code := errcode.Internal
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		code = errcode.NotFound
	case gcerrors.AlreadyExists:
		code = errcode.AlreadyExists
	case gcerrors.FailedPrecondition:
		code = errcode.Conflict // a revision mismatch
	case gcerrors.InvalidArgument:
		code = errcode.Invalid
	case gcerrors.DeadlineExceeded, gcerrors.ResourceExhausted:
		code = errcode.Unavailable
	case gcerrors.Canceled:
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		code = errcode.Unavailable
	}
	return errcode.Wrap(code, op, err)
}

func (s *Store) begin(ctx context.Context, op string) error { return s.gate.Begin(ctx, op) }

// CreateMetadata implements storage.Store.
func (s *Store) CreateMetadata(ctx context.Context, m *storage.Metadata) (*storage.Metadata, error) {
	const op = "docstorage.CreateMetadata"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	defer s.gate.Leave()
	if err := storeutil.CheckMetadata(op, m); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		d := toDoc(m, 1)
		err := s.meta.Create(ctx, d)
		if err == nil {
			return d.metadata(), nil
		}
		if gcerrors.Code(err) != gcerrors.AlreadyExists || attempt == 3 {
			return nil, convert(ctx, op, err)
		}
		// Remove a tombstone left by an interrupted delete, then retry.
		old := &metaDoc{ID: d.ID, Namespace: d.Namespace, Name: d.Name}
		if err := s.meta.Get(ctx, old); err != nil {
			if gcerrors.Code(err) == gcerrors.NotFound {
				continue
			}
			return nil, convert(ctx, op, err)
		}
		if !old.Deleted {
			return nil, errcode.New(errcode.AlreadyExists, op, "a secret with this name exists in the namespace")
		}
		if err := s.meta.Delete(ctx, old); err != nil && gcerrors.Code(err) != gcerrors.FailedPrecondition {
			return nil, convert(ctx, op, err)
		}
	}
}

func (s *Store) getDoc(ctx context.Context, op, ns, name string) (*metaDoc, error) {
	d := &metaDoc{ID: metaID(ns, name), Namespace: ns, Name: name}
	if err := s.meta.Get(ctx, d); err != nil {
		return nil, convert(ctx, op, err)
	}
	if d.Deleted {
		return nil, errcode.New(errcode.NotFound, op, "secret not found")
	}
	return d, nil
}

// GetMetadata implements storage.Store.
func (s *Store) GetMetadata(ctx context.Context, namespace, name string) (*storage.Metadata, error) {
	const op = "docstorage.GetMetadata"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	defer s.gate.Leave()
	if err := storeutil.CheckKey(op, namespace, name); err != nil {
		return nil, err
	}
	d, err := s.getDoc(ctx, op, namespace, name)
	if err != nil {
		return nil, err
	}
	return d.metadata(), nil
}

// UpdateMetadata implements storage.Store. It reads the document, checks
// strongbox's revision, and replaces the document under gocloud's revision,
// so a concurrent writer makes it fail with ErrConflict.
func (s *Store) UpdateMetadata(ctx context.Context, m *storage.Metadata) (*storage.Metadata, error) {
	const op = "docstorage.UpdateMetadata"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	defer s.gate.Leave()
	if err := storeutil.CheckMetadata(op, m); err != nil {
		return nil, err
	}
	cur, err := s.getDoc(ctx, op, m.Namespace, m.Name)
	if err != nil {
		return nil, err
	}
	if cur.Revision != m.Revision {
		return nil, errcode.New(errcode.Conflict, op, "revision moved: the secret was changed since it was read")
	}
	d := toDoc(m, m.Revision+1)
	d.DocstoreRevision = cur.DocstoreRevision
	if err := s.meta.Replace(ctx, d); err != nil {
		return nil, convert(ctx, op, err)
	}
	return d.metadata(), nil
}

// DeleteMetadata implements storage.Store.
func (s *Store) DeleteMetadata(ctx context.Context, namespace, name string, revision int64) error {
	const op = "docstorage.DeleteMetadata"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	defer s.gate.Leave()
	if err := storeutil.CheckKey(op, namespace, name); err != nil {
		return err
	}
	cur, err := s.getDoc(ctx, op, namespace, name)
	if err != nil {
		return err
	}
	if cur.Revision != revision {
		return errcode.New(errcode.Conflict, op, "revision moved: the secret was changed since it was read")
	}
	// Mark, then remove: docstore drivers differ on whether a Delete with
	// a revision fails for a document that is already gone, so the
	// compare-and-swap is the Replace.
	cur.Deleted = true
	if err := s.meta.Replace(ctx, cur); err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return errcode.New(errcode.NotFound, op, "secret not found")
		}
		return convert(ctx, op, err)
	}
	// If this fails, the tombstone already reads as absent and the next
	// create of the name removes it.
	_ = s.meta.Delete(ctx, cur)
	return nil
}

// ListMetadata implements storage.Store. It pages by name; label filters
// are applied in memory with storage.MatchLabels, so a filtered page may
// read many documents.
func (s *Store) ListMetadata(ctx context.Context, namespace string, opts storage.ListOptions) ([]*storage.Metadata, string, error) {
	const op = "docstorage.ListMetadata"
	if err := s.begin(ctx, op); err != nil {
		return nil, "", err
	}
	defer s.gate.Leave()
	if err := storeutil.CheckKey(op, namespace, "-"); err != nil {
		return nil, "", err
	}
	page, next, err := storeutil.ListPage(op, opts, func(after string, limit int, emit func(string, *storage.Metadata) bool) (int, error) {
		it := s.meta.Query().Where(nsField, "=", namespace).Where(nameField, ">", after).
			OrderBy(nameField, docstore.Ascending).Limit(limit).Get(ctx)
		defer it.Stop()
		n := 0
		for {
			var d metaDoc
			err := it.Next(ctx, &d)
			if err == io.EOF {
				return n, nil
			}
			if err != nil {
				return n, convert(ctx, op, err)
			}
			n++
			var m *storage.Metadata
			if !d.Deleted {
				m = d.metadata()
			}
			if !emit(d.Name, m) {
				return n, nil
			}
		}
	})
	return page, next, err
}

// PutCiphertext implements storage.Store.
func (s *Store) PutCiphertext(ctx context.Context, c *storage.Ciphertext) error {
	const op = "docstorage.PutCiphertext"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	defer s.gate.Leave()
	if err := storeutil.CheckCiphertext(op, c); err != nil {
		return err
	}
	d := &ctDoc{
		ID:         ctID(c.Namespace, c.Name, c.ValueID),
		Namespace:  c.Namespace,
		Name:       c.Name,
		ValueID:    c.ValueID,
		Version:    c.Version,
		Data:       bytes.Clone(c.Data),
		CreateTime: storeutil.Time(c.CreateTime),
	}
	if d.Data == nil {
		d.Data = []byte{}
	}
	return convert(ctx, op, s.ct.Create(ctx, d))
}

func (s *Store) getCT(ctx context.Context, op, ns, name, valueID string) (*ctDoc, error) {
	d := &ctDoc{ID: ctID(ns, name, valueID), Namespace: ns, Name: name, ValueID: valueID}
	if err := s.ct.Get(ctx, d); err != nil {
		return nil, convert(ctx, op, err)
	}
	return d, nil
}

// GetCiphertext implements storage.Store.
func (s *Store) GetCiphertext(ctx context.Context, namespace, name, valueID string) (*storage.Ciphertext, error) {
	const op = "docstorage.GetCiphertext"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	defer s.gate.Leave()
	if err := storeutil.CheckCiphertextKey(op, namespace, name, valueID); err != nil {
		return nil, err
	}
	d, err := s.getCT(ctx, op, namespace, name, valueID)
	if err != nil {
		return nil, err
	}
	return d.ciphertext(), nil
}

// DeleteCiphertext implements storage.Store.
func (s *Store) DeleteCiphertext(ctx context.Context, namespace, name, valueID string) error {
	const op = "docstorage.DeleteCiphertext"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	defer s.gate.Leave()
	if err := storeutil.CheckCiphertextKey(op, namespace, name, valueID); err != nil {
		return err
	}
	// docstore's Delete of an absent document is not an error either.
	d := &ctDoc{ID: ctID(namespace, name, valueID), Namespace: namespace, Name: name, ValueID: valueID}
	err := s.ct.Delete(ctx, d)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	return convert(ctx, op, err)
}

// ListCiphertexts implements storage.Store. Pages are ordered by document
// key, which groups a namespace's ciphertexts together.
func (s *Store) ListCiphertexts(ctx context.Context, namespace string, pageSize int, pageToken string) ([]storage.CiphertextRef, string, error) {
	const op = "docstorage.ListCiphertexts"
	if err := s.begin(ctx, op); err != nil {
		return nil, "", err
	}
	defer s.gate.Leave()
	if namespace != "" {
		if err := storeutil.CheckKey(op, namespace, "-"); err != nil {
			return nil, "", err
		}
	}
	after, err := storeutil.DecodeToken(op, pageToken)
	if err != nil {
		return nil, "", err
	}
	size := storeutil.CiphertextPageSize(pageSize)
	q := s.ct.Query()
	if namespace != "" {
		q = q.Where(nsField, "=", namespace)
	}
	q = q.Where(KeyField, ">", after).OrderBy(KeyField, docstore.Ascending).Limit(size + 1)
	// Leave the data out of the listing.
	it := q.Get(ctx, KeyField, nsField, nameField, "value_id", "version", "create_time")
	defer it.Stop()
	var out []storage.CiphertextRef
	var last string
	for len(out) <= size {
		var d ctDoc
		err := it.Next(ctx, &d)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", convert(ctx, op, err)
		}
		if len(out) < size {
			last = d.ID
		}
		out = append(out, storage.CiphertextRef{
			Namespace: d.Namespace, Name: d.Name, ValueID: d.ValueID, Version: d.Version,
			CreateTime: storeutil.Time(d.CreateTime),
		})
	}
	next := ""
	if len(out) > size {
		out = out[:size]
		next = storeutil.EncodeToken(last)
	}
	return out, next, nil
}

// ReplaceCiphertext implements storage.Store: it reads the document,
// compares its data with old, and replaces it under gocloud's revision.
func (s *Store) ReplaceCiphertext(ctx context.Context, c *storage.Ciphertext, old []byte) error {
	const op = "docstorage.ReplaceCiphertext"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	defer s.gate.Leave()
	if err := storeutil.CheckCiphertext(op, c); err != nil {
		return err
	}
	cur, err := s.getCT(ctx, op, c.Namespace, c.Name, c.ValueID)
	if err != nil {
		return err
	}
	if !bytes.Equal(cur.Data, old) {
		return errcode.New(errcode.Conflict, op, "ciphertext changed since it was read")
	}
	cur.Data = bytes.Clone(c.Data)
	if cur.Data == nil {
		cur.Data = []byte{}
	}
	return convert(ctx, op, s.ct.Replace(ctx, cur))
}

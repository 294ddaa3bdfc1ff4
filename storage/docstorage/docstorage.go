package docstorage

import (
	"bytes"
	"context"
	"errors"
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
	"github.com/strongbox-go/strongbox/storage/driver"
	"github.com/strongbox-go/strongbox/storage/internal/histcodec"
)

// Field names of the documents (see the package doc, # Format).
const (
	keyField  = "id"
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
	// KeepVersions and History are absent from documents written before
	// value history existed, which read as keeping none.
	KeepVersions int64 `docstore:"keep_versions"`
	// History is in histcodec's text form: one string field decodes far
	// faster than a list of maps, and every metadata read decodes it.
	History string `docstore:"history"`
	// Incarnation is absent from documents written before incarnations
	// existed, which read as the empty one.
	Incarnation string `docstore:"incarnation"`
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

func toDoc(m *driver.Metadata, rev int64) *metaDoc {
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
		CreateTime:  m.CreateTime,
		UpdateTime:  m.UpdateTime,
		CreatedBy:   m.CreatedBy,
		UpdatedBy:   m.UpdatedBy,

		KeepVersions: int64(m.KeepVersions),
		History:      histcodec.Append(m.History),
		Incarnation:  m.Incarnation,
	}
}

func (d *metaDoc) metadata() (*driver.Metadata, error) {
	m := &driver.Metadata{
		Namespace:   d.Namespace,
		Name:        d.Name,
		Description: d.Description,
		Version:     d.Version,
		ValueID:     d.ValueID,
		Revoked:     d.Revoked,
		Revision:    d.Revision,
		CreateTime:  d.CreateTime.UTC(),
		UpdateTime:  d.UpdateTime.UTC(),
		CreatedBy:   d.CreatedBy,
		UpdatedBy:   d.UpdatedBy,
		Incarnation: d.Incarnation,
	}
	if len(d.Labels) > 0 {
		m.Labels = maps.Clone(d.Labels)
	}
	if len(d.Decrypters) > 0 {
		m.Decrypters = slices.Clone(d.Decrypters)
	}
	m.KeepVersions = int(d.KeepVersions)
	h, err := histcodec.Parse(d.History)
	if err != nil {
		return nil, errcode.New(errcode.Internal, "", "stored history is malformed")
	}
	m.History = h
	return m, nil
}

func (d *ctDoc) ciphertext() *driver.Ciphertext {
	return &driver.Ciphertext{
		Namespace:  d.Namespace,
		Name:       d.Name,
		ValueID:    d.ValueID,
		Version:    d.Version,
		Data:       bytes.Clone(d.Data),
		CreateTime: d.CreateTime.UTC(),
	}
}

// docDriver is the driver.Store over two gocloud docstore collections and
// an optional third for records.
type docDriver struct {
	meta, ct *docstore.Collection
	rec      *docstore.Collection // nil: no records
	owned    bool                 // Close closes the collections
}

// openURLs opens a Store over the collections given by gocloud docstore
// URLs (recordsURL may be empty: no records); they may live in different
// services or accounts. Errors never repeat the URLs.
func openURLs(ctx context.Context, metadataURL, ciphertextURL, recordsURL string) (*storage.Store, error) {
	const op = "docstorage.OpenStoreURL"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if metadataURL == "" || ciphertextURL == "" {
		return nil, errcode.New(errcode.Invalid, op, "both a metadata and a ciphertext collection URL are required")
	}
	if metadataURL == ciphertextURL || (recordsURL != "" && (recordsURL == metadataURL || recordsURL == ciphertextURL)) {
		return nil, errcode.New(errcode.Invalid, op, "metadata, ciphertexts and records must be separate collections")
	}
	var opened []*docstore.Collection
	openOne := func(which, u string) (*docstore.Collection, error) {
		c, err := docstore.OpenCollection(ctx, u)
		if err != nil {
			for _, o := range opened {
				_ = o.Close()
			}
			return nil, openError(ctx, op, which, err)
		}
		opened = append(opened, c)
		return c, nil
	}
	d := &docDriver{owned: true}
	var err error
	if d.meta, err = openOne("metadata", metadataURL); err != nil {
		return nil, err
	}
	if d.ct, err = openOne("ciphertext", ciphertextURL); err != nil {
		return nil, err
	}
	if recordsURL != "" {
		if d.rec, err = openOne("records", recordsURL); err != nil {
			return nil, err
		}
	}
	return storage.NewStore(d), nil
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
		"): check the URL's scheme is registered (import its gocloud driver) and its key field is \""+keyField+"\"")
}

// OpenCollections returns a Store over open collections whose key field is
// "id" (or whose driver derives the key from the documents' other fields;
// see the package doc): one for metadata, one for ciphertexts, and one for
// records, which may be nil (the Store then keeps no records and its
// record calls fail with secrets.ErrFailedPrecondition). Close does not
// close them.
func OpenCollections(metadata, ciphertexts, records *docstore.Collection) (*storage.Store, error) {
	const op = "docstorage.OpenCollections"
	if metadata == nil || ciphertexts == nil {
		return nil, errcode.New(errcode.Invalid, op, "a metadata and a ciphertext collection are required")
	}
	if metadata == ciphertexts || records == metadata || records == ciphertexts {
		return nil, errcode.New(errcode.Invalid, op, "metadata, ciphertexts and records must be separate collections")
	}
	return storage.NewStore(&docDriver{meta: metadata, ct: ciphertexts, rec: records}), nil
}

// NewInMemory returns a Store over three new in-memory collections
// (memdocstore), private to the Store. It needs nothing and keeps nothing:
// the data is gone at Close. It is the store of the quickstart and of tests.
func NewInMemory() *storage.Store { return storage.NewStore(newMemDriver()) }

func newMemDriver() *docDriver {
	meta, err := memdocstore.OpenCollection(keyField, nil)
	if err != nil {
		panic("docstorage: memdocstore: " + err.Error()) // cannot happen with these options
	}
	ct, err := memdocstore.OpenCollection(keyField, nil)
	if err != nil {
		panic("docstorage: memdocstore: " + err.Error())
	}
	rec, err := memdocstore.OpenCollection(keyField, nil)
	if err != nil {
		panic("docstorage: memdocstore: " + err.Error())
	}
	return &docDriver{meta: meta, ct: ct, rec: rec, owned: true}
}

// Close implements driver.Store: it closes the collections the driver
// opened.
func (d *docDriver) Close() error {
	if !d.owned {
		return nil
	}
	err := errors.Join(d.meta.Close(), d.ct.Close())
	if d.rec != nil {
		err = errors.Join(err, d.rec.Close())
	}
	return err
}

// Atomic implements driver.Store: docstore has no transactions across
// collections, so the portable type sequences the writes.
func (d *docDriver) Atomic() driver.Atomic { return nil }

// ErrorCode implements driver.Store, mapping gocloud codes.
func (d *docDriver) ErrorCode(err error) error {
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return errcode.NotFound
	case gcerrors.AlreadyExists:
		return errcode.AlreadyExists
	case gcerrors.FailedPrecondition:
		return errcode.Conflict // a revision mismatch
	case gcerrors.InvalidArgument:
		return errcode.Invalid
	case gcerrors.DeadlineExceeded, gcerrors.ResourceExhausted, gcerrors.Canceled:
		return errcode.Unavailable
	}
	return errcode.Internal
}

var errNotFound = errcode.New(errcode.NotFound, "", "secret not found")

func revisionMoved() error {
	return errcode.New(errcode.Conflict, "", "revision moved: the secret was changed (or deleted and created again) since it was read")
}

// CreateMetadata implements driver.Store.
func (d *docDriver) CreateMetadata(ctx context.Context, m *driver.Metadata) error {
	for attempt := 0; ; attempt++ {
		doc := toDoc(m, 1)
		err := d.meta.Create(ctx, doc)
		if err == nil {
			return nil
		}
		if gcerrors.Code(err) != gcerrors.AlreadyExists || attempt == 3 {
			return err
		}
		// Remove a tombstone left by an interrupted delete, then retry.
		old := &metaDoc{ID: doc.ID, Namespace: doc.Namespace, Name: doc.Name}
		if err := d.meta.Get(ctx, old); err != nil {
			if gcerrors.Code(err) == gcerrors.NotFound {
				continue
			}
			return err
		}
		if !old.Deleted {
			return errcode.New(errcode.AlreadyExists, "", "a secret with this name exists in the namespace")
		}
		if err := d.meta.Delete(ctx, old); err != nil && gcerrors.Code(err) != gcerrors.FailedPrecondition {
			return err
		}
	}
}

func (d *docDriver) getDoc(ctx context.Context, ns, name string) (*metaDoc, error) {
	doc := &metaDoc{ID: metaID(ns, name), Namespace: ns, Name: name}
	if err := d.meta.Get(ctx, doc); err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, errNotFound
		}
		return nil, err
	}
	if doc.Deleted {
		return nil, errNotFound
	}
	return doc, nil
}

// GetMetadata implements driver.Store.
func (d *docDriver) GetMetadata(ctx context.Context, namespace, name string) (*driver.Metadata, error) {
	doc, err := d.getDoc(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	return doc.metadata()
}

// UpdateMetadata implements driver.Store. It reads the document, checks
// strongbox's revision, and replaces the document under gocloud's revision,
// so a concurrent writer makes it fail with a conflict.
func (d *docDriver) UpdateMetadata(ctx context.Context, m *driver.Metadata) error {
	cur, err := d.getDoc(ctx, m.Namespace, m.Name)
	if err != nil {
		return err
	}
	if cur.Revision != m.Revision || cur.Incarnation != m.Incarnation {
		return revisionMoved()
	}
	doc := toDoc(m, m.Revision+1)
	doc.DocstoreRevision = cur.DocstoreRevision
	return d.meta.Replace(ctx, doc)
}

// DeleteMetadata implements driver.Store.
func (d *docDriver) DeleteMetadata(ctx context.Context, namespace, name string, revision int64) error {
	cur, err := d.getDoc(ctx, namespace, name)
	if err != nil {
		return err
	}
	if cur.Revision != revision {
		return revisionMoved()
	}
	// Mark, then remove: docstore drivers differ on whether a Delete with
	// a revision fails for a document that is already gone, so the
	// compare-and-swap is the Replace.
	cur.Deleted = true
	if err := d.meta.Replace(ctx, cur); err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return errNotFound
		}
		return err
	}
	// If this fails, the tombstone already reads as absent and the next
	// create of the name removes it.
	_ = d.meta.Delete(ctx, cur)
	return nil
}

// ListMetadata implements driver.Store. It reads by name, skipping
// tombstones, until it has limit records or the namespace ends.
func (d *docDriver) ListMetadata(ctx context.Context, namespace, after string, limit int) ([]*driver.Metadata, error) {
	var bad error // a document whose history does not parse fails the listing
	out, err := listLive(ctx, d.meta, nsField, namespace, nameField, after, limit,
		func(doc *metaDoc) (string, *driver.Metadata, bool) {
			if doc.Deleted {
				return doc.Name, nil, false
			}
			m, err := doc.metadata()
			if err != nil {
				bad = err
				return doc.Name, nil, false
			}
			return doc.Name, m, true
		})
	if err == nil {
		err = bad
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// listLive reads up to limit live documents of coll whose partField is
// part and whose keyField sorts after after, in key order, and converts
// each with conv, which also gives its key, and false for a tombstone.
// Tombstones are skipped, so it queries again until it has limit documents
// or a query comes back short (the part is exhausted).
func listLive[D any, T any](ctx context.Context, coll *docstore.Collection, partField, part, keyField, after string, limit int,
	conv func(*D) (key string, out T, live bool)) ([]T, error) {
	var out []T
	for len(out) < limit {
		want := limit - len(out)
		it := coll.Query().Where(docstore.FieldPath(partField), "=", part).Where(docstore.FieldPath(keyField), ">", after).
			OrderBy(keyField, docstore.Ascending).Limit(want).Get(ctx)
		n, err := func() (int, error) {
			defer it.Stop()
			n := 0
			for {
				var doc D
				err := it.Next(ctx, &doc)
				if err == io.EOF {
					return n, nil
				}
				if err != nil {
					return n, err
				}
				n++
				key, v, live := conv(&doc)
				after = key
				if live {
					out = append(out, v)
				}
			}
		}()
		if err != nil {
			return nil, err
		}
		if n < want {
			break
		}
	}
	return out, nil
}

// PutCiphertext implements driver.Store.
func (d *docDriver) PutCiphertext(ctx context.Context, c *driver.Ciphertext) error {
	return d.ct.Create(ctx, &ctDoc{
		ID:         ctID(c.Namespace, c.Name, c.ValueID),
		Namespace:  c.Namespace,
		Name:       c.Name,
		ValueID:    c.ValueID,
		Version:    c.Version,
		Data:       c.Data,
		CreateTime: c.CreateTime,
	})
}

func (d *docDriver) getCT(ctx context.Context, ns, name, valueID string) (*ctDoc, error) {
	doc := &ctDoc{ID: ctID(ns, name, valueID), Namespace: ns, Name: name, ValueID: valueID}
	if err := d.ct.Get(ctx, doc); err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, errcode.New(errcode.NotFound, "", "ciphertext not found")
		}
		return nil, err
	}
	return doc, nil
}

// GetCiphertext implements driver.Store.
func (d *docDriver) GetCiphertext(ctx context.Context, namespace, name, valueID string) (*driver.Ciphertext, error) {
	doc, err := d.getCT(ctx, namespace, name, valueID)
	if err != nil {
		return nil, err
	}
	return doc.ciphertext(), nil
}

// DeleteCiphertext implements driver.Store.
func (d *docDriver) DeleteCiphertext(ctx context.Context, namespace, name, valueID string) error {
	// docstore's Delete of an absent document is not an error either.
	err := d.ct.Delete(ctx, &ctDoc{ID: ctID(namespace, name, valueID), Namespace: namespace, Name: name, ValueID: valueID})
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	return err
}

// ListCiphertexts implements driver.Store. Refs are ordered by document
// key, which groups a namespace's ciphertexts together.
func (d *docDriver) ListCiphertexts(ctx context.Context, namespace string, after driver.CiphertextRef, limit int) ([]driver.CiphertextRef, error) {
	q := d.ct.Query()
	if namespace != "" {
		q = q.Where(nsField, "=", namespace)
	}
	afterID := ""
	if after.ValueID != "" {
		afterID = ctID(after.Namespace, after.Name, after.ValueID)
	}
	q = q.Where(keyField, ">", afterID).OrderBy(keyField, docstore.Ascending).Limit(limit)
	// Leave the data out of the listing.
	it := q.Get(ctx, keyField, nsField, nameField, "value_id", "version", "create_time")
	defer it.Stop()
	var out []driver.CiphertextRef
	for {
		var doc ctDoc
		err := it.Next(ctx, &doc)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, driver.CiphertextRef{
			Namespace: doc.Namespace, Name: doc.Name, ValueID: doc.ValueID, Version: doc.Version,
			CreateTime: doc.CreateTime.UTC(),
		})
	}
}

// ReplaceCiphertext implements driver.Store: it reads the document,
// compares its data with old, and replaces it under gocloud's revision.
func (d *docDriver) ReplaceCiphertext(ctx context.Context, c *driver.Ciphertext, old []byte) error {
	cur, err := d.getCT(ctx, c.Namespace, c.Name, c.ValueID)
	if err != nil {
		return err
	}
	if !bytes.Equal(cur.Data, old) {
		return errcode.New(errcode.Conflict, "", "ciphertext changed since it was read")
	}
	cur.Data = c.Data
	return d.ct.Replace(ctx, cur)
}

package docstorage

import (
	"bytes"
	"context"
	"net/url"
	"time"

	"gocloud.dev/docstore"
	"gocloud.dev/gcerrors"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage/driver"
)

// recDoc is a record document, or (with Key "") the document holding its
// kind's change sequence.
type recDoc struct {
	ID         string    `docstore:"id"`
	Kind       string    `docstore:"kind"`
	Key        string    `docstore:"key"`
	Data       []byte    `docstore:"data"`
	Revision   int64     `docstore:"revision"`
	ExpireTime time.Time `docstore:"expire_time"`
	UpdateTime time.Time `docstore:"update_time"`
	// Seq is the kind's change sequence, on the sequence document only.
	Seq int64 `docstore:"seq"`
	// Deleted marks a tombstone, as on metadata documents.
	Deleted          bool `docstore:"deleted"`
	DocstoreRevision any
}

// recID is the record's document key: query-escaped kind and key joined by
// ':'; the sequence document of a kind has an empty key.
func recID(kind, key string) string { return url.QueryEscape(kind) + ":" + url.QueryEscape(key) }

func (d *recDoc) record() *driver.Record {
	data := bytes.Clone(d.Data)
	if data == nil {
		data = []byte{}
	}
	r := &driver.Record{Kind: d.Kind, Key: d.Key, Data: data, Revision: d.Revision, UpdateTime: d.UpdateTime.UTC()}
	if !d.ExpireTime.IsZero() {
		r.ExpireTime = d.ExpireTime.UTC()
	}
	return r
}

// docRecords is the driver.Records over a docstore collection.
type docRecords struct{ c *docstore.Collection }

// Records implements driver.Store: nil when the store was opened without
// a records collection.
func (d *docDriver) Records() driver.Records {
	if d.rec == nil {
		return nil
	}
	return docRecords{d.rec}
}

func recordNotFound() error { return errcode.New(errcode.NotFound, "", "record not found") }

func recordMoved() error {
	return errcode.New(errcode.Conflict, "", "revision moved: the record was changed since it was read")
}

func (r docRecords) get(ctx context.Context, kind, key string) (*recDoc, error) {
	doc := &recDoc{ID: recID(kind, key), Kind: kind, Key: key}
	if err := r.c.Get(ctx, doc); err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, recordNotFound()
		}
		return nil, err
	}
	if doc.Deleted {
		return nil, recordNotFound()
	}
	return doc, nil
}

// GetRecord implements driver.Records.
func (r docRecords) GetRecord(ctx context.Context, kind, key string) (*driver.Record, error) {
	doc, err := r.get(ctx, kind, key)
	if err != nil {
		return nil, err
	}
	return doc.record(), nil
}

func newRecDoc(rec *driver.Record, rev int64) *recDoc {
	return &recDoc{
		ID: recID(rec.Kind, rec.Key), Kind: rec.Kind, Key: rec.Key, Data: rec.Data, Revision: rev,
		ExpireTime: rec.ExpireTime, UpdateTime: rec.UpdateTime,
	}
}

// CreateRecord implements driver.Records. A tombstone left by an
// interrupted delete, or a record expired at now, is replaced under
// gocloud's revision (a racing writer makes that fail, and the create is
// tried again).
func (r docRecords) CreateRecord(ctx context.Context, rec *driver.Record, now time.Time) (int64, error) {
	for attempt := 0; ; attempt++ {
		err := r.c.Create(ctx, newRecDoc(rec, 1))
		if err == nil {
			r.bump(ctx, rec.Kind)
			return 1, nil
		}
		if gcerrors.Code(err) != gcerrors.AlreadyExists || attempt == 8 {
			return 0, err
		}
		old := &recDoc{ID: recID(rec.Kind, rec.Key), Kind: rec.Kind, Key: rec.Key}
		if err := r.c.Get(ctx, old); err != nil {
			if gcerrors.Code(err) == gcerrors.NotFound {
				continue
			}
			return 0, err
		}
		switch {
		case old.Deleted:
			if err := r.c.Delete(ctx, old); err != nil && gcerrors.Code(err) != gcerrors.FailedPrecondition {
				return 0, err
			}
		case !old.ExpireTime.IsZero() && !old.ExpireTime.After(now):
			doc := newRecDoc(rec, old.Revision+1)
			doc.DocstoreRevision = old.DocstoreRevision
			err := r.c.Replace(ctx, doc)
			if err == nil {
				r.bump(ctx, rec.Kind)
				return doc.Revision, nil
			}
			if c := gcerrors.Code(err); c != gcerrors.FailedPrecondition && c != gcerrors.NotFound {
				return 0, err
			}
		default:
			return 0, errcode.New(errcode.AlreadyExists, "", "a record with this key exists")
		}
	}
}

// UpdateRecord implements driver.Records: read, check the revision,
// replace under gocloud's revision.
func (r docRecords) UpdateRecord(ctx context.Context, rec *driver.Record) error {
	cur, err := r.get(ctx, rec.Kind, rec.Key)
	if err != nil {
		return err
	}
	if cur.Revision != rec.Revision {
		return recordMoved()
	}
	doc := newRecDoc(rec, rec.Revision+1)
	doc.DocstoreRevision = cur.DocstoreRevision
	if err := r.c.Replace(ctx, doc); err != nil {
		return err
	}
	r.bump(ctx, rec.Kind)
	return nil
}

// DeleteRecord implements driver.Records: mark under gocloud's revision
// (one racing delete wins), then remove.
func (r docRecords) DeleteRecord(ctx context.Context, kind, key string, revision int64) error {
	cur, err := r.get(ctx, kind, key)
	if err != nil {
		return err
	}
	if cur.Revision != revision {
		return recordMoved()
	}
	cur.Deleted = true
	if err := r.c.Replace(ctx, cur); err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return recordNotFound()
		}
		return err
	}
	r.bump(ctx, kind)
	_ = r.c.Delete(ctx, cur)
	return nil
}

// ListRecords implements driver.Records, skipping tombstones and the
// sequence document (its key, "", sorts before every record's).
func (r docRecords) ListRecords(ctx context.Context, kind, after string, limit int) ([]*driver.Record, error) {
	return listLive(ctx, r.c, "kind", kind, "key", after, limit,
		func(doc *recDoc) (string, *driver.Record, bool) {
			if doc.Deleted {
				return doc.Key, nil, false
			}
			return doc.Key, doc.record(), true
		})
}

// Sequence implements driver.Records: one document read.
func (r docRecords) Sequence(ctx context.Context, kind string) (int64, error) {
	doc := &recDoc{ID: recID(kind, ""), Kind: kind}
	if err := r.c.Get(ctx, doc); err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return 0, nil
		}
		return 0, err
	}
	return doc.Seq, nil
}

// bumpTimeout bounds the sequence bump after a write.
const bumpTimeout = 10 * time.Second

// bump increases kind's sequence after a committed write. docstore has no
// transactions across documents, so this is a second write: it runs even
// when ctx is done, and if it fails (the store went away) pollers learn of
// the change at the kind's next write or their next full read (see the
// package doc, # Records).
func (r docRecords) bump(ctx context.Context, kind string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bumpTimeout)
	defer cancel()
	for attempt := 0; attempt < 50 && ctx.Err() == nil; attempt++ {
		doc := &recDoc{ID: recID(kind, ""), Kind: kind}
		err := r.c.Get(ctx, doc)
		switch {
		case gcerrors.Code(err) == gcerrors.NotFound:
			doc.Seq = 1
			err = r.c.Create(ctx, doc)
		case err == nil:
			doc.Seq++
			err = r.c.Replace(ctx, doc)
		}
		if err == nil {
			return
		}
		if c := gcerrors.Code(err); c != gcerrors.AlreadyExists && c != gcerrors.FailedPrecondition && c != gcerrors.NotFound {
			return
		}
	}
}

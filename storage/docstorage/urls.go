package docstorage

import (
	"context"
	"net/url"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
)

// scheme is the strongbox store URL scheme for gocloud docstore
// collections (see the package doc):
//
//	docstore://?metadata=<collection URL>&ciphertexts=<collection URL>[&records=<collection URL>]
//
// with the collection URLs query-escaped.
const scheme = "docstore"

// memScheme is the scheme of the in-memory store, "mem://": a new private
// store (NewInMemory) on every open, which needs nothing and keeps
// nothing.
const memScheme = "mem"

func init() {
	o := new(urlOpener)
	storage.Register(scheme, o)
	storage.Register(memScheme, o)
}

// urlOpener opens "docstore://" and "mem://" store URLs.
type urlOpener struct{}

// OpenStoreURL implements storage.URLOpener.
func (*urlOpener) OpenStoreURL(ctx context.Context, u *url.URL) (*storage.Store, error) {
	const op = "docstorage.OpenStoreURL"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch u.Scheme {
	case memScheme:
		if u.Host != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Opaque != "" || u.User != nil {
			return nil, errcode.New(errcode.Invalid, op, "mem:// takes no host, path or parameters")
		}
		return NewInMemory(), nil
	case scheme:
		if u.Host != "" || (u.Path != "" && u.Path != "/") || u.Opaque != "" || u.User != nil {
			return nil, errcode.New(errcode.Invalid, op, "docstore:// takes only the query parameters metadata, ciphertexts and records")
		}
		q := u.Query()
		for k := range q {
			if k != "metadata" && k != "ciphertexts" && k != "records" {
				return nil, errcode.New(errcode.Invalid, op, "unknown docstore:// parameter "+k+" (want metadata, ciphertexts and records)")
			}
		}
		if len(q["metadata"]) != 1 || len(q["ciphertexts"]) != 1 || len(q["records"]) > 1 {
			return nil, errcode.New(errcode.Invalid, op, "docstore:// needs exactly one metadata and one ciphertexts collection URL, and at most one records URL")
		}
		return openURLs(ctx, q.Get("metadata"), q.Get("ciphertexts"), q.Get("records"))
	}
	return nil, errcode.New(errcode.Invalid, op, "unsupported scheme "+u.Scheme)
}

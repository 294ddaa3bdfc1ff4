package docstorage

import (
	"context"
	"net/url"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
)

// Scheme is the strongbox store URL scheme for two gocloud docstore
// collections:
//
//	docstore://?metadata=<collection URL>&ciphertexts=<collection URL>
//
// with both collection URLs query-escaped, e.g.
//
//	docstore://?metadata=dynamodb%3A%2F%2Fsb-meta%3Fpartition_key%3Did&ciphertexts=dynamodb%3A%2F%2Fsb-ct%3Fpartition_key%3Did
const Scheme = "docstore"

// MemScheme is the scheme of the in-memory store, "mem://": a new private
// store (NewInMemory) on every open, which needs nothing and keeps
// nothing.
const MemScheme = "mem"

func init() {
	o := new(URLOpener)
	storage.Register(Scheme, o)
	storage.Register(MemScheme, o)
}

// URLOpener opens "docstore://" and "mem://" store URLs; see Scheme and
// MemScheme. Its zero value is ready to use.
type URLOpener struct{}

// OpenStoreURL implements storage.URLOpener.
func (*URLOpener) OpenStoreURL(ctx context.Context, u *url.URL) (*storage.Store, error) {
	const op = "docstorage.OpenStoreURL"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch u.Scheme {
	case MemScheme:
		if u.Host != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Opaque != "" || u.User != nil {
			return nil, errcode.New(errcode.Invalid, op, "mem:// takes no host, path or parameters")
		}
		return NewInMemory(), nil
	case Scheme:
		if u.Host != "" || (u.Path != "" && u.Path != "/") || u.Opaque != "" || u.User != nil {
			return nil, errcode.New(errcode.Invalid, op, "docstore:// takes only the query parameters metadata and ciphertexts")
		}
		q := u.Query()
		for k := range q {
			if k != "metadata" && k != "ciphertexts" {
				return nil, errcode.New(errcode.Invalid, op, "unknown docstore:// parameter "+k+" (want metadata and ciphertexts)")
			}
		}
		if len(q["metadata"]) != 1 || len(q["ciphertexts"]) != 1 {
			return nil, errcode.New(errcode.Invalid, op, "docstore:// needs exactly one metadata and one ciphertexts collection URL")
		}
		return Open(ctx, q.Get("metadata"), q.Get("ciphertexts"))
	}
	return nil, errcode.New(errcode.Invalid, op, "unsupported scheme "+u.Scheme)
}

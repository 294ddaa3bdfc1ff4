package storage

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// URLOpener opens a Store from a URL. Backends implement it, returning
// NewStore over their driver, and register it for their scheme with
// Register, usually in an init function, the way gocloud.dev drivers do.
type URLOpener interface {
	OpenStoreURL(ctx context.Context, u *url.URL) (*Store, error)
}

// urlMux maps URL schemes to URLOpeners. The zero value is an empty mux,
// ready to use; programs use the default one through Register and
// OpenStore.
type urlMux struct {
	mu      sync.RWMutex
	openers map[string]URLOpener
}

var schemeRE = regexp.MustCompile(`^[a-z][a-z0-9+.-]*$`)

// register registers opener for scheme (lower case, e.g. "sqlite").
// It panics if scheme is malformed or already registered, like
// gocloud.dev's muxes.
func (m *urlMux) register(scheme string, opener URLOpener) {
	if !schemeRE.MatchString(scheme) {
		panic("storage: invalid URL scheme " + scheme)
	}
	if opener == nil {
		panic("storage: nil URLOpener for scheme " + scheme)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.openers[scheme]; dup {
		panic("storage: URL scheme " + scheme + " registered twice")
	}
	if m.openers == nil {
		m.openers = map[string]URLOpener{}
	}
	m.openers[scheme] = opener
}

// schemes returns the registered schemes, sorted.
func (m *urlMux) schemes() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := make([]string, 0, len(m.openers))
	for k := range m.openers {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}

// openStore parses urlstr and opens the Store its scheme names. Errors
// never repeat the URL, which may hold a password.
func (m *urlMux) openStore(ctx context.Context, urlstr string) (*Store, error) {
	const op = "storage.OpenStore"
	u, err := url.Parse(urlstr)
	if err != nil {
		// url.Error repeats the URL; report only the kind of problem.
		return nil, errcode.New(errcode.Invalid, op, "malformed store URL")
	}
	return m.openStoreURL(ctx, op, u)
}

// openSplitStore opens a Store that keeps metadata in the store
// metadataURL names and ciphertexts in the one ciphertextURL names (see
// newSplitStore). Each URL opens a whole store of its backend, of which
// the Store uses one collection. Errors never repeat the URLs.
func (m *urlMux) openSplitStore(ctx context.Context, metadataURL, ciphertextURL string) (*Store, error) {
	meta, err := m.openStore(ctx, metadataURL)
	if err != nil {
		return nil, splitError("the metadata store", err)
	}
	ct, err := m.openStore(ctx, ciphertextURL)
	if err != nil {
		meta.Close()
		return nil, splitError("the ciphertext store", err)
	}
	return newSplitStore(meta, ct), nil
}

// splitError says which of the two stores failed to open.
func splitError(which string, err error) error {
	if errcode.IsContext(err) {
		return err
	}
	return &errcode.Error{Code: errcode.Of(err), Op: "storage.OpenSplitStore", Msg: "cannot open " + which, Err: err}
}

func (m *urlMux) openStoreURL(ctx context.Context, op string, u *url.URL) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if u == nil || u.Scheme == "" {
		return nil, errcode.New(errcode.Invalid, op, "store URL has no scheme (want e.g. mem://, sqlite:///path/to/file.db or postgres://...)")
	}
	scheme := strings.ToLower(u.Scheme)
	m.mu.RLock()
	opener := m.openers[scheme]
	m.mu.RUnlock()
	if opener == nil {
		known := strings.Join(m.schemes(), ", ")
		if known == "" {
			known = "none; import a backend such as storage/docstorage or storage/sqlstorage"
		}
		return nil, errcode.New(errcode.Invalid, op, "no store registered for URL scheme "+strconv.Quote(scheme)+
			" (registered: "+known+"); import the backend package that provides it")
	}
	s, err := opener.OpenStoreURL(ctx, u)
	if err != nil {
		return nil, err
	}
	return s, nil
}

var defaultMux = new(urlMux)

// Register registers opener for scheme on the default mux. Backends call it
// from init; it panics if the scheme is malformed or taken.
func Register(scheme string, opener URLOpener) { defaultMux.register(scheme, opener) }

// OpenStore opens a Store from a URL. The scheme
// picks the backend, which must be linked in by importing its package:
//
//	mem://                              in memory (storage/docstorage)
//	docstore://?metadata=...&ciphertexts=...&records=...  gocloud docstore collections
//	sqlite:///var/lib/app/strongbox.db  SQLite file (storage/sqlstorage)
//	postgres://user:pass@host/db        PostgreSQL (storage/sqlstorage)
func OpenStore(ctx context.Context, urlstr string) (*Store, error) {
	return defaultMux.openStore(ctx, urlstr)
}

// OpenSplitStore opens a Store with metadata and ciphertexts in two
// places, each given by a store URL: for example
// metadata in PostgreSQL and ciphertexts in a docstore collection,
//
//	storage.OpenSplitStore(ctx, "postgres://user:pass@host/db",
//		"docstore://?metadata=...&ciphertexts=dynamodb%3A%2F%2Fsb-ct%3Fpartition_key%3Did")
//
// Writes are sequenced: a ciphertext is stored before the metadata that
// points at it, so a crash leaves at worst an orphan ciphertext, which
// garbage collection removes.
func OpenSplitStore(ctx context.Context, metadataURL, ciphertextURL string) (*Store, error) {
	return defaultMux.openSplitStore(ctx, metadataURL, ciphertextURL)
}

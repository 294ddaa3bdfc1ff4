package apitoken

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/strictjson"
)

// FileStore is a Store in one JSON file of mode 0600, for a single
// process that keeps its state in a data directory (strongbox serve with
// SQLite). Every write replaces the file atomically (a temporary file
// renamed over it, synced), so a crash leaves the old or the new records,
// never a mix. Two processes must not share the file. Make one with
// OpenFileStore.
type FileStore struct {
	path string
	mu   sync.Mutex
	mem  *MemoryStore
}

// fileFormat is the file's content. Version 1; a file of another version
// is refused, not rewritten.
type fileFormat struct {
	Version int          `json:"version"`
	Records []fileRecord `json:"records"`
}

type fileRecord struct {
	Record
	Revision int64 `json:"revision"`
}

// OpenFileStore opens the store kept in path, creating no file until the
// first write. It fails with code Invalid for a file it cannot read as
// version 1 (made by a newer version, say), and Unavailable for an I/O
// error; the error names the path, never a record.
func OpenFileStore(path string) (*FileStore, error) {
	const op = "apitoken.OpenFileStore"
	s := &FileStore{path: path, mem: NewMemoryStore()}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, errcode.Wrap(errcode.Unavailable, op, err)
	}
	var f fileFormat
	if err := strictjson.Decode(b, &f); err != nil || f.Version != 1 {
		return nil, errcode.New(errcode.Invalid, op, "file "+path+" is not an API-token file of version 1: restore it from a backup")
	}
	for _, r := range f.Records {
		rec := r.Record
		rec.Revision = r.Revision
		s.mem.recs[rec.ID] = rec
		s.mem.rev = max(s.mem.rev, r.Revision)
	}
	return s, nil
}

// save writes the records to the file; the caller holds s.mu.
func (s *FileStore) save() error {
	const op = "apitoken.FileStore"
	recs, _ := s.mem.List(context.Background(), "")
	f := fileFormat{Version: 1, Records: make([]fileRecord, 0, len(recs))}
	for _, r := range recs {
		f.Records = append(f.Records, fileRecord{Record: r, Revision: r.Revision})
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return errcode.Wrap(errcode.Internal, op, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), "."+filepath.Base(s.path)+".*")
	if err != nil {
		return errcode.Wrap(errcode.Unavailable, op, err)
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(b)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path)
	}
	if err != nil {
		return errcode.Wrap(errcode.Unavailable, op, err)
	}
	// The rename is durable once the directory is synced (best effort:
	// not every system can sync a directory).
	if d, err := os.Open(filepath.Dir(s.path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// write runs fn on the records and saves them; on a failed save the
// records in memory are put back as they were.
func (s *FileStore) write(fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mem.mu.Lock()
	before, rev := make(map[string]Record, len(s.mem.recs)), s.mem.rev
	for k, v := range s.mem.recs {
		before[k] = v
	}
	s.mem.mu.Unlock()
	if err := fn(); err != nil {
		return err
	}
	if err := s.save(); err != nil {
		s.mem.mu.Lock()
		s.mem.recs, s.mem.rev = before, rev
		s.mem.mu.Unlock()
		return err
	}
	return nil
}

// Put implements Store.
func (s *FileStore) Put(ctx context.Context, rec Record) (int64, error) {
	var rev int64
	err := s.write(func() (err error) { rev, err = s.mem.Put(ctx, rec); return err })
	if err != nil {
		return 0, err
	}
	return rev, nil
}

// Get implements Store.
func (s *FileStore) Get(ctx context.Context, id string) (Record, error) { return s.mem.Get(ctx, id) }

// List implements Store.
func (s *FileStore) List(ctx context.Context, namespace string) ([]Record, error) {
	return s.mem.List(ctx, namespace)
}

// Delete implements Store.
func (s *FileStore) Delete(ctx context.Context, id string, revision int64) error {
	return s.write(func() error { return s.mem.Delete(ctx, id, revision) })
}

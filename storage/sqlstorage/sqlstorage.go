package sqlstorage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/internal/storeutil"
)

// Store is a storage.Store over a SQL database. It is safe for concurrent
// use, also by several processes sharing the database.
type Store struct {
	db      *sql.DB
	dialect Dialect
	q       queries
	owned   bool // Close closes db
	gate    storeutil.Gate
	// prepared holds the hot reads prepared once, on SQLite, whose driver
	// would otherwise parse and plan the SQL on every call (the bulk of a
	// read's cost). pgx caches its prepared statements by itself.
	prepared map[string]*sql.Stmt
}

var _ storage.Store = (*Store)(nil)

// OpenDB returns a Store over db, which speaks dialect, after bringing the
// schema up to date (see the package doc, # Schema). db stays the caller's:
// Close does not close it. For SQLite, db should have a busy timeout (the
// modernc.org/sqlite DSN parameter _busy_timeout) so that writers from
// several connections wait for each other instead of failing.
func OpenDB(ctx context.Context, db *sql.DB, dialect Dialect) (*Store, error) {
	if db == nil || (dialect != SQLite && dialect != Postgres) {
		return nil, errcode.New(errcode.Invalid, "sqlstorage.OpenDB", "a *sql.DB and a known Dialect are required")
	}
	return open(ctx, db, dialect, false)
}

func open(ctx context.Context, db *sql.DB, d Dialect, owned bool) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := migrate(ctx, db, d); err != nil {
		return nil, err
	}
	if d == SQLite {
		if err := sqliteAfterMigrate(ctx, db); err != nil {
			return nil, err
		}
	}
	s := &Store{db: db, dialect: d, q: newQueries(d), owned: owned}
	if d == SQLite {
		s.prepared = map[string]*sql.Stmt{}
		for _, q := range []string{s.q.getCurrent, s.q.getMeta, s.q.getCT} {
			st, err := db.PrepareContext(ctx, q)
			if err != nil {
				s.closeStmts()
				return nil, openError(ctx, "sqlstorage.Open", d, err)
			}
			s.prepared[q] = st
		}
	}
	return s, nil
}

// queryRow runs a single-row query, through its prepared statement if
// there is one.
func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := s.prepared[q]; st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.db.QueryRowContext(ctx, q, args...)
}

func (s *Store) closeStmts() {
	for _, st := range s.prepared {
		st.Close()
	}
}

// Dialect returns the store's SQL dialect.
func (s *Store) Dialect() Dialect { return s.dialect }

// Close waits for calls in flight, makes later calls fail with
// storage.ErrClosed and, if the Store opened the database, closes it. A
// second Close returns nil.
func (s *Store) Close() error {
	if !s.gate.Close() {
		return nil
	}
	s.closeStmts()
	if !s.owned {
		return nil
	}
	return errcode.Wrap(errcode.Internal, "sqlstorage.Close", s.db.Close())
}

func marshalLabels(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m) // cannot fail for map[string]string
	return string(b)
}

func marshalList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l)
	return string(b)
}

type scanner interface{ Scan(dest ...any) error }

// scanMeta scans the metaCols of a row.
func scanMeta(r scanner) (*storage.Metadata, error) {
	var m storage.Metadata
	return scanMetaInto(&m, r, []any{&m.Namespace, &m.Name})
}

// scanMetaInto scans into m the columns of head, then metaValueCols, then
// those of tail.
func scanMetaInto(m *storage.Metadata, r scanner, head []any, tail ...any) (*storage.Metadata, error) {
	var labels, decrypters string
	var ct, ut int64
	dest := append(head, &m.Description, &labels, &decrypters, &m.Version, &m.ValueID,
		&m.Revoked, &m.Revision, &ct, &ut, &m.CreatedBy, &m.UpdatedBy)
	if err := r.Scan(append(dest, tail...)...); err != nil {
		return nil, err
	}
	if err := unmarshalLists(m, labels, decrypters); err != nil {
		return nil, err
	}
	m.CreateTime = storeutil.FromMicros(ct)
	m.UpdateTime = storeutil.FromMicros(ut)
	return m, nil
}

// unmarshalLists sets m's labels and decrypters from their stored JSON.
func unmarshalLists(m *storage.Metadata, labels, decrypters string) error {
	if labels != "{}" && labels != "" {
		if err := json.Unmarshal([]byte(labels), &m.Labels); err != nil {
			return errcode.New(errcode.Internal, "", "stored labels are not a JSON object")
		}
		if len(m.Labels) == 0 {
			m.Labels = nil
		}
	}
	if decrypters != "[]" && decrypters != "" {
		if err := json.Unmarshal([]byte(decrypters), &m.Decrypters); err != nil {
			return errcode.New(errcode.Internal, "", "stored decrypters are not a JSON array")
		}
		if len(m.Decrypters) == 0 {
			m.Decrypters = nil
		}
	}
	return nil
}

// normalized returns the copy of m the store keeps, with revision rev.
func normalized(m *storage.Metadata, rev int64) *storage.Metadata {
	c := m.Clone()
	c.Revision = rev
	c.CreateTime = storeutil.Time(m.CreateTime)
	c.UpdateTime = storeutil.Time(m.UpdateTime)
	if len(c.Labels) == 0 {
		c.Labels = nil
	}
	if len(c.Decrypters) == 0 {
		c.Decrypters = nil
	}
	return c
}

func rowsAffected(res sql.Result) (int64, error) { return res.RowsAffected() }

// CreateMetadata implements storage.Store.
func (s *Store) CreateMetadata(ctx context.Context, m *storage.Metadata) (*storage.Metadata, error) {
	const op = "sqlstorage.CreateMetadata"
	if err := s.gate.Begin(ctx, op); err != nil {
		return nil, err
	}
	defer s.gate.Leave()
	if err := storeutil.CheckMetadata(op, m); err != nil {
		return nil, err
	}
	if err := s.createMeta(ctx, s.db, op, m); err != nil {
		return nil, err
	}
	return normalized(m, 1), nil
}

// createMeta inserts m with revision 1 through x.
func (s *Store) createMeta(ctx context.Context, x execer, op string, m *storage.Metadata) error {
	res, err := x.ExecContext(ctx, s.q.createMeta, m.Namespace, m.Name, m.Description, marshalLabels(m.Labels),
		marshalList(m.Decrypters), m.Version, m.ValueID, m.Revoked, int64(1),
		storeutil.Micros(m.CreateTime), storeutil.Micros(m.UpdateTime), m.CreatedBy, m.UpdatedBy)
	if err != nil {
		return convert(ctx, op, err)
	}
	n, err := rowsAffected(res)
	if err != nil {
		return convert(ctx, op, err)
	}
	if n == 0 {
		return errcode.New(errcode.AlreadyExists, op, "a secret with this name exists in the namespace")
	}
	return nil
}

// GetMetadata implements storage.Store.
func (s *Store) GetMetadata(ctx context.Context, namespace, name string) (*storage.Metadata, error) {
	const op = "sqlstorage.GetMetadata"
	if err := s.gate.Begin(ctx, op); err != nil {
		return nil, err
	}
	defer s.gate.Leave()
	if err := storeutil.CheckKey(op, namespace, name); err != nil {
		return nil, err
	}
	m, err := scanMeta(s.queryRow(ctx, s.q.getMeta, namespace, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errcode.New(errcode.NotFound, op, "secret not found")
	}
	if err != nil {
		return nil, convert(ctx, op, err)
	}
	return m, nil
}

// missingOrMoved tells why a conditional write changed no row, reading
// through x (the database, or the transaction the write ran in).
func (s *Store) missingOrMoved(ctx context.Context, x execer, op, namespace, name string) error {
	var rev int64
	err := x.QueryRowContext(ctx, s.q.existsMeta, namespace, name).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return errcode.New(errcode.NotFound, op, "secret not found")
	}
	if err != nil {
		return convert(ctx, op, err)
	}
	return errcode.New(errcode.Conflict, op, "revision moved: the secret was changed since it was read")
}

// UpdateMetadata implements storage.Store with one UPDATE ... WHERE
// revision = the caller's; no row changed means not found or a conflict.
func (s *Store) UpdateMetadata(ctx context.Context, m *storage.Metadata) (*storage.Metadata, error) {
	const op = "sqlstorage.UpdateMetadata"
	if err := s.gate.Begin(ctx, op); err != nil {
		return nil, err
	}
	defer s.gate.Leave()
	if err := storeutil.CheckMetadata(op, m); err != nil {
		return nil, err
	}
	if err := s.updateMeta(ctx, s.db, op, m); err != nil {
		return nil, err
	}
	return normalized(m, m.Revision+1), nil
}

// updateMeta replaces the metadata at m.Revision through x.
func (s *Store) updateMeta(ctx context.Context, x execer, op string, m *storage.Metadata) error {
	res, err := x.ExecContext(ctx, s.q.updateMeta, m.Description, marshalLabels(m.Labels), marshalList(m.Decrypters),
		m.Version, m.ValueID, m.Revoked, storeutil.Micros(m.CreateTime), storeutil.Micros(m.UpdateTime),
		m.CreatedBy, m.UpdatedBy, m.Namespace, m.Name, m.Revision)
	if err != nil {
		return convert(ctx, op, err)
	}
	n, err := rowsAffected(res)
	if err != nil {
		return convert(ctx, op, err)
	}
	if n == 0 {
		return s.missingOrMoved(ctx, x, op, m.Namespace, m.Name)
	}
	return nil
}

// DeleteMetadata implements storage.Store.
func (s *Store) DeleteMetadata(ctx context.Context, namespace, name string, revision int64) error {
	const op = "sqlstorage.DeleteMetadata"
	if err := s.gate.Begin(ctx, op); err != nil {
		return err
	}
	defer s.gate.Leave()
	if err := storeutil.CheckKey(op, namespace, name); err != nil {
		return err
	}
	return s.deleteMeta(ctx, s.db, op, namespace, name, revision)
}

// deleteMeta removes the metadata at revision through x.
func (s *Store) deleteMeta(ctx context.Context, x execer, op, namespace, name string, revision int64) error {
	res, err := x.ExecContext(ctx, s.q.deleteMeta, namespace, name, revision)
	if err != nil {
		return convert(ctx, op, err)
	}
	n, err := rowsAffected(res)
	if err != nil {
		return convert(ctx, op, err)
	}
	if n == 0 {
		return s.missingOrMoved(ctx, x, op, namespace, name)
	}
	return nil
}

// ListMetadata implements storage.Store. It pages by name with keyset
// pagination (name > last); label filters are applied in memory with
// storage.MatchLabels, reading batches until the page is full.
func (s *Store) ListMetadata(ctx context.Context, namespace string, opts storage.ListOptions) ([]*storage.Metadata, string, error) {
	const op = "sqlstorage.ListMetadata"
	if err := s.gate.Begin(ctx, op); err != nil {
		return nil, "", err
	}
	defer s.gate.Leave()
	if err := storeutil.CheckKey(op, namespace, "-"); err != nil {
		return nil, "", err
	}
	page, next, err := storeutil.ListPage(op, opts, func(after string, limit int, emit func(string, *storage.Metadata) bool) (int, error) {
		rows, err := s.db.QueryContext(ctx, s.q.listMeta, namespace, after, limit)
		if err != nil {
			return 0, convert(ctx, op, err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			m, err := scanMeta(rows)
			if err != nil {
				return n, convert(ctx, op, err)
			}
			n++
			if !emit(m.Name, m) {
				break
			}
		}
		return n, convert(ctx, op, rows.Err())
	})
	return page, next, err
}

// PutCiphertext implements storage.Store.
func (s *Store) PutCiphertext(ctx context.Context, c *storage.Ciphertext) error {
	const op = "sqlstorage.PutCiphertext"
	if err := s.gate.Begin(ctx, op); err != nil {
		return err
	}
	defer s.gate.Leave()
	if err := storeutil.CheckCiphertext(op, c); err != nil {
		return err
	}
	return s.putCT(ctx, s.db, op, c)
}

// putCT inserts c through x unless its key is taken.
func (s *Store) putCT(ctx context.Context, x execer, op string, c *storage.Ciphertext) error {
	data := c.Data
	if data == nil {
		data = []byte{}
	}
	res, err := x.ExecContext(ctx, s.q.putCT, c.Namespace, c.Name, c.ValueID, c.Version, data, storeutil.Micros(c.CreateTime))
	if err != nil {
		return convert(ctx, op, err)
	}
	n, err := rowsAffected(res)
	if err != nil {
		return convert(ctx, op, err)
	}
	if n == 0 {
		return errcode.New(errcode.AlreadyExists, op, "a ciphertext with this key exists")
	}
	return nil
}

// GetCiphertext implements storage.Store.
func (s *Store) GetCiphertext(ctx context.Context, namespace, name, valueID string) (*storage.Ciphertext, error) {
	const op = "sqlstorage.GetCiphertext"
	if err := s.gate.Begin(ctx, op); err != nil {
		return nil, err
	}
	defer s.gate.Leave()
	if err := storeutil.CheckCiphertextKey(op, namespace, name, valueID); err != nil {
		return nil, err
	}
	c := &storage.Ciphertext{Namespace: namespace, Name: name, ValueID: valueID}
	var ct int64
	err := s.queryRow(ctx, s.q.getCT, namespace, name, valueID).Scan(&c.Version, &c.Data, &ct)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errcode.New(errcode.NotFound, op, "ciphertext not found")
	}
	if err != nil {
		return nil, convert(ctx, op, err)
	}
	if c.Data == nil {
		c.Data = []byte{}
	}
	c.CreateTime = storeutil.FromMicros(ct)
	return c, nil
}

// DeleteCiphertext implements storage.Store.
func (s *Store) DeleteCiphertext(ctx context.Context, namespace, name, valueID string) error {
	const op = "sqlstorage.DeleteCiphertext"
	if err := s.gate.Begin(ctx, op); err != nil {
		return err
	}
	defer s.gate.Leave()
	if err := storeutil.CheckCiphertextKey(op, namespace, name, valueID); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, s.q.deleteCT, namespace, name, valueID)
	return convert(ctx, op, err)
}

// ListCiphertexts implements storage.Store, ordered by (namespace, name,
// value ID) with keyset pagination.
func (s *Store) ListCiphertexts(ctx context.Context, namespace string, pageSize int, pageToken string) ([]storage.CiphertextRef, string, error) {
	const op = "sqlstorage.ListCiphertexts"
	if err := s.gate.Begin(ctx, op); err != nil {
		return nil, "", err
	}
	defer s.gate.Leave()
	if namespace != "" {
		if err := storeutil.CheckKey(op, namespace, "-"); err != nil {
			return nil, "", err
		}
	}
	tok, err := storeutil.DecodeToken(op, pageToken)
	if err != nil {
		return nil, "", err
	}
	var afterNS, afterName, afterID string
	if tok != "" {
		parts := strings.Split(tok, "\x00")
		if len(parts) != 3 {
			return nil, "", errcode.New(errcode.Invalid, op, "malformed page token")
		}
		afterNS, afterName, afterID = parts[0], parts[1], parts[2]
		if namespace != "" && afterNS != namespace {
			return nil, "", errcode.New(errcode.Invalid, op, "page token of another namespace")
		}
	}
	size := storeutil.CiphertextPageSize(pageSize)
	var rows *sql.Rows
	if namespace != "" {
		rows, err = s.db.QueryContext(ctx, s.q.listCTNS, namespace, afterName, afterID, size+1)
	} else {
		rows, err = s.db.QueryContext(ctx, s.q.listCTAll, afterNS, afterName, afterID, size+1)
	}
	if err != nil {
		return nil, "", convert(ctx, op, err)
	}
	defer rows.Close()
	var out []storage.CiphertextRef
	for rows.Next() {
		var r storage.CiphertextRef
		var ct int64
		if err := rows.Scan(&r.Namespace, &r.Name, &r.ValueID, &r.Version, &ct); err != nil {
			return nil, "", convert(ctx, op, err)
		}
		r.CreateTime = storeutil.FromMicros(ct)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", convert(ctx, op, err)
	}
	next := ""
	if len(out) > size {
		out = out[:size]
		last := out[size-1]
		next = storeutil.EncodeToken(last.Namespace + "\x00" + last.Name + "\x00" + last.ValueID)
	}
	return out, next, nil
}

// ReplaceCiphertext implements storage.Store with one UPDATE ... WHERE
// data = old.
func (s *Store) ReplaceCiphertext(ctx context.Context, c *storage.Ciphertext, old []byte) error {
	const op = "sqlstorage.ReplaceCiphertext"
	if err := s.gate.Begin(ctx, op); err != nil {
		return err
	}
	defer s.gate.Leave()
	if err := storeutil.CheckCiphertext(op, c); err != nil {
		return err
	}
	data := c.Data
	if data == nil {
		data = []byte{}
	}
	if old == nil {
		old = []byte{}
	}
	res, err := s.db.ExecContext(ctx, s.q.replaceCT, data, c.Namespace, c.Name, c.ValueID, old)
	if err != nil {
		return convert(ctx, op, err)
	}
	n, err := rowsAffected(res)
	if err != nil {
		return convert(ctx, op, err)
	}
	if n > 0 {
		return nil
	}
	var one int
	err = s.db.QueryRowContext(ctx, s.q.existsCT, c.Namespace, c.Name, c.ValueID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return errcode.New(errcode.NotFound, op, "ciphertext not found")
	}
	if err != nil {
		return convert(ctx, op, err)
	}
	return errcode.New(errcode.Conflict, op, "ciphertext changed since it was read")
}

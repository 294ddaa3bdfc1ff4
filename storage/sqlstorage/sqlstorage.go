package sqlstorage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/driver"
)

// sqlDriver is the driver.Store over a SQL database. It is safe for
// concurrent use, also by several processes sharing the database.
type sqlDriver struct {
	db      *sql.DB
	dialect Dialect
	q       queries
	owned   bool // Close closes db
	// prepared holds the hot reads prepared once, on SQLite, whose driver
	// would otherwise parse and plan the SQL on every call (the bulk of a
	// read's cost). pgx caches its prepared statements by itself.
	prepared map[string]*sql.Stmt
	// reads are the read connections of a SQLite file database the store
	// opened itself (readconns.go); nil otherwise.
	reads  *readConns
	listen *listener // PostgreSQL LISTEN for WaitSequence
	// pgReads batches the hot reads on PostgreSQL (pgbatch.go); nil on
	// SQLite.
	pgReads *pgReads
}

// OpenDB returns a Store over db, which speaks dialect, after bringing the
// schema up to date (see the package doc, # Schema). db stays the caller's:
// Close does not close it. For SQLite, db should have a busy timeout (the
// modernc.org/sqlite DSN parameter _busy_timeout) so that writers from
// several connections wait for each other instead of failing.
func OpenDB(ctx context.Context, db *sql.DB, dialect Dialect) (*storage.Store, error) {
	if db == nil || (dialect != SQLite && dialect != Postgres) {
		return nil, errcode.New(errcode.Invalid, "sqlstorage.OpenDB", "a *sql.DB and a known Dialect are required")
	}
	return newStore(open(ctx, db, dialect, false))
}

// newStore is storage.NewStore over d, or err.
func newStore(d *sqlDriver, err error) (*storage.Store, error) {
	if err != nil {
		return nil, err
	}
	return storage.NewStore(d), nil
}

func open(ctx context.Context, db *sql.DB, d Dialect, owned bool) (*sqlDriver, error) {
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
	s := &sqlDriver{db: db, dialect: d, q: newQueries(d), owned: owned, listen: newListener(db)}
	if d == Postgres {
		s.pgReads = &pgReads{send: s.sendPGBatch}
	}
	if d == SQLite {
		s.prepared = map[string]*sql.Stmt{}
		// getRecord is on every request's path too: a durable run-token
		// revocation check (secrets/fleet) is one getRecord per Verify.
		// The lists and the other statements run outside a transaction
		// are prepared once as well: the driver prepares a statement at
		// every call otherwise, which cost more than running it (two
		// thirds of the model test's time on SQLite went to sqlite3_prepare).
		for _, q := range []string{s.q.getCurrent, s.q.getMeta, s.q.getCT, s.q.getRecord,
			s.q.listMeta, s.q.listCTNS, s.q.listCTAll, s.q.listRecords, s.q.kindSeq,
			s.q.existsCT, s.q.deleteCT, s.q.replaceCT} {
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

// queryRow runs a single-row query: on SQLite on a read connection if one
// is idle and has q (readconns.go), on PostgreSQL in a pipelined batch if
// q is a hot read (pgbatch.go), else through its prepared statement if there is one.
func (s *sqlDriver) queryRow(ctx context.Context, q string, args ...any) scanner {
	if r, ok := s.reads.queryRow(ctx, q, args); ok {
		return r
	}
	if s.dialect == Postgres && (q == s.q.getCurrent || q == s.q.getRecord) {
		return pgRow{p: s.pgReads, ctx: ctx, q: q, args: args}
	}
	if st := s.prepared[q]; st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.db.QueryRowContext(ctx, q, args...)
}

// query runs a query of rows outside a transaction, through its prepared
// statement if there is one.
func (s *sqlDriver) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := s.prepared[q]; st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.db.QueryContext(ctx, q, args...)
}

// exec runs a statement outside a transaction, through its prepared
// statement if there is one.
func (s *sqlDriver) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := s.prepared[q]; st != nil {
		return st.ExecContext(ctx, args...)
	}
	return s.db.ExecContext(ctx, q, args...)
}

func (s *sqlDriver) closeStmts() {
	for _, st := range s.prepared {
		st.Close()
	}
}

// Close implements driver.Store: it closes the read connections, the
// prepared statements and, if the driver opened the database, the
// database.
func (s *sqlDriver) Close() error {
	s.listen.close()
	s.reads.close()
	s.closeStmts()
	if !s.owned {
		return nil
	}
	return s.db.Close()
}

// Atomic implements driver.Store: GetCurrent is one SELECT and the writes
// are single transactions (atomic.go).
func (s *sqlDriver) Atomic() driver.Atomic { return s }

// ErrorCode implements driver.Store.
func (s *sqlDriver) ErrorCode(err error) error { return codeOf(err) }

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
func scanMeta(r scanner) (*driver.Metadata, error) {
	var m driver.Metadata
	return scanMetaInto(&m, r, []any{&m.Namespace, &m.Name})
}

// scanMetaInto scans into m the columns of head, then metaValueCols, then
// those of tail.
func scanMetaInto(m *driver.Metadata, r scanner, head []any, tail ...any) (*driver.Metadata, error) {
	var labels, decrypters, history string
	var ct, ut, keep int64
	dest := append(head, &m.Description, &labels, &decrypters, &m.Version, &m.ValueID,
		&m.Revoked, &m.Revision, &ct, &ut, &m.CreatedBy, &m.UpdatedBy, &keep, &history, &m.Incarnation)
	if err := r.Scan(append(dest, tail...)...); err != nil {
		return nil, err
	}
	if err := unmarshalLists(m, labels, decrypters); err != nil {
		return nil, err
	}
	m.KeepVersions = int(keep)
	h, err := unmarshalHistory(history)
	if err != nil {
		return nil, err
	}
	m.History = h
	m.CreateTime = fromMicros(ct)
	m.UpdateTime = fromMicros(ut)
	return m, nil
}

// unmarshalLists sets m's labels and decrypters from their stored JSON.
func unmarshalLists(m *driver.Metadata, labels, decrypters string) error {
	if labels != "{}" && labels != "" {
		if err := json.Unmarshal([]byte(labels), &m.Labels); err != nil {
			return errcode.New(errcode.Internal, "", "stored labels are not a JSON object")
		}
		if len(m.Labels) == 0 {
			m.Labels = nil
		}
	}
	if decrypters != "[]" && decrypters != "" {
		if l, ok := plainStringList(decrypters); ok {
			m.Decrypters = l
		} else if err := json.Unmarshal([]byte(decrypters), &m.Decrypters); err != nil {
			return errcode.New(errcode.Internal, "", "stored decrypters are not a JSON array")
		}
		if len(m.Decrypters) == 0 {
			m.Decrypters = nil
		}
	}
	return nil
}

// plainStringList decodes the JSON array of strings marshalList writes
// when no string needs an escape, as in every list of decrypter ids (a
// decrypt reads one; encoding/json's reflection was 2% of a decrypt's CPU):
// `["a","b"]`, no whitespace, each element valid UTF-8 without '"', '\\'
// or control characters, so its bytes are the string. ok is false for
// anything else, which json.Unmarshal then decodes (FuzzPlainStringList
// holds the two to the same answers).
func plainStringList(s string) (_ []string, ok bool) {
	inner, ok := strings.CutPrefix(s, `["`)
	if !ok {
		return nil, false
	}
	if inner, ok = strings.CutSuffix(inner, `"]`); !ok {
		return nil, false
	}
	for i := 0; i < len(inner); i++ {
		if c := inner[i]; c == '\\' || c < 0x20 {
			return nil, false
		}
	}
	if !utf8.ValidString(inner) {
		return nil, false
	}
	out := make([]string, 0, 1+strings.Count(inner, `","`))
	for {
		el, rest, more := strings.Cut(inner, `","`)
		if strings.IndexByte(el, '"') >= 0 {
			return nil, false
		}
		out = append(out, el)
		if !more {
			return out, true
		}
		inner = rest
	}
}

// affected returns the rows a statement changed, or its error.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// micros is a time as stored: Unix microseconds (the portable type passes
// times truncated to the microsecond, in UTC). The zero time maps to its
// own (negative) value, so it round-trips.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is the inverse of micros.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func notFound() error { return errcode.New(errcode.NotFound, "", "secret not found") }

// CreateMetadata implements driver.Store.
func (s *sqlDriver) CreateMetadata(ctx context.Context, m *driver.Metadata) error {
	return s.createMeta(ctx, s.db, m)
}

// createMeta inserts m with revision 1 through x.
func (s *sqlDriver) createMeta(ctx context.Context, x execer, m *driver.Metadata) error {
	n, err := affected(x.ExecContext(ctx, s.q.createMeta, m.Namespace, m.Name, m.Description, marshalLabels(m.Labels),
		marshalList(m.Decrypters), m.Version, m.ValueID, m.Revoked, int64(1),
		micros(m.CreateTime), micros(m.UpdateTime), m.CreatedBy, m.UpdatedBy, int64(m.KeepVersions), marshalHistory(m.History),
		m.Incarnation))
	if err != nil {
		return err
	}
	if n == 0 {
		return errcode.New(errcode.AlreadyExists, "", "a secret with this name exists in the namespace")
	}
	return nil
}

// GetMetadata implements driver.Store.
func (s *sqlDriver) GetMetadata(ctx context.Context, namespace, name string) (*driver.Metadata, error) {
	m, err := scanMeta(s.queryRow(ctx, s.q.getMeta, namespace, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound()
	}
	return m, err
}

// missingOrMoved tells why a conditional write changed no row, reading
// through x (the database, or the transaction the write ran in).
func (s *sqlDriver) missingOrMoved(ctx context.Context, x execer, namespace, name string) error {
	var rev int64
	err := x.QueryRowContext(ctx, s.q.existsMeta, namespace, name).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound()
	}
	if err != nil {
		return err
	}
	return errcode.New(errcode.Conflict, "", "revision moved: the secret was changed (or deleted and created again) since it was read")
}

// UpdateMetadata implements driver.Store with one UPDATE ... WHERE
// revision = the caller's; no row changed means not found or a conflict.
func (s *sqlDriver) UpdateMetadata(ctx context.Context, m *driver.Metadata) error {
	return s.updateMeta(ctx, s.db, m)
}

// updateMeta replaces the metadata at m.Revision through x.
func (s *sqlDriver) updateMeta(ctx context.Context, x execer, m *driver.Metadata) error {
	n, err := affected(x.ExecContext(ctx, s.q.updateMeta, m.Description, marshalLabels(m.Labels), marshalList(m.Decrypters),
		m.Version, m.ValueID, m.Revoked, micros(m.CreateTime), micros(m.UpdateTime),
		m.CreatedBy, m.UpdatedBy, int64(m.KeepVersions), marshalHistory(m.History), m.Namespace, m.Name, m.Revision, m.Incarnation))
	if err != nil {
		return err
	}
	if n == 0 {
		return s.missingOrMoved(ctx, x, m.Namespace, m.Name)
	}
	return nil
}

// DeleteMetadata implements driver.Store.
func (s *sqlDriver) DeleteMetadata(ctx context.Context, namespace, name string, revision int64) error {
	return s.deleteMeta(ctx, s.db, namespace, name, revision)
}

// deleteMeta removes the metadata at revision through x.
func (s *sqlDriver) deleteMeta(ctx context.Context, x execer, namespace, name string, revision int64) error {
	n, err := affected(x.ExecContext(ctx, s.q.deleteMeta, namespace, name, revision))
	if err != nil {
		return err
	}
	if n == 0 {
		return s.missingOrMoved(ctx, x, namespace, name)
	}
	return nil
}

// ListMetadata implements driver.Store with keyset pagination (name >
// after).
func (s *sqlDriver) ListMetadata(ctx context.Context, namespace, after string, limit int) ([]*driver.Metadata, error) {
	rows, err := s.query(ctx, s.q.listMeta, namespace, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*driver.Metadata
	for rows.Next() {
		m, err := scanMeta(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// PutCiphertext implements driver.Store.
func (s *sqlDriver) PutCiphertext(ctx context.Context, c *driver.Ciphertext) error {
	return s.putCT(ctx, s.db, c)
}

// putCT inserts c through x unless its key is taken.
func (s *sqlDriver) putCT(ctx context.Context, x execer, c *driver.Ciphertext) error {
	n, err := affected(x.ExecContext(ctx, s.q.putCT, c.Namespace, c.Name, c.ValueID, c.Version, c.Data, micros(c.CreateTime)))
	if err != nil {
		return err
	}
	if n == 0 {
		return errcode.New(errcode.AlreadyExists, "", "a ciphertext with this key exists")
	}
	return nil
}

// GetCiphertext implements driver.Store.
func (s *sqlDriver) GetCiphertext(ctx context.Context, namespace, name, valueID string) (*driver.Ciphertext, error) {
	c := &driver.Ciphertext{Namespace: namespace, Name: name, ValueID: valueID}
	var ct int64
	err := s.queryRow(ctx, s.q.getCT, namespace, name, valueID).Scan(&c.Version, &c.Data, &ct)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errcode.New(errcode.NotFound, "", "ciphertext not found")
	}
	if err != nil {
		return nil, err
	}
	c.CreateTime = fromMicros(ct)
	return c, nil
}

// DeleteCiphertext implements driver.Store.
func (s *sqlDriver) DeleteCiphertext(ctx context.Context, namespace, name, valueID string) error {
	_, err := s.exec(ctx, s.q.deleteCT, namespace, name, valueID)
	return err
}

// ListCiphertexts implements driver.Store, ordered by (namespace, name,
// value ID) with keyset pagination.
func (s *sqlDriver) ListCiphertexts(ctx context.Context, namespace string, after driver.CiphertextRef, limit int) ([]driver.CiphertextRef, error) {
	var rows *sql.Rows
	var err error
	if namespace != "" {
		rows, err = s.query(ctx, s.q.listCTNS, namespace, after.Name, after.ValueID, limit)
	} else {
		rows, err = s.query(ctx, s.q.listCTAll, after.Namespace, after.Name, after.ValueID, limit)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []driver.CiphertextRef
	for rows.Next() {
		var r driver.CiphertextRef
		var ct int64
		if err := rows.Scan(&r.Namespace, &r.Name, &r.ValueID, &r.Version, &ct); err != nil {
			return nil, err
		}
		r.CreateTime = fromMicros(ct)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReplaceCiphertext implements driver.Store with one UPDATE ... WHERE
// data = old.
func (s *sqlDriver) ReplaceCiphertext(ctx context.Context, c *driver.Ciphertext, old []byte) error {
	n, err := affected(s.exec(ctx, s.q.replaceCT, c.Data, c.Namespace, c.Name, c.ValueID, old))
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	var one int
	err = s.queryRow(ctx, s.q.existsCT, c.Namespace, c.Name, c.ValueID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return errcode.New(errcode.NotFound, "", "ciphertext not found")
	}
	if err != nil {
		return err
	}
	return errcode.New(errcode.Conflict, "", "ciphertext changed since it was read")
}

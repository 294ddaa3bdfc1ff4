package sqlstorage

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage/driver"
)

// The driver's Atomic operations (driver.Atomic): GetCurrent in one
// SELECT, the writes in one transaction each.

// GetCurrent implements driver.Atomic with one SELECT: the metadata row
// LEFT JOINed with the ciphertext row its value ID names.
func (s *sqlDriver) GetCurrent(ctx context.Context, namespace, name string) (*driver.Metadata, *driver.Ciphertext, error) {
	if s.dialect == SQLite {
		m, c, err := scanPackedCurrent(s.queryRow(ctx, s.q.getCurrent, namespace, name), namespace, name)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil, notFound()
		}
		return m, c, err
	}
	var version, ctime sql.NullInt64
	var data []byte
	m := &driver.Metadata{Namespace: namespace, Name: name}
	m, err := scanMetaInto(m, s.queryRow(ctx, s.q.getCurrent, namespace, name), nil, &version, &data, &ctime)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, notFound()
	}
	if err != nil {
		return nil, nil, err
	}
	if !version.Valid { // revoked, or no such ciphertext
		return m, nil, nil
	}
	return m, currentCiphertext(m, version.Int64, data, ctime.Int64), nil
}

func currentCiphertext(m *driver.Metadata, version int64, data []byte, ctime int64) *driver.Ciphertext {
	return &driver.Ciphertext{
		Namespace:  m.Namespace,
		Name:       m.Name,
		ValueID:    m.ValueID,
		Version:    version,
		Data:       data,
		CreateTime: fromMicros(ctime),
	}
}

// scanPackedCurrent reads a row of SQLite's getCurrent: the metadata's
// metaValueCols joined by NUL, the ciphertext's version and create time
// joined by NUL (NULL without a ciphertext), and its data.
func scanPackedCurrent(r scanner, namespace, name string) (*driver.Metadata, *driver.Ciphertext, error) {
	var packed string
	var ctPacked sql.NullString
	var data []byte
	if err := r.Scan(&packed, &ctPacked, &data); err != nil {
		return nil, nil, err
	}
	f := strings.Split(packed, "\x00")
	if len(f) != 14 {
		return nil, nil, errcode.New(errcode.Internal, "", "stored metadata has a field with a NUL byte")
	}
	m := &driver.Metadata{Namespace: namespace, Name: name, Description: f[0], ValueID: f[4], CreatedBy: f[9], UpdatedBy: f[10], Incarnation: f[13]}
	var ints [6]int64 // version, revoked, revision, create and update times, keep versions
	for i, j := range [6]int{3, 5, 6, 7, 8, 11} {
		n, err := strconv.ParseInt(f[j], 10, 64)
		if err != nil {
			return nil, nil, errcode.New(errcode.Internal, "", "stored metadata has a malformed integer column")
		}
		ints[i] = n
	}
	m.Version, m.Revoked, m.Revision = ints[0], ints[1] != 0, ints[2]
	m.CreateTime, m.UpdateTime = fromMicros(ints[3]), fromMicros(ints[4])
	m.KeepVersions = int(ints[5])
	if err := unmarshalLists(m, f[1], f[2]); err != nil {
		return nil, nil, err
	}
	var err error
	if m.History, err = unmarshalHistory(f[12]); err != nil {
		return nil, nil, err
	}
	if !ctPacked.Valid { // revoked, or no such ciphertext
		return m, nil, nil
	}
	v, t, ok := strings.Cut(ctPacked.String, "\x00")
	version, err1 := strconv.ParseInt(v, 10, 64)
	ctime, err2 := strconv.ParseInt(t, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return nil, nil, errcode.New(errcode.Internal, "", "stored ciphertext has a malformed integer column")
	}
	return m, currentCiphertext(m, version, data, ctime), nil
}

// CreateWithCiphertext implements driver.Atomic: PutCiphertext(c) then
// CreateMetadata(m) in one transaction.
func (s *sqlDriver) CreateWithCiphertext(ctx context.Context, m *driver.Metadata, c *driver.Ciphertext) error {
	if s.dialect == Postgres {
		return s.pgCreateWithCiphertext(ctx, m, c)
	}
	return s.writeTx(ctx, func(x execer) error {
		if err := s.putCT(ctx, x, c); err != nil {
			return err
		}
		return s.createMeta(ctx, x, m)
	})
}

// pgCreateWithCiphertext inserts both rows with one statement, which
// PostgreSQL runs atomically: one round trip and one commit instead of
// four round trips for BEGIN, two INSERTs and COMMIT. Either key being
// taken aborts the whole statement with a unique violation, so nothing is
// stored.
func (s *sqlDriver) pgCreateWithCiphertext(ctx context.Context, m *driver.Metadata, c *driver.Ciphertext) error {
	_, err := s.db.ExecContext(ctx, s.q.pgCreateWithCT,
		c.Namespace, c.Name, c.ValueID, c.Version, c.Data, micros(c.CreateTime),
		m.Namespace, m.Name, m.Description, marshalLabels(m.Labels), marshalList(m.Decrypters), m.Version,
		m.ValueID, m.Revoked, int64(1), micros(m.CreateTime), micros(m.UpdateTime), m.CreatedBy, m.UpdatedBy,
		int64(m.KeepVersions), marshalHistory(m.History), m.Incarnation)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" && ctx.Err() == nil { // unique_violation
		if pe.TableName == ciphertextTable {
			return errcode.New(errcode.AlreadyExists, "", "a ciphertext with this key exists")
		}
		return errcode.New(errcode.AlreadyExists, "", "a secret with this name exists in the namespace")
	}
	return err
}

// UpdateWithCiphertext implements driver.Atomic: PutCiphertext(c) when c
// is not nil, UpdateMetadata(m), and DeleteCiphertext of each of drop, in
// one transaction.
func (s *sqlDriver) UpdateWithCiphertext(ctx context.Context, m *driver.Metadata, c *driver.Ciphertext, drop []string) error {
	return s.writeTx(ctx, func(x execer) error {
		if c != nil {
			if err := s.putCT(ctx, x, c); err != nil {
				return err
			}
		}
		if err := s.updateMeta(ctx, x, m); err != nil {
			return err
		}
		for _, id := range drop {
			if _, err := x.ExecContext(ctx, s.q.deleteCT, m.Namespace, m.Name, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteSecret implements driver.Atomic: DeleteMetadata and the deletion
// of every ciphertext of the name, in one transaction.
func (s *sqlDriver) DeleteSecret(ctx context.Context, namespace, name string, revision int64) error {
	return s.writeTx(ctx, func(x execer) error {
		if err := s.deleteMeta(ctx, x, namespace, name, revision); err != nil {
			return err
		}
		_, err := x.ExecContext(ctx, s.q.deleteCTName, namespace, name)
		return err
	})
}

// writeTx runs fn in one write transaction and commits it if fn succeeds;
// on any error nothing fn did remains.
//
// On SQLite the transaction is BEGIN IMMEDIATE on one connection: the
// write lock is taken at BEGIN, waiting for other writers (connections or
// processes) under busy_timeout. A deferred transaction would take it at
// its first write, and upgrading a read lock to a write lock is what
// SQLite fails at once with SQLITE_BUSY, without waiting. On PostgreSQL it
// is a READ COMMITTED transaction: a conditional UPDATE or DELETE that
// waited for another transaction's row lock re-checks the revision on the
// row that transaction committed, so of two writers with one revision one
// wins and the other conflicts, and the loser's rollback removes the
// ciphertext it inserted.
func (s *sqlDriver) writeTx(ctx context.Context, fn func(x execer) error) error {
	if s.dialect != SQLite {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		sqliteRollback(ctx, conn)
		return err
	}
	if err := fn(conn); err != nil {
		sqliteRollback(ctx, conn)
		return err
	}
	// Once fn has succeeded the outcome is the database's to decide: the
	// COMMIT runs even if ctx ends now, so a call that reports an error
	// never leaves its writes behind because the context ended between
	// the commit and its report.
	if _, err := conn.ExecContext(context.WithoutCancel(ctx), "COMMIT"); err != nil {
		sqliteRollback(ctx, conn)
		return err
	}
	return nil
}

// sqliteRollback ends the transaction of conn, if one is still open (SQLite
// rolls back by itself after some errors). When the state of the
// connection is unknown, the connection is discarded rather than returned
// to the pool inside a transaction.
func sqliteRollback(ctx context.Context, conn *sql.Conn) {
	_, err := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	if err == nil || strings.Contains(err.Error(), "no transaction is active") {
		return
	}
	_ = conn.Raw(func(any) error { return sqldriver.ErrBadConn })
}

package sqlstorage

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"io"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// readConns are a few SQLite connections set apart from database/sql's
// pool for the reads on every request's path (a decrypt is a getCurrent,
// and with durable run-token revocations a getRecord too), each with
// those statements prepared on the driver's connection. A read on one of
// them calls the driver directly: database/sql's per-query work for a
// pooled statement (finding a connection and the statement prepared on
// it, a goroutine and a cancelable context watching each Rows, converting
// and copying every column) cost about as much CPU as SQLite's own lookup
// (issue #17 item 3). The statements, the arguments, the context (the
// driver still interrupts a query whose context ends) and the errors are
// the same as through the pool. When every read connection is busy, or a
// query has none, the read goes through the pool as before; so does a
// read whose connection went bad, which is then dropped.
//
// Only a database the store opened itself (sqlite:// file URLs) gets
// them, with its pool enlarged by as many connections: a *sql.DB given to
// OpenDB is the caller's to size, and :memory: has one connection.
type readConns struct {
	free chan *readConn // idle connections; len <= cap = the number made
}

// readConnCount is how many read connections a file database gets.
const readConnCount = 4

type readConn struct {
	conn  *sql.Conn
	stmts map[string]sqldriver.Stmt
}

// newReadConns takes n connections from db and prepares queries on each.
func newReadConns(ctx context.Context, db *sql.DB, n int, queries []string) (*readConns, error) {
	r := &readConns{free: make(chan *readConn, n)}
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			r.close()
			return nil, err
		}
		rc := &readConn{conn: c, stmts: make(map[string]sqldriver.Stmt, len(queries))}
		err = c.Raw(func(dc any) error {
			p, ok := dc.(sqldriver.ConnPrepareContext)
			if !ok {
				return errcode.New(errcode.Internal, "", "the SQLite driver does not prepare statements with a context")
			}
			for _, q := range queries {
				st, err := p.PrepareContext(ctx, q)
				if err != nil {
					return err
				}
				if _, ok := st.(sqldriver.StmtQueryContext); !ok {
					st.Close()
					return errcode.New(errcode.Internal, "", "the SQLite driver's statements do not query with a context")
				}
				rc.stmts[q] = st
			}
			return nil
		})
		if err != nil {
			rc.close()
			r.close()
			return nil, err
		}
		r.free <- rc
	}
	return r, nil
}

// queryRow runs q on an idle read connection; ok is false when there is
// none for q (every one busy, q not prepared on them, an argument that is
// not a string or an int64, or the connection went bad), and the caller
// then reads through the pool.
func (r *readConns) queryRow(ctx context.Context, q string, args []any) (_ scanner, ok bool) {
	if r == nil {
		return nil, false
	}
	var rc *readConn
	select {
	case rc = <-r.free:
	default:
		return nil, false
	}
	st := rc.stmts[q]
	named := make([]sqldriver.NamedValue, len(args))
	for i, a := range args {
		switch a.(type) {
		case string, int64:
		default:
			st = nil
		}
		named[i] = sqldriver.NamedValue{Ordinal: i + 1, Value: a}
	}
	if st == nil {
		r.free <- rc
		return nil, false
	}
	var row valueRow
	err := rc.conn.Raw(func(any) error {
		// A point read by primary key takes microseconds and, in WAL mode,
		// waits for no writer: the driver's per-query goroutine that
		// watches ctx to interrupt it costs more than the read, so the
		// query runs without ctx's cancellation, once ctx is checked.
		if err := ctx.Err(); err != nil {
			return err
		}
		rows, err := st.(sqldriver.StmtQueryContext).QueryContext(context.WithoutCancel(ctx), named)
		if err != nil {
			return err
		}
		dest := make([]sqldriver.Value, len(rows.Columns()))
		err = rows.Next(dest)
		cerr := rows.Close()
		switch {
		case err == io.EOF:
			row.err = sql.ErrNoRows
		case err != nil:
			return err
		case cerr != nil:
			return cerr
		default:
			row.vals = dest
		}
		return nil
	})
	if errors.Is(err, sqldriver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		rc.close() // Raw closed the driver's connection; drop ours
		return nil, false
	}
	r.free <- rc
	if err != nil {
		row.err = err
	}
	return row, true
}

// close closes the idle read connections: at Close, when none is in use.
func (r *readConns) close() {
	if r == nil {
		return
	}
	for {
		select {
		case rc := <-r.free:
			rc.close()
		default:
			return
		}
	}
}

func (rc *readConn) close() {
	_ = rc.conn.Raw(func(any) error {
		for _, st := range rc.stmts {
			st.Close()
		}
		return nil
	})
	rc.conn.Close()
}

// valueRow is one row read by a read connection, scanned as *sql.Row
// would be for the column types of the queries that use it.
type valueRow struct {
	vals []sqldriver.Value
	err  error
}

// Scan implements scanner: sql.ErrNoRows without a row, the query's error,
// or each value assigned to its destination.
func (r valueRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	if len(dest) != len(r.vals) {
		return fmt.Errorf("sqlstorage: scanning %d columns into %d destinations", len(r.vals), len(dest))
	}
	for i, d := range dest {
		if err := assignValue(d, r.vals[i]); err != nil {
			return fmt.Errorf("sqlstorage: column %d: %w", i, err)
		}
	}
	return nil
}

// assignValue stores a driver value as database/sql's Scan does, for the
// destination types the read connections' queries use. The driver's []byte
// is its own copy (modernc.org/sqlite copies every column out of SQLite),
// so it is kept, not copied again.
func assignValue(dest any, v sqldriver.Value) error {
	switch d := dest.(type) {
	case *string:
		if s, ok := v.(string); ok {
			*d = s
			return nil
		}
	case *sql.NullString:
		switch v := v.(type) {
		case nil:
			*d = sql.NullString{}
			return nil
		case string:
			*d = sql.NullString{String: v, Valid: true}
			return nil
		}
	case *[]byte:
		switch v := v.(type) {
		case nil:
			*d = nil
			return nil
		case []byte:
			*d = v
			return nil
		case string:
			*d = []byte(v)
			return nil
		}
	case *int64:
		if n, ok := v.(int64); ok {
			*d = n
			return nil
		}
	default:
		return fmt.Errorf("unsupported destination %T", dest)
	}
	return fmt.Errorf("cannot store %T in %T", v, dest)
}

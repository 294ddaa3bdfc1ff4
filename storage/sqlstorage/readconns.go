package sqlstorage

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"fmt"
	"strings"
	"time"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// readConns are a few SQLite connections of their own for the reads on
// every request's path (a decrypt is a getCurrent, and with durable
// run-token revocations a getRecord too), opened on the same file through
// SQLite's C API (modernc.org/sqlite/lib, the library the database/sql
// driver wraps) with those statements prepared once. A read binds its
// arguments, steps once and copies the row out: the driver's per-query
// work around the same calls (a Rows with its columns' names and declared
// types copied out of SQLite, a driver.Value per column, the arguments
// copied into C memory and freed, a mutex per call, a goroutine watching
// the context) cost about as much CPU as SQLite's own lookup (issue #17
// item 3: 10 us -> 7 us per getCurrent).
//
// What a read sees is what the pool sees: the same file in WAL mode, each
// read its own read transaction, committed writes of any connection or
// process. The connections are read-only (PRAGMA query_only) and wait for
// locks up to the store's busy timeout. A read checks its context before
// it starts and then runs to its end, as a primary-key lookup that waits
// for no writer in WAL mode takes microseconds. When every read
// connection is busy, or a query or an argument has none, the read goes
// through the pool; so does one that fails, whose connection is then
// closed, so the pool's error is the one returned and a damaged
// connection is not used again.
//
// Only a database the store opened itself (sqlite:// file URLs) gets
// them: a *sql.DB given to OpenDB may not be a file the store can name,
// and :memory: is private to its one connection.
type readConns struct {
	free    chan *readConn  // idle connections; len <= cap = the number made
	queries map[string]bool // the queries prepared on every connection
}

// readConnCount is how many read connections a file database gets.
const readConnCount = 4

// readArgBytes bounds the text arguments of one read, which are copied into
// a connection's C buffer of this size and bound without another copy: a
// namespace and a name, or a record kind and key, are far shorter (a read
// whose arguments are longer goes through the pool).
const readArgBytes = 4096

type readConn struct {
	tls   *libc.TLS
	db    uintptr            // sqlite3*
	stmts map[string]uintptr // sqlite3_stmt* by query
	args  uintptr            // readArgBytes of C memory for the arguments
}

// newReadConns opens n read connections to the SQLite database at uri (a
// SQLite URI filename, file:...) and prepares queries on each.
func newReadConns(uri string, busy time.Duration, n int, queries []string) (*readConns, error) {
	r := &readConns{free: make(chan *readConn, n), queries: make(map[string]bool, len(queries))}
	for _, q := range queries {
		r.queries[q] = true
	}
	for range n {
		rc, err := openReadConn(uri, busy, queries)
		if err != nil {
			r.close()
			return nil, err
		}
		r.free <- rc
	}
	return r, nil
}

func openReadConn(uri string, busy time.Duration, queries []string) (_ *readConn, err error) {
	rc := &readConn{tls: libc.NewTLS(), stmts: make(map[string]uintptr, len(queries))}
	defer func() {
		if err != nil {
			rc.close()
		}
	}()
	zURI, err := libc.CString(uri)
	if err != nil {
		return nil, err
	}
	ppDB := libc.Xmalloc(rc.tls, types.Size_t(unsafe.Sizeof(uintptr(0))))
	if ppDB == 0 {
		libc.Xfree(rc.tls, zURI)
		return nil, errcode.New(errcode.Internal, "", "out of C memory")
	}
	// One goroutine at a time uses the connection (readConns.free), so it
	// needs no mutex of its own (NOMUTEX); the file's locks still order it
	// with every other connection and process.
	res := sqlite3.Xsqlite3_open_v2(rc.tls, zURI, ppDB, sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_NOMUTEX|sqlite3.SQLITE_OPEN_URI, 0)
	rc.db = *(*uintptr)(cmem(ppDB))
	libc.Xfree(rc.tls, ppDB)
	libc.Xfree(rc.tls, zURI)
	if res != sqlite3.SQLITE_OK {
		return nil, rc.fail("opening a read connection", res)
	}
	if res := sqlite3.Xsqlite3_busy_timeout(rc.tls, rc.db, int32(min(busy.Milliseconds(), 1<<31-1))); res != sqlite3.SQLITE_OK {
		return nil, rc.fail("setting the busy timeout", res)
	}
	if err := rc.exec("PRAGMA query_only = ON"); err != nil {
		return nil, err
	}
	for _, q := range queries {
		st, err := rc.prepare(q)
		if err != nil {
			return nil, err
		}
		rc.stmts[q] = st
	}
	if rc.args = libc.Xmalloc(rc.tls, readArgBytes); rc.args == 0 {
		return nil, errcode.New(errcode.Internal, "", "out of C memory")
	}
	return rc, nil
}

// cmem is the C memory at p as an unsafe.Pointer. The memory comes from
// libc's allocator or SQLite (which allocates through it), outside the Go
// heap: the garbage collector neither moves nor frees it, so the pointer
// stays valid while the C side keeps it. The conversion goes through p's
// own storage because go vet cannot tell such an address from a Go one.
func cmem(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// fail returns SQLite's error for code res, while opening rc.
func (rc *readConn) fail(what string, res int32) error {
	msg := libc.GoString(sqlite3.Xsqlite3_errstr(rc.tls, res))
	if rc.db != 0 {
		msg = libc.GoString(sqlite3.Xsqlite3_errmsg(rc.tls, rc.db))
	}
	return fmt.Errorf("sqlstorage: %s: %s (%d)", what, msg, res)
}

func (rc *readConn) exec(q string) error {
	zQ, err := libc.CString(q)
	if err != nil {
		return err
	}
	defer libc.Xfree(rc.tls, zQ)
	if res := sqlite3.Xsqlite3_exec(rc.tls, rc.db, zQ, 0, 0, 0); res != sqlite3.SQLITE_OK {
		return rc.fail(q, res)
	}
	return nil
}

func (rc *readConn) prepare(q string) (uintptr, error) {
	zQ, err := libc.CString(q)
	if err != nil {
		return 0, err
	}
	defer libc.Xfree(rc.tls, zQ)
	ppStmt := libc.Xmalloc(rc.tls, types.Size_t(unsafe.Sizeof(uintptr(0))))
	if ppStmt == 0 {
		return 0, errcode.New(errcode.Internal, "", "out of C memory")
	}
	defer libc.Xfree(rc.tls, ppStmt)
	if res := sqlite3.Xsqlite3_prepare_v2(rc.tls, rc.db, zQ, -1, ppStmt, 0); res != sqlite3.SQLITE_OK {
		return 0, rc.fail("preparing a read", res)
	}
	return *(*uintptr)(cmem(ppStmt)), nil
}

// queryRow runs q on an idle read connection; ok is false when there is
// none for q (every one busy, q not prepared on them, an argument that is
// not a string or an int64, or too long), or the read failed, and the
// caller then reads through the pool.
func (r *readConns) queryRow(ctx context.Context, q string, args []any) (_ scanner, ok bool) {
	if r == nil || !r.queries[q] {
		// Not a query of the read connections: not worth taking one.
		return nil, false
	}
	var rc *readConn
	select {
	case rc = <-r.free:
	default:
		return nil, false
	}
	if err := ctx.Err(); err != nil {
		r.free <- rc
		return valueRow{err: err}, true
	}
	row, ok, broken := rc.query(q, args)
	if broken {
		rc.close()
		return nil, false
	}
	r.free <- rc
	return row, ok
}

// query runs q with args on rc: the row (sql.ErrNoRows without one) and
// true, or false when rc cannot run it; broken when the read failed, and
// rc is to be closed.
func (rc *readConn) query(q string, args []any) (row valueRow, ok, broken bool) {
	st := rc.stmts[q]
	if st == 0 {
		return row, false, false
	}
	used := 0
	for i, a := range args {
		var res int32
		switch a := a.(type) {
		case string:
			if len(a) > readArgBytes-used {
				return row, false, false
			}
			p := rc.args + uintptr(used)
			copy(unsafe.Slice((*byte)(cmem(p)), len(a)), a)
			used += len(a)
			// SQLITE_STATIC (0): SQLite reads the buffer in place, which
			// lives as long as the statement.
			res = sqlite3.Xsqlite3_bind_text(rc.tls, st, int32(i+1), p, int32(len(a)), 0)
		case int64:
			res = sqlite3.Xsqlite3_bind_int64(rc.tls, st, int32(i+1), a)
		default:
			return row, false, false
		}
		if res != sqlite3.SQLITE_OK {
			rc.finish(st)
			return row, false, true
		}
	}
	switch res := sqlite3.Xsqlite3_step(rc.tls, st); res {
	case sqlite3.SQLITE_ROW:
		row.vals = rc.columns(st)
	case sqlite3.SQLITE_DONE:
		row.err = sql.ErrNoRows
	default:
		rc.finish(st)
		return row, false, true
	}
	if res := rc.finish(st); res != sqlite3.SQLITE_OK {
		return valueRow{}, false, true
	}
	return row, true, false
}

// columns copies the current row of st out of SQLite, as the driver would
// give it to database/sql: int64, float64, string, []byte (nil when
// empty) or nil.
func (rc *readConn) columns(st uintptr) []sqldriver.Value {
	n := int(sqlite3.Xsqlite3_column_count(rc.tls, st))
	vals := make([]sqldriver.Value, n)
	for i := range n {
		col := int32(i)
		switch sqlite3.Xsqlite3_column_type(rc.tls, st, col) {
		case sqlite3.SQLITE_INTEGER:
			vals[i] = sqlite3.Xsqlite3_column_int64(rc.tls, st, col)
		case sqlite3.SQLITE_FLOAT:
			vals[i] = sqlite3.Xsqlite3_column_double(rc.tls, st, col)
		case sqlite3.SQLITE_TEXT:
			p := sqlite3.Xsqlite3_column_text(rc.tls, st, col)
			vals[i] = strings.Clone(unsafe.String((*byte)(cmem(p)), sqlite3.Xsqlite3_column_bytes(rc.tls, st, col)))
		case sqlite3.SQLITE_BLOB:
			p := sqlite3.Xsqlite3_column_blob(rc.tls, st, col)
			if n := sqlite3.Xsqlite3_column_bytes(rc.tls, st, col); n > 0 {
				vals[i] = append([]byte(nil), unsafe.Slice((*byte)(cmem(p)), n)...)
			} else {
				vals[i] = []byte(nil)
			}
		default: // SQLITE_NULL
			vals[i] = nil
		}
	}
	return vals
}

// finish resets st, which ends its read transaction. Its bindings stay:
// every read binds each argument again, and sqlite3_clear_bindings would
// mark the statement expired, to be compiled again at its next step (the
// cost of a whole read).
func (rc *readConn) finish(st uintptr) int32 { return sqlite3.Xsqlite3_reset(rc.tls, st) }

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
	for _, st := range rc.stmts {
		sqlite3.Xsqlite3_finalize(rc.tls, st)
	}
	rc.stmts = nil
	if rc.db != 0 {
		sqlite3.Xsqlite3_close_v2(rc.tls, rc.db)
		rc.db = 0
	}
	if rc.args != 0 {
		libc.Xfree(rc.tls, rc.args)
		rc.args = 0
	}
	rc.tls.Close()
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

package sqlstorage

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// codeOf classifies a driver error: Unavailable for what may pass on a
// retry (busy, connection, serialization failures), Internal otherwise.
func codeOf(err error) errcode.Code {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM:
			return errcode.Unavailable
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return errcode.FailedPrecondition
		}
		return errcode.Internal
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case len(pe.Code) >= 2 && (pe.Code[:2] == "08" || pe.Code[:2] == "53" || pe.Code[:2] == "57"),
			pe.Code == "40001", pe.Code == "40P01":
			return errcode.Unavailable
		case pe.Code == "22021" || pe.Code == "22P05": // bad encoding
			return errcode.Invalid
		}
		return errcode.Internal
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	// ErrConnClosed: the connection was closed under the call (a reset
	// mid-transaction, as a network fault causes); the next one may pass.
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, pgconn.ErrConnClosed) {
		return errcode.Unavailable
	}
	return errcode.Internal
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (any extended code).
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// openError converts an error of opening: the context's error when ctx is
// done, friendlier messages for files that are not databases, and codeOf's
// code otherwise. Driver messages name tables, columns and keys, never the
// bound values, so they cannot carry ciphertext bytes.
func openError(ctx context.Context, op string, d Dialect, err error) error {
	if err == nil {
		return nil
	}
	if cerr := errcode.ContextEnded(ctx); cerr != nil {
		return cerr
	}
	var e *errcode.Error
	if errors.As(err, &e) {
		return err
	}
	var se *sqlite.Error
	if d == SQLite && errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB:
			return errcode.New(errcode.FailedPrecondition, op, "the file is not a SQLite database; refusing to change it")
		case sqlite3.SQLITE_CORRUPT:
			return errcode.New(errcode.FailedPrecondition, op, "the SQLite database is corrupt; refusing to change it")
		}
	}
	return errcode.Wrap(codeOf(err), op, err)
}

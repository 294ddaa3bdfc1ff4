package sqlstorage

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
)

// URL schemes registered with storage.OpenStore.
const (
	// sqliteScheme: sqlite:///abs/path.db, sqlite://rel/path.db,
	// sqlite:rel/path.db, sqlite://:memory: (or sqlite::memory:).
	sqliteScheme = "sqlite"
	// postgresScheme: postgres://user:password@host:port/db?sslmode=...,
	// any URL pgx accepts. postgreSQLScheme is the same.
	postgresScheme   = "postgres"
	postgreSQLScheme = "postgresql"
)

func init() {
	o := new(urlOpener)
	storage.Register(sqliteScheme, o)
	storage.Register(postgresScheme, o)
	storage.Register(postgreSQLScheme, o)
}

// urlOpener opens sqlite://, postgres:// and postgresql:// store URLs (see
// the package doc).
type urlOpener struct{}

// OpenStoreURL implements storage.URLOpener.
func (*urlOpener) OpenStoreURL(ctx context.Context, u *url.URL) (*storage.Store, error) {
	return openURL(ctx, u)
}

func openURL(ctx context.Context, u *url.URL) (*storage.Store, error) {
	return newStore(openDriverURL(ctx, u))
}

// openDriverURL opens the driver a URL names.
func openDriverURL(ctx context.Context, u *url.URL) (*sqlDriver, error) {
	const op = "sqlstorage.Open"
	switch strings.ToLower(u.Scheme) {
	case sqliteScheme:
		path := u.Opaque
		if path == "" {
			path = u.Host + u.Path
		}
		if path == "" {
			return nil, errcode.New(errcode.Invalid, op, "sqlite URL without a path (want sqlite:///path/to/file.db or sqlite://:memory:)")
		}
		if u.User != nil {
			return nil, errcode.New(errcode.Invalid, op, "sqlite URL with a user name")
		}
		var opts sqliteOptions
		for k, v := range u.Query() {
			if len(v) != 1 {
				return nil, errcode.New(errcode.Invalid, op, "sqlite URL parameter "+k+" given more than once")
			}
			switch k {
			case "synchronous":
				opts.Synchronous = v[0]
			case "busy_timeout":
				d, err := time.ParseDuration(v[0])
				if err != nil || d <= 0 {
					return nil, errcode.New(errcode.Invalid, op, "sqlite URL parameter busy_timeout is not a positive duration such as 10s")
				}
				opts.BusyTimeout = d
			default:
				return nil, errcode.New(errcode.Invalid, op, "unknown sqlite URL parameter "+k+" (known: synchronous, busy_timeout)")
			}
		}
		return openSQLite(ctx, path, opts)
	case postgresScheme, postgreSQLScheme:
		return openPostgres(ctx, u.String())
	}
	return nil, errcode.New(errcode.Invalid, op, "unsupported URL scheme "+strconv.Quote(u.Scheme))
}

// sqliteOptions are the sqlite:// URL parameters. The zero value is the
// durable default.
type sqliteOptions struct {
	// Synchronous is SQLite's synchronous setting in WAL mode: "full"
	// (the default: a write is on disk when it returns, surviving power
	// loss) or "normal" (a write survives the process being killed but the
	// last ones may be lost on power loss; faster).
	Synchronous string
	// BusyTimeout is how long a writer waits for another (another
	// connection or process) before failing with secrets.ErrUnavailable;
	// 0 means 10 seconds.
	BusyTimeout time.Duration
}

// memoryPath is the sqlite:// path of a private in-memory database.
const memoryPath = ":memory:"

func openSQLite(ctx context.Context, path string, o sqliteOptions) (*sqlDriver, error) {
	const op = "sqlstorage.Open"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sync := strings.ToUpper(o.Synchronous)
	switch sync {
	case "":
		sync = "FULL"
	case "FULL", "NORMAL":
	default:
		return nil, errcode.New(errcode.Invalid, op, "the sqlite URL parameter synchronous must be full or normal")
	}
	busy := o.BusyTimeout
	if busy <= 0 {
		busy = 10 * time.Second
	}
	if path == "" || strings.IndexByte(path, 0) >= 0 {
		return nil, errcode.New(errcode.Invalid, op, "empty or malformed SQLite path")
	}
	params := "_busy_timeout=" + strconv.FormatInt(busy.Milliseconds(), 10) + "&_synchronous=" + sync
	memory := path == memoryPath
	var uri, dsn string
	if memory {
		dsn = "file::memory:?" + params
	} else {
		// SQLite URI filename: escape what would end or alter the path.
		uri = "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
		dsn = uri + "?" + params
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, errcode.Wrap(errcode.Internal, op, err)
	}
	if memory {
		// Each connection to :memory: is its own database: keep exactly one.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	} else {
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	}
	s, err := open(ctx, db, SQLite, true)
	if err != nil {
		db.Close()
		return nil, err
	}
	if !memory {
		if s.reads, err = newReadConns(uri, busy, readConnCount, []string{s.q.getCurrent, s.q.getRecord}); err != nil {
			s.Close()
			return nil, openError(ctx, "sqlstorage.Open", SQLite, err)
		}
	}
	return s, nil
}

// sqliteAfterMigrate switches a file database to write-ahead logging once
// it is known to be strongbox's: readers never block the writer, and with
// synchronous FULL a commit is durable when it returns. journal_mode is
// persistent, so every later connection uses WAL too.
//
// Switching a rollback-journal database to WAL takes the write lock by
// upgrading a read transaction, and SQLite fails such an upgrade with
// SQLITE_BUSY at once, without calling the busy handler, while another
// connection holds a lock (another process or store opening the same new
// file at the same moment, in its migration). So the switch is retried
// here, for as long as the connection's busy_timeout allows. Once the file
// is in WAL mode the statement takes no write lock and cannot be busy.
func sqliteAfterMigrate(ctx context.Context, db *sql.DB) error {
	const op = "sqlstorage.Open"
	conn, err := db.Conn(ctx)
	if err != nil {
		return openError(ctx, op, SQLite, err)
	}
	defer conn.Close()
	var busyMS int64
	if err := conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busyMS); err != nil {
		return openError(ctx, op, SQLite, err)
	}
	deadline := time.Now().Add(time.Duration(busyMS) * time.Millisecond)
	var mode string
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		err := conn.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		if err == nil {
			break
		}
		if !isBusy(err) || time.Now().Add(wait).After(deadline) {
			return openError(ctx, op, SQLite, err)
		}
		t := time.NewTimer(wait/2 + rand.N(wait/2+1)) // jitter: racing openers spread out
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if mode != "wal" && mode != "memory" {
		return errcode.New(errcode.FailedPrecondition, op, "cannot switch the database to WAL mode (it is in "+mode+" mode)")
	}
	return nil
}

func openPostgres(ctx context.Context, connString string) (*sqlDriver, error) {
	const op = "sqlstorage.Open"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		// pgx's message quotes the connection string; keep it out.
		return nil, errcode.New(errcode.Invalid, op, "malformed PostgreSQL connection string")
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s, err := open(ctx, db, Postgres, true)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

package sqlstorage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// migration is one step of the schema. Steps are never edited once
// released; a change is a new step.
type migration struct {
	version  int
	name     string
	sqlite   []string
	postgres []string
}

// textKey is the type of key columns: byte-order collation on PostgreSQL,
// so listings sort the same everywhere (SQLite's default is byte order).
const pgKey = `TEXT COLLATE "C" NOT NULL`

var migrations = []migration{
	{
		version: 1,
		name:    "metadata and ciphertext tables",
		sqlite: []string{
			`CREATE TABLE ` + metadataTable + ` (
				namespace      TEXT NOT NULL,
				name           TEXT NOT NULL,
				description    TEXT NOT NULL,
				labels         TEXT NOT NULL,
				decrypters     TEXT NOT NULL,
				version        INTEGER NOT NULL,
				value_id       TEXT NOT NULL,
				revoked        INTEGER NOT NULL,
				revision       INTEGER NOT NULL,
				create_time_us INTEGER NOT NULL,
				update_time_us INTEGER NOT NULL,
				created_by     TEXT NOT NULL,
				updated_by     TEXT NOT NULL,
				PRIMARY KEY (namespace, name)
			)`,
			`CREATE TABLE ` + ciphertextTable + ` (
				namespace      TEXT NOT NULL,
				name           TEXT NOT NULL,
				value_id       TEXT NOT NULL,
				version        INTEGER NOT NULL,
				data           BLOB NOT NULL,
				create_time_us INTEGER NOT NULL,
				PRIMARY KEY (namespace, name, value_id)
			)`,
		},
		postgres: []string{
			`CREATE TABLE ` + metadataTable + ` (
				namespace      ` + pgKey + `,
				name           ` + pgKey + `,
				description    TEXT NOT NULL,
				labels         TEXT NOT NULL,
				decrypters     TEXT NOT NULL,
				version        BIGINT NOT NULL,
				value_id       TEXT NOT NULL,
				revoked        BOOLEAN NOT NULL,
				revision       BIGINT NOT NULL,
				create_time_us BIGINT NOT NULL,
				update_time_us BIGINT NOT NULL,
				created_by     TEXT NOT NULL,
				updated_by     TEXT NOT NULL,
				PRIMARY KEY (namespace, name)
			)`,
			`CREATE TABLE ` + ciphertextTable + ` (
				namespace      ` + pgKey + `,
				name           ` + pgKey + `,
				value_id       ` + pgKey + `,
				version        BIGINT NOT NULL,
				data           BYTEA NOT NULL,
				create_time_us BIGINT NOT NULL,
				PRIMARY KEY (namespace, name, value_id)
			)`,
		},
	},
	{
		version: 2,
		name:    "records and record kinds tables",
		sqlite: []string{
			`CREATE TABLE ` + recordsTable + ` (
				kind           TEXT NOT NULL,
				key            TEXT NOT NULL,
				data           BLOB NOT NULL,
				revision       INTEGER NOT NULL,
				expire_time_us INTEGER NOT NULL,
				update_time_us INTEGER NOT NULL,
				PRIMARY KEY (kind, key)
			)`,
			`CREATE TABLE ` + recordKindsTable + ` (
				kind TEXT NOT NULL PRIMARY KEY,
				seq  INTEGER NOT NULL
			)`,
		},
		postgres: []string{
			`CREATE TABLE ` + recordsTable + ` (
				kind           ` + pgKey + `,
				key            ` + pgKey + `,
				data           BYTEA NOT NULL,
				revision       BIGINT NOT NULL,
				expire_time_us BIGINT NOT NULL,
				update_time_us BIGINT NOT NULL,
				PRIMARY KEY (kind, key)
			)`,
			`CREATE TABLE ` + recordKindsTable + ` (
				kind ` + pgKey + ` PRIMARY KEY,
				seq  BIGINT NOT NULL
			)`,
		},
	},
	{
		// Value history (issue #18): how many earlier values a secret
		// keeps, and the history as JSON text (see history.go). Existing
		// rows keep no earlier values and have no history yet.
		version: 3,
		name:    "metadata keep_versions and history",
		sqlite: []string{
			`ALTER TABLE ` + metadataTable + ` ADD COLUMN keep_versions INTEGER NOT NULL DEFAULT 0`,
			`ALTER TABLE ` + metadataTable + ` ADD COLUMN history TEXT NOT NULL DEFAULT ''`,
		},
		postgres: []string{
			`ALTER TABLE ` + metadataTable + ` ADD COLUMN keep_versions BIGINT NOT NULL DEFAULT 0`,
			`ALTER TABLE ` + metadataTable + ` ADD COLUMN history TEXT NOT NULL DEFAULT ''`,
		},
	},
	{
		// Incarnations: revisions restart at 1 when a name is created
		// again, so writes are guarded by (revision, incarnation). Rows
		// written before keep an empty incarnation, matched as such.
		version:  4,
		name:     "metadata incarnation",
		sqlite:   []string{`ALTER TABLE ` + metadataTable + ` ADD COLUMN incarnation TEXT NOT NULL DEFAULT ''`},
		postgres: []string{`ALTER TABLE ` + metadataTable + ` ADD COLUMN incarnation TEXT NOT NULL DEFAULT ''`},
	},
}

// schemaVersionLatest is the schema version this package writes and reads.
var schemaVersionLatest = migrations[len(migrations)-1].version

// sqliteApplicationID marks a SQLite file as strongbox's ("SBOX").
const sqliteApplicationID = 0x53424F58

// pgLockKey is the advisory lock that serializes migrations on PostgreSQL.
const pgLockKey = 0x5354524f4e47 // "STRONG"

// execer is what migrations run on: a transaction or a connection.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// migrate brings the schema up to schemaVersionLatest, once, even when several
// processes open the database at the same moment: on SQLite inside BEGIN
// IMMEDIATE (one writer at a time; the others wait for busy_timeout), on
// PostgreSQL inside a transaction holding an advisory lock. It refuses a
// database that holds other tables without strongbox's schema record, or a
// newer schema, and changes nothing in that case.
func migrate(ctx context.Context, db *sql.DB, d Dialect) error {
	const op = "sqlstorage.Open"
	conn, err := db.Conn(ctx)
	if err != nil {
		return openError(ctx, op, d, err)
	}
	defer conn.Close()

	switch d {
	case SQLite:
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			return openError(ctx, op, d, err)
		}
		if err := migrateIn(ctx, conn, d); err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
			return err
		}
		if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
			return openError(ctx, op, d, err)
		}
		return nil
	default:
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return openError(ctx, op, d, err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(pgLockKey)); err != nil {
			return openError(ctx, op, d, err)
		}
		if err := migrateIn(ctx, tx, d); err != nil {
			return err
		}
		return openError(ctx, op, d, tx.Commit())
	}
}

func migrateIn(ctx context.Context, x execer, d Dialect) error {
	const op = "sqlstorage.Open"
	current, err := schemaVersion(ctx, x, d)
	if err != nil {
		return err
	}
	if current > schemaVersionLatest {
		return errcode.New(errcode.FailedPrecondition, op, fmt.Sprintf(
			"the database has strongbox schema version %d, newer than this program's %d; upgrade strongbox", current, schemaVersionLatest))
	}
	if current < 0 {
		// A new database: record that it is strongbox's.
		create := "CREATE TABLE " + migrationsTable + " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_time_us BIGINT NOT NULL)"
		if _, err := x.ExecContext(ctx, create); err != nil {
			return openError(ctx, op, d, err)
		}
		if d == SQLite {
			if _, err := x.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", sqliteApplicationID)); err != nil {
				return openError(ctx, op, d, err)
			}
		}
		current = 0
	}
	for _, m := range migrations {
		if m.version <= current {
			continue
		}
		stmts := m.sqlite
		if d == Postgres {
			stmts = m.postgres
		}
		for _, s := range stmts {
			if _, err := x.ExecContext(ctx, s); err != nil {
				return openError(ctx, op, d, fmt.Errorf("migration %d (%s): %w", m.version, m.name, err))
			}
		}
		ins := d.rebind("INSERT INTO " + migrationsTable + " (version, name, applied_time_us) VALUES (?, ?, ?)")
		if _, err := x.ExecContext(ctx, ins, m.version, m.name, time.Now().UnixMicro()); err != nil {
			return openError(ctx, op, d, err)
		}
	}
	return checkTables(ctx, x, d)
}

// schemaVersion returns the recorded schema version, -1 for a database
// with no tables of strongbox's (a new one), or a FailedPrecondition error
// for a database that is not strongbox's.
func schemaVersion(ctx context.Context, x execer, d Dialect) (int, error) {
	const op = "sqlstorage.Open"
	var hasMigrations bool
	switch d {
	case SQLite:
		var appID int64
		if err := x.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
			return 0, openError(ctx, op, d, err)
		}
		if appID != 0 && appID != sqliteApplicationID {
			return 0, errcode.New(errcode.FailedPrecondition, op, fmt.Sprintf(
				"the SQLite file belongs to another application (application_id %#x); refusing to change it", appID))
		}
		tables, err := sqliteTables(ctx, x)
		if err != nil {
			return 0, openError(ctx, op, d, err)
		}
		for _, t := range tables {
			if t == migrationsTable {
				hasMigrations = true
			}
		}
		if !hasMigrations && len(tables) > 0 {
			if len(tables) > 5 {
				tables = append(tables[:5], "...")
			}
			return 0, errcode.New(errcode.FailedPrecondition, op,
				"the SQLite file holds other tables ("+strings.Join(tables, ", ")+") and no strongbox schema; refusing to change it")
		}
	case Postgres:
		var mig, meta, ct sql.NullString
		err := x.QueryRowContext(ctx, "SELECT to_regclass($1)::text, to_regclass($2)::text, to_regclass($3)::text",
			migrationsTable, metadataTable, ciphertextTable).Scan(&mig, &meta, &ct)
		if err != nil {
			return 0, openError(ctx, op, d, err)
		}
		hasMigrations = mig.Valid
		if !hasMigrations && (meta.Valid || ct.Valid) {
			return 0, errcode.New(errcode.FailedPrecondition, op,
				"the schema holds "+metadataTable+" or "+ciphertextTable+" but no "+migrationsTable+"; refusing to change it")
		}
	}
	if !hasMigrations {
		return -1, nil
	}
	var v sql.NullInt64
	if err := x.QueryRowContext(ctx, "SELECT max(version) FROM "+migrationsTable).Scan(&v); err != nil {
		return 0, errcode.Wrap(errcode.FailedPrecondition, op,
			fmt.Errorf("%s is not strongbox's: %w", migrationsTable, err))
	}
	return int(v.Int64), nil
}

func sqliteTables(ctx context.Context, x execer) ([]string, error) {
	rows, err := x.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// checkTables reads no rows but every column the Store uses, so a damaged
// or foreign schema fails at open rather than at the first call.
func checkTables(ctx context.Context, x execer, d Dialect) error {
	for _, q := range []string{
		"SELECT " + metaCols + " FROM " + metadataTable + " WHERE 1 = 0",
		"SELECT namespace, name, value_id, version, data, create_time_us FROM " + ciphertextTable + " WHERE 1 = 0",
		"SELECT kind, key, data, revision, expire_time_us, update_time_us FROM " + recordsTable + " WHERE 1 = 0",
		"SELECT kind, seq FROM " + recordKindsTable + " WHERE 1 = 0",
	} {
		rows, err := x.QueryContext(ctx, q)
		if err != nil {
			return errcode.Wrap(errcode.FailedPrecondition, "sqlstorage.Open",
				fmt.Errorf("the strongbox tables do not have the expected columns: %w", err))
		}
		rows.Close()
	}
	return nil
}

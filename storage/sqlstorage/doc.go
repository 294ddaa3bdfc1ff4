// Package sqlstorage is strongbox's durable storage backend over
// database/sql: SQLite embedded in the program by default (through
// modernc.org/sqlite, pure Go, no cgo), PostgreSQL for real deployments
// (through pgx's database/sql driver).
//
// Stores are opened from a URL with storage.OpenStore (or
// storage.OpenSplitStore), which the package registers its schemes with
// when imported, or over a *sql.DB the caller owns with OpenDB:
//
//	sqlite:///var/lib/app/strongbox.db   absolute path (created if missing)
//	sqlite://data/strongbox.db           relative to the working directory
//	sqlite:data/strongbox.db             the same
//	sqlite://:memory:                    a private in-memory database (also sqlite::memory:)
//	postgres://user:password@host:5432/db?sslmode=verify-full
//	postgresql://...                     the same; any connection string pgx accepts
//
// SQLite URLs take two parameters: synchronous=full|normal (default full)
// and busy_timeout=<duration> (default 10s). PostgreSQL URL parameters go
// to pgx; search_path=<schema> keeps strongbox's tables in a schema of
// their own.
//
// # Schema
//
// Five tables: strongbox_metadata (one row per secret, no value column),
// strongbox_ciphertexts (one row per value, keyed by namespace, name and
// value ID), strongbox_records (the service's own records, keyed by kind
// and key; see the storage package doc, # Records), strongbox_record_kinds
// (one change sequence per record kind, bumped in each record write's
// transaction) and strongbox_schema_migrations (one row per applied schema
// version; version 2 added the two record tables, version 3 the metadata
// columns keep_versions and history). Labels and decrypters are JSON
// text; history is the value history in a compact length-prefixed text
// form (storage/internal/histcodec, # Format; the empty text for none);
// times are BIGINT Unix
// microseconds in UTC; key columns use byte-order collation (COLLATE "C"
// on PostgreSQL), so listings sort the same on every engine. Metadata and
// ciphertexts are separate tables, which a deployment can keep apart (e.g.
// move one to another tablespace with ALTER TABLE ... SET TABLESPACE).
//
// The SQL relies only on: primary keys; INSERT ... ON CONFLICT (key) DO
// NOTHING; UPDATE and DELETE with a revision in the WHERE clause and their
// affected-row count; row-value comparison ((a, b) > (?, ?)) with ORDER BY
// and LIMIT for keyset pagination; LEFT JOIN; transactions; BIGINT, TEXT
// and BLOB/BYTEA; and, on PostgreSQL, an INSERT inside WITH (both rows of
// a new secret in one statement), transactional DDL and
// pg_advisory_xact_lock for migrations.
// Record writes use INSERT ... ON CONFLICT DO UPDATE ... WHERE ...
// RETURNING (a create that replaces only an expired record), and on
// PostgreSQL pg_notify: every record write sends NOTIFY strongbox_records
// with the kind as payload, delivered at commit.
// No triggers, stored procedures, JSON operators or sequences.
//
// # Migrations
//
// Opening brings the schema to the latest version before returning; the steps are
// versioned and never edited once released. Two processes opening the same
// database at once are safe: on SQLite the migration runs inside BEGIN
// IMMEDIATE (one writer at a time, the other waits for busy_timeout and
// then sees the new version), on PostgreSQL inside a transaction holding an
// advisory lock. Opening refuses, with secrets.ErrFailedPrecondition and
// without changing anything:
//   - a file that is not a SQLite database, or is corrupt;
//   - a SQLite file with another application's application_id, or with
//     tables but no strongbox schema record (strongbox marks its files with
//     application_id "SBOX");
//   - a PostgreSQL schema with strongbox's table names but no schema
//     record;
//   - a schema version newer than this program's, or tables missing the
//     expected columns.
//
// # Durability and concurrency
//
// SQLite files run in WAL mode with synchronous=FULL by default: a write
// has reached the disk when its call returns, so it survives the process
// being killed (SIGKILL) and power loss. synchronous=normal keeps the
// first guarantee, not the second, and is faster. Several stores and
// several processes may share a file: revisions are checked by the UPDATE
// itself (UPDATE ... WHERE revision = ?), so of two writers with the same
// revision one wins and the other gets secrets.ErrConflict; writers wait
// for each other up to busy_timeout. sqlite://:memory: holds one
// connection, so its calls run one at a time; its data is gone at Close.
// A sqlite:// file store holds up to 12 connections: 8 in a pool, and 4
// read-only ones for the reads every request makes (GetCurrent, and
// GetRecord, which a durable run-token revocation check calls on every
// verification), opened on the same file through SQLite's C API
// (modernc.org/sqlite/lib, which the database/sql driver wraps) with those
// statements prepared once: a read binds, steps once and copies its row
// out, without the driver's per-query work, which cost as much as the
// lookup. A read finding all 4 busy, or failing on one (which is then
// closed), goes through the pool. Through the pool, on SQLite, the point
// reads, the lists and the other statements run outside a transaction
// are prepared once per connection (database/sql's Stmt), since the
// driver would prepare them at every call; statements inside a write
// transaction are still prepared at each call. A *sql.DB given to OpenDB
// is used as its caller sized it. On PostgreSQL those two reads
// go out in pipelined batches through pgx itself: a read that finds fewer
// than 2 batches in flight is sent at once, and the reads that arrive
// meanwhile wait and go out together as the next batch (one write to the
// server and one read of all the answers, on one pooled connection), each
// still its own statement with its own answer and error, sent after its
// caller asked. Under load that saves most of a read's cost, which is the
// round trip, not the lookup. A read whose context ends while it waits
// leaves at once; a batch that fails before reaching the server is retried
// read by read through database/sql on another connection.
//
// The driver has Atomic operations (storage/driver): GetCurrent is one
// SELECT, the metadata LEFT JOINed with its current ciphertext, and
// CreateWithCiphertext, UpdateWithCiphertext and DeleteSecret each write
// the ciphertext and metadata tables in one transaction, so a crash leaves
// neither an orphan ciphertext nor metadata pointing at nothing, and a
// failed call changes nothing. On SQLite these transactions start with
// BEGIN IMMEDIATE: they take the write lock at once, waiting for other
// writers under busy_timeout, instead of upgrading a read lock, which
// SQLite fails at once with SQLITE_BUSY. In a split store
// (storage.OpenSplitStore) the tables are used one each and the writes
// are sequenced.
//
// # Beyond one machine
//
// When one machine is not enough, use PostgreSQL: a primary with streaming
// replicas (synchronous replication for writes that must survive losing
// the primary; all strongbox writes go to the primary, reads may use
// replicas through a separate store if stale reads are acceptable), or a
// PostgreSQL-compatible distributed database such as CockroachDB or
// YugabyteDB, which the schema targets by avoiding anything beyond the
// features listed above. The backend is tested on PostgreSQL 15 only; on
// an engine whose pg_advisory_xact_lock is missing or a no-op, run the
// first opening of a new database from one process (a deploy step).
//
// # Errors
//
// Conflicts, absent rows and duplicates map to secrets.ErrConflict,
// secrets.ErrNotFound and secrets.ErrAlreadyExists; a busy database, lost connection or
// serialization failure to secrets.ErrUnavailable (retry); a database that is not
// strongbox's to secrets.ErrFailedPrecondition; anything else to secrets.ErrInternal.
// Context errors pass through unchanged. Driver messages name tables,
// columns and keys, never bound values, and opening never repeats the URL.
//
// # Security
//
// The store never sees plaintext: it stores the ciphertexts the secrets
// package hands it and returns them unchanged. The database holds
// ciphertexts and metadata only; protect the PostgreSQL URL, which carries
// a password, like any credential.
package sqlstorage

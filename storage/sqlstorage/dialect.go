package sqlstorage

import (
	"strconv"
	"strings"
)

// Dialect is the SQL flavour of a database.
type Dialect int

// The dialects the backend speaks.
const (
	// SQLite, through modernc.org/sqlite (driver name "sqlite").
	SQLite Dialect = iota + 1
	// Postgres is PostgreSQL and the databases that speak its protocol and
	// SQL (CockroachDB, YugabyteDB), through pgx's database/sql driver
	// (driver name "pgx").
	Postgres
)

// Table names (see the package doc, # Schema). They are fixed so that two
// programs opening the same database agree; on PostgreSQL, pick a schema
// with search_path in the URL to keep several stores in one database.
const (
	metadataTable   = "strongbox_metadata"
	ciphertextTable = "strongbox_ciphertexts"
	migrationsTable = "strongbox_schema_migrations"
)

// rebind turns the '?' placeholders the queries are written with into the
// dialect's: '$1', '$2'... for PostgreSQL. No query has a '?' in a literal.
func (d Dialect) rebind(q string) string {
	if d != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

const (
	metaCols      = "namespace, name, " + metaValueCols
	metaValueCols = "description, labels, decrypters, version, value_id, revoked, revision, " +
		"create_time_us, update_time_us, created_by, updated_by, keep_versions, history, incarnation"
)

// prefixed qualifies each column of a comma-separated list with prefix.
func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ", ")
	for i, c := range parts {
		parts[i] = prefix + c
	}
	return strings.Join(parts, ", ")
}

// queries are the statements of a Store, in its dialect.
type queries struct {
	createMeta, getMeta, updateMeta, deleteMeta, existsMeta, listMeta   string
	putCT, getCT, deleteCT, existsCT, listCTNS, listCTAll, replaceCT    string
	getCurrent, deleteCTName                                            string
	pgCreateWithCT                                                      string // PostgreSQL only
	getRecord, createRecord, updateRecord, deleteRecord, recordRevision string
	listRecords, bumpKind, kindSeq                                      string
}

func newQueries(d Dialect) queries {
	q := queries{
		createMeta: "INSERT INTO " + metadataTable + " (" + metaCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) " +
			"ON CONFLICT (namespace, name) DO NOTHING",
		getMeta: "SELECT " + metaCols + " FROM " + metadataTable + " WHERE namespace = ? AND name = ?",
		updateMeta: "UPDATE " + metadataTable + " SET description = ?, labels = ?, decrypters = ?, version = ?, " +
			"value_id = ?, revoked = ?, revision = revision + 1, create_time_us = ?, update_time_us = ?, " +
			"created_by = ?, updated_by = ?, keep_versions = ?, history = ? WHERE namespace = ? AND name = ? AND revision = ? AND incarnation = ?",
		deleteMeta: "DELETE FROM " + metadataTable + " WHERE namespace = ? AND name = ? AND revision = ?",
		existsMeta: "SELECT revision FROM " + metadataTable + " WHERE namespace = ? AND name = ?",
		listMeta: "SELECT " + metaCols + " FROM " + metadataTable +
			" WHERE namespace = ? AND name > ? ORDER BY name LIMIT ?",
		putCT: "INSERT INTO " + ciphertextTable + " (namespace, name, value_id, version, data, create_time_us) " +
			"VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (namespace, name, value_id) DO NOTHING",
		getCT: "SELECT version, data, create_time_us FROM " + ciphertextTable +
			" WHERE namespace = ? AND name = ? AND value_id = ?",
		deleteCT: "DELETE FROM " + ciphertextTable + " WHERE namespace = ? AND name = ? AND value_id = ?",
		existsCT: "SELECT 1 FROM " + ciphertextTable + " WHERE namespace = ? AND name = ? AND value_id = ?",
		listCTNS: "SELECT namespace, name, value_id, version, create_time_us FROM " + ciphertextTable +
			" WHERE namespace = ? AND (name, value_id) > (?, ?) ORDER BY name, value_id LIMIT ?",
		listCTAll: "SELECT namespace, name, value_id, version, create_time_us FROM " + ciphertextTable +
			" WHERE (namespace, name, value_id) > (?, ?, ?) ORDER BY namespace, name, value_id LIMIT ?",
		replaceCT: "UPDATE " + ciphertextTable + " SET data = ? WHERE namespace = ? AND name = ? AND value_id = ? AND data = ?",
		// The metadata row and the ciphertext its value_id names, if any
		// (the c columns are NULL when revoked or missing).
		// The key columns are left out: they equal the arguments, and every
		// column costs the SQLite driver time.
		getCurrent: "SELECT " + prefixed("m.", metaValueCols) + ", c.version, c.data, c.create_time_us FROM " + metadataTable + " m " +
			"LEFT JOIN " + ciphertextTable + " c ON c.namespace = m.namespace AND c.name = m.name AND c.value_id = m.value_id " +
			"AND m.value_id <> '' WHERE m.namespace = ? AND m.name = ?",
		deleteCTName: "DELETE FROM " + ciphertextTable + " WHERE namespace = ? AND name = ?",
		// Both rows of a new secret in one statement (a data-modifying
		// WITH), without ON CONFLICT: a taken key aborts the statement.
		pgCreateWithCT: "WITH ct AS (INSERT INTO " + ciphertextTable + " (namespace, name, value_id, version, data, create_time_us) " +
			"VALUES (?, ?, ?, ?, ?, ?)) INSERT INTO " + metadataTable + " (" + metaCols + ") " +
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		getRecord: "SELECT data, revision, expire_time_us, update_time_us FROM " + recordsTable + " WHERE kind = ? AND key = ?",
		createRecord: "INSERT INTO " + recordsTable + " AS r (kind, key, data, revision, expire_time_us, update_time_us) " +
			"VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data, revision = r.revision + 1, " +
			"expire_time_us = excluded.expire_time_us, update_time_us = excluded.update_time_us " +
			"WHERE r.expire_time_us <> 0 AND r.expire_time_us <= ? RETURNING revision",
		updateRecord: "UPDATE " + recordsTable + " SET data = ?, revision = revision + 1, expire_time_us = ?, update_time_us = ? " +
			"WHERE kind = ? AND key = ? AND revision = ?",
		deleteRecord:   "DELETE FROM " + recordsTable + " WHERE kind = ? AND key = ? AND revision = ?",
		recordRevision: "SELECT revision FROM " + recordsTable + " WHERE kind = ? AND key = ?",
		listRecords: "SELECT key, data, revision, expire_time_us, update_time_us FROM " + recordsTable +
			" WHERE kind = ? AND key > ? ORDER BY key LIMIT ?",
		bumpKind: "INSERT INTO " + recordKindsTable + " (kind, seq) VALUES (?, 1) " +
			"ON CONFLICT (kind) DO UPDATE SET seq = " + recordKindsTable + ".seq + 1",
		kindSeq: "SELECT seq FROM " + recordKindsTable + " WHERE kind = ?",
	}
	if d == SQLite {
		// The same row in three columns instead of fourteen: the SQLite
		// driver spends more per column than SQLite spends on the joined
		// lookups, so the metadata comes as one text of NUL-separated
		// fields (text fields cannot hold NUL: the store refuses it) and
		// the ciphertext's version and time as another (NULL when there is
		// no ciphertext). scanPackedCurrent splits them.
		sep := func(cols string, prefix string) string {
			return strings.Join(strings.Split(prefixed(prefix, cols), ", "), " || char(0) || ")
		}
		q.getCurrent = "SELECT " + sep(metaValueCols, "m.") + ", " + sep("version, create_time_us", "c.") + ", c.data FROM " +
			metadataTable + " m LEFT JOIN " + ciphertextTable + " c ON c.namespace = m.namespace AND c.name = m.name " +
			"AND c.value_id = m.value_id AND m.value_id <> '' WHERE m.namespace = ? AND m.name = ?"
	}
	for _, p := range []*string{
		&q.createMeta, &q.getMeta, &q.updateMeta, &q.deleteMeta, &q.existsMeta, &q.listMeta,
		&q.putCT, &q.getCT, &q.deleteCT, &q.existsCT, &q.listCTNS, &q.listCTAll, &q.replaceCT,
		&q.getCurrent, &q.deleteCTName, &q.pgCreateWithCT,
		&q.getRecord, &q.createRecord, &q.updateRecord, &q.deleteRecord, &q.recordRevision,
		&q.listRecords, &q.bumpKind, &q.kindSeq,
	} {
		*p = d.rebind(*p)
	}
	return q
}

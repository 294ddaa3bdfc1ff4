package sqlstorage_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/sqlstorage"
)

// The benchmarks compare Create and Reveal through strongbox (a
// secrets.Manager with the envelope keeper, on this backend) with plain SQL
// through the same *sql.DB, in the same loop, so the ratios hold on any
// machine (medians of per-iteration times):
//
//   - x-one-row, the headline: against ONE plain INSERT (for Create) and
//     ONE plain SELECT by primary key (for Reveal) of a row as large as
//     everything strongbox stores for the secret (its metadata and its
//     ciphertext, counted column by column). Targets: Create <= 1.5x,
//     Reveal <= 1.5x.
//   - x-plain, for reference: against plain autocommit INSERTs (SELECTs)
//     of the two rows strongbox writes (reads), one metadata row and one
//     ciphertext row with the same sizes and keys.
//
// strongbox uses the driver's Atomic operations (storage/driver): Create
// is one transaction (both rows, one commit) and Reveal one SELECT.

const benchNS = "bench"

var (
	benchEditor = rbac.Principal{Kind: rbac.KindUser, ID: "bench-editor", Namespace: benchNS, Roles: []rbac.Role{rbac.RoleEditor}}
	benchRunner = rbac.Principal{Kind: rbac.KindService, ID: "bench-runner", Namespace: benchNS, Roles: []rbac.Role{rbac.RoleDecrypter}}
)

type benchEnv struct {
	db      *sql.DB
	dialect sqlstorage.Dialect
	store   *storage.Store
	m       *secrets.Manager
	ctSize  int // bytes of one stored ciphertext
	rowSize int // bytes strongbox stores for one secret: metadata and ciphertext
	plain   plainStmts
}

type plainStmts struct {
	insMeta, insCT, selMeta, selCT, insOne, selOne string
}

func bind(d sqlstorage.Dialect, q string) string {
	if d != sqlstorage.Postgres {
		return q
	}
	for i := 1; strings.Contains(q, "?"); i++ {
		q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
	}
	return q
}

func newBenchEnv(b *testing.B, backend string) *benchEnv {
	b.Helper()
	ctx := context.Background()
	var e benchEnv
	var err error
	switch backend {
	case "sqlite":
		path := strings.TrimPrefix(sqliteURL(b), "sqlite://")
		e.dialect = sqlstorage.SQLite
		e.db, err = sql.Open("sqlite", "file:"+path+"?_busy_timeout=10000&_synchronous=FULL")
	case "postgres":
		e.dialect = sqlstorage.Postgres
		e.db, err = sql.Open("pgx", postgresSchema(b))
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.db.Close() })
	e.store, err = sqlstorage.OpenDB(ctx, e.db, e.dialect)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.store.Close() })
	kek, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		b.Fatal(err)
	}
	k, err := keeper.OpenEnvelope(ctx, kek, keeper.EnvelopeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { k.Close() })
	e.m, err = secrets.New(secrets.Options{Store: e.store, Keeper: k, DefaultDecrypters: []string{benchRunner.ID}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.m.Close() })

	// Plain tables with strongbox's columns and keys, and a one-row table.
	blob := "BLOB"
	if e.dialect == sqlstorage.Postgres {
		blob = "BYTEA"
	}
	for _, ddl := range []string{
		"CREATE TABLE plain_metadata (namespace TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL, " +
			"labels TEXT NOT NULL, decrypters TEXT NOT NULL, version BIGINT NOT NULL, value_id TEXT NOT NULL, " +
			"revoked BOOLEAN NOT NULL, revision BIGINT NOT NULL, create_time_us BIGINT NOT NULL, " +
			"update_time_us BIGINT NOT NULL, created_by TEXT NOT NULL, updated_by TEXT NOT NULL, PRIMARY KEY (namespace, name))",
		"CREATE TABLE plain_ciphertexts (namespace TEXT NOT NULL, name TEXT NOT NULL, value_id TEXT NOT NULL, " +
			"version BIGINT NOT NULL, data " + blob + " NOT NULL, create_time_us BIGINT NOT NULL, PRIMARY KEY (namespace, name, value_id))",
		"CREATE TABLE plain_one (name TEXT PRIMARY KEY, data " + blob + " NOT NULL)",
	} {
		if _, err := e.db.ExecContext(ctx, ddl); err != nil {
			b.Fatal(err)
		}
	}
	d := e.dialect
	e.plain = plainStmts{
		insMeta: bind(d, "INSERT INTO plain_metadata VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		insCT:   bind(d, "INSERT INTO plain_ciphertexts VALUES (?, ?, ?, ?, ?, ?)"),
		selMeta: bind(d, "SELECT namespace, name, description, labels, decrypters, version, value_id, revoked, revision, "+
			"create_time_us, update_time_us, created_by, updated_by FROM plain_metadata WHERE namespace = ? AND name = ?"),
		selCT:  bind(d, "SELECT version, data, create_time_us FROM plain_ciphertexts WHERE namespace = ? AND name = ? AND value_id = ?"),
		insOne: bind(d, "INSERT INTO plain_one VALUES (?, ?)"),
		selOne: bind(d, "SELECT name, data FROM plain_one WHERE name = ?"),
	}

	// Measure the size of a real ciphertext for a benchmark-sized value.
	if _, err := e.m.Create(rbac.WithPrincipal(ctx, benchEditor), benchNS, benchSpec("probe")); err != nil {
		b.Fatal(err)
	}
	md, err := e.store.GetMetadata(ctx, benchNS, "probe")
	if err != nil {
		b.Fatal(err)
	}
	ct, err := e.store.GetCiphertext(ctx, benchNS, "probe", md.ValueID)
	if err != nil {
		b.Fatal(err)
	}
	e.ctSize = len(ct.Data)
	e.rowSize = storedBytes(md, ct)
	return &e
}

// storedBytes counts the bytes of the two rows strongbox stores for a
// secret, column by column as they are stored: text and blob lengths
// (labels and decrypters as JSON), 8 bytes per integer, 1 per boolean.
func storedBytes(md *storage.Metadata, ct *storage.Ciphertext) int {
	labels, _ := json.Marshal(md.Labels)
	decrypters, _ := json.Marshal(md.Decrypters)
	meta := len(md.Namespace) + len(md.Name) + len(md.Description) + len(labels) + len(decrypters) +
		len(md.ValueID) + len(md.CreatedBy) + len(md.UpdatedBy) +
		4*8 + 1 // version, revision, create and update times; revoked
	cipher := len(ct.Namespace) + len(ct.Name) + len(ct.ValueID) + len(ct.Data) + 2*8 // version, create time
	return meta + cipher
}

// oneRow returns the data column of a one-row write whose row (key and
// data) has the size of what strongbox stores for the secret.
func (e *benchEnv) oneRow(name string) []byte {
	data := make([]byte, max(e.rowSize-len(name), 1))
	_, _ = rand.Read(data)
	return data
}

// benchValue is a typical load-test secret: a 64-byte API token.
var benchValue = strings.Repeat("t", 64)

func benchSpec(name string) secrets.Spec {
	return secrets.Spec{
		Name: name, Description: "load test token",
		Labels: map[string]string{"env": "perf", "team": "load"},
		Value:  secrets.NewValue(benchValue),
	}
}

// plainInsert writes the rows strongbox writes for one secret.
func (e *benchEnv) plainInsert(b *testing.B, ctx context.Context, name string, data []byte) {
	now := time.Now().UnixMicro()
	valueID := "0123456789abcdef0123456789abcdef"
	if _, err := e.db.ExecContext(ctx, e.plain.insCT, benchNS, name, valueID, 1, data, now); err != nil {
		b.Fatal(err)
	}
	if _, err := e.db.ExecContext(ctx, e.plain.insMeta, benchNS, name, "load test token", `{"env":"perf","team":"load"}`,
		`["bench-runner"]`, 1, valueID, false, 1, now, now, benchEditor.String(), benchEditor.String()); err != nil {
		b.Fatal(err)
	}
}

func (e *benchEnv) plainSelect(b *testing.B, ctx context.Context, name string) {
	var ns, n, desc, labels, decs, vid, cby, uby string
	var version, rev, ct, ut int64
	var revoked bool
	if err := e.db.QueryRowContext(ctx, e.plain.selMeta, benchNS, name).Scan(&ns, &n, &desc, &labels, &decs,
		&version, &vid, &revoked, &rev, &ct, &ut, &cby, &uby); err != nil {
		b.Fatal(err)
	}
	var data []byte
	if err := e.db.QueryRowContext(ctx, e.plain.selCT, benchNS, name, vid).Scan(&version, &data, &ct); err != nil {
		b.Fatal(err)
	}
}

func benchBackends(b *testing.B, f func(b *testing.B, e *benchEnv)) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			f(b, newBenchEnv(b, backend))
		})
	}
}

// timings collects per-iteration durations; the report uses medians, which
// a shared machine's stalls (another process's fsync, a GC) do not move.
type timings struct{ strongbox, plain, one []time.Duration }

func median(d []time.Duration) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[len(s)/2].Nanoseconds())
}

func (tm *timings) report(b *testing.B, e *benchEnv) {
	sb, plain, one := median(tm.strongbox), median(tm.plain), median(tm.one)
	b.ReportMetric(sb, "strongbox-ns/op")
	b.ReportMetric(one, "one-row-ns/op")
	b.ReportMetric(plain, "plain-ns/op")
	b.ReportMetric(sb/one, "x-one-row")
	b.ReportMetric(sb/plain, "x-plain")
	b.ReportMetric(float64(e.rowSize), "row-bytes")
}

func BenchmarkCreate(b *testing.B) {
	benchBackends(b, func(b *testing.B, e *benchEnv) {
		ctx := rbac.WithPrincipal(context.Background(), benchEditor)
		data := make([]byte, e.ctSize)
		_, _ = rand.Read(data)
		one := e.oneRow(fmt.Sprintf("s%09d", 0))
		var tm timings
		b.ResetTimer()
		for i := range b.N {
			name := fmt.Sprintf("s%09d", i)
			// The three alternate, so the ratios compare like with like on
			// a machine whose speed drifts.
			t0 := time.Now()
			e.plainInsert(b, ctx, name, data)
			t1 := time.Now()
			if _, err := e.db.ExecContext(ctx, e.plain.insOne, name, one); err != nil {
				b.Fatal(err)
			}
			t2 := time.Now()
			if _, err := e.m.Create(ctx, benchNS, benchSpec(name)); err != nil {
				b.Fatal(err)
			}
			t3 := time.Now()
			tm.plain = append(tm.plain, t1.Sub(t0))
			tm.one = append(tm.one, t2.Sub(t1))
			tm.strongbox = append(tm.strongbox, t3.Sub(t2))
		}
		b.StopTimer()
		tm.report(b, e)
	})
}

func BenchmarkReveal(b *testing.B) {
	benchBackends(b, func(b *testing.B, e *benchEnv) {
		ctx := context.Background()
		editor := rbac.WithPrincipal(ctx, benchEditor)
		runner := rbac.WithPrincipal(ctx, benchRunner)
		const secretsN = 64
		data := make([]byte, e.ctSize)
		_, _ = rand.Read(data)
		for i := range secretsN {
			name := fmt.Sprintf("r%03d", i)
			if _, err := e.m.Create(editor, benchNS, benchSpec(name)); err != nil {
				b.Fatal(err)
			}
			e.plainInsert(b, ctx, name, data)
			if _, err := e.db.ExecContext(ctx, e.plain.insOne, name, e.oneRow(name)); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := e.m.RevealValue(runner, benchNS, "r000"); err != nil { // warm the data-key cache
			b.Fatal(err)
		}
		var tm timings
		b.ResetTimer()
		for i := range b.N {
			name := fmt.Sprintf("r%03d", i%secretsN)
			t0 := time.Now()
			e.plainSelect(b, ctx, name)
			t1 := time.Now()
			var gotName string
			var got []byte
			if err := e.db.QueryRowContext(ctx, e.plain.selOne, name).Scan(&gotName, &got); err != nil {
				b.Fatal(err)
			}
			t2 := time.Now()
			v, err := e.m.RevealValue(runner, benchNS, name)
			if err != nil {
				b.Fatal(err)
			}
			t3 := time.Now()
			if v.Len() != len(benchValue) {
				b.Fatalf("revealed %d bytes, want %d", v.Len(), len(benchValue))
			}
			tm.plain = append(tm.plain, t1.Sub(t0))
			tm.one = append(tm.one, t2.Sub(t1))
			tm.strongbox = append(tm.strongbox, t3.Sub(t2))
		}
		b.StopTimer()
		tm.report(b, e)
	})
}

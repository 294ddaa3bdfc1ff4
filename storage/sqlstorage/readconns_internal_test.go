package sqlstorage

import (
	"context"
	"crypto/rand"
	"database/sql"
	sqldriver "database/sql/driver"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage/driver"
)

// openFileDriver opens a SQLite file store's driver, with its read
// connections.
func openFileDriver(t testing.TB) *sqlDriver {
	t.Helper()
	u, err := url.Parse("sqlite://" + filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := openDriverURL(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// TestReadConnsServeHotReads: a file database has its read connections;
// getCurrent and getRecord run on them and answer what the pool answers,
// found or not; when every one is busy the read goes through the pool;
// Close closes them.
func TestReadConnsServeHotReads(t *testing.T) {
	ctx := context.Background()
	d := openFileDriver(t)
	if d.reads == nil || len(d.reads.free) != readConnCount {
		t.Fatalf("read connections: %v, want %d idle", d.reads, readConnCount)
	}
	now := time.Now().Truncate(time.Microsecond)
	m := &driver.Metadata{Namespace: "ns", Name: "a", Description: "d", Labels: map[string]string{"k": "v"},
		Decrypters: []string{"svc"}, Version: 1, ValueID: "v1", CreateTime: now, UpdateTime: now, CreatedBy: "u", UpdatedBy: "u"}
	c := &driver.Ciphertext{Namespace: "ns", Name: "a", ValueID: "v1", Version: 1, Data: []byte("ciphertext"), CreateTime: now}
	if err := d.CreateWithCiphertext(ctx, m, c); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateRecord(ctx, &driver.Record{Kind: "k", Key: "x", Data: []byte("data"), UpdateTime: now}, now); err != nil {
		t.Fatal(err)
	}

	read := func() (*driver.Metadata, *driver.Ciphertext, *driver.Record, error, error) {
		gm, gc, err := d.GetCurrent(ctx, "ns", "a")
		if err != nil {
			t.Fatalf("GetCurrent: %v", err)
		}
		r, err := d.GetRecord(ctx, "k", "x")
		if err != nil {
			t.Fatalf("GetRecord: %v", err)
		}
		_, _, errCur := d.GetCurrent(ctx, "ns", "missing")
		_, errRec := d.GetRecord(ctx, "k", "missing")
		return gm, gc, r, errCur, errRec
	}
	// Through the read connections, then with every one taken (busy):
	// through the pool. Both answer the same.
	m1, c1, r1, ec1, er1 := read()
	var taken []*readConn
	for range readConnCount {
		taken = append(taken, <-d.reads.free)
	}
	if _, ok := d.reads.queryRow(ctx, d.q.getRecord, []any{"k", "x"}); ok {
		t.Fatal("a read found a read connection while all were busy")
	}
	m2, c2, r2, ec2, er2 := read()
	for _, rc := range taken {
		d.reads.free <- rc
	}
	if diff := cmp.Diff(m2, m1); diff != "" {
		t.Errorf("metadata, pool vs read connection (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(c2, c1); diff != "" {
		t.Errorf("ciphertext, pool vs read connection (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(r2, r1); diff != "" {
		t.Errorf("record, pool vs read connection (-want +got):\n%s", diff)
	}
	if string(c1.Data) != "ciphertext" || m1.Description != "d" || string(r1.Data) != "data" {
		t.Errorf("read %+v %+v %+v", m1, c1, r1)
	}
	for _, err := range []error{ec1, ec2, er1, er2} {
		if errcode.Of(err) != errcode.NotFound {
			t.Errorf("missing row: %v, want not found", err)
		}
	}

	// Only the hot reads and string or int64 arguments use them.
	if _, ok := d.reads.queryRow(ctx, d.q.getMeta, []any{"ns", "a"}); ok {
		t.Error("getMeta ran on a read connection")
	}
	if _, ok := d.reads.queryRow(ctx, d.q.getRecord, []any{"k", []byte("x")}); ok {
		t.Error("a []byte argument ran on a read connection")
	}
	if len(d.reads.free) != readConnCount {
		t.Errorf("%d idle read connections, want %d", len(d.reads.free), readConnCount)
	}

	// A done context fails the read with its error, and the connection
	// stays usable.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if row, ok := d.reads.queryRow(cctx, d.q.getRecord, []any{"k", "x"}); !ok {
		t.Error("no read connection for a canceled read")
	} else if err := row.Scan(new([]byte), new(int64), new(int64), new(int64)); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled read: %v, want context.Canceled", err)
	}
	if _, err := d.GetRecord(ctx, "k", "x"); err != nil {
		t.Errorf("after a canceled read: %v", err)
	}

	conns := make([]*readConn, 0, readConnCount)
	for range readConnCount {
		rc := <-d.reads.free
		conns = append(conns, rc)
		d.reads.free <- rc
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	for _, rc := range conns {
		if rc.db != 0 || rc.stmts != nil || rc.args != 0 {
			t.Errorf("read connection after Close: database %#x, %d statements, argument buffer %#x; want all released", rc.db, len(rc.stmts), rc.args)
		}
	}
}

// TestReadConnsConcurrent: more concurrent readers than read connections
// all get their rows (the rest go through the pool), and the connections
// all come back.
func TestReadConnsConcurrent(t *testing.T) {
	ctx := context.Background()
	d := openFileDriver(t)
	now := time.Now()
	if _, err := d.CreateRecord(ctx, &driver.Record{Kind: "k", Key: "x", Data: []byte("data"), UpdateTime: now}, now); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*readConnCount)
	for range 4 * readConnCount {
		wg.Go(func() {
			for range 20 {
				r, err := d.GetRecord(ctx, "k", "x")
				if err == nil && string(r.Data) != "data" {
					err = errors.New("wrong data")
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(d.reads.free) != readConnCount {
		t.Errorf("%d idle read connections after the readers, want %d", len(d.reads.free), readConnCount)
	}
}

// TestReadConnsOnlyForOwnedFiles: :memory: (one connection) and a
// caller's *sql.DB get none.
func TestReadConnsOnlyForOwnedFiles(t *testing.T) {
	ctx := context.Background()
	u, _ := url.Parse("sqlite://:memory:")
	d, err := openDriverURL(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.reads != nil {
		t.Error(":memory: has read connections")
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "own.db")+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	own, err := open(ctx, db, SQLite, false)
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	if own.reads != nil {
		t.Error("a caller's *sql.DB has read connections")
	}
}

// TestValueRowScan: the conversions of a read connection's row, and its
// refusals.
func TestValueRowScan(t *testing.T) {
	var (
		s  string
		ns sql.NullString
		b  []byte
		n  int64
	)
	if err := (valueRow{vals: []sqldriver.Value{"text", "x", []byte("blob"), int64(7)}}).Scan(&s, &ns, &b, &n); err != nil {
		t.Fatal(err)
	}
	if s != "text" || ns != (sql.NullString{String: "x", Valid: true}) || string(b) != "blob" || n != 7 {
		t.Errorf("scanned %q %v %q %d", s, ns, b, n)
	}
	if err := (valueRow{vals: []sqldriver.Value{nil, nil, "as bytes"}}).Scan(&ns, &b, new([]byte)); err != nil || ns.Valid || b != nil {
		t.Errorf("NULLs: %v %v %v", err, ns, b)
	}
	for _, tt := range []struct {
		name string
		row  valueRow
		dest []any
	}{
		{"count", valueRow{vals: []sqldriver.Value{"a"}}, []any{&s, &s}},
		{"int into string", valueRow{vals: []sqldriver.Value{int64(1)}}, []any{&s}},
		{"NULL into string", valueRow{vals: []sqldriver.Value{nil}}, []any{&s}},
		{"text into int", valueRow{vals: []sqldriver.Value{"1"}}, []any{&n}},
		{"unsupported destination", valueRow{vals: []sqldriver.Value{"1"}}, []any{new(int)}},
	} {
		if err := tt.row.Scan(tt.dest...); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if err := (valueRow{err: sql.ErrNoRows}).Scan(&s); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("no row: %v", err)
	}
}

// TestPostgresHotReadsDropDeadConnections: after the server ends every
// connection of a store, each dead pooled connection fails at most one
// hot read (as through database/sql) and is discarded: the reads then
// succeed, on new connections.
func TestPostgresHotReadsDropDeadConnections(t *testing.T) {
	base := os.Getenv("STRONGBOX_TEST_POSTGRES_URL")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("STRONGBOX_TEST_POSTGRES_URL is not set (PostgreSQL tests are required under CI=true)")
		}
		t.Skip("STRONGBOX_TEST_POSTGRES_URL is not set: export STRONGBOX_TEST_POSTGRES_URL=$(scripts/start-postgres)")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "sbhot_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	defer admin.Exec("DROP SCHEMA " + schema + " CASCADE")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal("STRONGBOX_TEST_POSTGRES_URL is not a URL")
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", schema) // names this store's connections
	u.RawQuery = q.Encode()
	d, err := openDriverURL(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	now := time.Now()
	if _, err := d.CreateRecord(ctx, &driver.Record{Kind: "k", Key: "x", Data: []byte("data"), UpdateTime: now}, now); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 16 { // open many pooled connections
		wg.Go(func() {
			for range 5 {
				d.GetRecord(ctx, "k", "x")
			}
		})
	}
	wg.Wait()
	var ended int
	if err := admin.QueryRow("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", schema).Scan(&ended); err != nil || ended == 0 {
		t.Fatalf("ending the store's connections: %d, %v", ended, err)
	}
	failed := 0
	for range 40 {
		if _, err := d.GetRecord(ctx, "k", "x"); err != nil {
			failed++
			if errcode.Of(codeOf(err)) != errcode.Unavailable {
				t.Errorf("read on an ended connection: %v, want code unavailable", err)
			}
		}
	}
	if failed > ended {
		t.Errorf("%d of 40 reads failed after %d connections ended: dead connections are not dropped", failed, ended)
	}
	for range 10 {
		if r, err := d.GetRecord(ctx, "k", "x"); err != nil || string(r.Data) != "data" {
			t.Fatalf("read after the dead connections were dropped: %v", err)
		}
	}
}

// TestReadConnsFallBack: an argument too long for a read connection's
// buffer goes through the pool; a read that fails on a read connection
// closes that connection and answers the pool's error, and the others go
// on serving.
func TestReadConnsFallBack(t *testing.T) {
	ctx := context.Background()
	d := openFileDriver(t)
	long := strings.Repeat("k", readArgBytes+1)
	if _, ok := d.reads.queryRow(ctx, d.q.getRecord, []any{"kind", long}); ok {
		t.Errorf("a %d-byte argument ran on a read connection", len(long))
	}
	if _, ok := d.reads.queryRow(ctx, d.q.getRecord, []any{strings.Repeat("k", readArgBytes/2), strings.Repeat("k", readArgBytes/2+1)}); ok {
		t.Error("arguments of more than the buffer in all ran on a read connection")
	}
	if len(d.reads.free) != readConnCount {
		t.Fatalf("%d idle read connections, want %d", len(d.reads.free), readConnCount)
	}
	// With the records table gone, a getRecord fails on the read
	// connection (its statement no longer compiles) and through the pool.
	if _, err := d.db.ExecContext(ctx, "DROP TABLE "+recordsTable); err != nil {
		t.Fatal(err)
	}
	_, err := d.GetRecord(ctx, "k", "x")
	if err == nil || errcode.Of(err) == errcode.NotFound {
		t.Fatalf("GetRecord without its table: %v, want the pool's error", err)
	}
	if !strings.Contains(err.Error(), "no such table") {
		t.Errorf("GetRecord without its table: %v, want SQLite's \"no such table\" from the pool", err)
	}
	if n := len(d.reads.free); n != readConnCount-1 {
		t.Errorf("%d idle read connections after a failed read, want %d (the failed one closed)", n, readConnCount-1)
	}
	if _, _, err := d.GetCurrent(ctx, "ns", "missing"); errcode.Of(err) != errcode.NotFound {
		t.Errorf("GetCurrent on the remaining read connections: %v, want not found", err)
	}
}

// FuzzReadConnMatchesPool: whatever bytes a getRecord's arguments hold
// (NUL, invalid UTF-8, up to past the argument buffer), a read connection
// answers exactly what the pool answers, for a record written with those
// arguments and for one that is not there.
func FuzzReadConnMatchesPool(f *testing.F) {
	f.Add("runtoken.revoked", "AAAAAAAAAAAAAAAAAAAAAA", []byte("revoked"), true)
	f.Add("k", "x\x00y", []byte{}, true)
	f.Add("\xff", "", []byte{0}, false)
	f.Add(strings.Repeat("k", 2000), strings.Repeat("y", 2500), []byte("long"), true)
	d := openFileDriver(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, kind, key string, data []byte, write bool) {
		if write {
			if _, err := d.db.ExecContext(ctx, "INSERT OR REPLACE INTO "+recordsTable+
				" (kind, key, data, revision, expire_time_us, update_time_us) VALUES (?, ?, ?, 7, 0, 42)", kind, key, data); err != nil {
				t.Fatal(err)
			}
		}
		scan := func(r scanner) (got [4]any, err error) {
			var b []byte
			var rev, exp, upd int64
			err = r.Scan(&b, &rev, &exp, &upd)
			return [4]any{b, rev, exp, upd}, err
		}
		want, wantErr := scan(d.db.QueryRowContext(ctx, d.q.getRecord, kind, key))
		row, ok := d.reads.queryRow(ctx, d.q.getRecord, []any{kind, key})
		if !ok {
			if len(kind)+len(key) <= readArgBytes {
				t.Fatalf("no read connection for %d bytes of arguments", len(kind)+len(key))
			}
			return
		}
		got, gotErr := scan(row)
		if (wantErr == nil) != (gotErr == nil) || !errors.Is(gotErr, wantErr) && wantErr != nil {
			t.Fatalf("read connection: %v, pool: %v", gotErr, wantErr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("read connection vs pool (-pool +read):\n%s", diff)
		}
	})
}

// TestReadConnsDeclineOtherQueries: a query the read connections do not
// hold is declined before a connection is taken, whatever the context
// (a canceled one would otherwise be answered by the connection taken).
func TestReadConnsDeclineOtherQueries(t *testing.T) {
	d := openFileDriver(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := d.reads.queryRow(ctx, d.q.getMeta, []any{"ns", "a"}); ok {
		t.Error("queryRow answered getMeta, which the read connections do not hold")
	}
	if r, ok := d.reads.queryRow(ctx, d.q.getCurrent, []any{"ns", "a"}); !ok || !errors.Is(r.Scan(), context.Canceled) {
		t.Errorf("queryRow(getCurrent) with a canceled context = (%v, %v), want context.Canceled", r, ok)
	}
	if n := len(d.reads.free); n != readConnCount {
		t.Errorf("%d idle read connections, want %d", n, readConnCount)
	}
}

package sqlstorage_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/sqlstorage"
)

// backends lists the databases the reliability tests run on: a SQLite file
// and, when available, a PostgreSQL schema. Each call of url returns the
// same database, so two stores opened from it share data.
func backends(t *testing.T) []struct {
	name string
	url  func(t *testing.T) string
} {
	return []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return sqliteURL(t) }},
		{"postgres", func(t *testing.T) string { return postgresSchema(t) }},
	}
}

func TestTwoStoresSameDatabase(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			u := b.url(t)
			ctx := context.Background()
			s1, s2 := mustOpen(t, u), mustOpen(t, u)
			defer s1.Close()
			defer s2.Close()
			if _, err := s1.CreateMetadata(ctx, &storage.Metadata{Namespace: "ns", Name: "shared"}); err != nil {
				t.Fatal(err)
			}
			for round := int64(1); round <= 5; round++ {
				var wg sync.WaitGroup
				errs := make([]error, 16)
				for i := range errs {
					s := s1
					if i%2 == 1 {
						s = s2
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, errs[i] = s.UpdateMetadata(ctx, &storage.Metadata{
							Namespace: "ns", Name: "shared", Revision: round, Description: fmt.Sprint("writer ", i),
						})
					}()
				}
				wg.Wait()
				wins := 0
				for i, err := range errs {
					switch {
					case err == nil:
						wins++
					case !errors.Is(err, errcode.Conflict):
						t.Errorf("round %d writer %d: %v, want success or ErrConflict", round, i, err)
					}
				}
				if wins != 1 {
					t.Fatalf("round %d: %d writers won, want exactly 1", round, wins)
				}
				// Both stores see the winner.
				for _, s := range []*storage.Store{s1, s2} {
					m, err := s.GetMetadata(ctx, "ns", "shared")
					if err != nil || m.Revision != round+1 {
						t.Fatalf("round %d: GetMetadata = %v, %v; want revision %d", round, m, err, round+1)
					}
				}
			}
		})
	}
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			u := b.url(t)
			const n = 8
			stores := make([]*storage.Store, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					stores[i], errs[i] = storage.OpenStore(context.Background(), u)
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("Open %d: %v", i, err)
				}
				defer stores[i].Close()
			}
			// Every store works on the one schema.
			ctx := context.Background()
			for i, s := range stores {
				if _, err := s.CreateMetadata(ctx, &storage.Metadata{Namespace: "ns", Name: fmt.Sprint("s", i)}); err != nil {
					t.Fatalf("store %d: %v", i, err)
				}
			}
			page, _, err := stores[0].ListMetadata(ctx, "ns", storage.ListOptions{})
			if err != nil || len(page) != n {
				t.Fatalf("ListMetadata = %d items, %v; want %d", len(page), err, n)
			}
			if got := migrationRows(t, b.name, u); got != sqlstorage.SchemaVersion {
				t.Errorf("%d migration rows, want %d (each migration exactly once)", got, sqlstorage.SchemaVersion)
			}
		})
	}
}

// TestSQLiteConcurrentOpenNewFiles opens fresh files from 8 goroutines at
// once, several times: the openers that lose the race to migrate find the
// file still in rollback-journal mode, and switching it to WAL while
// another opener holds a lock fails at once with SQLITE_BUSY (SQLite does
// not call the busy handler for it). Open must wait that out.
func TestSQLiteConcurrentOpenNewFiles(t *testing.T) {
	const rounds, n = 10, 8
	for round := range rounds {
		u := sqliteURL(t)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := storage.OpenStore(context.Background(), u)
				if err == nil {
					err = s.Close()
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d: Open %d: %v", round, i, err)
			}
		}
	}
}

// rawDB opens the database behind a store URL directly.
func rawDB(t *testing.T, backend, u string) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", u
	if backend == "sqlite" {
		driver, dsn = "sqlite", strings.TrimPrefix(u, "sqlite://")
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func migrationRows(t *testing.T, backend, u string) int {
	t.Helper()
	var n int
	if err := rawDB(t, backend, u).QueryRow("SELECT count(*) FROM " + sqlstorage.MigrationsTable).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestReopenKeepsData(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			u := b.url(t)
			ctx := context.Background()
			s := mustOpen(t, u)
			want := &storage.Metadata{Namespace: "ns", Name: "kept", Labels: map[string]string{"a": "b"}, Revision: 1}
			if _, err := s.CreateMetadata(ctx, want); err != nil {
				t.Fatal(err)
			}
			if err := s.PutCiphertext(ctx, &storage.Ciphertext{Namespace: "ns", Name: "kept", ValueID: "v1", Data: []byte{0, 1, 2}}); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = mustOpen(t, u)
			defer s.Close()
			got, err := s.GetMetadata(ctx, "ns", "kept")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("metadata after reopen (-want +got):\n%s", diff)
			}
			c, err := s.GetCiphertext(ctx, "ns", "kept", "v1")
			if err != nil || string(c.Data) != "\x00\x01\x02" {
				t.Errorf("ciphertext after reopen = %v, %v", c, err)
			}
		})
	}
}

func TestSQLiteUsesWAL(t *testing.T) {
	u := sqliteURL(t)
	s := mustOpen(t, u)
	defer s.Close()
	var mode string
	if err := rawDB(t, "sqlite", u).QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestSQLiteForeignFiles opens files that are not strongbox databases: each
// fails at open with secrets.ErrFailedPrecondition and a clear message, and the
// file is left exactly as it was.
func TestSQLiteForeignFiles(t *testing.T) {
	random := make([]byte, 8192)
	_, _ = rand.Read(random)
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		msg   string
	}{
		{"random-bytes", func(t *testing.T, path string) {
			if err := os.WriteFile(path, random, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "not a SQLite database"},
		{"sqlite-header-then-garbage", func(t *testing.T, path string) {
			b := append([]byte("SQLite format 3\x00"), random...)
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "SQLite database"},
		{"another-apps-tables", func(t *testing.T, path string) {
			execSQLite(t, path, "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)", "INSERT INTO users VALUES (1, 'a@example.com')")
		}, "holds other tables (users) and no strongbox schema"},
		{"another-apps-id", func(t *testing.T, path string) {
			execSQLite(t, path, "PRAGMA application_id = 1234")
		}, "belongs to another application"},
		{"same-table-names-without-schema-record", func(t *testing.T, path string) {
			execSQLite(t, path, "CREATE TABLE strongbox_metadata (x TEXT)")
		}, "holds other tables (strongbox_metadata) and no strongbox schema"},
		{"newer-schema", func(t *testing.T, path string) {
			s, err := storage.OpenStore(context.Background(), "sqlite://"+path)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			execSQLite(t, path, "INSERT INTO strongbox_schema_migrations VALUES (999, 'from the future', 0)")
		}, "newer than this program's"},
		{"damaged-table", func(t *testing.T, path string) {
			s, err := storage.OpenStore(context.Background(), "sqlite://"+path)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			execSQLite(t, path, "DROP TABLE strongbox_ciphertexts", "CREATE TABLE strongbox_ciphertexts (x TEXT)")
		}, "do not have the expected columns"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "foreign.db")
			tc.setup(t, path)
			before := fileSum(t, path)
			s, err := storage.OpenStore(context.Background(), "sqlite://"+path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded on a foreign file")
			}
			if !errors.Is(err, errcode.FailedPrecondition) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Open = %v; want ErrFailedPrecondition mentioning %q", err, tc.msg)
			}
			if fileSum(t, path) != before {
				t.Errorf("Open changed the foreign file")
			}
		})
	}
}

func execSQLite(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestPostgresForeignSchema(t *testing.T) {
	tests := []struct {
		name  string
		setup []string
		msg   string
	}{
		{"same-table-names-without-schema-record", []string{"CREATE TABLE strongbox_metadata (x TEXT)"}, "no strongbox_schema_migrations"},
		{"foreign-migrations-table", []string{"CREATE TABLE strongbox_schema_migrations (id TEXT)"}, "is not strongbox's"},
		{"newer-schema", []string{"OPEN", "INSERT INTO strongbox_schema_migrations VALUES (999, 'from the future', 0)"}, "newer than this program's"},
		{"damaged-table", []string{"OPEN", "ALTER TABLE strongbox_metadata DROP COLUMN labels"}, "do not have the expected columns"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := postgresSchema(t)
			db := rawDB(t, "postgres", u)
			for _, stmt := range tc.setup {
				if stmt == "OPEN" {
					mustOpen(t, u).Close()
					continue
				}
				if _, err := db.Exec(stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			s, err := storage.OpenStore(context.Background(), u)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded on a foreign schema")
			}
			if !errors.Is(err, errcode.FailedPrecondition) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Open = %v; want ErrFailedPrecondition mentioning %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), "strongbox:") && strings.Contains(u, "@") {
				// the user name is fine; the password must not appear
				pw := strings.SplitN(strings.SplitN(u, "@", 2)[0], ":", 3)
				if len(pw) == 3 && strings.Contains(err.Error(), pw[2]) {
					t.Errorf("error contains the password: %v", err)
				}
			}
		})
	}
}

func TestPostgresSharedDatabaseWithOtherTables(t *testing.T) {
	// A PostgreSQL schema may hold an application's own tables: strongbox
	// only refuses tables with its own names.
	u := postgresSchema(t)
	if _, err := rawDB(t, "postgres", u).Exec("CREATE TABLE app_users (id INT)"); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, u).Close()
}

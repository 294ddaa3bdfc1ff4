package sqlstorage_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/sqlstorage"
)

func TestOpenSQLiteURLForms(t *testing.T) {
	dir := t.TempDir()
	// Relative paths are relative to the working directory.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	tests := []struct {
		url  string
		file string // created by the open; "" for memory
	}{
		{"sqlite://" + filepath.Join(dir, "abs.db"), "abs.db"},
		{"sqlite://" + filepath.Join(dir, "with space #and? percent%.db"), "with space #and? percent%.db"},
		{"sqlite://rel.db", "rel.db"},
		{"sqlite:opaque.db", "opaque.db"},
		{"sqlite://" + filepath.Join(dir, "normal.db") + "?synchronous=normal&busy_timeout=2s", "normal.db"},
		{"SQLITE://" + filepath.Join(dir, "upper.db"), "upper.db"},
		{"sqlite://:memory:", ""},
		{"sqlite::memory:", ""},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			// storage.OpenStore finds the backend by scheme.
			s, err := storage.OpenStore(context.Background(), strings.Replace(tc.url, "with space #and? percent%", "with%20space%20%23and%3F%20percent%25", 1))
			if err != nil {
				t.Fatalf("OpenStore: %v", err)
			}
			defer s.Close()
			if _, err := s.CreateMetadata(context.Background(), &storage.Metadata{Namespace: "n", Name: "x"}); err != nil {
				t.Fatal(err)
			}
			if tc.file != "" {
				if _, err := os.Stat(filepath.Join(dir, tc.file)); err != nil {
					t.Errorf("database file: %v", err)
				}
			}
		})
	}
}

func TestOpenInvalid(t *testing.T) {
	tests := []struct {
		url  string
		code error
		msg  string
	}{
		{"sqlite://", errcode.Invalid, "without a path"},
		{"sqlite:///tmp/x.db?journal=off", errcode.Invalid, "unknown sqlite URL parameter journal"},
		{"sqlite:///tmp/x.db?synchronous=off", errcode.Invalid, "full or normal"},
		{"sqlite:///tmp/x.db?busy_timeout=forever", errcode.Invalid, "busy_timeout"},
		{"sqlite://user:hunter2@x/y.db", errcode.Invalid, "user name"},
		{"postgres://user:hunter2@127.0.0.1:1/db?sslmode=bogus", errcode.Invalid, "malformed PostgreSQL connection string"},
		{"postgres://user:hunter2@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", errcode.Unavailable, "failed to connect"},
		{"sqlite:///nonexistent-dir/sub/x.db", errcode.Unavailable, "unable to open"},
		{"mysql://x", errcode.Invalid, `no store registered for URL scheme "mysql"`},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			s, err := storage.OpenStore(context.Background(), tc.url)
			if err == nil {
				s.Close()
				t.Fatal("OpenStore succeeded")
			}
			if !errors.Is(err, tc.code) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("OpenStore = %v; want %v mentioning %q", err, tc.code, tc.msg)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error contains the password: %v", err)
			}
		})
	}
}

func TestOpenCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := storage.OpenStore(ctx, sqliteURL(t)); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a canceled context = %v, want context.Canceled", err)
	}
}

func TestOpenDB(t *testing.T) {
	u := sqliteURL(t)
	db := rawDB(t, "sqlite", u)
	s, err := sqlstorage.OpenDB(context.Background(), db, sqlstorage.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Close left the caller's *sql.DB open.
	if err := db.Ping(); err != nil {
		t.Errorf("db after Store.Close: %v", err)
	}
	if _, err := sqlstorage.OpenDB(context.Background(), db, 0); !errors.Is(err, errcode.Invalid) {
		t.Errorf("OpenDB with no dialect = %v, want ErrInvalid", err)
	}
}

func TestSchemesRegistered(t *testing.T) {
	for _, u := range []string{"sqlite://", "postgres://u@127.0.0.1:1/db?sslmode=bogus", "postgresql://u@127.0.0.1:1/db?sslmode=bogus"} {
		_, err := storage.OpenStore(context.Background(), u)
		if err == nil || strings.Contains(err.Error(), "no store registered") {
			t.Errorf("OpenStore(%q) = %v; want the backend's own error", u, err)
		}
	}
}

package sqlstorage_test

import (
	"context"
	"testing"

	"github.com/strongbox-go/strongbox/storage"
	_ "github.com/strongbox-go/strongbox/storage/docstorage" // mem:// for the split stores
	"github.com/strongbox-go/strongbox/storage/driver"
	"github.com/strongbox-go/strongbox/storage/drivertest"
	"github.com/strongbox-go/strongbox/storage/sqlstorage"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	drivertest.RunConformance(t, func(t *testing.T) driver.Store {
		return mustOpenDriver(t, sqliteURL(t))
	})
}

func TestConformanceSQLiteMemory(t *testing.T) {
	t.Parallel()
	drivertest.RunConformance(t, func(t *testing.T) driver.Store {
		return mustOpenDriver(t, "sqlite://:memory:")
	})
}

func TestConformancePostgres(t *testing.T) {
	t.Parallel()
	postgresURL(t)
	drivertest.RunConformance(t, func(t *testing.T) driver.Store {
		return mustOpenDriver(t, postgresSchema(t))
	})
}

// The composite stores: metadata and ciphertexts on different backends
// (DESIGN invariant 3), so every write takes the sequenced path across two
// drivers.

// TestConformanceSplitSQLiteDocstore keeps metadata in a SQLite file and
// ciphertexts in a docstore collection.
func TestConformanceSplitSQLiteDocstore(t *testing.T) {
	t.Parallel()
	drivertest.RunStoreConformance(t, func(t *testing.T) *storage.Store {
		return mustOpenSplit(t, sqliteURL(t), "mem://")
	})
}

// TestConformanceSplitPostgresSQLite keeps metadata in PostgreSQL and
// ciphertexts in a SQLite file.
func TestConformanceSplitPostgresSQLite(t *testing.T) {
	t.Parallel()
	postgresURL(t)
	drivertest.RunStoreConformance(t, func(t *testing.T) *storage.Store {
		return mustOpenSplit(t, postgresSchema(t), sqliteURL(t))
	})
}

func mustOpenDriver(t testing.TB, urlstr string) driver.Store {
	t.Helper()
	d, err := sqlstorage.OpenDriver(context.Background(), urlstr)
	if err != nil {
		t.Fatalf("OpenDriver: %v", err)
	}
	return d
}

func mustOpenSplit(t testing.TB, metadataURL, ciphertextURL string) *storage.Store {
	t.Helper()
	s, err := storage.OpenSplitStore(context.Background(), metadataURL, ciphertextURL)
	if err != nil {
		t.Fatalf("OpenSplitStore: %v", err)
	}
	return s
}

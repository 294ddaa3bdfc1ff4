package sqlstorage_test

import (
	"testing"

	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.RunConformance(t, func(t *testing.T) storage.Store {
		return mustOpen(t, sqliteURL(t))
	})
}

func TestConformanceSQLiteMemory(t *testing.T) {
	storagetest.RunConformance(t, func(t *testing.T) storage.Store {
		return mustOpen(t, "sqlite://:memory:")
	})
}

func TestConformancePostgres(t *testing.T) {
	postgresURL(t)
	storagetest.RunConformance(t, func(t *testing.T) storage.Store {
		return mustOpen(t, postgresSchema(t))
	})
}

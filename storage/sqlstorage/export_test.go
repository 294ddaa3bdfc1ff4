package sqlstorage

import (
	"context"
	"net/url"

	"github.com/strongbox-go/strongbox/storage/driver"
)

// OpenDriver opens the unexported driver a store URL names, for the
// conformance runs of the external tests.
func OpenDriver(ctx context.Context, urlstr string) (driver.Store, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return nil, err
	}
	d, err := openDriverURL(ctx, u)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// SchemaVersion and MigrationsTable, for the migration tests.
var SchemaVersion = schemaVersionLatest

const MigrationsTable = migrationsTable

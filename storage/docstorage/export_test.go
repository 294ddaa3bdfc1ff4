package docstorage

import (
	"gocloud.dev/docstore"

	"github.com/strongbox-go/strongbox/storage/driver"
)

// The unexported driver, for the conformance run of the external tests.

func NewMemDriver() driver.Store { return newMemDriver() }

func CollectionsDriver(metadata, ciphertexts, records *docstore.Collection) driver.Store {
	return &docDriver{meta: metadata, ct: ciphertexts, rec: records}
}

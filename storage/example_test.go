package storage_test

import (
	"context"
	"fmt"
	"log"

	"github.com/strongbox-go/strongbox/storage"
	_ "github.com/strongbox-go/strongbox/storage/docstorage" // registers mem://
)

// A store opened from a URL: mem:// is a new, private in-memory store
// (docstorage registers it; sqlstorage registers sqlite:// and
// postgres://). Applications hand the store to secrets.New and let the
// Manager write it; the store itself only ever holds metadata and
// ciphertexts, never a plaintext value.
func Example() {
	ctx := context.Background()
	st, err := storage.OpenStore(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	created, err := st.CreateMetadata(ctx, &storage.Metadata{
		Namespace: "team-a", Name: "api-key", Version: 1, ValueID: "value-1",
	})
	if err != nil {
		log.Fatal(err)
	}
	got, err := st.GetMetadata(ctx, "team-a", "api-key")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(created.Revision, got.Namespace, got.Name, got.Version)
	// Output:
	// 1 team-a api-key 1
}

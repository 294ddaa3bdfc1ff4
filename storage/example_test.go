package storage_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/strongbox-go/strongbox/storage"
	_ "github.com/strongbox-go/strongbox/storage/docstorage" // registers mem://
	_ "github.com/strongbox-go/strongbox/storage/sqlstorage" // registers sqlite://, postgres://
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

// Metadata in one backend and ciphertexts in another: here an in-memory
// docstore and a SQLite file. The Store writes the ciphertext first and the
// metadata second, so a crash never leaves metadata pointing at nothing.
func ExampleOpenSplitStore() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "strongbox-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, err := storage.OpenSplitStore(ctx, "mem://", "sqlite://"+filepath.ToSlash(filepath.Join(dir, "ciphertexts.db")))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	// The Manager (package secrets) makes these from a value and a keeper;
	// Data is the keeper's output, opaque to the store.
	m := &storage.Metadata{Namespace: "team-a", Name: "api-key", Version: 1, ValueID: "value-1"}
	c := &storage.Ciphertext{Namespace: "team-a", Name: "api-key", Version: 1, ValueID: "value-1", Data: []byte("opaque")}
	if _, err := st.CreateWithCiphertext(ctx, m, c); err != nil {
		log.Fatal(err)
	}
	gotM, gotC, err := st.GetCurrent(ctx, "team-a", "api-key")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(gotM.Name, gotM.Revision, gotC.ValueID, len(gotC.Data))
	// Output:
	// api-key 1 value-1 6
}

package sqlstorage_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage"
	_ "github.com/strongbox-go/strongbox/storage/sqlstorage" // registers sqlite:// and postgres://
)

func Example() {
	dir, err := os.MkdirTemp("", "strongbox-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(dir, "strongbox.db")

	s, err := storage.OpenStore(ctx, url)
	if err != nil {
		log.Fatal(err)
	}
	m, err := s.CreateMetadata(ctx, &storage.Metadata{Namespace: "team-a", Name: "api-key", Version: 1, ValueID: "v1"})
	if err != nil {
		log.Fatal(err)
	}
	if err := s.PutCiphertext(ctx, &storage.Ciphertext{Namespace: "team-a", Name: "api-key", ValueID: "v1", Version: 1, Data: []byte("...")}); err != nil {
		log.Fatal(err)
	}
	s.Close()

	// The data survives a restart; a second writer with a stale revision
	// loses.
	s, err = storage.OpenStore(ctx, url)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	got, err := s.GetMetadata(ctx, "team-a", "api-key")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("revision", got.Revision, "value", got.ValueID)
	if _, err := s.UpdateMetadata(ctx, m); err != nil {
		log.Fatal(err)
	}
	_, err = s.UpdateMetadata(ctx, m)
	fmt.Println("stale write is a conflict:", errors.Is(err, secrets.ErrConflict))
	// Output:
	// revision 1 value v1
	// stale write is a conflict: true
}

package docstorage_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage"
	_ "github.com/strongbox-go/strongbox/storage/docstorage" // registers mem:// and docstore://
)

func Example() {
	ctx := context.Background()
	s, err := storage.OpenStore(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	m, err := s.CreateMetadata(ctx, &storage.Metadata{Namespace: "team-a", Name: "api-key", Version: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created at revision", m.Revision)

	m.Description = "for the load test"
	if _, err := s.UpdateMetadata(ctx, m); err != nil {
		log.Fatal(err)
	}
	// m still carries revision 1: a second writer with it loses.
	_, err = s.UpdateMetadata(ctx, m)
	fmt.Println("stale write is a conflict:", errors.Is(err, secrets.ErrConflict))
	// Output:
	// created at revision 1
	// stale write is a conflict: true
}

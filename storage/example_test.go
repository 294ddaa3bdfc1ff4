package storage_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/strongbox-go/strongbox/storage"
	_ "github.com/strongbox-go/strongbox/storage/docstorage" // registers mem://
)

// Records keep a service's own state, such as token revocations, shared by
// every process on the store.
func ExampleStore_PutRecord() {
	ctx := context.Background()
	s, err := storage.OpenStore(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	// Revoke a token until it would have expired anyway.
	_, err = s.PutRecord(ctx, &storage.Record{
		Kind: "revocation", Key: "tok-42", ExpireTime: time.Now().Add(time.Hour),
	})
	if err != nil {
		log.Fatal(err)
	}
	// A second instance revoking the same token is told it already is.
	_, err = s.PutRecord(ctx, &storage.Record{Kind: "revocation", Key: "tok-42"})
	fmt.Println("already revoked:", errors.Is(err, storage.ErrAlreadyExists))

	// Compare-and-swap on a key ring: read, change, write at the revision read.
	ring, err := s.PutRecord(ctx, &storage.Record{Kind: "keyring", Key: "kek", Data: []byte(`{"primary":"k1"}`)})
	if err != nil {
		log.Fatal(err)
	}
	ring.Data = []byte(`{"primary":"k2","retired":["k1"]}`)
	if _, err := s.PutRecord(ctx, ring); err != nil {
		log.Fatal(err)
	}
	_, err = s.PutRecord(ctx, ring) // ring still carries the old revision
	fmt.Println("stale write is a conflict:", errors.Is(err, storage.ErrConflict))
	// Output:
	// already revoked: true
	// stale write is a conflict: true
}

// A process keeping a kind in memory rereads it when its sequence moves.
func ExampleStore_WaitRecordChange() {
	ctx := context.Background()
	s, err := storage.OpenStore(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	seq, err := s.RecordSequence(ctx, "revocation")
	if err != nil {
		log.Fatal(err)
	}
	go func() { // another instance revokes a token
		_, _ = s.PutRecord(ctx, &storage.Record{Kind: "revocation", Key: "tok-7"})
	}()
	seq, err = s.WaitRecordChange(ctx, "revocation", seq)
	if err != nil {
		log.Fatal(err)
	}
	page, _, err := s.ListRecords(ctx, "revocation", 0, "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(seq > 0, len(page), page[0].Key)
	// Output: true 1 tok-7
}

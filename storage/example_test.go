package storage_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/strongbox-go/strongbox/secrets"
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
	fmt.Println("already revoked:", errors.Is(err, secrets.ErrAlreadyExists))

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
	fmt.Println("stale write is a conflict:", errors.Is(err, secrets.ErrConflict))
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

	seq, err := s.WaitRecordChange(ctx, "revocation", -1)
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

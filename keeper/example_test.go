package keeper_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/strongbox-go/strongbox/keeper"
)

func Example() {
	ctx := context.Background()
	kekURL, err := keeper.NewThrowawayKEKURL() // keep it secret: it is the key
	if err != nil {
		log.Fatal(err)
	}
	k, err := keeper.OpenEnvelope(ctx, "", keeper.EnvelopeOptions{
		KEKs: []keeper.KEK{{ID: "local-2026", URL: kekURL}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer k.Close()

	ad := []byte("team-a/api-key/1") // where the value belongs
	ct, err := k.Encrypt(ctx, []byte("s3cr3t"), ad)
	if err != nil {
		log.Fatal(err)
	}
	h, err := keeper.ParseHeader(ct)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("format", h.Version, "kek", h.KEKID)

	pt, err := k.Decrypt(ctx, ct, ad)
	fmt.Printf("%s %v\n", pt, err)

	_, err = k.Decrypt(ctx, ct, []byte("team-b/api-key/1"))
	fmt.Println("elsewhere:", errors.Is(err, keeper.ErrDecrypt))
	// Output:
	// format 1 kek local-2026
	// s3cr3t <nil>
	// elsewhere: true
}

// Rotating the key-encryption key: add the new key, make it primary,
// rewrap what is stored, then remove the old key.
func ExampleEnvelope_Rewrap() {
	ctx := context.Background()
	oldURL, _ := keeper.NewThrowawayKEKURL()
	newURL, _ := keeper.NewThrowawayKEKURL()
	k, err := keeper.OpenEnvelope(ctx, "", keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: "old", URL: oldURL}}})
	if err != nil {
		log.Fatal(err)
	}
	defer k.Close()
	ad := []byte("team-a/api-key/1")
	stored, _ := k.Encrypt(ctx, []byte("s3cr3t"), ad)

	if err := k.AddKEK(ctx, keeper.KEK{ID: "new", URL: newURL}); err != nil {
		log.Fatal(err)
	}
	if err := k.SetPrimary("new"); err != nil {
		log.Fatal(err)
	}
	stored, changed, err := k.Rewrap(ctx, stored, ad)
	fmt.Println("rewrapped:", changed, err)

	inUse := func(_ context.Context, kekID string) (bool, error) {
		h, err := keeper.ParseHeader(stored)
		return h.KEKID == kekID, err
	}
	fmt.Println("remove old:", k.RemoveKEK(ctx, "old", keeper.RemoveOptions{InUse: inUse}))
	pt, err := k.Decrypt(ctx, stored, ad)
	_, ids := k.KEKIDs()
	fmt.Printf("%s %v %v\n", pt, err, ids)
	// Output:
	// rewrapped: true <nil>
	// remove old: <nil>
	// s3cr3t <nil> [new]
}

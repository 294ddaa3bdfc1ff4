package gocloudkeeper_test

import (
	"context"
	"fmt"
	"log"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/keeper/gocloudkeeper"
)

func Example() {
	ctx := context.Background()
	kekURL, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		log.Fatal(err)
	}
	env, err := keeper.OpenEnvelope(ctx, kekURL, keeper.EnvelopeOptions{})
	if err != nil {
		log.Fatal(err)
	}
	// A *secrets.Keeper, usable anywhere gocloud expects one; closing it
	// closes the Envelope.
	sk := gocloudkeeper.New(env, gocloudkeeper.Options{CloseKeeper: true})
	defer sk.Close()

	ct, err := sk.Encrypt(ctx, []byte("s3cr3t"))
	if err != nil {
		log.Fatal(err)
	}
	pt, err := sk.Decrypt(ctx, ct)
	fmt.Printf("%s %v\n", pt, err)
	h, _ := keeper.ParseHeader(ct)
	fmt.Println("format", h.Version)
	// Output:
	// s3cr3t <nil>
	// format 1
}

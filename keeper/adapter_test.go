package keeper_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/strongbox-go/strongbox/keeper"
	// Registers the opener of non-local KEK URLs, as a program does.
	_ "github.com/strongbox-go/strongbox/keeper/gocloudkeeper"
)

// TestGocloudKEKURL: with package gocloudkeeper imported, a KEK URL that
// package keeper does not build in opens through gocloud's URL mux. The
// test needs no cloud: strongbox:// (registered by gocloudkeeper) is a
// gocloud secrets URL over a local key.
func TestGocloudKEKURL(t *testing.T) {
	ctx := context.Background()
	local, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	kekURL := "strongbox://?kek=" + url.QueryEscape(local)
	e, err := keeper.OpenEnvelope(ctx, kekURL, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatalf("OpenEnvelope(strongbox://...): %v", err)
	}
	ct, err := e.Encrypt(ctx, []byte("value"), []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	// A fresh Envelope over the same URL unwraps the data key again.
	e2, err := keeper.OpenEnvelope(ctx, kekURL, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if got, err := e2.Decrypt(ctx, ct, []byte("ad")); err != nil || string(got) != "value" {
		t.Errorf("Decrypt = (%q, %v), want value", got, err)
	}
	// And an Envelope over the local key alone cannot: the data key was
	// wrapped by the strongbox:// keeper, not by the local key directly.
	e3, err := keeper.OpenEnvelope(ctx, local, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer e3.Close()
	if got, err := e3.Decrypt(ctx, ct, []byte("ad")); err == nil {
		t.Errorf("Decrypt under another KEK id = %q, want an error", got)
	}
}

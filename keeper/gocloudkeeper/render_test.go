package gocloudkeeper_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/keeper/gocloudkeeper"
)

// TestDriverHidesKeeper: the driver NewDriver returns holds the wrapped
// keeper; printing it shows neither the keeper's keys nor its URL.
func TestDriverHidesKeeper(t *testing.T) {
	ctx := context.Background()
	u := "base64key://" + base64.URLEncoding.EncodeToString([]byte("gocloudkeeper driver test key 32"))
	env, err := keeper.OpenEnvelope(ctx, u, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	d := gocloudkeeper.NewDriver(env, gocloudkeeper.Options{AssociatedData: []byte("ad")})
	if _, err := d.Encrypt(ctx, []byte("driver-plaintext")); err != nil {
		t.Fatal(err)
	}
	leakcheck.CheckRenderings(t, d, u, strings.TrimPrefix(u, "base64key://"), "driver-plaintext")
}

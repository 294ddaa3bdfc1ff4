package keeper_test

import (
	"context"
	"testing"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/keeper/keepertest"
)

func TestConformance(t *testing.T) {
	keepertest.RunConformance(t, func(t *testing.T) keeper.Keeper {
		return newLocalEnvelope(t, keeper.EnvelopeOptions{})
	})
}

// newLocalEnvelope opens an Envelope over a fresh local key. It is closed
// when the test ends.
func newLocalEnvelope(t testing.TB, opts keeper.EnvelopeOptions) *keeper.Envelope {
	t.Helper()
	u, err := keeper.NewLocalKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	e, err := keeper.OpenEnvelope(context.Background(), u, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

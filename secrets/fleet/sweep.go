package fleet

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/strongbox-go/strongbox/storage"
)

// expiringKinds are the record kinds of this package that expire.
var expiringKinds = []string{kindRunTokenRevoked, kindInstance, kindBootstrap, kindWebSession}

// DefaultSweepInterval is the mean interval of Sweeper.
const DefaultSweepInterval = time.Minute

// Sweep deletes the expired records of the kinds this package writes
// (run-token revocations, instance heartbeats, bootstrap leases, the
// secrets page's sessions) with
// storage's DeleteExpiredRecords, and returns how many it deleted. Reads
// ignore expired records already: sweeping only keeps the store small.
func Sweep(ctx context.Context, st *storage.Store) (int, error) {
	total := 0
	for _, kind := range expiringKinds {
		n, err := st.DeleteExpiredRecords(ctx, kind)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Sweeper runs Sweep until ctx ends, waiting a random time between half
// and one and a half every (0 means DefaultSweepInterval) before each run,
// so that instances started together do not sweep together. A failed
// sweep is logged (nil logger: discarded) and retried at the next run.
func Sweeper(ctx context.Context, st *storage.Store, every time.Duration, logger *slog.Logger) {
	if every <= 0 {
		every = DefaultSweepInterval
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	for {
		wait := every/2 + rand.N(every)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		sctx, cancel := context.WithTimeout(ctx, every)
		n, err := Sweep(sctx, st)
		cancel()
		if err != nil && ctx.Err() == nil {
			logger.LogAttrs(ctx, slog.LevelWarn, "strongbox record sweep failed", slog.String("error", err.Error()))
		} else if n > 0 {
			logger.LogAttrs(ctx, slog.LevelDebug, "strongbox swept expired records", slog.Int("deleted", n))
		}
	}
}

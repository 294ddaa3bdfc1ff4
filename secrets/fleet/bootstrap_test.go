package fleet_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
	"github.com/strongbox-go/strongbox/secrets/fleet"
	"github.com/strongbox-go/strongbox/storage"
)

type allowAll struct{}

func (allowAll) Authorize(context.Context, string, rbac.Action, string) (func(error, ...string), error) {
	return func(error, ...string) {}, nil
}

// TestFleetBootstrapOnce: processes starting at once on one empty store
// issue exactly one admin token between them, and a later start none.
// apitoken.Tokens.Bootstrap alone let each racer see an empty store and
// issue its own.
func TestFleetBootstrapOnce(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			u := b.url(t)
			const racers = 4
			stores := make([]*storage.Store, racers+1)
			toks := make([]*apitoken.Tokens, racers+1)
			for i := range stores {
				stores[i] = open(t, u)
				var err error
				if toks[i], err = apitoken.New(apitoken.Options{Store: fleet.APITokenStore(stores[i]), Guard: allowAll{}}); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			issued := make([]bool, racers)
			for i := range racers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					tok, rec, err := fleet.BootstrapAPIToken(context.Background(), stores[i], toks[i], "default")
					if err != nil {
						t.Errorf("racer %d: %v", i, err)
						return
					}
					if rec != nil {
						leakcheck.Register(tok.DangerouslyExpose())
						issued[i] = true
					}
				}()
			}
			wg.Wait()
			n := 0
			for _, ok := range issued {
				if ok {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d racers issued a bootstrap token, want exactly 1", n)
			}
			recs, err := toks[racers].List(context.Background(), "")
			if err != nil || len(recs) != 1 {
				t.Fatalf("stored tokens: %d, %v; want 1", len(recs), err)
			}
			// Once per store: even with every token revoked, a later start
			// issues none.
			if err := fleet.APITokenStore(stores[racers]).Delete(context.Background(), recs[0].ID, 0); err != nil {
				t.Fatal(err)
			}
			if _, rec, err := fleet.BootstrapAPIToken(context.Background(), stores[racers], toks[racers], "default"); err != nil || rec != nil {
				t.Errorf("a later start: record %v, err %v; want none", rec, err)
			}
		})
	}
}

// TestFleetSweep: Sweep deletes the expired records of the package's
// kinds and keeps live ones.
func TestFleetSweep(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t, b.url(t))
			revs := fleet.RunTokenRevocations(st)
			if err := revs.Revoke(ctx, "short", time.Now().Add(100*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			if err := revs.Revoke(ctx, "long", time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(150 * time.Millisecond)
			n, err := fleet.Sweep(ctx, st)
			if err != nil || n != 1 {
				t.Fatalf("Sweep = %d, %v; want 1 deleted", n, err)
			}
			if n, err := st.DeleteExpiredRecords(ctx, "runtoken.revoked"); err != nil || n != 0 {
				t.Errorf("after Sweep, DeleteExpiredRecords = %d, %v; want nothing left", n, err)
			}
			if ok, err := revs.Revoked(ctx, "long"); err != nil || !ok {
				t.Errorf("the live revocation: %v, %v", ok, err)
			}
		})
	}
}

// TestFleetSweeper: the background sweeper deletes an expired revocation
// by itself. (Observed through the revision: a create over an expired
// record that was not swept continues its revision; over nothing it
// starts at 1.)
func TestFleetSweeper(t *testing.T) {
	ctx := context.Background()
	st := open(t, backends[0].url(t))
	if err := fleet.RunTokenRevocations(st).Revoke(ctx, "gone", time.Now().Add(50*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); fleet.Sweeper(sctx, st, 40*time.Millisecond, nil) }()
	time.Sleep(250 * time.Millisecond)
	cancel()
	<-done
	r, err := st.PutRecord(ctx, &storage.Record{Kind: "runtoken.revoked", Key: "gone", Data: []byte("x"), ExpireTime: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Revision != 1 {
		t.Errorf("revision %d after the sweeper ran: the expired record was not deleted", r.Revision)
	}
}

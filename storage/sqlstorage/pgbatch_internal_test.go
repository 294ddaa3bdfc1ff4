package sqlstorage

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/testing/pgtest"
	"github.com/strongbox-go/strongbox/storage/driver"
)

// blockingSender is a pgReads.send that holds every batch until released,
// recording the batches, and answers each read with its first argument.
type blockingSender struct {
	mu      sync.Mutex
	batches [][]string // the first argument of each read, per batch
	started chan []*pgRead
	release chan struct{}
}

func newBlockingSender() *blockingSender {
	return &blockingSender{started: make(chan []*pgRead, 100), release: make(chan struct{})}
}

func (b *blockingSender) send(batch []*pgRead) {
	var keys []string
	for _, r := range batch {
		keys = append(keys, r.args[0].(string))
	}
	b.mu.Lock()
	b.batches = append(b.batches, keys)
	b.mu.Unlock()
	b.started <- batch
	<-b.release
	for _, r := range batch {
		*r.dest[0].(*string) = r.args[0].(string)
	}
}

// read is one pgReads.scan of key, answering what the batch wrote.
func read(ctx context.Context, p *pgReads, key string) (string, error) {
	var got string
	err := p.scan(ctx, "q", []any{key}, []any{&got})
	return got, err
}

// TestPGReadsBatchTheQueue: with every batch slot busy, the reads that
// arrive wait and go out together as one batch when a slot frees, in
// arrival order; a read whose context ends while it waits leaves at once
// and is not sent; every other read gets its own answer.
func TestPGReadsBatchTheQueue(t *testing.T) {
	b := newBlockingSender()
	p := &pgReads{send: b.send}
	ctx := context.Background()
	type answer struct {
		key, got string
		err      error
	}
	answers := make(chan answer, 100)
	start := func(ctx context.Context, key string) {
		go func() {
			got, err := read(ctx, p, key)
			answers <- answer{key, got, err}
		}()
	}
	for i := range pgMaxBatches { // fill every slot
		start(ctx, fmt.Sprintf("first-%d", i))
		<-b.started
	}
	queued := func() int {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.queue)
	}
	cctx, cancel := context.WithCancel(ctx)
	var want []string
	for i := range 10 {
		key := fmt.Sprintf("queued-%d", i)
		if i == 3 {
			start(cctx, key)
		} else {
			start(ctx, key)
			want = append(want, key)
		}
		for queued() != i+1 { // arrival order is the test's
			time.Sleep(time.Millisecond)
		}
	}
	cancel()
	if a := <-answers; a.key != "queued-3" || !errors.Is(a.err, context.Canceled) {
		t.Fatalf("the canceled queued read answered %+v, want queued-3 with context.Canceled", a)
	}
	if n := queued(); n != 9 {
		t.Fatalf("%d reads queued after one left, want 9", n)
	}
	close(b.release)
	for range pgMaxBatches + 9 {
		a := <-answers
		if a.err != nil || a.got != a.key {
			t.Errorf("read %s: got %q, %v", a.key, a.got, a.err)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.batches) != pgMaxBatches+1 || !slices.Equal(b.batches[pgMaxBatches], want) {
		t.Errorf("batches %v, want %d of one then %v", b.batches, pgMaxBatches, want)
	}
	if p.running != 0 || len(p.queue) != 0 {
		t.Errorf("after the reads: %d batches running, %d queued; want none", p.running, len(p.queue))
	}
}

// TestPGReadsSentReadWaits: a read whose context ends after its batch
// was sent still waits for the batch, which writes its destination (so
// nothing writes into a caller that has returned).
func TestPGReadsSentReadWaits(t *testing.T) {
	b := newBlockingSender()
	p := &pgReads{send: b.send}
	for i := range pgMaxBatches {
		go read(context.Background(), p, fmt.Sprint(i))
		<-b.started
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := read(ctx, p, "late")
		done <- err
	}()
	for {
		p.mu.Lock()
		n := len(p.queue)
		p.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.release <- struct{}{} // one slot frees: "late" is sent
	if batch := <-b.started; len(batch) != 1 || batch[0].args[0] != "late" {
		t.Fatalf("next batch %v, want late alone", batch)
	}
	cancel()
	select {
	case err := <-done:
		t.Fatalf("a read returned (%v) while its batch was in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(b.release)
	if err := <-done; err != nil {
		t.Errorf("the sent read: %v, want its answer", err)
	}
}

// TestBatchContext: a batch's context ends when every read's has, not
// before, with the last one's cause.
func TestBatchContext(t *testing.T) {
	c1, cancel1 := context.WithCancel(context.Background())
	c2, cancel2 := context.WithCancelCause(context.Background())
	ctx, stop := batchContext([]*pgRead{{ctx: c1}, {ctx: c2}})
	defer stop()
	cancel1()
	time.Sleep(10 * time.Millisecond)
	if ctx.Err() != nil {
		t.Fatal("the batch's context ended while a read still waited")
	}
	cause := errors.New("the last caller gave up")
	cancel2(cause)
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the batch's context did not end with its last read's")
	}
	if !errors.Is(context.Cause(ctx), cause) {
		t.Errorf("cause %v, want %v", context.Cause(ctx), cause)
	}
}

// TestPostgresBatchedReads: many concurrent hot reads on PostgreSQL, of
// secrets and records that exist and that do not, each get their own
// answer, and under that concurrency they go out in batches of several.
func TestPostgresBatchedReads(t *testing.T) {
	u, err := url.Parse(pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d, err := openDriverURL(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var sends, reads atomic.Int64
	send := d.pgReads.send
	d.pgReads.send = func(batch []*pgRead) {
		sends.Add(1)
		reads.Add(int64(len(batch)))
		send(batch)
	}
	now := time.Now()
	const n = 8
	for i := range n {
		key := fmt.Sprint(i)
		if _, err := d.CreateRecord(ctx, &driver.Record{Kind: "k", Key: key, Data: []byte("data-" + key), UpdateTime: now}, now); err != nil {
			t.Fatal(err)
		}
		m := &driver.Metadata{Namespace: "ns", Name: "s" + key, Version: 1, ValueID: "v" + key, Revision: 1,
			Decrypters: []string{"runner"}, CreateTime: now, UpdateTime: now, Incarnation: "v" + key}
		c := &driver.Ciphertext{Namespace: "ns", Name: "s" + key, ValueID: "v" + key, Version: 1, Data: []byte("ct-" + key), CreateTime: now}
		if err := d.CreateWithCiphertext(ctx, m, c); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 64 {
		wg.Go(func() {
			for i := range 40 {
				key := fmt.Sprint((g + i) % (n + 2)) // n and n+1 do not exist
				exists := (g+i)%(n+2) < n
				r, err := d.GetRecord(ctx, "k", key)
				switch {
				case exists && (err != nil || string(r.Data) != "data-"+key):
					errs <- fmt.Errorf("record %s: %v", key, err)
				case !exists && errcode.Of(err) != errcode.NotFound:
					errs <- fmt.Errorf("missing record %s: %v", key, err)
				}
				m, c, err := d.GetCurrent(ctx, "ns", "s"+key)
				switch {
				case exists && (err != nil || m.ValueID != "v"+key || c == nil || string(c.Data) != "ct-"+key):
					errs <- fmt.Errorf("secret s%s: %v", key, err)
				case !exists && errcode.Of(err) != errcode.NotFound:
					errs <- fmt.Errorf("missing secret s%s: %v", key, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if reads.Load() != 64*40*2 {
		t.Errorf("%d hot reads went through the batches, want %d", reads.Load(), 64*40*2)
	}
	t.Logf("%d reads in %d batches (%.1f per batch)", reads.Load(), sends.Load(), float64(reads.Load())/float64(sends.Load()))
	if sends.Load() >= reads.Load() {
		t.Errorf("%d reads in %d batches: concurrent reads were not batched", reads.Load(), sends.Load())
	}
}

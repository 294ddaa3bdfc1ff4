package storage

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage/driver"
)

func TestNormTime(t *testing.T) {
	zone := time.FixedZone("X", 3600)
	tests := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"zero", time.Time{}, time.Time{}},
		{"truncates-to-microseconds", time.Date(2026, 1, 2, 3, 4, 5, 123_456_789, zone), time.Date(2026, 1, 2, 2, 4, 5, 123_456_000, time.UTC)},
		{"epoch", time.Unix(0, 0), time.Unix(0, 0).UTC()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := normTime(tc.in)
			if !got.Equal(tc.want) || got.IsZero() != tc.want.IsZero() || (!got.IsZero() && got.Location() != time.UTC) {
				t.Errorf("normTime(%v) = %v, want %v in UTC", tc.in, got, tc.want)
			}
			// Unix microseconds, as the SQL driver stores them, round-trip.
			if back := time.UnixMicro(got.UnixMicro()).UTC(); !back.Equal(tc.want) || back.IsZero() != tc.want.IsZero() {
				t.Errorf("microseconds of %v read back as %v", tc.in, back)
			}
		})
	}
}

func TestDecodeTokenInvalid(t *testing.T) {
	for _, tok := range []string{"x", "v1.", "v1.!!!", "v2.YQ", "v1.gA"} {
		if _, err := decodeToken("op", tok); !errors.Is(err, errcode.Invalid) {
			t.Errorf("decodeToken(%q) = %v, want errcode.Invalid", tok, err)
		}
	}
	for _, tok := range []string{encodeToken("name"), encodeToken("a\x00b"), encodeToken("a\x00\x00c")} {
		if _, err := decodeCiphertextToken("op", "", tok); !errors.Is(err, errcode.Invalid) {
			t.Errorf("decodeCiphertextToken(%q) = %v, want errcode.Invalid", tok, err)
		}
	}
	tok := ciphertextToken(CiphertextRef{Namespace: "a", Name: "n", ValueID: "v"})
	if _, err := decodeCiphertextToken("op", "b", tok); !errors.Is(err, errcode.Invalid) {
		t.Errorf("a token of namespace a continuing namespace b = %v, want errcode.Invalid", err)
	}
}

func FuzzToken(f *testing.F) {
	for _, s := range []string{"a", "name-1", "é", "a\x00b\x00c", "v1.YQ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Decoding arbitrary input never panics and fails only with
		// secrets.ErrInvalid.
		if _, err := decodeToken("op", s); err != nil && !errors.Is(err, errcode.Invalid) {
			t.Fatalf("decodeToken(%q) = %v", s, err)
		}
		if _, err := decodeCiphertextToken("op", "", s); err != nil && !errors.Is(err, errcode.Invalid) {
			t.Fatalf("decodeCiphertextToken(%q) = %v", s, err)
		}
		if s == "" || !utf8.ValidString(s) {
			return
		}
		got, err := decodeToken("op", encodeToken(s))
		if err != nil || got != s {
			t.Fatalf("round trip of %q = %q, %v", s, got, err)
		}
	})
}

func TestCheckMetadata(t *testing.T) {
	tests := []struct {
		name string
		m    *Metadata
		ok   bool
	}{
		{"ok", &Metadata{Namespace: "n", Name: "x", Labels: map[string]string{"k": ""}}, true},
		{"nil", nil, false},
		{"nul-in-description", &Metadata{Namespace: "n", Name: "x", Description: "a\x00b"}, false},
		{"empty-label-key", &Metadata{Namespace: "n", Name: "x", Labels: map[string]string{"": "v"}}, false},
		{"bad-utf8-decrypter", &Metadata{Namespace: "n", Name: "x", Decrypters: []string{"\xff"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkMetadata("op", tc.m)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, errcode.Invalid)) {
				t.Errorf("checkMetadata = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// closeCounter is a driver that only counts Close; no other call reaches it.
type closeCounter struct {
	driver.Store
	mu     sync.Mutex
	closes int
}

func (c *closeCounter) Atomic() driver.Atomic { return nil }
func (c *closeCounter) Close() error          { c.mu.Lock(); c.closes++; c.mu.Unlock(); return nil }

func TestLifecycle(t *testing.T) {
	d := &closeCounter{}
	s := NewStore(d)
	if err := s.enter(context.Background(), "op"); err != nil {
		t.Fatal(err)
	}
	// A Store over the same drivers (the fault harness's) shares the gate.
	w := s.wrapDrivers(func(d driver.Store) driver.Store { return d })
	closed := make(chan error)
	go func() { closed <- w.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned with a call in flight")
	case <-time.After(20 * time.Millisecond):
	}
	s.leave()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	err := s.enter(context.Background(), "op")
	if !errors.Is(err, ErrClosed) || errcode.Of(err) != errcode.FailedPrecondition {
		t.Errorf("enter after Close = %v, want ErrClosed with code FailedPrecondition", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if d.closes != 1 {
		t.Errorf("driver closed %d times, want once", d.closes)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s2 := NewStore(&closeCounter{})
	if err := s2.enter(ctx, "op"); err != context.Canceled {
		t.Errorf("enter with a canceled context = %v, want context.Canceled", err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s2.enter(context.Background(), "op") == nil {
				s2.leave()
			}
		}()
	}
	s2.Close()
	wg.Wait()
}

// TestConvertUnavailableAfterDeadline: a backend that could not be reached
// before the caller's deadline (pgx reports a dial cut short as a
// connection error, coded Unavailable) fails with the context's error, as
// every other failure of a call whose context is done does; before the
// deadline it stays Unavailable.
func TestConvertUnavailableAfterDeadline(t *testing.T) {
	dialErr := errcode.New(errcode.Unavailable, "", "failed to connect: dial tcp: i/o timeout")
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	if err := convert(ctx, nil, "storage.Get", dialErr); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("after the deadline: %v, want context.DeadlineExceeded", err)
	}
	if err := convert(context.Background(), nil, "storage.Get", dialErr); errcode.Of(err) != errcode.Unavailable {
		t.Errorf("before the deadline: %v, want Unavailable", err)
	}
	notFound := errcode.New(errcode.NotFound, "", "absent")
	if err := convert(ctx, nil, "storage.Get", notFound); errcode.Of(err) != errcode.NotFound {
		t.Errorf("a refusal after the deadline: %v, want NotFound kept", err)
	}
	// The dial's deadline can fire through the network poller a moment
	// before ctx's timer marks ctx done (a CI run failed on it): a passed
	// deadline counts as the context's end.
	if err := convert(passedDeadline{}, nil, "storage.Get", dialErr); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline passed, ctx not yet done: %v, want context.DeadlineExceeded", err)
	}
}

// passedDeadline is a context whose deadline has passed but which does not
// report it yet, as a timer context between its deadline and its timer.
type passedDeadline struct{ context.Context }

func (passedDeadline) Deadline() (time.Time, bool) { return time.Now().Add(-time.Millisecond), true }
func (passedDeadline) Done() <-chan struct{}       { return nil }
func (passedDeadline) Err() error                  { return nil }
func (passedDeadline) Value(any) any               { return nil }

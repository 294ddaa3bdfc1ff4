package storeutil

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
)

func TestTime(t *testing.T) {
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
			got := Time(tc.in)
			if !got.Equal(tc.want) || (!got.IsZero() && got.Location() != time.UTC) {
				t.Errorf("Time(%v) = %v, want %v in UTC", tc.in, got, tc.want)
			}
			back := FromMicros(Micros(tc.in))
			if !back.Equal(tc.want) || back.IsZero() != tc.want.IsZero() {
				t.Errorf("FromMicros(Micros(%v)) = %v, want %v", tc.in, back, tc.want)
			}
		})
	}
}

func TestDecodeTokenInvalid(t *testing.T) {
	for _, tok := range []string{"x", "v1.", "v1.!!!", "v2.YQ", "v1.gA"} {
		if _, err := DecodeToken("op", tok); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("DecodeToken(%q) = %v, want ErrInvalid", tok, err)
		}
	}
}

func FuzzToken(f *testing.F) {
	for _, s := range []string{"a", "name-1", "é", "a\x00b\x00c", "v1.YQ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Decoding arbitrary input never panics and fails only with
		// ErrInvalid.
		if _, err := DecodeToken("op", s); err != nil && !errors.Is(err, storage.ErrInvalid) {
			t.Fatalf("DecodeToken(%q) = %v", s, err)
		}
		if s == "" || !utf8.ValidString(s) {
			return
		}
		got, err := DecodeToken("op", EncodeToken(s))
		if err != nil || got != s {
			t.Fatalf("round trip of %q = %q, %v", s, got, err)
		}
	})
}

func TestGate(t *testing.T) {
	var g Gate
	if err := g.Begin(context.Background(), "op"); err != nil {
		t.Fatal(err)
	}
	closed := make(chan bool)
	go func() { closed <- g.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned with a call in flight")
	case <-time.After(20 * time.Millisecond):
	}
	g.Leave()
	if first := <-closed; !first {
		t.Error("first Close reported false")
	}
	err := g.Enter("op")
	if !errors.Is(err, storage.ErrClosed) || errcode.Of(err) != errcode.FailedPrecondition {
		t.Errorf("Enter after Close = %v, want ErrClosed with code FailedPrecondition", err)
	}
	if g.Close() {
		t.Error("second Close reported true")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var g2 Gate
	if err := g2.Begin(ctx, "op"); err != context.Canceled {
		t.Errorf("Begin with a canceled context = %v, want context.Canceled", err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if g2.Enter("op") == nil {
				g2.Leave()
			}
		}()
	}
	g2.Close()
	wg.Wait()
}

func TestCheckMetadata(t *testing.T) {
	tests := []struct {
		name string
		m    *storage.Metadata
		ok   bool
	}{
		{"ok", &storage.Metadata{Namespace: "n", Name: "x", Labels: map[string]string{"k": ""}}, true},
		{"nil", nil, false},
		{"nul-in-description", &storage.Metadata{Namespace: "n", Name: "x", Description: "a\x00b"}, false},
		{"empty-label-key", &storage.Metadata{Namespace: "n", Name: "x", Labels: map[string]string{"": "v"}}, false},
		{"bad-utf8-decrypter", &storage.Metadata{Namespace: "n", Name: "x", Decrypters: []string{"\xff"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckMetadata("op", tc.m)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, storage.ErrInvalid)) {
				t.Errorf("CheckMetadata = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

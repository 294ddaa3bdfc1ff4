package fault_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/testing/fault"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/docstorage"
	_ "github.com/strongbox-go/strongbox/storage/sqlstorage" // registers sqlite:// and postgres://
)

func md(name string) *storage.Metadata {
	return &storage.Metadata{Namespace: "ns", Name: name, Version: 1, ValueID: "v"}
}

func TestStoreFaults(t *testing.T) {
	ctx := context.Background()
	st := docstorage.NewInMemory()
	defer st.Close()
	s := fault.NewStore(st)
	exists := func(name string) bool { _, err := st.GetMetadata(ctx, "ns", name); return err == nil }

	s.In.FailNth(fault.CreateMetadata, 2, nil)
	if _, err := s.CreateMetadata(ctx, md("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateMetadata(ctx, md("b")); !errors.Is(err, fault.ErrInjected) || exists("b") {
		t.Fatalf("second create: %v (stored: %v), want a refused call", err, exists("b"))
	}

	s.In.FailAfterNth(fault.CreateMetadata, 1, nil)
	if _, err := s.CreateMetadata(ctx, md("c")); !errors.Is(err, fault.ErrInjected) || !exists("c") {
		t.Fatalf("lost acknowledgement: %v (stored: %v), want an error after the write", err, exists("c"))
	}

	s.In.Reset()
	s.In.HangNth("", 1)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	_, err := s.GetMetadata(cctx, "ns", "a")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hang: %v", err)
	}
	s.In.SetMaxHang(5 * time.Millisecond)
	s.In.HangNth("", 1)
	if _, err := s.GetMetadata(ctx, "ns", "a"); !errors.Is(err, fault.ErrInjected) {
		t.Fatalf("bounded hang: %v", err)
	}

	s.In.CrashDuring(0)
	if _, err := s.CreateMetadata(ctx, md("d")); err == nil || !exists("d") {
		t.Fatalf("crash during: %v (stored: %v)", err, exists("d"))
	}
	if _, err := s.GetMetadata(ctx, "ns", "a"); !errors.Is(err, fault.ErrInjected) || !s.In.Crashed() {
		t.Fatalf("after the crash: %v", err)
	}
	s.In.Reset()
	if _, err := s.GetMetadata(ctx, "ns", "a"); err != nil {
		t.Fatalf("after the restart: %v", err)
	}
	if n := s.In.Faulted(""); n != 6 {
		t.Errorf("Faulted = %d, want 6", n)
	}
}

// TestStoreFaultsKeepCapabilities checks that one wrapper keeps the
// capabilities of the driver it wraps, faulting them too, and invents
// none: writes on the docstore driver are sequenced driver calls, on
// SQLite one faulted atomic call.
func TestStoreFaultsKeepCapabilities(t *testing.T) {
	ctx := context.Background()
	sq, err := storage.OpenStore(ctx, "sqlite://:memory:")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		st     *storage.Store
		atomic bool
	}{
		{"docstore", docstorage.NewInMemory(), false},
		{"sqlite", sq, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer tc.st.Close()
			s := fault.NewStore(tc.st)
			c := &storage.Ciphertext{Namespace: "ns", Name: "a", ValueID: "v", Data: []byte("x")}
			s.In.FailNth(fault.CreateWithCiphertext, 1, nil)
			_, err := s.CreateWithCiphertext(ctx, md("a"), c)
			if tc.atomic != errors.Is(err, fault.ErrInjected) {
				t.Fatalf("CreateWithCiphertext with its atomic call failing: %v", err)
			}
			if _, err := s.CreateWithCiphertext(ctx, md("b"), &storage.Ciphertext{Namespace: "ns", Name: "b", ValueID: "v", Data: []byte("x")}); err != nil {
				t.Fatal(err)
			}
			want := map[fault.Op]int{fault.CreateWithCiphertext: 0, fault.PutCiphertext: 2, fault.CreateMetadata: 2}
			if tc.atomic {
				want = map[fault.Op]int{fault.CreateWithCiphertext: 2, fault.PutCiphertext: 0, fault.CreateMetadata: 0}
			}
			got := map[fault.Op]int{}
			for op := range want {
				got[op] = s.In.Calls(op)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("driver calls (-want +got):\n%s", d)
			}
		})
	}
}

// TestKEKFaults checks that injected key service failures reach the
// keeper's callers with the codes of an outage, a refusal and a timeout.
func TestKEKFaults(t *testing.T) {
	ctx := context.Background()
	in := &fault.Injector{}
	kek, _, err := fault.NewKEK(in)
	if err != nil {
		t.Fatal(err)
	}
	defer kek.Close()
	e, err := keeper.OpenEnvelope(ctx, "", keeper.EnvelopeOptions{
		KEKs: []keeper.KEK{{ID: "k", Wrapper: kek}}, DataKeyMaxUses: 1, CacheTTL: time.Nanosecond, CacheMaxStale: -1,
		// Single-call faults: no negative cache (keeper tests it).
		KEKFailureBackoff: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ct, err := e.Encrypt(ctx, []byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		arm  func()
		want errcode.Code
	}{
		{"outage on wrap", func() { in.FailAll(fault.KEKEncrypt, nil) }, errcode.Unavailable},
		{"refused wrap", func() { in.FailNth(fault.KEKEncrypt, 1, fault.KEKPermissionDenied) }, errcode.PermissionDenied},
		{"outage on unwrap", func() { in.FailAll(fault.KEKDecrypt, nil) }, errcode.Unavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer in.Reset()
			tc.arm()
			var err error
			if tc.name == "outage on unwrap" {
				_, err = e.Decrypt(ctx, ct, nil)
			} else {
				_, err = e.Encrypt(ctx, []byte("x"), nil)
			}
			if errcode.Of(err) != tc.want {
				t.Fatalf("err = %v (code %v), want %v", err, errcode.Of(err), tc.want)
			}
		})
	}
	if _, err := e.Decrypt(ctx, ct, nil); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
	fk := &fault.Keeper{Keeper: e, In: in}
	var _ interface {
		Rewrap(context.Context, []byte, []byte) ([]byte, bool, error)
	} = fk
	wantPrimary, _ := e.KEKIDs()
	if primary, _ := fk.KEKIDs(); primary == "" || primary != wantPrimary {
		t.Errorf("fault.Keeper.KEKIDs primary = %q, want the envelope's %q", primary, wantPrimary)
	}
}

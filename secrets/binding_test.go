package secrets_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/strongbox-go/strongbox/internal/testing/fault"
	"os"
	"path/filepath"
	"testing"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage"
)

func currentCiphertext(t *testing.T, st *storage.Store, namespace, name string) (*storage.Metadata, *storage.Ciphertext) {
	t.Helper()
	md, err := st.GetMetadata(context.Background(), namespace, name)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := st.GetCiphertext(context.Background(), namespace, name, md.ValueID)
	if err != nil {
		t.Fatal(err)
	}
	return md, ct
}

// TestCiphertextBoundToItsPlace moves a valid ciphertext to another secret,
// another namespace and another version of the same secret; none decrypts
// (DESIGN invariant 2).
func TestCiphertextBoundToItsPlace(t *testing.T) { forEachBackend(t, testCiphertextBoundToItsPlace) }

func testCiphertextBoundToItsPlace(t *testing.T, backend string) {
	e := newEnv(t, backend, secrets.Options{})
	ctx := context.Background()
	editorB := rbac.Principal{Kind: rbac.KindUser, ID: "bob", Namespace: "team-b", Roles: []rbac.Role{rbac.RoleEditor}}
	runnerB := rbac.Principal{Kind: rbac.KindService, ID: runner.ID, Namespace: "team-b", Roles: []rbac.Role{rbac.RoleDecrypter}}

	mustCreate(t, e, "source", uniqueValue(), nil)
	mustCreate(t, e, "target", uniqueValue(), nil)
	if _, err := e.m.Create(as(editorB), "team-b", secrets.Spec{Name: "source", Value: secrets.NewValue(uniqueValue()), Decrypters: []string{runner.ID}}); err != nil {
		t.Fatal(err)
	}
	_, srcCT := currentCiphertext(t, e.store.Store, ns, "source")
	v1 := srcCT.Data

	// Version 2 of "source"; then the version-1 ciphertext is put back in
	// its place.
	if _, err := e.m.Reset(as(editor), ns, "source", secrets.NewValue(uniqueValue()), 0); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		namespace string
		secret    string
		reader    rbac.Principal
	}{
		{"another secret", ns, "target", runner},
		{"another namespace", "team-b", "source", runnerB},
		{"another version", ns, "source", runner},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, victim := currentCiphertext(t, e.store.Store, tc.namespace, tc.secret)
			moved := *victim
			moved.Data = v1
			if err := e.store.ReplaceCiphertext(ctx, &moved, victim.Data); err != nil {
				t.Fatal(err)
			}
			_, err := e.m.RevealValue(as(tc.reader), tc.namespace, tc.secret)
			if !errors.Is(err, keeper.ErrDecrypt) {
				t.Fatalf("Reveal of a moved ciphertext: %v, want ErrDecryptionFailed", err)
			}
		})
	}
}

// TestNoPlaintextInStorage reads every stored record raw and searches it
// for each value and its common encodings (DESIGN invariant 1).
func TestNoPlaintextInStorage(t *testing.T) { forEachBackend(t, testNoPlaintextInStorage) }

func testNoPlaintextInStorage(t *testing.T, backend string) {
	e := newEnv(t, backend, secrets.Options{})
	var values []string
	for i := range 20 {
		v := uniqueValue()
		if i%2 == 0 {
			v += " with spaces and ünïcode"
		}
		values = append(values, v)
		mustCreate(t, e, fmt.Sprintf("s%d", i), v, map[string]string{"i": fmt.Sprint(i)})
	}
	// A positive control: metadata is stored in the clear, so the scan must
	// find this description, or it is not reading what the store keeps.
	control := "control-description-" + uniqueValue()[7:]
	if _, err := e.m.Create(as(editor), ns, secrets.Spec{Name: "control", Description: control, Value: secrets.NewValue(uniqueValue())}); err != nil {
		t.Fatal(err)
	}
	r := uniqueValue()
	values = append(values, r)
	if _, err := e.m.Reset(as(editor), ns, "s0", secrets.NewValue(r), 0); err != nil {
		t.Fatal(err)
	}

	checkRawStore(t, e, backend, control, values)
}

// TestNoPlaintextInStorageWithHistory is the raw scan after value history
// operations: kept values, a rollback's re-encrypted copy, a destroyed and
// a revoked value, a window shrunk: no value is stored in the clear.
func TestNoPlaintextInStorageWithHistory(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, secrets.Options{KeepVersions: 4})
		var values []string
		for i := range 3 {
			name := fmt.Sprintf("h%d", i)
			for j := range 6 {
				v := uniqueValue() + " ünïcode"
				values = append(values, v)
				var err error
				if j == 0 {
					_, err = e.m.Create(as(editor), ns, secrets.Spec{Name: name, Value: secrets.NewValue(v), Decrypters: []string{runner.ID}})
				} else {
					_, err = e.m.Reset(as(editor), ns, name, secrets.NewValue(v), 0)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if _, err := e.m.Rollback(as(editor), ns, name, 3, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := e.m.Destroy(as(editor), ns, name, 5, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := revealRef(e, name+"@4"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.m.Revoke(as(editor), ns, "h1", 0); err != nil {
			t.Fatal(err)
		}
		s, err := e.m.Get(as(editor), ns, "h2")
		if err != nil {
			t.Fatal(err)
		}
		s.KeepVersions = 1
		if _, err := e.m.Update(as(editor), ns, s); err != nil {
			t.Fatal(err)
		}
		control := "control-description-" + uniqueValue()[7:]
		if _, err := e.m.Create(as(editor), ns, secrets.Spec{Name: "control", Description: control, Value: secrets.NewValue(uniqueValue())}); err != nil {
			t.Fatal(err)
		}
		if n := len(storedCiphertexts(t, e.store.Store, ns)); n < 10 {
			t.Fatalf("only %d ciphertexts stored: the history is not kept, the scan proves little", n)
		}
		checkRawStore(t, e, backend, control, values)
	})
}

// checkRawStore reads everything the store of e keeps for ns, raw
// (metadata, ciphertexts, and the bytes of its files, which hold deleted
// and old pages too), and fails if any of values, or a common encoding of
// one, is in it. control is stored metadata the scan must find.
func checkRawStore(t *testing.T, e *env, backend, control string, values []string) {
	t.Helper()
	var raw bytes.Buffer
	for _, md := range allMetadata(t, e.store.Store, ns) {
		fmt.Fprintf(&raw, "%#v\n", md)
	}
	for _, ref := range storedCiphertexts(t, e.store.Store, ns) {
		ct, err := e.store.GetCiphertext(context.Background(), ns, ref.Name, ref.ValueID)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&raw, "%#v\n", ref)
		raw.Write(ct.Data)
		raw.WriteByte('\n')
	}
	// The raw bytes of every file the store keeps (SQLite: the database,
	// its WAL and shared memory), which hold deleted and old pages too.
	files, err := os.ReadDir(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(e.dir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		raw.Write(b)
	}
	if backend == "sqlite" && len(files) == 0 {
		t.Fatal("found no SQLite files to search")
	}
	if !bytes.Contains(raw.Bytes(), []byte(control)) {
		t.Fatal("the raw scan does not see stored metadata; it would miss a value too")
	}
	for _, v := range values {
		for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v)), hex.EncodeToString([]byte(v)), v[:12]} {
			if bytes.Contains(raw.Bytes(), []byte(form)) {
				t.Fatalf("the store holds a value (or an encoding of it)")
			}
		}
	}
}

// TestKEKCallsForManyReveals creates secrets with one keeper and reveals
// every one through a Manager over a fresh keeper with the same
// key-encryption key, so no data key is cached: the count of calls to the
// key-encryption key is what a cold runner pays.
func TestKEKCallsForManyReveals(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 500
	}
	ctx := context.Background()
	st, _ := newBackends(t)
	// One key-encryption key, reached by each keeper through its own
	// counter of KEK calls.
	writerKEK, writerCalls, err := fault.NewKEK(&fault.Injector{})
	if err != nil {
		t.Fatal(err)
	}
	readerCalls := &fault.Injector{}
	open := func(w keeper.Wrapper) *keeper.Envelope {
		k, err := keeper.OpenEnvelope(ctx, "", keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: "k", Wrapper: w}}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
		return k
	}
	writer, reader := open(writerKEK), open(writerKEK.Share(readerCalls))
	mw, _ := secrets.New(secrets.Options{Store: st, Keeper: writer, DefaultDecrypters: []string{runner.ID}})
	mr, _ := secrets.New(secrets.Options{Store: st, Keeper: reader})
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("secret-%05d", i)
		if _, err := mw.Create(as(editor), ns, secrets.Spec{Name: names[i], Value: secrets.NewValue(uniqueValue())}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i += secrets.MaxRevealNames {
		res, err := mr.Reveal(as(runner), ns, names[i:min(n, i+secrets.MaxRevealNames)]...)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatalf("%s: %v", r.Name, r.Err)
			}
		}
	}
	kekCalls := func(in *fault.Injector) int { return in.Calls(fault.KEKEncrypt) + in.Calls(fault.KEKDecrypt) }
	w, r := kekCalls(writerCalls), kekCalls(readerCalls)
	t.Logf("%d creates: %d KEK calls; %d cold reveals: %d KEK calls", n, w, n, r)
	if w < 1 || w > 2 {
		t.Errorf("%d creates made %d KEK calls, want 1 or 2", n, w)
	}
	if r < 1 || r > 2 {
		t.Errorf("%d reveals made %d KEK calls, want 1 or 2", n, r)
	}
}

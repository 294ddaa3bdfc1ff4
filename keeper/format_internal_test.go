package keeper

import (
	"bytes"
	"testing"
)

// FuzzParse checks that parse never panics and that whatever it accepts
// re-encodes to the same header bytes.
func FuzzParse(f *testing.F) {
	var id [dataKeyIDLen]byte
	copy(id[:], "0123456789abcdef")
	hdr, _ := appendHeader(nil, "kek-1", id, bytes.Repeat([]byte{7}, 40))
	f.Add(append(hdr, make([]byte, 28)...))
	f.Add([]byte{FormatVersion})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, ct []byte) {
		p, err := parse(ct)
		if err != nil {
			if p != nil {
				t.Fatal("parse returned a result with its error")
			}
			return
		}
		re, aadLen := appendHeader(nil, p.kekID, p.dataKeyID, p.wrapped)
		if !bytes.Equal(re, ct[:len(re)]) {
			t.Fatalf("re-encoded header %x differs from input %x", re, ct[:len(re)])
		}
		if !bytes.Equal(re[:aadLen], p.aadPrefix) || !bytes.Equal(re, p.cacheKey) {
			t.Fatal("aadPrefix or cacheKey do not match the header")
		}
		if len(p.payload) < gcmNonceLen+gcmTagLen || len(re)+len(p.payload) != len(ct) {
			t.Fatalf("payload of %d bytes", len(p.payload))
		}
	})
}

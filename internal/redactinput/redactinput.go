// Package redactinput describes input that was rejected without echoing
// it, for audit events, log lines and error messages.
//
// Rejected input is whatever a caller sent: a name with a newline or an
// escape sequence that forges log lines, or a value pasted into the name
// field. It is recorded as its length and a short keyed hash, e.g.
// `invalid name (len 31, hash 1a2b3c4d)`: two records of the same input in
// one process carry the same hash, so they can be matched, but the hash key
// is random per process and never leaves it, so nobody holding a log can
// test guesses (a short password pasted into a name) against the hash.
package redactinput

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"
)

// key is the per-process hash key.
var key = sync.OnceValue(func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k) // crypto/rand.Read never fails (Go 1.24+) or crashes
	return k
})

// Describe returns "invalid <field> (len N, hash H)" for s: its length in
// bytes and the first 4 bytes, in hex, of an HMAC-SHA256 of s under a
// per-process key. It never contains s or any part of it.
func Describe(field, s string) string {
	mac := hmac.New(sha256.New, key())
	b := []byte(s) // rejected input may be a value pasted in: clear the copy
	mac.Write(b)
	clear(b)
	sum := mac.Sum(nil)
	return "invalid " + field + " (len " + strconv.Itoa(len(s)) + ", hash " + hex.EncodeToString(sum[:4]) + ")"
}

package httpapi

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"

	"github.com/strongbox-go/strongbox/secrets"
)

// inputKey keys the digests of rejected input; it is random per process
// and never leaves it, so nobody holding a log can test guesses (a short
// password pasted into a name) against a digest.
var inputKey = sync.OnceValue(func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k) // crypto/rand.Read does not fail
	return k
})

// safeInput returns s when it is a valid name or namespace (letters,
// digits, '-' and '_', see secrets.ValidateName), and otherwise a
// description that does not echo it: "invalid <field> (len N, hash H)",
// its length in bytes and the first 4 bytes of an HMAC-SHA256 under a
// per-process key. Request events, logs and error messages use it for
// every name that came from the request, so a newline, an escape sequence
// or a value pasted into a name never reaches them; within one process the
// same input gets the same hash, so an operator can match records. The
// empty string stays empty (no name).
//
// TODO(lead): the same format as internal/redactinput.Describe (on
// sec-manager); fold into it once merged (issue #11, item 10).
func safeInput(field, s string) string {
	if s == "" || secrets.ValidateName(s) == nil {
		return s
	}
	mac := hmac.New(sha256.New, inputKey())
	b := []byte(s) // it may be a value pasted in: clear the copy
	mac.Write(b)
	clear(b)
	sum := mac.Sum(nil)
	return "invalid " + field + " (len " + strconv.Itoa(len(s)) + ", hash " + hex.EncodeToString(sum[:4]) + ")"
}

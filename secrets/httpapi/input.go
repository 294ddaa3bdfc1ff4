package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/strongbox-go/strongbox/secrets"
)

// safeInput returns s when it is a valid name or namespace (letters,
// digits, '-' and '_', see secrets.ValidateName), and otherwise a
// description that does not echo it: its length and a short SHA-256
// digest, e.g. "(invalid: 12 bytes, sha256 1a2b3c4d)". Request events,
// logs and error messages use it for every name that came from the
// request, so a newline, an escape sequence or a value pasted into a name
// never reaches them; the digest lets an operator tell two bad inputs
// apart. The empty string stays empty (no name).
//
// TODO(lead): fold into the shared internal helper for rejected input
// once it lands (issue #11, item 10).
func safeInput(s string) string {
	if s == "" || secrets.ValidateName(s) == nil {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "(invalid: " + strconv.Itoa(len(s)) + " bytes, sha256 " + hex.EncodeToString(sum[:4]) + ")"
}

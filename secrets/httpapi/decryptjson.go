package httpapi

import (
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"
)

// The decrypt route's body, {"value":"..."} and a newline, is written by
// hand: encoding/json's Encoder (reflection, a bytes.Buffer per call) was
// the largest cost of the route's JSON in the profile of a warm decrypt
// (issue #17 item 3). The bytes are exactly those of writeJSON with
// decryptBody (FuzzDecryptJSONMatchesEncodingJSON): no HTML escaping, and
// encoding/json's rules for control characters, invalid UTF-8 (U+FFFD) and
// U+2028/U+2029. The buffer is cleared before it goes back to the pool,
// since it held a value.

const hexDigits = "0123456789abcdef"

var decryptBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// appendDecryptJSON appends the JSON body of decryptBody{Value: v}.
func appendDecryptJSON(b []byte, v string) []byte {
	b = append(b, `{"value":"`...)
	start := 0
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, v[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, `\b`...)
			case '\f':
				b = append(b, `\f`...)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case '\t':
				b = append(b, `\t`...)
			default:
				b = append(b, `\u00`...)
				b = append(b, hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, v[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, v[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, v[start:]...)
	return append(b, "\"}\n"...)
}

// writeDecryptJSON writes decryptBody{Value: v} with status 200, as
// writeJSON would.
func writeDecryptJSON(w http.ResponseWriter, v string) {
	bp := decryptBufs.Get().(*[]byte)
	b := appendDecryptJSON((*bp)[:0], v)
	h := w.Header()
	h["Content-Type"] = headerJSON
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	clear(b) // it held a value
	if cap(b) <= 64<<10 {
		*bp = b[:0]
		decryptBufs.Put(bp)
	}
}

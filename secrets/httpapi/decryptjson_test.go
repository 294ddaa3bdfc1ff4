package httpapi

import (
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecryptJSONMatchesEncodingJSON: the hand-written decrypt body is
// byte for byte what writeJSON(decryptBody) writes, headers included.
func FuzzDecryptJSONMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{"", "plain", `a"b\c`, "\x00\x01\b\f\n\r\t\x1f\x7f", "<>&", "\u2028\u2029",
		"\xff\xfe", "é日本\U0001F600", "\xed\xa0\x80", "tail\xe2\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		want := httptest.NewRecorder()
		writeJSON(want, 200, decryptBody{Value: v})
		got := httptest.NewRecorder()
		writeDecryptJSON(got, v)
		if diff := cmp.Diff(want.Body.String(), got.Body.String()); diff != "" {
			t.Errorf("body (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want.Header(), got.Header()); diff != "" {
			t.Errorf("header (-want +got):\n%s", diff)
		}
		if want.Code != got.Code {
			t.Errorf("status %d, want %d", got.Code, want.Code)
		}
	})
}

package histcodec

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/storage/driver"
)

func TestRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 14, 15, 9, 26, 535_000, time.UTC)
	for _, h := range [][]driver.HistoryEntry{
		nil,
		{{Version: 1, ValueID: "0123456789abcdef0123456789abcdef", CreateTime: at, CreatedBy: "user:team-a/alice"}},
		{
			{Version: 9, ValueID: "a;b,c:d", CreateTime: at, CreatedBy: "user:x;1,2:3"},
			{Version: 8, CreateTime: time.Time{}, Revoked: true},
			{Version: 7, CreateTime: at.Add(-time.Hour), Destroyed: true, CreatedBy: "ünï"},
			{Version: 1, ValueID: "12:", Revoked: true, Destroyed: true},
		},
	} {
		s := Append(h)
		got, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if d := cmp.Diff(h, got); d != "" {
			t.Errorf("round trip of %q (-want +got):\n%s", s, d)
		}
		if strings.IndexByte(s, 0) >= 0 {
			t.Errorf("%q holds a NUL byte (SQLite's packed read splits on them)", s)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, s := range []string{
		"h1", "h2;1,0,0,0:0:", "x", ";1,0,0,0:0:", "h1;1,0,0,0:0", "h1;1,0,0,1:", "h1;1,0,4,0:0:",
		"h1;01,0,0,0:0:", "h1;+1,0,0,0:0:", "h1;-0,0,0,0:0:", "h1;1,0,0,-1:0:", "h1;1,0,0,0:0:x",
		"h1;1,0,0,0:0:;", "h1;,0,0,0:0:", "h1;1,0,0,05:abcde0:", "h1;99999999999999999999,0,0,0:0:",
	} {
		if h, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", s, h)
		}
	}
}

// FuzzParse: whatever Parse accepts, Append writes back byte for byte (one
// form per history), and nothing Parse accepts has a NUL byte Append did
// not put in a string.
func FuzzParse(f *testing.F) {
	f.Add("")
	f.Add(Append([]driver.HistoryEntry{{Version: 3, ValueID: "v3", CreatedBy: "u"}, {Version: 2, Destroyed: true}}))
	f.Add("h1;1,0,0,0:0:")
	f.Add("h1;1,-62135596800000000,3,2:ab3:xyz")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := Parse(s)
		if err != nil {
			return
		}
		if back := Append(h); back != s {
			t.Fatalf("Parse(%q) then Append = %q", s, back)
		}
	})
}

func BenchmarkParse101(b *testing.B) {
	h := make([]driver.HistoryEntry, driver.MaxKeepVersions+1)
	for i := range h {
		h[i] = driver.HistoryEntry{Version: int64(200 - i), ValueID: "0123456789abcdef0123456789abcdef",
			CreateTime: time.Now(), CreatedBy: "user:team-a/alice"}
	}
	s := Append(h)
	b.ReportAllocs()
	for range b.N {
		if _, err := Parse(s); err != nil {
			b.Fatal(err)
		}
	}
}

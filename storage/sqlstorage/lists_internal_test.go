package sqlstorage

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/storage/driver"
)

// TestPlainStringListTakesWhatMarshalListWrites: the decrypter lists the
// store writes take the fast path, with the strings json.Unmarshal gives;
// the others are left to json.Unmarshal.
func TestPlainStringListTakesWhatMarshalListWrites(t *testing.T) {
	for _, l := range [][]string{{"k6-runner"}, {"a", "b", "c"}, {""}, {"", ""}, {"x", ""}, {"ünïcode"}} {
		stored := marshalList(l)
		got, ok := plainStringList(stored)
		if !ok {
			t.Errorf("%s: not taken", stored)
			continue
		}
		if diff := cmp.Diff(l, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", stored, diff)
		}
	}
	// json.Marshal escapes <, & and >: such a list goes to json.Unmarshal,
	// and unmarshalLists still gives it back.
	var m driver.Metadata
	if err := unmarshalLists(&m, "{}", marshalList([]string{"<&>", "b"})); err != nil || !cmp.Equal(m.Decrypters, []string{"<&>", "b"}) {
		t.Errorf("escaped list: %q, %v", m.Decrypters, err)
	}
	for _, s := range []string{`[]`, `null`, `["a", "b"]`, `[ "a"]`, `["a\"b"]`, `["a\u0041"]`, `["a"`, `"a"]`, `["a"]x`, "[\"\x01\"]", "[\"\xff\"]", `["a",""b"]`, `["]`} {
		if l, ok := plainStringList(s); ok {
			t.Errorf("%s taken as %q", s, l)
		}
	}
}

// FuzzPlainStringList: whatever the input, a list the fast path takes is
// exactly what json.Unmarshal decodes from it.
func FuzzPlainStringList(f *testing.F) {
	for _, s := range []string{`["a"]`, `["a","b"]`, `[""]`, `["",""]`, `["a",""b"]`, `["a\"]`, `["","",""]`, `[","]`, `[""","""]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := plainStringList(s)
		if !ok {
			return
		}
		var want []string
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("%q taken as %q, but json.Unmarshal fails: %v", s, got, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q (-json.Unmarshal +fast path):\n%s", s, diff)
		}
	})
}

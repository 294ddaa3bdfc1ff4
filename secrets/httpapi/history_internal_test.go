package httpapi

import (
	"encoding/json"
	"github.com/strongbox-go/strongbox/internal/names"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/secrets"
)

// refSeeds are references the decrypt route must read or refuse.
var refSeeds = []string{"api-key", "api-key@1", "api-key@3", "api-key@10", "a@9223372036854775807",
	"api-key@", "@3", "api-key@0", "api-key@03", "api-key@+3", "api-key@-3", "api-key@3@4", "api-key@ 3",
	"api-key@3\n", "api-key@x", "api-key@9223372036854775808", "bad name@1", "api-key@٣", strings.Repeat("n", 254) + "@1"}

// FuzzDecryptRef: for any {name}, decryptRef either refuses it with 400
// invalid (only when it holds '@'), or reads a valid name and a version
// that print back to exactly the input; its error never quotes the
// input, and the name it returns is safe for logs (safeInput's).
func FuzzDecryptRef(f *testing.F) {
	for _, s := range refSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		name, version, err := decryptRef(raw)
		if !strings.Contains(raw, "@") {
			if err != nil || version != 0 || name != safeInput("name", raw) {
				t.Fatalf("decryptRef(%q) = %q, %d, %v; want safeInput's name, 0, nil", raw, name, version, err)
			}
			return
		}
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Status != 400 || e.Code != codeInvalid {
				t.Fatalf("decryptRef(%q): %v; want 400 invalid", raw, err)
			}
			if e.Message != refMessage {
				t.Fatalf("the error says %q; want the fixed refMessage, which quotes nothing", e.Message)
			}
			if version != 0 || strings.Contains(name, "@") {
				t.Fatalf("decryptRef(%q) refused but gave %q, %d", raw, name, version)
			}
			return
		}
		if version < 1 || names.Name("", name) != nil || name+"@"+strconv.FormatInt(version, 10) != raw {
			t.Fatalf("decryptRef(%q) = %q, %d: not the input read back", raw, name, version)
		}
		if n, v, perr := names.ParseRef(raw); perr != nil || n != name || v != version {
			t.Fatalf("decryptRef(%q) = %q, %d; the name@N syntax says %q, %d, %v", raw, name, version, n, v, perr)
		}
	})
}

// TestOpenAPINameRefPattern: the pattern openapi.json gives the decrypt
// route's {name} accepts what decryptRef reads (up to the int64 bound of a
// version, which a pattern does not express), and the route uses it.
func TestOpenAPINameRefPattern(t *testing.T) {
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Parameters map[string]struct {
				Name, In string
				Schema   struct{ Pattern string }
			} `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatal(err)
	}
	p := doc.Components.Parameters["nameRef"]
	if p.Name != "name" || p.In != "path" || p.Schema.Pattern == "" {
		t.Fatalf("nameRef parameter: %+v", p)
	}
	re := regexp.MustCompile(p.Schema.Pattern)
	for _, s := range refSeeds {
		if strings.HasSuffix(s, "@9223372036854775808") {
			continue // past int64: refused by the route, not by the pattern
		}
		_, _, err := decryptRef(s)
		valid := err == nil && (strings.Contains(s, "@") || names.Name("", s) == nil)
		if re.MatchString(s) != valid {
			t.Errorf("%q: pattern matches %v, decrypt route reads it %v", s, re.MatchString(s), valid)
		}
	}
	var params []openAPIParam
	_ = json.Unmarshal(doc.Paths[pathDecrypt]["parameters"], &params)
	if !slices.ContainsFunc(params, func(p openAPIParam) bool { return p.Ref == "#/components/parameters/nameRef" }) {
		t.Errorf("the decrypt route's parameters %+v do not use nameRef", params)
	}
}

// TestOpenAPISchemasMatchJSON: the properties of the Secret and Version
// schemas are the JSON members of secrets.Secret and secrets.Version, so
// keepVersions (and whatever comes next) cannot be left out of the
// description.
func TestOpenAPISchemasMatchJSON(t *testing.T) {
	doc := loadOpenAPI(t)
	members := func(v any) []string {
		var out []string
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			if name != "" && name != "-" {
				out = append(out, name)
			}
		}
		slices.Sort(out)
		return out
	}
	for schema, v := range map[string]any{"Secret": secrets.Secret{}, "Version": secrets.Version{},
		"VersionRequest": versionBody{}, "CreateRequest": createBody{}, "UpdateRequest": updateBody{}} {
		var s struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(doc.Comps.Schemas[schema], &s); err != nil {
			t.Fatalf("%s: %v", schema, err)
		}
		got := make([]string, 0, len(s.Properties))
		for k := range s.Properties {
			got = append(got, k)
		}
		slices.Sort(got)
		if d := cmp.Diff(members(v), got); d != "" {
			t.Errorf("schema %s properties (-Go JSON members +openapi.json):\n%s", schema, d)
		}
	}
}

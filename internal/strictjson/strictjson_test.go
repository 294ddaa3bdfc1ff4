package strictjson

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type body struct {
	Name       string            `json:"name"`
	Labels     map[string]string `json:"labels"`
	Decrypters []string          `json:"decrypters"`
	Value      string            `json:"value"`
	Inner      *inner            `json:"inner,omitempty"`
	Raw        json.RawMessage   `json:"raw,omitempty"`
	Skipped    string            `json:"-"`
}

type inner struct {
	Revision int64 `json:"revision"`
}

func TestDecodeAccepts(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want body
	}{
		{"members", `{"name":"a","value":"v","decrypters":["svc"]}`, body{Name: "a", Value: "v", Decrypters: []string{"svc"}}},
		{"white space", " \t\r\n{ \"name\" : \"a\" } \n", body{Name: "a"}},
		{"escapes", `{"value":"\"\\\/\b\f\n\r\t\u00e9"}`, body{Value: "\"\\/\b\f\n\r\t\u00e9"}},
		{"surrogate pair", `{"value":"\ud83d\ude00"}`, body{Value: "\U0001F600"}},
		{"raw UTF-8", `{"value":"é😀"}`, body{Value: "é😀"}},
		{"map keys free", `{"labels":{"Env":"prod","team":"a"}}`, body{Labels: map[string]string{"Env": "prod", "team": "a"}}},
		{"nested struct", `{"inner":{"revision":3}}`, body{Inner: &inner{Revision: 3}}},
		{"raw message any member case", `{"raw":{"A":1,"b":[1,2,{"c":null}]}}`, body{Raw: json.RawMessage(`{"A":1,"b":[1,2,{"c":null}]}`)}},
		{"numbers", `{"inner":{"revision":-0}}`, body{Inner: &inner{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got body
			if err := Decode([]byte(tc.in), &got); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	const secret = "hunter2-SECRET"
	for _, tc := range []struct {
		name, in, reason string
	}{
		{"case variant beside member", `{"decrypters":[],"DECRYPTERS":["evil-svc"],"value":"v"}`, "duplicate member"},
		{"case variant alone", `{"DECRYPTERS":["evil-svc"]}`, `member "decrypters" is spelled in another case`},
		{"Kelvin sign folds to k", `{"labels":{"k":"1","\u212a":"2"}}`, "duplicate member"},
		{"duplicate member", `{"value":"a","value":"b"}`, "duplicate member"},
		{"duplicate map key", `{"labels":{"env":"a","env":"b"}}`, "duplicate member"},
		{"case duplicate map key", `{"labels":{"env":"a","ENV":"b"}}`, "duplicate member"},
		{"duplicate inside raw", `{"raw":{"x":1,"x":2}}`, "duplicate member"},
		{"unknown member", `{"` + secret + `":"v"}`, "unknown member"},
		{"skipped field is unknown", `{"Skipped":"x"}`, "unknown member"},
		{"lone high surrogate", `{"value":"\ud800"}`, "lone surrogate"},
		{"lone low surrogate", `{"value":"\udc00` + secret + `"}`, "lone surrogate"},
		{"high then non-low", `{"value":"\ud800\u0041"}`, "lone surrogate"},
		{"invalid escape", `{"value":"\x41"}`, "invalid escape"},
		{"short u escape", `{"value":"\u12"}`, "invalid \\u escape"},
		{"invalid UTF-8", "{\"value\":\"" + secret + "\xff\"}", "not valid UTF-8"},
		{"control character", "{\"value\":\"a\nb\"}", "control character"},
		{"trailing data", `{"value":"v"}{"value":"w"}`, "data after the JSON value"},
		{"trailing garbage", `{"value":"v"} x`, "data after the JSON value"},
		{"empty", ``, "document is empty"},
		{"truncated", `{"value":"v"`, "unexpected end"},
		{"unterminated string", `{"value":"` + secret, "unterminated string"},
		{"wrong type", `{"value":["` + secret + `"]}`, `member "value" has the wrong type`},
		{"wrong type in map", `{"labels":{"` + secret + `":1}}`, `member "labels" has the wrong type`},
		{"bad number", `{"inner":{"revision":01}}`, "expected ',' or '}'"},
		{"bad literal", `{"inner":nul}`, "syntax error"},
		{"too deep", `{"raw":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`, "nested deeper"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got body
			err := Decode([]byte(tc.in), &got)
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("Decode = %v, want an *Error", err)
			}
			if !strings.Contains(se.Reason, tc.reason) {
				t.Errorf("reason %q, want it to contain %q", se.Reason, tc.reason)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "evil") {
				t.Errorf("error %q quotes the document", err)
			}
		})
	}
}

func TestDecodeDepthLimit(t *testing.T) {
	var v any
	ok := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if err := Decode([]byte(ok), &v); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
	if err := Decode([]byte("["+ok+"]"), &v); err == nil {
		t.Errorf("depth %d accepted", MaxDepth+1)
	}
}

func TestDecodeNeedsPointer(t *testing.T) {
	var b body
	if err := Decode([]byte(`{}`), b); err == nil {
		t.Error("Decode into a non-pointer succeeded")
	}
}

// FuzzDecode checks Decode against encoding/json: it accepts only what
// encoding/json accepts, decodes it to the same thing, and refuses every
// document with a duplicate or case-variant member.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":1,"A":2}`, `"\ud800"`, `[1,{"x":[true,null]}]`, `{"labels":{"k":"v"}}`, "\"\xff\"", `1e5`, `-0.5E-3`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got any
		err := Decode(data, &got)
		var want any
		stdErr := json.Unmarshal(data, &want)
		if err == nil {
			if stdErr != nil {
				t.Fatalf("Decode accepted what encoding/json refuses: %v", stdErr)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("(-encoding/json +Decode)\n%s", diff)
			}
			if hasFoldedDuplicate(got) {
				t.Fatal("Decode accepted a duplicate member")
			}
		} else if _, ok := err.(*Error); !ok {
			t.Fatalf("error %T is not an *Error", err)
		}
		var b body
		if Decode(data, &b) == nil {
			// Every member name must be one of the schema's, exactly.
			var m map[string]json.RawMessage
			if json.Unmarshal(data, &m) == nil {
				for k := range m {
					switch k {
					case "name", "labels", "decrypters", "value", "inner", "raw":
					default:
						t.Fatalf("accepted member %q", k)
					}
				}
			}
		}
	})
}

func hasFoldedDuplicate(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		seen := map[string]bool{}
		for k, x := range v {
			if seen[fold(k)] || hasFoldedDuplicate(x) {
				return true
			}
			seen[fold(k)] = true
		}
	case []any:
		for _, x := range v {
			if hasFoldedDuplicate(x) {
				return true
			}
		}
	}
	return false
}

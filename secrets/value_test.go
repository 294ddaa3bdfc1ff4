package secrets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"strings"
	"testing"
)

func TestValueNeverPrints(t *testing.T) {
	const plain = "hunter2-plaintext"
	v := NewValue(plain)
	wrapped := struct {
		Name  string
		Value Value
		Ptr   *Value
	}{"x", v, &v}

	outputs := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-8v"} {
		outputs["fmt "+verb] = fmt.Sprintf(verb, v)
		outputs["fmt struct "+verb] = fmt.Sprintf(verb, wrapped)
	}
	outputs["Sprint"] = fmt.Sprint(v)
	outputs["Sprintln"] = fmt.Sprintln(v, &v)
	outputs["String"] = v.String()
	outputs["GoString"] = v.GoString()
	js, err := json.Marshal(wrapped)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(js)
	txt, _ := v.MarshalText()
	outputs["text"] = string(txt)
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&buf, nil), slog.NewTextHandler(&buf, nil)} {
		l := slog.New(h)
		l.Info("msg", "value", v, "ptr", &v, "any", any(v), slog.Group("g", "value", v))
	}
	outputs["slog"] = buf.String()

	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(out, plain) || strings.Contains(out, fmt.Sprintf("%x", plain)) {
				t.Fatalf("output leaks the value: %s", out)
			}
			if !strings.Contains(out, "[REDACTED]") {
				t.Fatalf("output %q does not say [REDACTED]", out)
			}
		})
	}
	if got := v.DangerouslyExpose(); got != plain {
		t.Fatalf("DangerouslyExpose() = %q, want the plaintext", got)
	}
	if v.Len() != len(plain) || !v.Equal(NewValue(plain)) || v.Equal(NewValue("other")) {
		t.Fatal("Len/Equal disagree with the plaintext")
	}
}

// TestValueHiddenInUnexportedField: fmt cannot call a Value's methods when
// it is an unexported field of another struct and prints it by reflection;
// it must still not reach the plaintext (issue #11 item 1's class).
func TestValueHiddenInUnexportedField(t *testing.T) {
	const plain = "hunter2-unexported"
	v := NewValue(plain)
	holder := struct {
		name  string
		value Value
		ptr   *Value
		list  []Value
		m     map[string]Value
	}{"x", v, &v, []Value{v}, map[string]Value{"k": v}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		for what, arg := range map[string]any{"struct": holder, "pointer": &holder, "nested": struct{ h any }{holder}} {
			out := fmt.Sprintf(verb, arg)
			if strings.Contains(out, plain) || strings.Contains(strings.ToLower(out), fmt.Sprintf("%x", plain)) {
				t.Errorf("fmt %s of a %s leaks the value: %s", verb, what, out)
			}
		}
	}
}

// TestValueEqualConstantTime: Equal compares contents (issue #11 item 15),
// in time independent of where they differ: it uses crypto/subtle and
// copies neither value (no allocation), so it cannot fall back to ==.
func TestValueEqualConstantTime(t *testing.T) {
	tests := []struct {
		name string
		a, b Value
		want bool
	}{
		{"equal", NewValue("s3cr3t"), NewValue("s3cr3t"), true},
		{"both empty", Value{}, NewValue(""), true},
		{"differ first byte", NewValue("x3cr3t"), NewValue("s3cr3t"), false},
		{"differ last byte", NewValue("s3cr3x"), NewValue("s3cr3t"), false},
		{"prefix", NewValue("s3cr3"), NewValue("s3cr3t"), false},
		{"empty and not", Value{}, NewValue("a"), false},
		{"same length, multibyte", NewValue("é"), NewValue("\xc3\xaa"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Equal(tc.b); got != tc.want {
				t.Errorf("Equal = %v, want %v", got, tc.want)
			}
			if got := tc.b.Equal(tc.a); got != tc.want {
				t.Errorf("Equal (swapped) = %v, want %v", got, tc.want)
			}
		})
	}
	a, b := NewValue(strings.Repeat("a", 4096)), NewValue(strings.Repeat("a", 4095)+"b")
	if n := testing.AllocsPerRun(100, func() { _ = a.Equal(b) }); n != 0 {
		t.Errorf("Equal allocates %v times: it copies the values", n)
	}
	// The timing itself cannot be measured reliably in a unit test; check
	// that Equal's body is the constant-time comparison.
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "value.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	usesSubtle := false
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "Equal" && fd.Recv != nil {
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name == "subtle" {
						usesSubtle = true
					}
				}
				return true
			})
		}
	}
	if !usesSubtle {
		t.Error("Value.Equal does not use crypto/subtle")
	}
}

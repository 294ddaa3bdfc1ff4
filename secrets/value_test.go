package secrets

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	if v.Len() != len(plain) || v.IsZero() || !v.Equal(NewValue(plain)) || v.Equal(NewValue("other")) {
		t.Fatal("Len/IsZero/Equal disagree with the plaintext")
	}
}

package redact

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHandlerSlogtest(t *testing.T) {
	var buf bytes.Buffer
	r := newRedactor("never-appears-in-slogtest")
	slogtest.Run(t, func(t *testing.T) slog.Handler {
		buf.Reset()
		return NewHandler(slog.NewJSONHandler(&buf, nil), r)
	}, func(t *testing.T) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatalf("%v: %q", err, buf.String())
		}
		return m
	})
}

type tokenValuer struct{ tok string }

func (v tokenValuer) LogValue() slog.Value { return slog.StringValue("tok:" + v.tok) }

type creds struct {
	User, Password string
}

func TestHandlerRedacts(t *testing.T) {
	const secret = "s3cr3t-T0KEN-value"
	noTime := func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}
	tests := []struct {
		name string
		log  func(l *slog.Logger)
		want string
	}{
		{"message", func(l *slog.Logger) { l.Info("got " + secret) }, `{"level":"INFO","msg":"got ` + M + `"}`},
		{"string value", func(l *slog.Logger) { l.Info("m", "token", secret) }, `{"level":"INFO","msg":"m","token":"` + M + `"}`},
		{"key", func(l *slog.Logger) { l.Info("m", secret, 1) }, `{"level":"INFO","msg":"m","` + M + `":1}`},
		{"group", func(l *slog.Logger) { l.Info("m", slog.Group("g", "a", "x"+secret)) }, `{"level":"INFO","msg":"m","g":{"a":"x` + M + `"}}`},
		{"WithAttrs", func(l *slog.Logger) { l.With("token", secret).Info("m") }, `{"level":"INFO","msg":"m","token":"` + M + `"}`},
		{"WithGroup", func(l *slog.Logger) { l.WithGroup(secret).Info("m", "a", 1) }, `{"level":"INFO","msg":"m","` + M + `":{"a":1}}`},
		{"WithGroup then WithAttrs", func(l *slog.Logger) { l.WithGroup("g").With("t", secret).Info("m", "k", secret) }, `{"level":"INFO","msg":"m","g":{"t":"` + M + `","k":"` + M + `"}}`},
		{"LogValuer", func(l *slog.Logger) { l.Info("m", "v", tokenValuer{secret}) }, `{"level":"INFO","msg":"m","v":"tok:` + M + `"}`},
		{"error", func(l *slog.Logger) { l.Info("m", "err", errors.New("bad token "+secret)) }, `{"level":"INFO","msg":"m","err":"bad token ` + M + `"}`},
		{"struct", func(l *slog.Logger) { l.Info("m", "c", creds{"me", secret}) }, `{"level":"INFO","msg":"m","c":{"User":"me","Password":"` + M + `"}}`},
		{"bytes", func(l *slog.Logger) { l.Info("m", "b", []byte(secret)) }, `{"level":"INFO","msg":"m","b":"` + M + `"}`},
		{"untouched", func(l *slog.Logger) { l.Info("m", "n", 42, "ok", true, "s", "plain") }, `{"level":"INFO","msg":"m","n":42,"ok":true,"s":"plain"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			r := newRedactor(secret)
			l := slog.New(NewHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: noTime}), r))
			tc.log(l)
			if diff := cmp.Diff(tc.want, strings.TrimSpace(buf.String())); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestHandlerNumericSecret(t *testing.T) {
	var buf bytes.Buffer
	r := newRedactor("90210735")
	l := slog.New(NewHandler(slog.NewTextHandler(&buf, nil), r))
	l.Info("m", "pin", 90210735, "at", time.Unix(0, 0).UTC(), "d", 3*time.Second)
	if got := buf.String(); strings.Contains(got, "90210735") || !strings.Contains(got, "pin="+M) {
		t.Errorf("numeric secret: %s", got)
	}
	if got := buf.String(); !strings.Contains(got, "d=3s") {
		t.Errorf("unrelated duration changed: %s", got)
	}
}

// TestHandlerSecretAddedAfterWith checks that attributes given to With
// before a secret was added are still redacted, and that the cache of the
// next handler's With result is rebuilt.
func TestHandlerSecretAddedAfterWith(t *testing.T) {
	var buf bytes.Buffer
	r := New(Options{})
	l := slog.New(NewHandler(slog.NewJSONHandler(&buf, nil), r)).With("token", "late-added-secret").WithGroup("g")
	l.Info("first")
	if !strings.Contains(buf.String(), `"token":"late-added-secret"`) {
		t.Fatalf("before Add: %s", buf.String())
	}
	buf.Reset()
	r.Add("late-added-secret")
	l.Info("second", "k", "v")
	if got := buf.String(); strings.Contains(got, "late-added-secret") || !strings.Contains(got, `"token":"`+M+`"`) || !strings.Contains(got, `"g":{"k":"v"}`) {
		t.Errorf("after Add: %s", got)
	}
}

func TestHandlerEnabled(t *testing.T) {
	h := NewHandler(slog.NewJSONHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn}), New(Options{}))
	ctx := context.Background()
	if h.Enabled(ctx, slog.LevelInfo) || !h.Enabled(ctx, slog.LevelError) {
		t.Error("Enabled does not follow the next handler")
	}
	if got := fmt.Sprint(h.WithGroup("") == slog.Handler(h), h.WithAttrs(nil) == slog.Handler(h)); got != "true true" {
		t.Errorf("empty WithGroup/WithAttrs should return the handler itself: %s", got)
	}
}

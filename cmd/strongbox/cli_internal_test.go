package main

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// TestHelpDocumentsExitCodes: every command's --help lists the exit codes.
func TestHelpDocumentsExitCodes(t *testing.T) {
	var out bytes.Buffer
	root := newRootCmd(&out, &out, func(string) string { return "" })
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Name() == "help" || sub.Name() == "completion" || sub.Name() == "serve" {
				continue
			}
			t.Run(sub.CommandPath(), func(t *testing.T) {
				if !strings.Contains(sub.Long, "Exit codes:") || !strings.Contains(sub.Long, "7  a secret was found") {
					t.Errorf("%s --help lists no exit codes:\n%s", sub.CommandPath(), sub.Long)
				}
			})
			walk(sub)
		}
	}
	walk(root)
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{usage("x"), exitUsage},
		{errors.New(`unknown flag: --bogus`), exitUsage},
		{errors.New(`accepts 1 arg(s), received 0`), exitUsage},
		{errcode.New(errcode.NotFound, "op", "x"), exitNotFound},
		{errcode.New(errcode.PermissionDenied, "op", "x"), exitDenied},
		{errcode.New(errcode.Conflict, "op", "x"), exitConflict},
		{errcode.New(errcode.AlreadyExists, "op", "x"), exitConflict},
		{errcode.New(errcode.Unavailable, "op", "x"), exitUnavailable},
		{errors.New("something else"), exitFailure},
		{apiErr("http://h:1", errcode.New(errcode.Unavailable, "op", "x")), exitUnavailable},
		{apiErr("http://h:1", errcode.New(errcode.NotFound, "op", "x")), exitNotFound},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
	msg := apiErr("http://h:1/base", errcode.New(errcode.Unavailable, "op", "x")).Error()
	if !strings.Contains(msg, "http://h:1/base") || !strings.Contains(msg, "retry") || strings.Contains(msg, "\n") {
		t.Errorf("unavailable message: %q", msg)
	}
}

// FuzzParseLabels: --label values never panic, and a good one round-trips.
func FuzzParseLabels(f *testing.F) {
	f.Add("env=prod")
	f.Add("=x")
	f.Add("a=b=c")
	c := &cobra.Command{Use: "x"}
	f.Fuzz(func(t *testing.T, kv string) {
		m, err := parseLabels(c, []string{kv})
		if err != nil {
			return
		}
		k, v, _ := strings.Cut(kv, "=")
		if m[k] != v || len(m) != 1 {
			t.Fatalf("parseLabels(%q) = %v", kv, m)
		}
	})
}

// TestDevNullIsNoTerminal: "secret reveal x > /dev/null" is a file, not a
// terminal the value would stay on.
func TestDevNullIsNoTerminal(t *testing.T) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("/dev/null is taken for a terminal")
	}
}

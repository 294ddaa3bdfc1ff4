// Command strongbox is the secrets service of strongbox: "strongbox serve"
// runs the HTTP API (package secrets/httpapi) over a store and
// key-encryption keys, with nothing to configure on a fresh machine.
//
//	go run ./cmd/strongbox serve
//	go run ./cmd/strongbox serve --help
//
// The same binary is the CLI of issue #15: login, secret, token (against a
// server, through the httpapi Client), run and scan (package secrets/run),
// and the operator commands key and gc (on the store directly). Every
// command's --help lists the exit codes (cli.go).
//
// The command is wiring and configuration: the rules live in the library
// packages (the data directory and readiness in package service, keys in
// keeper and runtoken, authorization in rbac and secrets).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd(os.Stdout, os.Stderr, os.Getenv).ExecuteContext(ctx); err != nil {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, "strongbox: "+usageLines(msg))
		}
		os.Exit(exitCode(err))
	}
}

// oneLine keeps an error on one line, whatever a dependency put in it.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func newRootCmd(stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	root := &cobra.Command{
		Use:   "strongbox",
		Short: "strongbox keeps the secrets load tests use",
		Long: `strongbox keeps the secrets load tests use: API keys, passwords, tokens,
encrypted at rest and fetched by name by test runs (k6's url secret source).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newServeCmd(stdout, stderr, getenv))
	addClientCommands(root, getenv)
	return root
}

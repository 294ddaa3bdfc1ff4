package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/strongbox-go/strongbox/secrets/run"
)

func newRunCmd(g *globals) *cobra.Command {
	var names, scan []string
	var ttl time.Duration
	var subject string
	cmd := &cobra.Command{
		Use:   "run [--names a,b] [--ttl D] [--scan DIR]... -- COMMAND [ARG]...",
		Short: "Run a command (k6) with the secrets, redacting its output",
		Long: `Run a command with the namespace's secrets, as k6 reads them:

  strongbox run --names api-key,db-password -- k6 run script.js

It issues a run token scoped to the names (default: every secret listing the
run identity, k6, as a decrypter), gives the command the k6 secret source in
K6_SECRET_SOURCE (never on its command line), fetches the values itself and
replaces them (raw, split across writes, JSON, URL or base64 encoded) with
***SECRET_REDACTED*** in the command's stdout and stderr, forwards SIGINT and
SIGTERM to it, revokes the token when it exits, and exits with its code
(128+n when signal n ended it). --scan DIR checks the files the run wrote
there (k6 summaries, handleSummary output, JSON results) and fails the run
(exit 7 when the command succeeded) naming file, offset and secret, never the
value.`,
		Args: func(c *cobra.Command, a []string) error {
			if c.ArgsLenAtDash() != 0 || len(a) == 0 {
				return usageErr(c, "give the command after --: strongbox run -- k6 run script.js")
			}
			return nil
		},
		RunE: func(c *cobra.Command, a []string) error {
			server, ns, tok, err := g.settings()
			if err != nil {
				return err
			}
			// The run ends when the command does: Ctrl-C is forwarded to
			// it, not taken as ours.
			ctx := context.WithoutCancel(c.Context())
			res, err := run.Run(ctx, run.Options{ServerURL: server, Token: tok, Namespace: ns, Names: splitNames(names),
				Subject: subject, TTL: ttl, Command: a, ScanDirs: scan,
				Stdin: c.InOrStdin(), Stdout: c.OutOrStdout(), Stderr: c.ErrOrStderr()})
			if res == nil {
				return apiErr(server, err)
			}
			if err != nil {
				fmt.Fprintln(c.ErrOrStderr(), "strongbox: "+oneLine(apiErr(server, err).Error()))
			}
			for _, l := range res.Leaks {
				fmt.Fprintln(c.ErrOrStderr(), "strongbox: leak: "+l.String())
			}
			code := res.ExitCode
			if code == 0 && len(res.Leaks) > 0 {
				code = exitLeak
			} else if code == 0 && err != nil {
				code = exitCode(apiErr(server, err))
			}
			if code == 0 {
				return nil
			}
			return &exitError{code: code, msg: ""}
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&names, "names", nil, "secrets the run may read, comma-separated; NAME@VERSION pins a kept version (default: all listing the run identity)")
	f.DurationVar(&ttl, "ttl", 0, "run token lifetime (default: the server's); it is revoked at exit anyway")
	f.StringVar(&subject, "subject", "", "run identity (default: the server's, k6)")
	f.StringArrayVar(&scan, "scan", nil, "after the run, check the files under DIR for secrets (repeatable)")
	return cmd
}

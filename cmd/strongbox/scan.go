package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/strongbox-go/strongbox/secrets/run"
)

func newScanCmd(g *globals) *cobra.Command {
	var names []string
	cmd := &cobra.Command{
		Use:   "scan --names a,b FILE...",
		Short: "Check files for secrets (for CI), naming file, offset and secret",
		Long: `Check files (or directories) for the named secrets, in every encoding run
redacts, and print file:offset: secret NAME (variant) for each occurrence,
never the value. Exit 7 when one is found. The values are fetched with a
run token issued for the scan and revoked after it.`,
		Args: func(c *cobra.Command, a []string) error {
			if len(a) == 0 {
				return usageErr(c, "give the files or directories to scan")
			}
			return nil
		},
		RunE: func(c *cobra.Command, a []string) error {
			n := splitNames(names)
			server, ns, tok, err := g.settings()
			if err != nil {
				return err
			}
			leaks, err := run.Scan(c.Context(), run.Options{ServerURL: server, Token: tok, Namespace: ns, Names: n}, a...)
			for _, l := range leaks {
				fmt.Fprintln(c.OutOrStdout(), l.String())
			}
			if err != nil {
				return apiErr(server, err)
			}
			if len(leaks) > 0 {
				return &exitError{exitLeak, fmt.Sprintf("%d occurrence(s) of secrets found", len(leaks))}
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&names, "names", nil, "secrets to look for, comma-separated (default: all listing the run identity)")
	return cmd
}

package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/strongbox-go/strongbox/secrets/httpapi"
)

func newTokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Issue and revoke run tokens (decrypt-only, for test runs)",
	}
	cmd.AddCommand(newTokenIssueCmd(g), newTokenRevokeCmd(g))
	return cmd
}

func splitNames(s []string) []string {
	var out []string
	for _, v := range s {
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

func newTokenIssueCmd(g *globals) *cobra.Command {
	var names []string
	var all bool
	var ttl time.Duration
	var subject, output string
	cmd := &cobra.Command{
		Use:   "issue --names a,b [--ttl 1h]",
		Short: "Issue a run token that may decrypt the named secrets",
		Long: `Issue a run token that may decrypt the named secrets (those listing the
run identity, k6 by default, as a decrypter). The token goes to stdout, one
line, and its id and expiry to stderr; --output json prints them all.
Revoke it with "strongbox token revoke ID" when the run is done, or use
"strongbox run", which does both.`,
		Args: args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkOutput(c, output); err != nil {
				return err
			}
			n := splitNames(names)
			if len(n) == 0 && !all {
				return usageErr(c, "--names is required (or --all-names for the whole namespace)")
			}
			cl, ns, server, err := g.client()
			if err != nil {
				return err
			}
			tok, err := cl.IssueRunToken(c.Context(), ns, httpapi.RunTokenRequest{Names: n, AllNames: all, Subject: subject, TTL: ttl})
			if err != nil {
				return apiErr(server, err)
			}
			if output == "json" {
				return writeJSON(c.OutOrStdout(), struct {
					*httpapi.Token
					Value string `json:"token"`
				}{tok, tok.Secret.DangerouslyExpose()})
			}
			fmt.Fprintf(c.ErrOrStderr(), "run token %s for %s in namespace %s, expires %s\n", tok.ID,
				strings.Join(tok.Names, ","), ns, tok.ExpireTime.UTC().Format(time.RFC3339))
			_, err = fmt.Fprintln(c.OutOrStdout(), tok.Secret.DangerouslyExpose())
			return err
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&names, "names", nil, "secrets the token may decrypt, comma-separated")
	f.BoolVar(&all, "all-names", false, "the token may decrypt every secret of the namespace that lists its identity")
	f.DurationVar(&ttl, "ttl", 0, "lifetime, e.g. 1h (default: the server's)")
	f.StringVar(&subject, "subject", "", "run identity the secrets list as decrypter (default: the server's, k6)")
	f.StringVarP(&output, "output", "o", "table", "output format: table (token only on stdout) or json")
	return cmd
}

func newTokenRevokeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a run token by its id",
		Long: `Revoke a run token by its id: every instance refuses it from then on.

Ids never begin with '-'; one issued by an older version may, and goes
after "--": strongbox token revoke -- -Vu5zBBwSN6KVLxog9m1Ow`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			cl, ns, server, err := g.client()
			if err != nil {
				return err
			}
			if err := cl.RevokeRunToken(c.Context(), ns, a[0]); err != nil {
				return apiErr(server, err)
			}
			fmt.Fprintf(c.OutOrStdout(), "run token %s revoked\n", a[0])
			return nil
		},
	}
}

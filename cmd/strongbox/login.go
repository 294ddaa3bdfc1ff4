package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
)

func newLoginCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "login URL",
		Short: "Keep a server URL and an API token for the other commands",
		Long: `Keep a server URL and an API token for the other commands.

The token is read from stdin (never from the command line, where ps shows it
to every user of the host):

  strongbox login https://secrets.example.com < token-file
  printf %s "$TOKEN" | strongbox login https://secrets.example.com -n team-a

It is checked against the server (a listing of the namespace), then kept
with the URL and namespace in the config file, of mode 0600 in a directory
of mode 0700. STRONGBOX_SERVER, STRONGBOX_TOKEN and STRONGBOX_NAMESPACE
override the file.`,
		Args: func(c *cobra.Command, a []string) error {
			switch {
			case len(a) == 0:
				return usageErr(c, "missing the server URL")
			case len(a) > 1:
				return usageErr(c, "one argument, the server URL, is expected; the token is read from stdin: a token on the command line is shown by ps to every user of this host")
			}
			return nil
		},
		RunE: func(c *cobra.Command, a []string) error {
			if isTerminal(c.InOrStdin()) {
				fmt.Fprintln(c.ErrOrStderr(), "Paste the API token, then Enter:")
			}
			tok := strings.TrimSpace(readLine(c.InOrStdin()))
			if tok == "" {
				return usageErr(c, "no token on stdin: pipe it in (strongbox login URL < token-file)")
			}
			server := strings.TrimRight(a[0], "/")
			hc, err := httpapi.NewClient(server, httpapi.ClientOptions{Token: secrets.NewValue(tok)})
			if err != nil {
				return usageErr(c, fmt.Sprintf("%q is not an absolute http or https URL without user info or query", safeURL(server)))
			}
			ns := first(g.namespace, g.getenv("STRONGBOX_NAMESPACE"), "default")
			ctx, cancel := context.WithTimeout(c.Context(), 30*time.Second)
			defer cancel()
			if _, err := hc.List(ctx, ns, secrets.ListOptions{PageSize: 1}); err != nil {
				return apiErr(server, err)
			}
			p, err := g.path()
			if err != nil {
				return err
			}
			if err := writeConfig(p, config{Server: server, Namespace: ns, Token: tok}); err != nil {
				return err
			}
			fmt.Fprintf(c.ErrOrStderr(), "Signed in to %s (namespace %s); saved in %s\n", safeURL(server), ns, p)
			return nil
		},
	}
	return cmd
}

// writeConfig writes c to p with mode 0600, atomically (a temporary file
// renamed over it), in a directory of mode 0700.
func writeConfig(p string, c config) error {
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("config directory %s: %s", dir, reasonOf(err))
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".config-*.json")
	if err != nil {
		return fmt.Errorf("config directory %s: %s", dir, reasonOf(err))
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("config %s: %s", p, reasonOf(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("config %s: %s", p, reasonOf(err))
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return fmt.Errorf("config %s: %s", p, reasonOf(err))
	}
	return nil
}

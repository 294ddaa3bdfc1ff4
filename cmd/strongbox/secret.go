package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/strongbox-go/strongbox/secrets"
)

func newSecretCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret",
		Short: "Create, list, change and delete secrets on the server",
		Long: `Create, list, change and delete secrets on the server (see strongbox login).

Values are read from stdin or --value-file, never from the command line;
only "secret reveal" prints a value. Earlier values a secret keeps
(--keep-versions) are listed by "secret versions", made current again by
"secret rollback" and removed by "secret destroy"; "secret reveal
NAME@VERSION" reads one.`,
	}
	cmd.AddCommand(newSecretCreateCmd(g), newSecretListCmd(g), newSecretGetCmd(g), newSecretUpdateCmd(g),
		newSecretResetCmd(g), newSecretRevokeCmd(g), newSecretDeleteCmd(g), newSecretRevealCmd(g),
		newSecretVersionsCmd(g), newSecretRollbackCmd(g), newSecretDestroyCmd(g))
	return cmd
}

// nameArg: exactly one argument, the name; a second one is taken for a value.
func nameArg(c *cobra.Command, a []string) error {
	switch {
	case len(a) == 0:
		return usageErr(c, "missing the secret's name")
	case len(a) > 1:
		return usageErr(c, "one argument, the name, is expected; "+valueInArgv)
	}
	return nil
}

func parseLabels(c *cobra.Command, kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErr(c, fmt.Sprintf("--label %q is not key=value", kv))
		}
		m[k] = v
	}
	return m, nil
}

func printSecret(w io.Writer, s *secrets.Secret, output string) error {
	if output == "json" {
		return writeJSON(w, s)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("Name", s.Name)
	row("Namespace", s.Namespace)
	if s.Description != "" {
		row("Description", s.Description)
	}
	row("Labels", labelString(s.Labels))
	row("Decrypters", strings.Join(s.Decrypters, ","))
	row("Version", strconv.FormatInt(s.Version, 10))
	row("Kept versions", strconv.Itoa(s.KeepVersions))
	row("Revision", strconv.FormatInt(s.Revision, 10))
	row("Revoked", strconv.FormatBool(s.Revoked))
	row("Created", s.CreateTime.UTC().Format(time.RFC3339)+" by "+s.CreatedBy)
	row("Updated", s.UpdateTime.UTC().Format(time.RFC3339)+" by "+s.UpdatedBy)
	return tw.Flush()
}

func labelString(l map[string]string) string {
	keys := slices.Sorted(maps.Keys(l))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + l[k]
	}
	return strings.Join(parts, ",")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func checkOutput(c *cobra.Command, o string) error {
	if o != "table" && o != "json" {
		return usageErr(c, fmt.Sprintf("--output %q: give table or json", o))
	}
	return nil
}

func newSecretCreateCmd(g *globals) *cobra.Command {
	var desc, valueFile, output string
	var labels, decrypters []string
	var keep int
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a secret; the value comes from stdin or --value-file",
		Long: `Create a secret; the value comes from stdin or --value-file (one trailing
newline is dropped):

  printf %s "$API_KEY" | strongbox secret create api-key --label env=prod --decrypter k6
  strongbox secret create tls-key --value-file key.pem`,
		Args: nameArg,
		RunE: func(c *cobra.Command, a []string) error {
			if c.Flags().Changed("value") {
				return usageErr(c, "--value: "+valueInArgv)
			}
			if err := checkOutput(c, output); err != nil {
				return err
			}
			l, err := parseLabels(c, labels)
			if err != nil {
				return err
			}
			spec := secrets.Spec{Name: a[0], Description: desc, Labels: l, Decrypters: decrypters}
			if c.Flags().Changed("keep-versions") {
				// Absent: the server's default (strongbox serve --keep-versions).
				if err := checkKeep(c, keep); err != nil {
					return err
				}
				spec.KeepVersions = &keep
			}
			cl, ns, server, err := g.client()
			if err != nil {
				return err
			}
			if spec.Value, err = readValue(c, valueFile); err != nil {
				return err
			}
			s, err := cl.Create(c.Context(), ns, spec)
			if err != nil {
				return apiErr(server, err)
			}
			return printSecret(c.OutOrStdout(), s, output)
		},
	}
	f := cmd.Flags()
	f.StringVar(&desc, "description", "", "description (at most 253 characters)")
	f.StringArrayVar(&labels, "label", nil, "label key=value (repeatable)")
	f.StringArrayVar(&decrypters, "decrypter", nil, "service identity that may decrypt, e.g. k6 (repeatable)")
	f.IntVar(&keep, "keep-versions", 0, keepVersionsHelp+" (default: the server's, strongbox serve --keep-versions)")
	f.StringVar(&valueFile, "value-file", "", "read the value from this file instead of stdin")
	refuseValueFlag(cmd)
	f.StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

func newSecretListCmd(g *globals) *cobra.Command {
	var selector, output string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the secrets of the namespace (metadata only)",
		Args:  args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkOutput(c, output); err != nil {
				return err
			}
			cl, ns, server, err := g.client()
			if err != nil {
				return err
			}
			var all []*secrets.Secret
			lo := secrets.ListOptions{Selector: selector}
			for {
				page, err := cl.List(c.Context(), ns, lo)
				if err != nil {
					return apiErr(server, err)
				}
				all = append(all, page.Secrets...)
				if page.NextPageToken == "" {
					break
				}
				lo.PageToken = page.NextPageToken
			}
			if output == "json" {
				if all == nil {
					all = []*secrets.Secret{}
				}
				return writeJSON(c.OutOrStdout(), all)
			}
			tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tVERSION\tSTATE\tLABELS\tDECRYPTERS\tUPDATED")
			for _, s := range all {
				state := "active"
				if s.Revoked {
					state = "revoked"
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", s.Name, s.Version, state, labelString(s.Labels),
					strings.Join(s.Decrypters, ","), s.UpdateTime.UTC().Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVarP(&selector, "selector", "l", "", "label selector, e.g. env=prod,team!=qa")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

func newSecretGetCmd(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Show a secret's metadata (never its value)",
		Args:  nameArg,
		RunE: func(c *cobra.Command, a []string) error {
			if err := checkOutput(c, output); err != nil {
				return err
			}
			cl, ns, server, err := g.client()
			if err != nil {
				return err
			}
			s, err := cl.Get(c.Context(), ns, a[0])
			if err != nil {
				return apiErr(server, err)
			}
			return printSecret(c.OutOrStdout(), s, output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

func newSecretUpdateCmd(g *globals) *cobra.Command {
	var desc, output string
	var labels, decrypters []string
	var clearLabels, clearDecrypters bool
	var keep int
	cmd := &cobra.Command{
		Use:   "update NAME",
		Short: "Change a secret's description, labels, decrypters or kept versions",
		Long: `Change a secret's description, labels, decrypters or kept versions
(--keep-versions; fewer drops the kept values that fall out). A flag given replaces
that field (--label replaces all labels; --clear-labels removes them); the
others stay. The write is guarded by the revision just read, so a change
made meanwhile is not overwritten (exit 5: run it again).`,
		Args: nameArg,
		RunE: func(c *cobra.Command, a []string) error {
			if err := checkOutput(c, output); err != nil {
				return err
			}
			l, err := parseLabels(c, labels)
			if err != nil {
				return err
			}
			if c.Flags().Changed("keep-versions") {
				if err := checkKeep(c, keep); err != nil {
					return err
				}
			}
			cl, ns, server, err := g.client()
			if err != nil {
				return err
			}
			s, err := cl.Get(c.Context(), ns, a[0])
			if err != nil {
				return apiErr(server, err)
			}
			f := c.Flags()
			if f.Changed("description") {
				s.Description = desc
			}
			if f.Changed("label") || clearLabels {
				s.Labels = l
			}
			if f.Changed("decrypter") || clearDecrypters {
				s.Decrypters = decrypters
			}
			if f.Changed("keep-versions") {
				s.KeepVersions = keep
			}
			s, err = cl.Update(c.Context(), ns, s)
			if err != nil {
				return apiErr(server, err)
			}
			return printSecret(c.OutOrStdout(), s, output)
		},
	}
	f := cmd.Flags()
	f.StringVar(&desc, "description", "", "new description")
	f.StringArrayVar(&labels, "label", nil, "label key=value (repeatable; replaces all labels)")
	f.BoolVar(&clearLabels, "clear-labels", false, "remove every label")
	f.StringArrayVar(&decrypters, "decrypter", nil, "decrypter (repeatable; replaces all decrypters)")
	f.BoolVar(&clearDecrypters, "clear-decrypters", false, "remove every decrypter")
	f.IntVar(&keep, "keep-versions", 0, keepVersionsHelp)
	f.StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

func newSecretResetCmd(g *globals) *cobra.Command {
	var valueFile string
	cmd := &cobra.Command{
		Use:   "reset NAME",
		Short: "Give a secret a new value (from stdin or --value-file); ends a revocation",
		Args:  nameArg,
		RunE: func(c *cobra.Command, a []string) error {
			if c.Flags().Changed("value") {
				return usageErr(c, "--value: "+valueInArgv)
			}
			cl, ns, server, err := g.client()
			if err != nil {
				return err
			}
			v, err := readValue(c, valueFile)
			if err != nil {
				return err
			}
			s, err := cl.Reset(c.Context(), ns, a[0], v, 0)
			if err != nil {
				return apiErr(server, err)
			}
			fmt.Fprintf(c.OutOrStdout(), "secret %s reset: version %d\n", s.Name, s.Version)
			return nil
		},
	}
	cmd.Flags().StringVar(&valueFile, "value-file", "", "read the value from this file instead of stdin")
	refuseValueFlag(cmd)
	return cmd
}

func newSecretRevokeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a secret: nobody can decrypt it until it is reset",
		Args:  nameArg,
		RunE: func(c *cobra.Command, a []string) error {
			cl, ns, server, err := g.client()
			if err != nil {
				return err
			}
			if _, err := cl.Revoke(c.Context(), ns, a[0], 0); err != nil {
				return apiErr(server, err)
			}
			fmt.Fprintf(c.OutOrStdout(), "secret %s revoked\n", a[0])
			return nil
		},
	}
}

func newSecretDeleteCmd(g *globals) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a secret for good (asks you to type its name unless --yes)",
		Args:  nameArg,
		RunE: func(c *cobra.Command, a []string) error {
			cl, ns, server, err := g.client()
			if err != nil {
				return err
			}
			s, err := cl.Get(c.Context(), ns, a[0])
			if err != nil {
				return apiErr(server, err)
			}
			if !yes {
				fmt.Fprintf(c.ErrOrStderr(), "Deleting secret %s in namespace %s is permanent: runs that use it will fail.\nType the secret's name to delete it: ", s.Name, ns)
				if got := readLine(c.InOrStdin()); got != s.Name {
					return &exitError{exitFailure, "not deleted: the name typed does not match"}
				}
			}
			if err := cl.Delete(c.Context(), ns, s.Name, s.Revision); err != nil {
				return apiErr(server, err)
			}
			fmt.Fprintf(c.OutOrStdout(), "secret %s deleted\n", s.Name)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for the name (for scripts)")
	return cmd
}

func newSecretRevealCmd(g *globals) *cobra.Command {
	var show bool
	cmd := &cobra.Command{
		Use:   "reveal NAME[@VERSION]",
		Short: "Print only the value, raw, for scripts (service identities and run tokens)",
		Long: `Print only the value, raw and without a newline, for scripts:

  strongbox secret reveal api-key > api-key.txt
  API_KEY=$(strongbox secret reveal api-key)
  OLD_KEY=$(strongbox secret reveal api-key@3)   # a kept earlier version

NAME@VERSION reads that version while the secret keeps it (see secret
versions); one that is no longer kept is not found (exit 3).

The credentials must be those of a service identity listed as the secret's
decrypter, or a run token (users never decrypt). To a terminal the value is
printed only with --show.`,
		Args: nameArg,
		RunE: func(c *cobra.Command, a []string) error {
			if isTerminal(c.OutOrStdout()) && !show {
				return usageErr(c, "stdout is a terminal: the value would stay on screen and in its scrollback; redirect it to a file or pipe, or give --show")
			}
			cl, ns, server, err := g.client()
			if err != nil {
				return err
			}
			v, err := cl.RevealValue(c.Context(), ns, a[0])
			if err != nil {
				return apiErr(server, err)
			}
			_, err = io.WriteString(c.OutOrStdout(), v.DangerouslyExpose())
			return err
		},
	}
	cmd.Flags().BoolVar(&show, "show", false, "print the value to a terminal too")
	return cmd
}

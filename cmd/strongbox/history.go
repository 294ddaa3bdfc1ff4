package main

// The value-history commands (issue #18): secret versions, rollback,
// destroy, and the --keep-versions flags.

import (
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/strongbox-go/strongbox/secrets"
)

// keepVersionsHelp is the usage of --keep-versions on create and update.
const keepVersionsHelp = "how many earlier values the secret keeps for rollback and pinned reads (name@N), 0 to 100; 0 drops the old value on every reset"

// checkKeep refuses a --keep-versions out of range before any request.
func checkKeep(c *cobra.Command, n int) error {
	if n < 0 || n > secrets.MaxKeepVersions {
		return usageErr(c, fmt.Sprintf("--keep-versions %d: give 0 to %d", n, secrets.MaxKeepVersions))
	}
	return nil
}

// nameVersionArgs: exactly the name and a version number.
func nameVersionArgs(c *cobra.Command, a []string) error {
	if len(a) != 2 {
		return usageErr(c, "give the secret's name and a version number, as secret versions lists them")
	}
	return nil
}

// parseVersion reads a version number strictly: a decimal of 1 or more,
// without sign or leading zeros, as in name@N.
func parseVersion(c *cobra.Command, s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || strconv.FormatInt(n, 10) != s {
		return 0, usageErr(c, fmt.Sprintf("version %q: give a version number of 1 or more, as secret versions lists them", s))
	}
	return n, nil
}

// versionState is how the versions table shows a version.
func versionState(v secrets.Version) string {
	switch {
	case v.Destroyed:
		return "destroyed"
	case v.Revoked:
		return "revoked"
	case v.Current:
		return "current"
	}
	return "kept"
}

func newSecretVersionsCmd(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "versions NAME",
		Short: "List the versions of a secret's value, newest first (never a value)",
		Long: `List the versions of a secret's value, newest first: when each was set and
by whom, and its state: current, kept (an earlier value that rollback and
pinned reads, NAME@VERSION, can still reach), revoked or destroyed.

  strongbox secret versions api-key
  strongbox secret rollback api-key 3`,
		Args: nameArg,
		RunE: func(c *cobra.Command, a []string) error {
			if err := checkOutput(c, output); err != nil {
				return err
			}
			cl, ns, server, err := g.client()
			if err != nil {
				return err
			}
			vs, err := cl.Versions(c.Context(), ns, a[0])
			if err != nil {
				return apiErr(server, err)
			}
			if output == "json" {
				if vs == nil {
					vs = []secrets.Version{}
				}
				return writeJSON(c.OutOrStdout(), vs)
			}
			tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tSTATE\tCREATED\tBY")
			for _, v := range vs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", v.Version, versionState(v), v.CreateTime.UTC().Format(time.RFC3339), v.CreatedBy)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

func newSecretRollbackCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rollback NAME VERSION",
		Short: "Make a kept earlier value current again, as a new version",
		Long: `Make the kept value of VERSION current again. It becomes a new version (the
history is never rewritten), ends a revocation, and tests read it from
their next run. Needs the permission to update (as reset).

  strongbox secret versions api-key
  strongbox secret rollback api-key 3`,
		Args: nameVersionArgs,
		RunE: func(c *cobra.Command, a []string) error {
			version, err := parseVersion(c, a[1])
			if err != nil {
				return err
			}
			cl, ns, server, err := g.client()
			if err != nil {
				return err
			}
			s, err := cl.Rollback(c.Context(), ns, a[0], version, 0)
			if err != nil {
				return apiErr(server, err)
			}
			fmt.Fprintf(c.OutOrStdout(), "secret %s rolled back to the value of version %d: now version %d\n", s.Name, version, s.Version)
			return nil
		},
	}
}

func newSecretDestroyCmd(g *globals) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "destroy NAME VERSION",
		Short: "Remove one kept earlier value for good (asks you to type the version unless --yes)",
		Long: `Remove the kept value of an earlier VERSION for good: it can no longer be
rolled back to or read as NAME@VERSION, and stays listed as destroyed. The
current value is refused: revoke it instead. Needs the permission to delete.`,
		Args: nameVersionArgs,
		RunE: func(c *cobra.Command, a []string) error {
			version, err := parseVersion(c, a[1])
			if err != nil {
				return err
			}
			cl, ns, server, err := g.client()
			if err != nil {
				return err
			}
			if !yes {
				fmt.Fprintf(c.ErrOrStderr(), "Destroying version %d of secret %s in namespace %s is permanent.\nType the version number to destroy it: ", version, a[0], ns)
				if got := readLine(c.InOrStdin()); got != a[1] {
					return &exitError{exitFailure, "not destroyed: the version typed does not match"}
				}
			}
			if _, err := cl.Destroy(c.Context(), ns, a[0], version, 0); err != nil {
				return apiErr(server, err)
			}
			fmt.Fprintf(c.OutOrStdout(), "version %d of secret %s destroyed\n", version, a[0])
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for the version (for scripts)")
	return cmd
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/service"
	"github.com/strongbox-go/strongbox/storage"
)

// opConfig is how operator commands reach the store and keys: as serve
// does (--data-dir, --store, --kek, and their STRONGBOX_* variables).
type opConfig struct {
	g       *globals
	dataDir string
	store   string
	keks    []string
	primary string
}

const operatorLong = `

Operator commands work on the store directly, as strongbox serve does (same
--data-dir, --store and --kek, and the same STRONGBOX_* variables), not
through the server: run them on the service's host, as its user. Keys are
configuration today: the first --kek (or, without --kek, the data
directory's local key) is the primary; the others still decrypt.`

func (o *opConfig) flags(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&o.dataDir, "data-dir", "", "serve's data directory (default $XDG_DATA_HOME/strongbox) [$STRONGBOX_DATA_DIR]")
	f.StringVar(&o.store, "store", "", "store URL (default: SQLite in the data directory) [$STRONGBOX_STORE]")
	f.StringArrayVar(&o.keks, "kek", nil, "key-encryption key URL, repeatable, the first primary (default: the data directory's) [$STRONGBOX_KEK]")
}

// opened is the store, the keys and a Manager acting as the operator.
type opened struct {
	st   *storage.Store
	env  *keeper.Envelope
	keks []keeper.KEK
	m    *secrets.Manager
}

func (o *opened) Close() {
	if o.m != nil {
		o.m.Close()
	}
	if o.st != nil {
		o.st.Close()
	}
	if o.env != nil {
		o.env.Close()
	}
}

func (o *opConfig) open(ctx context.Context) (*opened, error) {
	getenv := o.g.getenv
	o.dataDir = first(o.dataDir, getenv("STRONGBOX_DATA_DIR"))
	o.store = first(o.store, getenv("STRONGBOX_STORE"))
	if len(o.keks) == 0 {
		o.keks = strings.Fields(getenv("STRONGBOX_KEK"))
	}
	if o.dataDir == "" {
		d, err := service.DefaultDataDir()
		if err != nil {
			return nil, err
		}
		o.dataDir = d
	}
	res := &opened{}
	var dir *service.DataDir
	if _, err := os.Stat(filepath.Join(o.dataDir, "FORMAT")); err == nil {
		if dir, err = service.OpenDataDir(o.dataDir, service.DataDirOptions{NoLocalKEK: len(o.keks) > 0}); err != nil {
			return nil, err
		}
	} else if o.store == "" || len(o.keks) == 0 {
		return nil, usage("no data directory at " + o.dataDir + ": give --data-dir of strongbox serve, or --store and --kek")
	}
	for _, u := range o.keks {
		res.keks = append(res.keks, keeper.KEK{URL: u})
	}
	if dir != nil {
		if k, ok := dir.LocalKEK(); ok {
			res.keks = append(res.keks, k)
		}
	}
	if len(res.keks) == 0 {
		return nil, usage("no key-encryption key: give --kek")
	}
	if o.primary != "" {
		i := slices.IndexFunc(res.keks, func(k keeper.KEK) bool { return kekID(k) == o.primary })
		if i < 0 {
			return nil, usage("--primary " + o.primary + " is not a configured key (see strongbox key list)")
		}
		res.keks[0], res.keks[i] = res.keks[i], res.keks[0]
	}
	env, err := keeper.OpenEnvelope(ctx, res.keks[0].URL, keeper.EnvelopeOptions{KEKs: res.keks[1:]})
	if err != nil {
		return nil, &exitError{exitUnavailable, "--kek: " + oneLine(err.Error())}
	}
	res.env = env
	storeURL := o.store
	if storeURL == "" {
		storeURL = dir.StoreURL()
	}
	if res.st, err = storage.OpenStore(ctx, storeURL); err != nil {
		res.Close()
		return nil, &exitError{exitUnavailable, "store " + storeName(storeURL) + ": cannot open it: check that it runs and is reachable, then retry"}
	}
	if res.m, err = secrets.New(secrets.Options{Store: res.st, Keeper: env, Authorizer: operatorAuthorizer{}}); err != nil {
		res.Close()
		return nil, err
	}
	return res, nil
}

func kekID(k keeper.KEK) string {
	if k.ID != "" {
		return k.ID
	}
	return keeper.DefaultKEKID(k.URL)
}

// asOperator is the principal of operator commands: they run with direct
// access to the store and keys, which is more than any role, so their
// Manager lets this principal maintain every namespace (operatorAuthorizer).
func asOperator(ctx context.Context) context.Context {
	return rbac.WithPrincipal(ctx, rbac.Principal{Kind: rbac.KindUser, ID: operatorID, Namespace: operatorID, Roles: []rbac.Role{rbac.RoleAdmin}})
}

const operatorID = "operator"

// operatorAuthorizer allows the operator principal everything but decrypt,
// in every namespace (key usage and removal look at all of them), and
// refuses anyone else. The Manager still audits every call.
type operatorAuthorizer struct{}

func (operatorAuthorizer) Authorize(_ context.Context, p rbac.Principal, _ string, action rbac.Action) error {
	if p.Kind == rbac.KindUser && p.ID == operatorID && action != rbac.ActionDecrypt {
		return nil
	}
	return fmt.Errorf("%w: only the operator of these commands", secrets.ErrPermissionDenied)
}

func newKeyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Operator: list, add, promote, rewrap and remove key-encryption keys",
		Long:  "Operator: list, add, promote, rewrap and remove key-encryption keys." + operatorLong,
	}
	cmd.AddCommand(newKeyListCmd(g), newKeyAddCmd(g), newKeyPromoteCmd(g), newKeyRewrapCmd(g), newKeyRemoveCmd(g))
	return cmd
}

func newKeyListCmd(g *globals) *cobra.Command {
	o := &opConfig{g: g}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the keys and how many ciphertexts each protects",
		Args:  args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			op, err := o.open(c.Context())
			if err != nil {
				return err
			}
			defer op.Close()
			usage, err := op.m.KEKUsage(asOperator(c.Context()), "")
			if err != nil {
				return apiErr("", err)
			}
			primary, _ := op.env.KEKIDs()
			tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tROLE\tCIPHERTEXTS")
			seen := map[string]bool{}
			for _, k := range op.keks {
				id := kekID(k)
				role := "decrypts"
				if id == primary {
					role = "primary"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\n", id, role, usage[id])
				seen[id] = true
			}
			var other []string
			for id := range usage {
				if !seen[id] {
					other = append(other, id)
				}
			}
			sort.Strings(other)
			for _, id := range other {
				fmt.Fprintf(tw, "%s\t%s\t%d\n", id, "NOT CONFIGURED (its data cannot be read)", usage[id])
			}
			return tw.Flush()
		},
	}
	o.flags(cmd)
	return cmd
}

func newKeyAddCmd(g *globals) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "add --out FILE",
		Short: "Make a new local key-encryption key in a file of mode 0600",
		Long: `Make a new local key-encryption key (base64key://) in a new file of mode
0600, and print its id. To use it, give its URL to serve and to the operator
commands as the first --kek (STRONGBOX_KEK="$(cat FILE) ...", keeping the
older keys after it), then run strongbox key rewrap. Cloud keys (awskms://,
gcpkms://, ...) are made in their key service; give their URL as --kek.`,
		Args: args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if out == "" {
				return usageErr(c, "--out FILE is required: the key is written there, never printed")
			}
			u, err := keeper.NewThrowawayKEKURL()
			if err != nil {
				return err
			}
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("--out %s: %s (it is never overwritten)", out, reasonOf(err))
			}
			if _, err := io.WriteString(f, u+"\n"); err != nil {
				f.Close()
				os.Remove(out)
				return fmt.Errorf("--out %s: %s", out, reasonOf(err))
			}
			if err := f.Close(); err != nil {
				return fmt.Errorf("--out %s: %s", out, reasonOf(err))
			}
			fmt.Fprintf(c.OutOrStdout(), "%s\n", keeper.DefaultKEKID(u))
			fmt.Fprintf(c.ErrOrStderr(), "key %s written to %s; make it the first --kek, then run strongbox key rewrap\n", keeper.DefaultKEKID(u), out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write the key URL to (mode 0600, must not exist)")
	return cmd
}

func newKeyPromoteCmd(g *globals) *cobra.Command {
	o := &opConfig{g: g}
	cmd := &cobra.Command{
		Use:   "promote ID",
		Short: "Check that a configured key can be the primary, and say how to make it so",
		Long: `Check that a configured key can be the primary: it wraps and unwraps a fresh
data key. Keys are configuration today (they will be kept in the store
later): make it primary by giving it as the first --kek to serve, then run
strongbox key rewrap --primary ID.` + operatorLong,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			o.primary = a[0]
			op, err := o.open(c.Context())
			if err != nil {
				return err
			}
			defer op.Close()
			if err := op.env.SetPrimary(a[0]); err != nil {
				return err
			}
			ct, err := op.env.Encrypt(c.Context(), []byte("strongbox key promote check"), []byte("promote"))
			if err == nil {
				_, err = op.env.Decrypt(c.Context(), ct, []byte("promote"))
			}
			if err != nil {
				return &exitError{exitUnavailable, "key " + a[0] + " cannot wrap a data key: " + oneLine(err.Error())}
			}
			fmt.Fprintf(c.OutOrStdout(), "key %s works as primary: give it first in --kek to serve, then run strongbox key rewrap --primary %s\n", a[0], a[0])
			return nil
		},
	}
	o.flags(cmd)
	return cmd
}

// rewrapState is the resumable state of a rewrap, kept in a 0600 file.
func rewrapStatePath(o *opConfig, ns string) string {
	return filepath.Join(o.dataDir, "rewrap-"+ns+".state")
}

func newKeyRewrapCmd(g *globals) *cobra.Command {
	o := &opConfig{g: g}
	var state string
	var pageSize int
	cmd := &cobra.Command{
		Use:   "rewrap [--primary ID]",
		Short: "Re-encrypt the namespace's data under the primary key (resumable)",
		Long: `Re-encrypt every ciphertext of the namespace that is not under the primary
key, so the older keys can be removed. Values never leave the keeper.
Progress goes to stderr. After each page the place reached is saved in a
state file (--state, default rewrap-NS.state in the data directory), so a
run stopped by Ctrl-C, a crash or an outage resumes where it stopped when run
again; the file is removed when the run completes.` + operatorLong,
		Args: args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			ns := first(g.namespace, g.getenv("STRONGBOX_NAMESPACE"), "default")
			op, err := o.open(c.Context())
			if err != nil {
				return err
			}
			defer op.Close()
			if state == "" {
				state = rewrapStatePath(o, ns)
			}
			token := ""
			if b, err := os.ReadFile(state); err == nil {
				token = strings.TrimSpace(string(b))
				fmt.Fprintf(c.ErrOrStderr(), "resuming the rewrap of %s from %s\n", ns, state)
			}
			primary, _ := op.env.KEKIDs()
			total := 0
			if usage, err := op.m.KEKUsage(asOperator(c.Context()), ns); err == nil {
				for id, n := range usage {
					if id != primary {
						total += n
					}
				}
			}
			bar := newProgress(c.ErrOrStderr(), total)
			ctx := asOperator(c.Context())
			err = op.m.Rewrap(ctx, ns, secrets.RewrapOptions{PageToken: token, PageSize: pageSize, Progress: func(p secrets.RewrapProgress) {
				bar.show(p)
				if p.PageToken != "" {
					_ = writeFile0600(state, p.PageToken+"\n")
				}
			}})
			bar.done()
			if err != nil {
				if errors.Is(err, context.Canceled) {
					return &exitError{exitFailure, "rewrap interrupted; run strongbox key rewrap again to resume (state in " + state + ")"}
				}
				e := apiErr("", err)
				return &exitError{exitCode(e), oneLine(e.Error()) + "; run strongbox key rewrap again to resume"}
			}
			_ = os.Remove(state)
			fmt.Fprintf(c.OutOrStdout(), "rewrap of %s done: everything is under key %s\n", ns, primary)
			return nil
		},
	}
	o.flags(cmd)
	cmd.Flags().StringVar(&o.primary, "primary", "", "key to rewrap under (default: the first --kek)")
	cmd.Flags().IntVar(&pageSize, "page-size", 0, "ciphertexts per page, saved after each (default: the store's maximum)")
	cmd.Flags().StringVar(&state, "state", "", "state file of a resumable run (default: rewrap-NS.state in the data directory)")
	return cmd
}

func writeFile0600(p, s string) error {
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(s), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// progress draws a bar on a terminal, a line per page elsewhere.
type progress struct {
	w     io.Writer
	total int
	tty   bool
}

func newProgress(w io.Writer, total int) *progress {
	return &progress{w: w, total: total, tty: isTerminal(w)}
}

func (p *progress) show(r secrets.RewrapProgress) {
	done := r.Rewrapped + r.Failed
	bar := ""
	if p.total > 0 {
		n := min(30, done*30/p.total)
		bar = fmt.Sprintf("[%s%s] %d/%d ", strings.Repeat("=", n), strings.Repeat(" ", 30-n), done, p.total)
	}
	line := fmt.Sprintf("rewrap %sscanned %d, rewrapped %d, current %d, gone %d, failed %d", bar, r.Scanned, r.Rewrapped, r.Current, r.Gone, r.Failed)
	if p.tty {
		fmt.Fprint(p.w, "\r"+line)
	} else {
		fmt.Fprintln(p.w, line)
	}
}

func (p *progress) done() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

func newKeyRemoveCmd(g *globals) *cobra.Command {
	o := &opConfig{g: g}
	var force bool
	cmd := &cobra.Command{
		Use:   "remove ID",
		Short: "Check that no data is under a key any more, so it can be dropped",
		Long: `Check that no stored ciphertext of any namespace is under the key, so that it
can be dropped from --kek (and deleted in its key service). It refuses (exit
5) while data is still under it: run strongbox key rewrap first.` + operatorLong,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			op, err := o.open(c.Context())
			if err != nil {
				return err
			}
			defer op.Close()
			primary, _ := op.env.KEKIDs()
			if a[0] == primary {
				return &exitError{exitConflict, "key " + a[0] + " is the primary: promote another key and rewrap first"}
			}
			err = op.env.RemoveKEK(asOperator(c.Context()), a[0], keeper.RemoveOptions{InUse: op.m.KEKInUse(), Force: force})
			if err != nil {
				if errcode := exitCode(err); errcode == exitFailure || errcode == exitUsage {
					return &exitError{exitConflict, oneLine(err.Error()) + ": run strongbox key rewrap first"}
				}
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "no data is under key %s: drop it from --kek\n", a[0])
			return nil
		},
	}
	o.flags(cmd)
	cmd.Flags().BoolVar(&force, "force", false, "do not check (data still under the key becomes unreadable)")
	return cmd
}

func newGCCmd(g *globals) *cobra.Command {
	o := &opConfig{g: g}
	var minAge time.Duration
	cmd := &cobra.Command{
		Use:   "gc [--min-age 1h]",
		Short: "Operator: remove ciphertexts no secret points at (left by crashes)",
		Long:  "Operator: remove the namespace's ciphertexts that no secret points at and that are older than --min-age." + operatorLong,
		Args:  args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			ns := first(g.namespace, g.getenv("STRONGBOX_NAMESPACE"), "default")
			op, err := o.open(c.Context())
			if err != nil {
				return err
			}
			defer op.Close()
			n, err := op.m.CollectGarbage(asOperator(c.Context()), ns, minAge)
			if err != nil {
				return apiErr("", err)
			}
			fmt.Fprintf(c.OutOrStdout(), "removed %d orphaned ciphertext(s) in %s\n", n, ns)
			return nil
		},
	}
	o.flags(cmd)
	cmd.Flags().DurationVar(&minAge, "min-age", time.Hour, "only ciphertexts older than this (writes in flight keep theirs)")
	return cmd
}

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

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/fleet"
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
	// grace is KeysOptions.RemoveGrace of key remove.
	grace time.Duration
}

const operatorLong = `

Operator commands work on the store directly, as strongbox serve does (same
--data-dir, --store and --kek, and the same STRONGBOX_* variables), not
through the server: run them on a service's host, as its user. The list of
key-encryption keys, which is primary and which are retired, lives in the
store and every instance on it follows it at once: key add, promote and
remove change it for the whole fleet. --kek gives the keys this command
holds (local keys never enter the store, only their ids), so it needs the
fleet's primary, like every instance. For a fleet: key add; give a local key
to every instance's --kek and restart each; key promote; key rewrap in every
namespace; key remove (refused while any instance may still write under the
key or data remains under it).`

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
	keys *fleet.Keys
	m    *secrets.Manager
}

func (o *opened) Close() {
	if o.m != nil {
		o.m.Close()
	}
	if o.keys != nil {
		o.keys.Close()
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
	// This command joins the fleet's key configuration like an instance
	// (it writes under the shared primary), and leaves it at Close.
	if res.keys, err = fleet.OpenKeys(ctx, res.st, env, fleet.KeysOptions{Instance: "operator-" + instanceName(), RemoveGrace: o.grace}); err != nil {
		res.Close()
		if errcode.Of(err) == errcode.FailedPrecondition {
			return nil, &exitError{exitConflict, "--kek: " + oneLine(err.Error())}
		}
		return nil, &exitError{exitUnavailable, "store " + storeName(storeURL) + ": cannot read the shared key configuration: " + oneLine(err.Error())}
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
		Short: "List the fleet's keys, how many ciphertexts each protects, and which instances lack them",
		Long: `List the key list every instance follows: each key's role (primary,
decrypts, retired), how many ciphertexts it protects, and the running
instances that lack it (for a retired key, those that still hold it), as
their heartbeats in the store say. Keys this command holds that the list
does not name, and keys that stored data names but nothing holds, follow.` + operatorLong,
		Args: args(cobra.NoArgs),
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
			status, instances, err := op.keys.Status(c.Context())
			if err != nil {
				return apiErr("", err)
			}
			_, held := op.env.KEKIDs()
			tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "ID\tROLE\tCIPHERTEXTS\tINSTANCES (%d running)\n", len(instances))
			seen := map[string]bool{}
			for _, k := range status {
				role := "decrypts"
				switch {
				case k.Primary:
					role = "primary"
				case k.Retired:
					role = "retired"
				}
				where := "all"
				switch {
				case k.Retired && len(k.Lacking) == 0:
					where = "none"
				case k.Retired:
					where = "still:" + strings.Join(k.Lacking, ",")
				case len(k.Lacking) > 0:
					where = "lacking:" + strings.Join(k.Lacking, ",")
				}
				if !k.Retired && !slices.Contains(held, k.ID) {
					where += " (not in --kek here)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", k.ID, role, usage[k.ID], where)
				seen[k.ID] = true
			}
			for _, id := range held {
				if !seen[id] {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", id, "local", usage[id], "this --kek only (not in the key list)")
					seen[id] = true
				}
			}
			var other []string
			for id := range usage {
				if !seen[id] {
					other = append(other, id)
				}
			}
			sort.Strings(other)
			for _, id := range other {
				fmt.Fprintf(tw, "%s\t%s\t%d\t\n", id, "NOT CONFIGURED (its data cannot be read)", usage[id])
			}
			return tw.Flush()
		},
	}
	o.flags(cmd)
	return cmd
}

func newKeyAddCmd(g *globals) *cobra.Command {
	o := &opConfig{g: g}
	var out string
	cmd := &cobra.Command{
		Use:   "add (--out FILE | URL)",
		Short: "Add a key-encryption key to the fleet's key list (a new local key, or a cloud key's URL)",
		Long: `Add a key-encryption key to the key list every instance on the store follows;
it does not become primary (see key promote).

With --out FILE, make a new local key (base64key://) in a new file of mode
0600 and print its id: only the id enters the store, so give the file's URL
to every instance's --kek (STRONGBOX_KEK="... $(cat FILE)") and restart each;
until then they log that they lack it, and key promote refuses.

With URL, a cloud key (awskms://, gcpkms://, azurekeyvault://,
hashivault://) made in its key service: the URL is stored, and every
instance opens it at once.` + operatorLong,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			if (out == "") == (len(a) == 0) {
				return usageErr(c, "give --out FILE (a new local key, written there, never printed) or a cloud key's URL")
			}
			var kek keeper.KEK
			if len(a) == 1 {
				if strings.HasPrefix(strings.ToLower(a[0]), "base64key:") {
					return usageErr(c, "a local key is never given on the command line: use --out FILE")
				}
				kek = keeper.KEK{URL: a[0]}
			}
			op, err := o.open(c.Context())
			if err != nil {
				return err
			}
			defer op.Close()
			if out != "" {
				u, err := keeper.NewThrowawayKEKURL()
				if err != nil {
					return err
				}
				if err := writeKeyFile(out, u); err != nil {
					return err
				}
				kek = keeper.KEK{URL: u}
			}
			id := kekID(kek)
			if err := op.keys.AddKEK(c.Context(), kek); err != nil {
				return &exitError{exitCode(apiErr("", err)), "key " + id + ": " + oneLine(err.Error())}
			}
			fmt.Fprintf(c.OutOrStdout(), "%s\n", id)
			if out != "" {
				fmt.Fprintf(c.ErrOrStderr(), "key %s written to %s and added to the key list; give it to every instance's --kek and restart each, then run strongbox key promote %s\n", id, out, id)
			} else {
				fmt.Fprintf(c.ErrOrStderr(), "key %s added to the key list; every instance opens it; then run strongbox key promote %s\n", id, id)
			}
			return nil
		},
	}
	o.flags(cmd)
	cmd.Flags().StringVar(&out, "out", "", "file to write a new local key's URL to (mode 0600, must not exist)")
	return cmd
}

// writeKeyFile writes the key URL u to a new file of mode 0600.
func writeKeyFile(out, u string) error {
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
	return nil
}

func newKeyPromoteCmd(g *globals) *cobra.Command {
	o := &opConfig{g: g}
	cmd := &cobra.Command{
		Use:   "promote ID",
		Short: "Make a key the primary of every instance",
		Long: `Make a key of the key list the primary of every instance on the store: new
values are written under it from then on (each instance switches within a
second). It first checks that the key wraps and unwraps a data key, and is
refused (exit 5), naming the instance, while any running instance does not
hold the key: that instance could not read what the others then write. This
command holds it too: give it in --kek. Then run strongbox key rewrap.` + operatorLong,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			op, err := o.open(c.Context())
			if err != nil {
				return err
			}
			defer op.Close()
			if _, held := op.env.KEKIDs(); !slices.Contains(held, a[0]) {
				return &exitError{exitConflict, "key " + a[0] + " is not held by this command: give it in --kek (see strongbox key list)"}
			}
			if err := checkKEK(c.Context(), op.env, a[0]); err != nil {
				return err
			}
			if err := op.keys.SetPrimary(c.Context(), a[0]); err != nil {
				return keyRefusal(err)
			}
			fmt.Fprintf(c.OutOrStdout(), "key %s is the primary of every instance; now run strongbox key rewrap in every namespace\n", a[0])
			return nil
		},
	}
	o.flags(cmd)
	return cmd
}

// keyRefusal is the exit of a promote or remove the fleet's key list
// refused: a refusal (the key is primary, an instance lacks it, data is
// still under it) is a conflict with the fleet's state, not a usage error
// or a failure; store and permission errors keep their own codes.
func keyRefusal(err error) error {
	e := apiErr("", err)
	if code := exitCode(e); code == exitFailure || code == exitUsage {
		return &exitError{exitConflict, oneLine(err.Error())}
	}
	return e
}

// checkKEK wraps and unwraps a data key with KEK id, which env holds.
func checkKEK(ctx context.Context, env *keeper.Envelope, id string) error {
	primary, _ := env.KEKIDs()
	if err := env.SetPrimary(id); err != nil {
		return err
	}
	ct, err := env.Encrypt(ctx, []byte("strongbox key promote check"), []byte("promote"))
	if err == nil {
		_, err = env.Decrypt(ctx, ct, []byte("promote"))
	}
	_ = env.SetPrimary(primary)
	if err != nil {
		return &exitError{exitUnavailable, "key " + id + " cannot wrap a data key: " + oneLine(err.Error())}
	}
	return nil
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
		Use:   "rewrap",
		Short: "Re-encrypt the namespace's data under the primary key (resumable)",
		Long: `Re-encrypt every ciphertext of the namespace that is not under the fleet's
primary key (see key promote), so the older keys can be removed. Values never leave the keeper.
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
		Short: "Retire a key in every instance, once nothing can be under it",
		Long: `Retire a key: every instance drops it at once, and its id cannot be added
again. It is refused (exit 5), saying why, while the key is the primary,
while any running instance still writes under it or switched away less than
--grace ago (writes begun under it may be in flight), and while any stored
ciphertext of any namespace is under it (run strongbox key rewrap first).
The run-token signing key is moved off the key here. Afterwards, drop the
key from every --kek (and delete it in its key service).` + operatorLong,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			op, err := o.open(c.Context())
			if err != nil {
				return err
			}
			defer op.Close()
			inUse := op.m.KEKInUse()
			if force {
				inUse = func(context.Context, string) (bool, error) { return false, nil }
			}
			if err := op.keys.RemoveKEK(asOperator(c.Context()), a[0], inUse); err != nil {
				return keyRefusal(err)
			}
			fmt.Fprintf(c.OutOrStdout(), "key %s is retired in every instance: drop it from every --kek\n", a[0])
			return nil
		},
	}
	o.flags(cmd)
	cmd.Flags().BoolVar(&force, "force", false, "do not check stored data (data still under the key becomes unreadable)")
	cmd.Flags().DurationVar(&o.grace, "grace", time.Minute, "how long every instance must have written under another key; keep it above the longest request")
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

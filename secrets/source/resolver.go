package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/gate"
	"github.com/strongbox-go/strongbox/secrets"
)

// cache wraps a source: each value is fetched once and kept; errors are not
// kept; concurrent first fetches of one name make one call to the source.
// Every fetched value is validated (secrets.ValidateValue) and added to the
// redactor before any caller sees it. It is safe for concurrent use.
type cache struct {
	src      Source
	redactor Redactor

	mu       sync.Mutex
	values   map[string]secrets.Value
	inflight map[string]*fetch

	waiters atomic.Int64 // callers waiting on another's fetch, for tests
}

type fetch struct {
	done chan struct{}
	v    secrets.Value
	err  error
}

// NewCache returns src behind a cache: each value is fetched once and
// kept; errors are not kept; concurrent first requests for one name make
// one call to src. Every fetched value is checked against the limits of
// secrets.ValidateValue and added to r before any caller receives it
// (whitespace-only values are not added). r may be nil: values are then
// not redacted. If the caller whose fetch others wait on is cancelled, a
// waiter whose context is still live fetches again rather than fail with
// somebody else's cancellation. A Resolver wraps each of its sources so.
func NewCache(src Source, r Redactor) Source { return newCache(src, r) }

func newCache(src Source, r Redactor) *cache {
	return &cache{src: src, redactor: r, values: map[string]secrets.Value{}, inflight: map[string]*fetch{}}
}

// Get returns the cached value of name, or fetches it.
func (c *cache) Get(ctx context.Context, name string) (secrets.Value, error) {
	for {
		c.mu.Lock()
		if v, ok := c.values[name]; ok {
			c.mu.Unlock()
			return v, nil
		}
		if f, ok := c.inflight[name]; ok {
			c.mu.Unlock()
			c.waiters.Add(1)
			select {
			case <-f.done:
				c.waiters.Add(-1)
			case <-ctx.Done():
				c.waiters.Add(-1)
				return secrets.Value{}, ctx.Err()
			}
			if errcode.IsContext(f.err) && ctx.Err() == nil {
				continue
			}
			return f.v, f.err
		}
		f := &fetch{done: make(chan struct{})}
		c.inflight[name] = f
		c.mu.Unlock()

		f.v, f.err = c.fetch(ctx, name)
		c.mu.Lock()
		if f.err == nil {
			c.values[name] = f.v
		}
		delete(c.inflight, name)
		c.mu.Unlock()
		close(f.done)
		return f.v, f.err
	}
}

// fetch gets, checks and registers one value. The redactor learns it
// before it is cached or returned.
func (c *cache) fetch(ctx context.Context, name string) (secrets.Value, error) {
	v, err := c.src.Get(ctx, name)
	if err != nil {
		return secrets.Value{}, err
	}
	if err := secrets.ValidateValue(v); err != nil {
		return secrets.Value{}, errcode.New(errcode.Invalid, "source.Get", fmt.Sprintf("secret %q: %s", name, message(err)))
	}
	if c.redactor != nil && !isBlank(v.DangerouslyExpose()) {
		if err := c.redactor.Add(v.DangerouslyExpose()); err != nil {
			// The redactor's error is not shown: another implementation's
			// might hold the value.
			return secrets.Value{}, errcode.New(errcode.Invalid, "source.Get", fmt.Sprintf("secret %q: the redactor refused the value (too short to redact?), so it would show in logs", name))
		}
	}
	return v, nil
}

// Options configures a Resolver. The zero value reads the spec from the
// environment and knows the mock, file and url types.
type Options struct {
	// Specs are the source specs, as given by repeated --secret-source
	// flags. When empty, one spec is read from STRONGBOX_SECRET_SOURCE or
	// else K6_SECRET_SOURCE; explicit specs replace it, they are not merged.
	Specs []string
	// Env returns the environment as "KEY=value" strings, like os.Environ,
	// which nil means; a func over a fixed list spares a program or a test
	// reading or mutating the process environment.
	Env func() []string
	// Redactor learns every fetched value before Get returns it; nil means
	// no redaction. Use *redact.Redactor.
	Redactor Redactor
	// Types adds or replaces source types by name. The "store" type has no
	// default constructor: set Types["store"] = StoreConstructor(m).
	Types map[string]Constructor
	// Open opens the files named by specs (a file source's secrets file, a
	// url source's config file); nil means os.Open, which follows symbolic
	// links (Kubernetes secret volumes are links). A file is refused from
	// its Stat size when that is over the limit (24,576,000 bytes), read
	// through a limit of one byte more otherwise (a growing file or a FIFO
	// is bounded too), and a warning is logged when its mode lets the group
	// or others read or write it. Ignored when ReadFile is set.
	Open func(name string) (fs.File, error)
	// ReadFile, if set, reads the files named by specs instead of Open: it
	// is then the caller's to bound what it reads and to check modes (the
	// sources still refuse content over that limit).
	ReadFile func(name string) ([]byte, error)
	// HTTPClient is given to url sources; nil means a default client.
	// Either way a url source follows redirects only within the origin of
	// its URL (see URLOptions.HTTPClient).
	HTTPClient *http.Client
	// Logger receives warnings, such as a secrets file readable by group or
	// others; nil means slog.Default(). It never receives a value.
	Logger *slog.Logger
}

// builtinTypes returns the constructors of the mock, file and url types.
func builtinTypes() map[string]Constructor {
	return map[string]Constructor{"mock": newMock, "file": newFile, "url": newURL}
}

// Resolver is the runner's view of its secret sources: Get from the
// default source, Source(name).Get from a named one. Each source is wrapped
// in a cache (see NewCache) with the resolver's redactor. It is safe for
// concurrent use.
type Resolver struct {
	sources map[string]*cache
	closers []io.Closer
	def     string // name of the default source, or ""
	names   []string

	gate gate.Gate // the Close gate
}

// NewResolver parses the specs and builds their sources. Errors match
// secrets.ErrInvalid (or the code of a source's own failure), name the spec
// by position, type and name, and never contain a value.
func NewResolver(ctx context.Context, opts Options) (*Resolver, error) {
	const op = "source.NewResolver"
	env := opts.Env
	if env == nil {
		env = os.Environ
	}
	specs := opts.Specs
	where := func(i int) string { return fmt.Sprintf("spec %d", i+1) }
	if len(specs) == 0 {
		e := environ(env)
		for _, k := range []string{envSpec, envSpecK6} {
			if s, ok := e[k]; ok && s == "" {
				// k6 refuses an empty K6_SECRET_SOURCE: set and empty is a
				// mistake (a variable left blank), not "no sources".
				return nil, errcode.New(errcode.Invalid, op, k+" is set but empty: give a spec or unset it")
			} else if ok {
				specs = []string{s}
				where = func(int) string { return "spec from " + k }
				break
			}
		}
	}
	parsed, err := parseSpecs(specs, where)
	if err != nil {
		return nil, errcode.New(errcode.Invalid, op, err.Error())
	}
	types := builtinTypes()
	for k, c := range opts.Types {
		types[k] = c
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	readFile := opts.ReadFile
	if readFile == nil {
		open := opts.Open
		if open == nil {
			open = func(name string) (fs.File, error) { return os.Open(name) }
		}
		readFile = boundedReadFile(open, maxFileBytes, logger)
	}
	r := &Resolver{sources: map[string]*cache{}, gate: gate.Gate{What: "resolver"}}
	for i, sp := range parsed {
		at := fmt.Sprintf("%s (type %s, name %s)", where(i), sp.Type, printable(sp.Name))
		c, ok := types[sp.Type]
		if !ok || c == nil {
			r.Close()
			if sp.Type == "store" {
				return nil, errcode.New(errcode.Invalid, op, at+`: the store type needs a Manager; set Options.Types["store"] = source.StoreConstructor(m)`)
			}
			return nil, errcode.New(errcode.Invalid, op, fmt.Sprintf("%s: unknown type; known types: %s", at, strings.Join(sortedTypes(types), ", ")))
		}
		src, err := c(ctx, Params{Type: sp.Type, Name: sp.Name, Config: sp.Config, Env: env, ReadFile: readFile, HTTPClient: opts.HTTPClient, Logger: logger})
		if err != nil {
			r.Close()
			if errcode.IsContext(err) {
				return nil, err
			}
			return nil, rewrap(op, at, err, errcode.Invalid)
		}
		if cl, ok := src.(io.Closer); ok {
			r.closers = append(r.closers, cl)
		}
		r.sources[sp.Name] = newCache(src, opts.Redactor)
		r.names = append(r.names, sp.Name)
		if sp.Default {
			r.def = sp.Name
		}
	}
	return r, nil
}

func sortedTypes(types map[string]Constructor) []string {
	out := make([]string, 0, len(types))
	for k, c := range types {
		if c != nil {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// rewrap prefixes an error with where it happened, keeping its code (or
// using code when it has none) and wrapping it once.
func rewrap(op, at string, err error, code errcode.Code) error {
	if e, ok := err.(*errcode.Error); ok {
		msg := at
		if e.Msg != "" {
			msg += ": " + e.Msg
		}
		return &errcode.Error{Code: e.Code, Op: op, Msg: msg, Err: e.Err}
	}
	var c errcode.Code
	if errors.As(err, &c) {
		code = c
	}
	return &errcode.Error{Code: code, Op: op, Msg: at, Err: err}
}

// Names returns the source names in spec order.
func (r *Resolver) Names() []string { return append([]string(nil), r.names...) }

// Get fetches name from the default source. It fails with an error
// matching ErrNoSource (code NotFound) when there is no default source.
func (r *Resolver) Get(ctx context.Context, name string) (secrets.Value, error) {
	return r.get(ctx, "", name)
}

// Source returns the named source; "default" means the default one. An
// unknown name fails at Get, with an error matching ErrNoSource.
func (r *Resolver) Source(name string) Source {
	if name == "default" {
		name = ""
	} else if name == "" {
		name = "\x00" // not a source name; "" would mean the default
	}
	return sourceFunc(func(ctx context.Context, key string) (secrets.Value, error) {
		return r.get(ctx, name, key)
	})
}

func (r *Resolver) get(ctx context.Context, source, name string) (secrets.Value, error) {
	const op = "source.Get"
	if err := r.gate.Enter(op); err != nil {
		return secrets.Value{}, err
	}
	defer r.gate.Leave()

	if source == "" {
		if r.def == "" {
			msg := "no default secret source; mark one with default"
			if len(r.names) == 0 {
				msg = "no secret sources are configured"
			}
			return secrets.Value{}, noSource(op, msg)
		}
		source = r.def
	}
	c, ok := r.sources[source]
	if !ok {
		return secrets.Value{}, noSource(op, "source "+printable(source))
	}
	v, err := c.Get(ctx, name)
	if err != nil {
		if errcode.IsContext(err) {
			return secrets.Value{}, err
		}
		return secrets.Value{}, rewrap(op, "source "+printable(source), err, errcode.Internal)
	}
	return v, nil
}

// noSource returns an error matching ErrNoSource (and so its code,
// NotFound) that says which source is missing.
func noSource(op, msg string) error { return fmt.Errorf("%s: %s: %w", op, msg, ErrNoSource) }

// Close waits for calls in flight, closes the sources that are io.Closers
// and makes later calls fail with secrets.ErrFailedPrecondition.
func (r *Resolver) Close() error {
	if !r.gate.Close() {
		return nil
	}
	var errs []error
	for _, c := range r.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

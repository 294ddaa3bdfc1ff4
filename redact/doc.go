// Package redact keeps secrets out of logs: it replaces every occurrence
// of a set of secrets, and of their common encodings, with a marker, at
// several gigabytes per second.
//
// A [Redactor] holds the secrets. A test runner calls [Redactor.Add] for
// every value it fetches, while other goroutines keep logging through
//
//   - [Redactor.Redact], which redacts a buffer in one call;
//   - a [Writer] from [NewWriter], which redacts a stream written in any
//     pieces and passes it on to an io.Writer;
//   - the handler from [NewHandler], an slog.Handler that redacts records
//     before the next handler formats them;
//
// and checks the files a run produced with [Redactor.Scan], which reports
// where secrets occur (by ID and variant, never by value).
//
//	r := redact.New(redact.Options{})
//	if err := r.Add(token); err != nil {
//		return err // too short to redact: it would show in the logs
//	}
//	stderr := redact.NewWriter(os.Stderr, r) // covers what the handler cannot see
//	defer stderr.Close()
//	log := slog.New(redact.NewHandler(slog.NewJSONHandler(stderr, nil), r))
//	out := redact.NewWriter(os.Stdout, r)
//	defer out.Close()
//
// # Format
//
// Every occurrence of every variant of every secret is found, including
// overlapping ones; occurrences that overlap or touch form one run, and
// each run is replaced by one marker (by default
// "***SECRET_REDACTED***", as k6 prints). The marker is never scanned
// again, so a secret that contains the marker, or is part of it, does no
// harm.
//
// The variants registered for a secret s (each can be switched off with
// [Options].Disable, except Raw):
//
//   - [Raw]: s.
//   - [Lines]: each line of a multi-line s on its own, trimmed of white
//     space; lines shorter than 4 bytes or without a letter or digit (the
//     "{" and "-----" of JSON and PEM secrets) are skipped, since they
//     would redact unrelated text everywhere.
//   - [JSON]: s escaped inside a JSON string, by encoding/json (which
//     escapes <, > and &) and by log/slog's JSON handler (which does not),
//     and inside a Go quoted string (strconv.Quote: fmt's %q, slog's text
//     handler).
//   - [URLQuery] and [URLPath]: url.QueryEscape(s), url.PathEscape(s), and
//     s as the password in a URL's userinfo.
//   - [HTML]: html.EscapeString, encoding/xml's EscapeText, and the
//     &quot;/&#x27; spelling.
//   - [Base64Std] and [Base64URL]: the base64 of s at each of the three
//     alignments it can have inside a longer encoded value (so
//     base64("user:"+s) in a Basic auth header is caught), with or without
//     padding.
//
// For base64 the variant is the core of characters whose six bits all
// come from s; the one or two characters at either end that mix bits of s
// with bits of its neighbours stay visible. They hold at most 4 bits of
// the first and of the last byte of s. Secrets of 5 bytes or fewer get no
// base64 variants (their cores would be too short to be specific).
//
// # Security
//
// Invariant: a [Writer] never emits a whole secret (in any registered
// variant), whatever the write boundaries; its output is exactly what
// [Redactor.Redact] gives for the whole stream. To do that it holds back
// the end of the stream that is a proper prefix of some variant (never
// more than the longest variant minus one byte) and emits it when later
// bytes show it cannot be one, on Flush, or on Close. Flush ends a
// segment: a secret written partly before and partly after a Flush is not
// redacted.
//
// Add takes effect for every Redact call, Writer write and slog record
// that starts after it returns; text that passed before is not recalled.
// The Redactor keeps the secrets (and their variants) in memory for its
// lifetime.
//
// Short secrets: Add refuses a secret shorter than the default minimum of 4
// bytes with [ErrShortSecret] (an empty or whitespace-only one too);
// a refused secret is not redacted, and the error says
// so (never silently) without showing the secret, so that the caller can
// decide not to print it. A shorter secret would redact unrelated text
// everywhere (a one-byte secret "a" removes every "a" from the log, a
// secret "id" every field named id) and can be guessed from the gaps.
// Four bytes admits a 4-digit PIN, the shortest secret in common use.
// [Options].MinLength raises the minimum, or lowers it down to 1 for a
// caller that prefers mangled logs to a refusal. Lines of a multi-line
// secret shorter than the minimum (or than 4 bytes) are not registered on
// their own. For comparison: k6 replaces every value it fetched, however
// short; the Azure Pipelines agent's secret masker (the ancestor of GitHub
// Actions' runner masker) has a configurable minimum length below which
// values are not masked. secrets/source refuses to hand out a value the
// redactor refused.
//
// A secret that is a common word ("source", "admin") still removes that
// word from field names and messages, and short secrets make redaction
// slower, see below.
//
// A [Redactor], a [Writer] (which holds back, and keeps copies of, what it
// was given) and the [NewHandler] handler (which holds the attributes given to
// WithAttrs) hold secrets, so none of them shows its contents: fmt (every
// verb), encoding/json, encoding.TextMarshaler and log/slog see only the
// type name (and the number of secrets).
//
// The slog handler makes sure that what the next handler writes is what
// it redacted, by never letting the next handler render a value itself.
// It resolves LogValuers, redacts strings (message, keys, values, group
// names) and walks groups; numbers, bools, durations and times are passed
// on unless one of the texts slog's handlers make of them holds a secret.
// Every other value (errors, fmt.Formatter, fmt.Stringer,
// encoding.TextMarshaler, json.Marshaler, structs, maps, byte slices) is
// rendered once, the way each of slog's handlers renders it, and the next
// handler gets a stand-in that holds only the redacted renderings:
// MarshalText gives what slog.TextHandler prints (MarshalText, a byte
// slice as text, else %+v), MarshalJSON what slog.JSONHandler prints
// (Error() of an error that is not a json.Marshaler, else the JSON), fmt
// gets %v or %+v, and an error stays an error with the redacted Error()
// (it does not unwrap). The JSON is decoded and encoded again token by
// token with each string and number redacted, so a MarshalJSON that spells
// a secret with other escapes (\u00e4 for ä) is caught and the result is
// valid JSON; a secret spread over several tokens is redacted in the text,
// which then becomes one JSON string. The value is never called again,
// so a value that renders differently under another verb, or differently
// each time, cannot slip through. Checking one rendering and passing the
// value on would not do: the next handler would render it again, perhaps
// otherwise. The cost is fidelity: another handler than slog's own sees
// stand-ins, not the concrete types, and clean values print as they
// would, except that escapes in a MarshalJSON's strings are normalized.
//
// What the handler cannot see: a secret split across two attributes, or
// between a key and its value, or in the record's time or source; and
// whatever the next handler's ReplaceAttr adds. The robust setup is both:
// the handler (structure-aware, so no attribute is mangled) in front of a
// handler that writes to a [Writer] (which sees the final bytes).
//
// Secrets that are not valid UTF-8 are matched as bytes; their JSON
// variant is what encoding/json makes of them (invalid bytes become
// U+FFFD), which is not the bytes a lenient encoder would write.
//
// [Redactor.Scan] reports secrets by the ID [Redactor.ID] gives them
// (their order of first Add), never by value, so its results can be
// logged.
//
// # Performance
//
// Each matcher (see below for why there can be several) picks its engine
// from its pattern set when it is built, and Redact, the Writer, the slog
// Handler and Scan all use it. Everything is Go but two loops, in
// assembly on amd64 (the purego build tag, other architectures and the
// race detector use their Go versions): the sampling loop below, and the
// copy of Redact's output with non-temporal stores.
//
//   - Rare bytes, for the smallest sets (at most 16 patterns, none under 4
//     bytes: one or two secrets with every variant). Each pattern is
//     anchored at one of its rare bytes by a static ranking of bytes in
//     log text (capital letters other than those of timestamps and levels,
//     rare punctuation, control and non-ASCII bytes; as few distinct bytes
//     as cover the set, at most 4), the standard library's bytes.IndexByte (AVX2 on
//     amd64) finds the candidates, and only those are compared. If a text
//     yields more than one candidate per 256 bytes, the matcher switches
//     to sampling for the texts after it.
//   - Sampling, for the rest. Variants of 16 bytes or more are found by
//     reading a q-byte gram every k = (shortest such variant - q + 1)
//     bytes and testing it against a blocked Bloom filter (two bits in
//     one 64-bit word, 256 to 512 bits per gram, at most 2 MiB) of the
//     grams that can appear at those positions; only on a hit are
//     candidate variants compared exactly. Every occurrence covers exactly
//     one sample, so none is missed. Sets with at most 65,536 grams (about
//     1,000 secrets) use q = 4, read with 32-bit loads, larger sets q = 5
//     to keep the filter selective, so k is 13 or 12 for 16-byte secrets.
//     The loop takes four samples per iteration without calls or bounds
//     checks (unaligned loads through unsafe on little-endian amd64,
//     arm64, 386, ppc64le and loong64; encoding/binary elsewhere or with
//     the purego build tag); on amd64 it is assembly that keeps every
//     value in registers (eight instructions for most samples) and
//     prefetches the text 1 KiB ahead, and a fuzz test holds it to the
//     Go loop. Variants of 4 to 15 bytes use 4-byte grams
//     and a stride of (shortest - 3). Variants of 1 to 3 bytes, which only
//     a lowered Options.MinLength admits, are looked up at every byte and
//     make every call much slower (and match much ordinary text).
//
// Redact scans a long text in blocks of 128 KiB and copies each block out
// right after scanning it, while it is still in the cache. For a text of
// 1 MiB or more, whose output does not fit in the caches either, it
// writes spans of 512 bytes or more with non-temporal stores (whole
// lines to memory, without first reading each line of dst), as the
// runtime's memmove does for one copy of 1 MiB or more. The Writer
// scans each write in place and passes its final part on without copying
// it when nothing in it is replaced; only the held-back end is copied.
// To decide how much to hold back it looks at the last 4 bytes of the
// write, after the scan, while they are in the cache: a Bloom filter of
// the 4-byte ends of every proper prefix of every variant says, for
// almost every write of log text, that no prefix of 4 bytes or more ends
// there, and then three table lookups settle the last 3 positions,
// without a branch on which of them starts a prefix (that varies at
// random from write to write).
// Otherwise the tiers scan the last (longest variant - 1) bytes.
//
// On the reference workload of bench_test.go (8 MiB of logfmt lines, one in
// 100 ending in a token, secrets of 16-39 random alphanumerics, every
// variant on; the replacer gets only the raw secrets, as k6 does), on a
// shared 2-core AMD EPYC with AVX-512, where a memory copy of the workload
// runs at 35-42 GB/s, with the baselines measured in the same run (best
// of seven interleaved rounds of thread CPU time; the ranges are over two
// runs):
//
//	secrets  GB/s       x strings.Replacer  x copy     Writer/Redact
//	      1  21.4-23.4   4.7x-4.9x          0.60-0.65  1.08-1.13
//	     10  13.6-14.5  30.3x-31.6x         0.36-0.38  0.90-0.91
//	    100  12.0-12.4  48.4x-50.0x         0.34-0.35  0.93-0.99
//	  1,000  10.2-11.1  47.0x-50.1x         0.28       0.92-0.94
//	 10,000   6.9-7.8   35.5x-38.8x         0.19-0.20  0.90-0.91
//
// A Redactor with 10,000 secrets and every variant keeps about 19 MiB of
// heap. Measure with
//
//	REDACT_BENCH=1 go test -run TestBenchmarkRatios -v ./redact/
//	go test -run '^$' -bench . ./redact/
//
// Secrets added one at a time between redactions go into small extra
// matchers that are merged like a binary counter (O(n log n) building for
// n secrets, at most log2(n)+1 matchers), and merged into one once enough
// text has been scanned to pay for it. A Writer rescans what it holds
// back on every write, so writing a byte at a time costs up to the length
// of the longest variant per byte; each Write also costs a fixed amount
// (a lock, the hold-back check, a second write to the underlying writer
// when bytes were held back). With the hold-back check above, writes of 1
// to 4096 random bytes ran at a median of 0.94 of Redact with 1 secret
// (0.79-1.07), 1.00 with 10 (0.86-1.12), 0.99 with 100 (0.74-1.13) and
// 0.93 with 10,000 (0.87-0.97): best of seven rounds, six runs on the
// shared machine at a load of 4 to 6, where the same binary moves by a
// fifth from run to run; the Writer of before this check gave 0.85
// (0.77-0.94), 0.91, 0.97 and 0.91 in the same runs. One log line per
// Write runs at a few hundred MB/s.
//
// # Errors
//
// Add returns [ErrShortSecret], wrapped, for a secret it refuses (blank or
// too short); a Writer returns [ErrClosed] after Close, and the underlying
// writer's error for good once it failed. Both sentinels carry a strongbox
// error code (Invalid and FailedPrecondition), so errors.Is(err,
// secrets.ErrInvalid) holds too. No error holds a secret.
package redact

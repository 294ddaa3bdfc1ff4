package redact

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// The reference workload of issue #3: 8 MiB of logfmt lines, one in 100
// ending in " token=<secret>", secrets random alphanumerics of 16-39 bytes.
func workload(nSecrets int) (text []byte, secrets []string) {
	rng := rand.New(rand.NewPCG(uint64(nSecrets), 42))
	secrets = workloadSecrets(rng, nSecrets)
	const size = 8 << 20
	text = make([]byte, 0, size+256)
	for line := 0; len(text) < size; line++ {
		text = fmt.Appendf(text, `time="2026-11-26T22:10:%02dZ" level=info msg="GET https://test.k6.io/api/v1/items/%d status=200 duration=%dms vu=%d iter=%d"`,
			line%60, rng.IntN(1000), rng.IntN(500), rng.IntN(50), line/50)
		if line%100 == 99 {
			text = append(text, " token="...)
			text = append(text, secrets[rng.IntN(nSecrets)]...)
		}
		text = append(text, '\n')
	}
	return text, secrets
}

func workloadSecrets(rng *rand.Rand, n int) []string {
	secrets := make([]string, n)
	for i := range secrets {
		secrets[i] = randAlnum(rng, 16+rng.IntN(24))
	}
	return secrets
}

func replacerFor(secrets []string) *strings.Replacer {
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, defaultMarker)
	}
	return strings.NewReplacer(pairs...)
}

type benchCase struct {
	text    []byte
	str     string
	secrets []string
	r       *Redactor
	rep     *strings.Replacer
	chunks  []int
}

var benchCases = map[int]*benchCase{}

func getBenchCase(n int) *benchCase {
	if c, ok := benchCases[n]; ok {
		return c
	}
	text, secrets := workload(n)
	c := &benchCase{text: text, str: string(text), secrets: secrets, r: newRedactor(secrets...), rep: replacerFor(secrets)}
	c.r.RedactString("build") // build outside the timed loop
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	for sum := 0; sum < len(text); {
		k := 1 + rng.IntN(4096)
		c.chunks = append(c.chunks, k)
		sum += k
	}
	benchCases[n] = c
	return c
}

var benchSizes = []int{1, 10, 100, 1000, 10000}

func BenchmarkRedact(b *testing.B) {
	for _, n := range benchSizes {
		c := getBenchCase(n)
		b.Run(fmt.Sprintf("secrets=%d/redact", n), func(b *testing.B) { benchRedact(b, c) })
		b.Run(fmt.Sprintf("secrets=%d/writer", n), func(b *testing.B) { benchWriter(b, c) })
		b.Run(fmt.Sprintf("secrets=%d/replacer", n), func(b *testing.B) { benchReplacer(b, c) })
		b.Run(fmt.Sprintf("secrets=%d/copy", n), func(b *testing.B) { benchCopy(b, c) })
		b.Run(fmt.Sprintf("secrets=%d/ratios", n), func(b *testing.B) {
			red, wr, rep, cp := c.ratios()
			for b.Loop() {
			}
			b.ReportMetric(red/rep, "x-replacer")
			b.ReportMetric(red/cp, "x-copy")
			b.ReportMetric(wr/red, "writer/redact")
		})
	}
}

// ratios measures the four operations interleaved, best of seven rounds
// each; see gbps. It measures afresh on every call, so that the runs of
// -count are independent and show the spread.
func (c *benchCase) ratios() (red, wr, rep, cp float64) {
	var best [4]float64 // GB/s of Redact, Writer, strings.Replacer, copy
	ops := []benchOp{opRedact, opWriter, opReplacer, opCopy}
	for range 7 {
		for i, op := range ops {
			best[i] = max(best[i], gbps(op, c))
		}
	}
	return best[0], best[1], best[2], best[3]
}

// One pass of each measured operation over the workload.
type benchOp func(c *benchCase, scratch *[]byte)

func opRedact(c *benchCase, dst *[]byte) { *dst = c.r.Redact((*dst)[:0], c.text) }

func opWriter(c *benchCase, _ *[]byte) {
	w := NewWriter(io.Discard, c.r)
	p := c.text
	for _, k := range c.chunks {
		k = min(k, len(p))
		_, _ = w.Write(p[:k])
		p = p[k:]
	}
	_ = w.Close()
}

func opReplacer(c *benchCase, _ *[]byte) { _, _ = c.rep.WriteString(io.Discard, c.str) }

func opCopy(c *benchCase, dst *[]byte) {
	if len(*dst) < len(c.text) {
		*dst = make([]byte, len(c.text))
	}
	copy(*dst, c.text)
}

func runOp(b *testing.B, c *benchCase, op benchOp) {
	dst := make([]byte, 0, len(c.text)+1<<16)
	b.SetBytes(int64(len(c.text)))
	for b.Loop() {
		op(c, &dst)
	}
}

func benchRedact(b *testing.B, c *benchCase) {
	runOp(b, c, opRedact)
	dst := c.r.Redact(nil, c.text)
	if want := strings.Count(c.str, " token="); strings.Count(string(dst), " token="+M) != want {
		b.Fatalf("not every token redacted")
	}
}

func benchWriter(b *testing.B, c *benchCase)   { runOp(b, c, opWriter) }
func benchReplacer(b *testing.B, c *benchCase) { runOp(b, c, opReplacer) }
func benchCopy(b *testing.B, c *benchCase)     { runOp(b, c, opCopy) }

// BenchmarkBuild measures building a Redactor with 10,000 secrets and all
// variants, and reports the heap it keeps.
func BenchmarkBuild(b *testing.B) {
	_, secrets := workload(10000)
	var kept uint64
	for b.Loop() {
		kept = buildHeap(secrets)
	}
	b.ReportMetric(float64(kept)/(1<<20), "MiB-kept")
}

func buildHeap(secrets []string) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := newRedactor(secrets...)
	r.RedactString("build")
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(r)
	return after.HeapAlloc - before.HeapAlloc
}

func TestBuildHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 10,000 secrets")
	}
	secrets := workloadSecrets(rand.New(rand.NewPCG(1, 1)), 10000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	kept := buildHeap(secrets)
	runtime.ReadMemStats(&after)
	t.Logf("10,000 secrets, all variants: %.1f MiB kept, %.1f MiB allocated while building", float64(kept)/(1<<20), float64(after.TotalAlloc-before.TotalAlloc)/(1<<20))
	if kept > 32<<20 {
		t.Errorf("Redactor with 10,000 secrets keeps %d MiB of heap, want <= 32 (issue #17)", kept>>20)
	}
}

// TestBenchmarkRatios runs the reference workload and its baselines in one
// process and logs the ratios that issue #3 sets targets for. The machine
// may be shared, so the four measurements are interleaved over several
// rounds and the best of each is kept. On a loaded machine the best of a
// few rounds still moves by a fifth from run to run, so it also logs the
// median of the Writer/Redact ratio taken round by round (pairedRatio).
// It is slow, so it runs only with REDACT_BENCH=1:
//
//	REDACT_BENCH=1 go test -run TestBenchmarkRatios -v ./redact/
func TestBenchmarkRatios(t *testing.T) {
	if os.Getenv("REDACT_BENCH") == "" {
		t.Skip("set REDACT_BENCH=1 to run")
	}
	for _, n := range benchSizes {
		red, wr, rep, cp := getBenchCase(n).ratios()
		t.Logf("secrets=%5d: Redact %.2f GB/s, Writer %.2f GB/s, strings.Replacer %.2f GB/s, copy %.2f GB/s", n, red, wr, rep, cp)
		t.Logf("secrets=%5d: Redact/Replacer %.1fx, Redact/copy %.3f, Writer/Redact %.2f; targets of issue #17: %s", n, red/rep, red/cp, wr/red, targets(n, red/rep, red/cp, wr/red))
		t.Logf("secrets=%5d: Writer/Redact paired by round: %s", n, pairedRatio(getBenchCase(n), 100))
	}
}

// targets reports the ratios against the targets of issue #17 (the
// 1-secret replacer gets the raw secret only, as in k6).
func targets(n int, xRep, xCopy, wrRed float64) string {
	var want []string
	check := func(name string, got, min float64) {
		mark := "ok"
		if got < min {
			mark = "MISSED"
		}
		want = append(want, fmt.Sprintf("%s >= %g %s", name, min, mark))
	}
	switch n {
	case 1:
		check("x-replacer", xRep, 1.0)
	case 10:
		check("x-copy", xCopy, 0.3)
	case 100:
		check("x-replacer", xRep, 25)
		check("x-copy", xCopy, 0.25)
	case 10000:
		check("x-replacer", xRep, 20)
		check("x-copy", xCopy, 0.15)
	}
	check("writer/redact", wrRed, 0.9)
	return strings.Join(want, ", ")
}

// gbps runs op for about 150 ms of this thread's CPU time and returns its
// throughput in GB/s of CPU time.
func gbps(op benchOp, c *benchCase) float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dst := make([]byte, 0, len(c.text)+1<<16)
	op(c, &dst) // warm up
	n := 0
	start := threadCPU()
	for threadCPU()-start < 150*time.Millisecond {
		op(c, &dst)
		n++
	}
	return float64(n*len(c.text)) / float64((threadCPU() - start).Nanoseconds())
}

// BenchmarkAddInterleaved adds 10,000 secrets one at a time with a
// redaction after each, the way a runner fetches secrets while it logs:
// the segments keep this O(n log n).
func BenchmarkAddInterleaved(b *testing.B) {
	secrets := workloadSecrets(rand.New(rand.NewPCG(2, 2)), 10000)
	line := []byte(`time="2026-11-26T22:10:10Z" level=info msg="GET https://test.k6.io/api/v1/items/123 status=200"`)
	for b.Loop() {
		r := New(Options{})
		var dst []byte
		for _, s := range secrets {
			r.Add(s)
			dst = r.Redact(dst[:0], line)
		}
	}
}

// BenchmarkWriterLines feeds the writer one log line per Write, the way a
// logger does.
func BenchmarkWriterLines(b *testing.B) {
	for _, n := range []int{1, 100, 10000} {
		c := getBenchCase(n)
		lines := bytes.SplitAfter(c.text, []byte("\n"))
		b.Run(fmt.Sprintf("secrets=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(c.text)))
			for b.Loop() {
				w := NewWriter(io.Discard, c.r)
				for _, l := range lines {
					_, _ = w.Write(l)
				}
				_ = w.Close()
			}
		})
	}
}

// pairedRatio runs Redact and the Writer back to back rounds times and
// returns the median and quartiles of the per-round Writer/Redact ratio of
// throughput (thread CPU time), which cancels load that changes slower
// than a round.
func pairedRatio(c *benchCase, rounds int) string {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dst := make([]byte, 0, len(c.text)+1<<16)
	opRedact(c, &dst)
	opWriter(c, &dst)
	rs := make([]float64, 0, rounds)
	for i := range rounds {
		var tr, tw float64
		if i%2 == 0 {
			t0 := threadCPU()
			opRedact(c, &dst)
			t1 := threadCPU()
			opWriter(c, &dst)
			t2 := threadCPU()
			tr, tw = float64(t1-t0), float64(t2-t1)
		} else {
			t0 := threadCPU()
			opWriter(c, &dst)
			t1 := threadCPU()
			opRedact(c, &dst)
			t2 := threadCPU()
			tw, tr = float64(t1-t0), float64(t2-t1)
		}
		if tr > 0 && tw > 0 {
			rs = append(rs, tr/tw)
		}
	}
	if len(rs) == 0 {
		return "no round took measurable CPU time"
	}
	slices.Sort(rs)
	q := func(f float64) float64 { return rs[int(f*float64(len(rs)-1))] }
	return fmt.Sprintf("median %.2f (quartiles %.2f-%.2f)", q(0.5), q(0.25), q(0.75))
}

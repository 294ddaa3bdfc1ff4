// Command redact-plot draws the redaction benchmark: throughput against
// the number of secrets for strongbox's Redact and Writer, Go's
// strings.Replacer (what k6 uses) and a memory copy, on logarithmic axes.
// It reads the output of
//
//	REDACT_BENCH=1 go test -run TestBenchmarkRatios -v ./redact/
//
// (lines "secrets=N: Redact X GB/s, Writer Y GB/s, strings.Replacer Z
// GB/s, copy W GB/s") or of go test -bench BenchmarkRedact ./redact/
// (lines "BenchmarkRedact/secrets=N/op-P ... MB/s"; the best of repeated
// runs is kept), and writes a PNG:
//
//	REDACT_BENCH=1 go test -run TestBenchmarkRatios -v ./redact/ | tee bench.txt
//	go run ./scripts/redact-plot -o docs/redact-throughput.png < bench.txt
//
// It uses only the standard library.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"log"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
)

// series are the lines drawn, in legend order.
var series = []struct {
	key, label string
	color      color.RGBA
}{
	{"redact", "strongbox Redact", color.RGBA{0x1f, 0x77, 0xb4, 0xff}},
	{"writer", "strongbox Writer", color.RGBA{0x2c, 0xa0, 0x2c, 0xff}},
	{"replacer", "strings.Replacer (k6)", color.RGBA{0xd6, 0x27, 0x28, 0xff}},
	{"copy", "memory copy", color.RGBA{0x7f, 0x7f, 0x7f, 0xff}},
	{"before", "strongbox Redact before #17", color.RGBA{0x9e, 0xc9, 0xe8, 0xff}},
}

var (
	ratioLine = regexp.MustCompile(`secrets=\s*(\d+): Redact ([\d.]+) GB/s, Writer ([\d.]+) GB/s, strings\.Replacer ([\d.]+) GB/s, copy ([\d.]+) GB/s`)
	benchLine = regexp.MustCompile(`^BenchmarkRedact/secrets=(\d+)/(redact|writer|replacer|copy)(?:-\d+)?\s.*\s([\d.]+) MB/s`)
)

// data maps a series key to the best GB/s per number of secrets.
type data map[string]map[int]float64

func (d data) add(key string, n int, gbps float64) {
	if d[key] == nil {
		d[key] = map[int]float64{}
	}
	d[key][n] = max(d[key][n], gbps)
}

func parse(r io.Reader) (data, error) {
	d := data{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if m := ratioLine.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			for i, key := range []string{"redact", "writer", "replacer", "copy"} {
				v, _ := strconv.ParseFloat(m[2+i], 64)
				d.add(key, n, v)
			}
		} else if m := benchLine.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			v, _ := strconv.ParseFloat(m[3], 64)
			d.add(m[2], n, v/1000)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(d) == 0 {
		return nil, fmt.Errorf("no benchmark lines in the input")
	}
	return d, nil
}

func main() {
	out := flag.String("o", "redact-throughput.png", "the PNG to write")
	title := flag.String("title", "redaction throughput, every variant on (one core)", "the title")
	before := flag.String("before", "", "optional: benchmark output of an earlier version, drawn as its Redact line")
	flag.Parse()
	d, err := parse(os.Stdin)
	if err != nil {
		log.Fatal(err)
	}
	if *before != "" {
		f, err := os.Open(*before)
		if err != nil {
			log.Fatal(err)
		}
		b, err := parse(f)
		f.Close()
		if err != nil {
			log.Fatal(err)
		}
		d["before"] = b["redact"]
	}
	img := plot(d, *title)
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

const (
	width, height = 960, 600
	left, right   = 90, 40 // margins; the legend is inside, top right
	top, bottom   = 60, 70
)

func plot(d data, title string) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	black := color.RGBA{0x20, 0x20, 0x20, 0xff}
	grid := color.RGBA{0xe0, 0xe0, 0xe0, 0xff}

	// Axes: x from the fewest to the most secrets, y in decades around
	// the data, both logarithmic.
	var ns []int
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, m := range d {
		for n, v := range m {
			if !slices.Contains(ns, n) {
				ns = append(ns, n)
			}
			if v > 0 {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	slices.Sort(ns)
	x0, x1 := math.Log10(float64(ns[0])), math.Log10(float64(ns[len(ns)-1]))
	if x1 == x0 {
		x0, x1 = x0-1, x1+1
	}
	// One more decade on top leaves room for the legend.
	y0, y1 := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))+1
	px := func(n int) int {
		return left + int((math.Log10(float64(n))-x0)/(x1-x0)*float64(width-left-right))
	}
	py := func(v float64) int {
		return height - bottom - int((math.Log10(v)-y0)/(y1-y0)*float64(height-top-bottom))
	}

	for e := y0; e <= y1; e++ {
		for _, f := range []float64{1, 2, 5} {
			v := f * math.Pow(10, e)
			if math.Log10(v) > y1+1e-9 {
				continue
			}
			y := py(v)
			hline(img, left, width-right, y, grid)
			label := strconv.FormatFloat(v, 'g', -1, 64)
			drawText(img, left-10-textWidth(label, 2), y-7, label, 2, black)
		}
	}
	for _, n := range ns {
		x := px(n)
		vline(img, x, top, height-bottom, grid)
		label := strconv.Itoa(n)
		drawText(img, x-textWidth(label, 2)/2, height-bottom+10, label, 2, black)
	}
	hline(img, left, width-right, height-bottom, black)
	vline(img, left, top, height-bottom, black)
	drawText(img, left, 20, title, 2, black)
	drawText(img, left+(width-left-right)/2-textWidth("number of secrets", 2)/2, height-30, "number of secrets", 2, black)
	drawText(img, 10, top-25, "GB/s", 2, black)

	for i, s := range series {
		m := d[s.key]
		if len(m) == 0 {
			continue
		}
		var prev image.Point
		for j, n := range ns {
			v, ok := m[n]
			if !ok || v <= 0 {
				continue
			}
			p := image.Pt(px(n), py(v))
			if j > 0 && prev != (image.Point{}) {
				line(img, prev, p, s.color)
			}
			square(img, p, 4, s.color)
			prev = p
		}
		lx, ly := width-right-textWidth(series[len(series)-1].label, 2)-60, top+12+24*i
		for w := range 3 {
			hline(img, lx, lx+30, ly+6+w-1, s.color)
		}
		drawText(img, lx+40, ly, s.label, 2, black)
	}
	return img
}

func hline(img *image.RGBA, x0, x1, y int, c color.Color) {
	for x := x0; x <= x1; x++ {
		img.Set(x, y, c)
	}
}

func vline(img *image.RGBA, x, y0, y1 int, c color.Color) {
	for y := y0; y <= y1; y++ {
		img.Set(x, y, c)
	}
}

func square(img *image.RGBA, p image.Point, r int, c color.Color) {
	for y := p.Y - r; y <= p.Y+r; y++ {
		for x := p.X - r; x <= p.X+r; x++ {
			img.Set(x, y, c)
		}
	}
}

// line draws a 3-pixel-wide line from a to b.
func line(img *image.RGBA, a, b image.Point, c color.Color) {
	steps := max(abs(b.X-a.X), abs(b.Y-a.Y), 1)
	for i := 0; i <= steps; i++ {
		x := a.X + (b.X-a.X)*i/steps
		y := a.Y + (b.Y-a.Y)*i/steps
		for d := -1; d <= 1; d++ {
			img.Set(x, y+d, c)
			img.Set(x+d, y, c)
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

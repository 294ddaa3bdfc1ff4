package redact

import (
	"math/rand/v2"
	"testing"
	"unsafe"
)

// FuzzSampleLoops holds sampleLoop32 and sampleLoop64 (assembly on amd64)
// to the portable loops: the same sample for every text, stride, range
// and filter, from empty filters to full ones, where every sample hits.
func FuzzSampleLoops(f *testing.F) {
	f.Add([]byte("time=2026-11-26T22:10:00Z level=info msg=GET token=abcdefghijklmnop"), uint8(13), uint16(0), uint16(60), uint8(3), uint8(4), uint64(1))
	f.Add(make([]byte, 300), uint8(1), uint16(5), uint16(290), uint8(6), uint8(0), uint64(2))
	f.Add(make([]byte, 64), uint8(32), uint16(0), uint16(64), uint8(0), uint8(255), uint64(3))
	f.Fuzz(func(t *testing.T, text []byte, k uint8, from, to uint16, lgWords, density uint8, seed uint64) {
		if k == 0 || len(text) < 8 {
			return
		}
		rng := rand.New(rand.NewPCG(seed, uint64(density)))
		// A filter of 2^lg words, each bit set with probability density/256.
		lg := int(lgWords % 12)
		filter := make([]uint64, 1<<lg)
		for w := range filter {
			for b := range 64 {
				if rng.IntN(256) < int(density) {
					filter[w] |= 1 << b
				}
			}
		}
		shift := uint(64 - lg)
		if lg == 0 {
			shift = 63 // one word: the index is the top bit, which must be 0
			filter = append(filter, filter[0])
		}
		p, fb := unsafe.SliceData(text), unsafe.SliceData(filter)
		for _, q := range []int{4, 5, 6, 8} {
			lim := min(int(to), len(text)-q+1)
			if q > 4 {
				lim = min(int(to), len(text)-7)
			}
			i := min(int(from), lim)
			if q == 4 {
				if got, want := sampleLoop32(p, i, lim, int(k), fb, shift), sampleLoop32Go(p, i, lim, int(k), fb, shift); got != want {
					t.Fatalf("sampleLoop32(i=%d, lim=%d, k=%d): %d, want %d", i, lim, k, got, want)
				}
				continue
			}
			mask := uint64(1)<<(8*q) - 1
			if q == 8 {
				mask = ^uint64(0)
			}
			if got, want := sampleLoop64(p, i, lim, int(k), fb, shift, mask), sampleLoop64Go(p, i, lim, int(k), fb, shift, mask); got != want {
				t.Fatalf("sampleLoop64(i=%d, lim=%d, k=%d, q=%d): %d, want %d", i, lim, k, q, got, want)
			}
		}
	})
}

// TestSampleLoopsFindEverySample runs the loops over a filter with one
// gram's bits set, at every position of a text of that gram repeated
// once per stride: each call must return the next sample.
func TestSampleLoopsFindEverySample(t *testing.T) {
	const k = 7
	text := make([]byte, 400)
	for i := range text {
		text[i] = byte('a' + i%k)
	}
	filter := make([]uint64, 1<<10)
	shift := uint(64 - 10)
	for j := range k {
		for _, h := range []uint64{load32(unsafe.Pointer(&text[j]), 0) * hashMul, (load64(unsafe.Pointer(&text[j]), 0) & (1<<40 - 1)) * hashMul} {
			filter[h>>shift] |= bloomMask(h)
		}
	}
	p, fb := unsafe.SliceData(text), unsafe.SliceData(filter)
	lim := len(text) - 7
	for i := 0; i < lim; i++ {
		next := (i + k - 1) / k * k
		if got := sampleLoop32(p, next, lim, k, fb, shift); got != next {
			t.Fatalf("sampleLoop32 from %d: %d, want %d", next, got, next)
		}
		if got := sampleLoop64(p, next, lim, k, fb, shift, 1<<40-1); got != next {
			t.Fatalf("sampleLoop64 from %d: %d, want %d", next, got, next)
		}
	}
	// An empty filter: no sample, and the first position at or after lim.
	clear(filter)
	if got, want := sampleLoop32(p, 0, lim, k, fb, shift), (lim+k-1)/k*k; got != want {
		t.Errorf("sampleLoop32 with an empty filter: %d, want %d", got, want)
	}
}

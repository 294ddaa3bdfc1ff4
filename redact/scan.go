package redact

import "unsafe"

// The sampling tiers' hot loops. sampleLoop32 and sampleLoop64 run the
// samples i, i+k, i+2k, ... below lim of the text at p, and return the
// first whose gram may be in the filter bits (both of its bits set, see
// bloomMask), or the first sample at or after lim if none is. The gram at
// a sample is the 4 bytes there (sampleLoop32) or the 8 bytes there and
// mask (sampleLoop64); the word of bits it selects is hash >> shift,
// below len(bits); every load, up to lim-1+8, lies inside the text.
//
// On amd64 they are in assembly (scan_amd64.s), except with the purego
// build tag and under the race detector, which does not see assembly's
// loads; sampleLoop32Go and sampleLoop64Go are the portable loops, which
// FuzzSampleLoops holds the assembly to. They take four samples per
// iteration, with no calls and no bounds checks, so that the loads of the
// filter words overlap. They stay two functions, where the assembly
// shares one macro: as one, the 4-byte grams would be 8-byte loads and a mask,
// which cost the Go loop a register and an instruction per sample (1.14
// times as slow with 10 secrets).

func sampleLoop32Go(p *byte, i, lim, k int, bits *uint64, shift uint) int {
	tp, fb := unsafe.Pointer(p), unsafe.Pointer(bits)
	hit := func(h uint64) bool {
		w := *(*uint64)(unsafe.Add(fb, (h>>shift)<<3))
		return w&(1<<(h>>32&63)) != 0 && w&(1<<(h>>38&63)) != 0
	}
	for ; i+3*k < lim; i += 4 * k {
		h0 := load32(tp, i) * hashMul
		h1 := load32(tp, i+k) * hashMul
		h2 := load32(tp, i+2*k) * hashMul
		h3 := load32(tp, i+3*k) * hashMul
		if hit(h0) {
			return i
		}
		if hit(h1) {
			return i + k
		}
		if hit(h2) {
			return i + 2*k
		}
		if hit(h3) {
			return i + 3*k
		}
	}
	for ; i < lim; i += k {
		if hit(load32(tp, i) * hashMul) {
			return i
		}
	}
	return i
}

func sampleLoop64Go(p *byte, i, lim, k int, bits *uint64, shift uint, mask uint64) int {
	tp, fb := unsafe.Pointer(p), unsafe.Pointer(bits)
	hit := func(h uint64) bool {
		w := *(*uint64)(unsafe.Add(fb, (h>>shift)<<3))
		return w&(1<<(h>>32&63)) != 0 && w&(1<<(h>>38&63)) != 0
	}
	for ; i+3*k < lim; i += 4 * k {
		h0 := (load64(tp, i) & mask) * hashMul
		h1 := (load64(tp, i+k) & mask) * hashMul
		h2 := (load64(tp, i+2*k) & mask) * hashMul
		h3 := (load64(tp, i+3*k) & mask) * hashMul
		if hit(h0) {
			return i
		}
		if hit(h1) {
			return i + k
		}
		if hit(h2) {
			return i + 2*k
		}
		if hit(h3) {
			return i + 3*k
		}
	}
	for ; i < lim; i += k {
		if hit((load64(tp, i) & mask) * hashMul) {
			return i
		}
	}
	return i
}

//go:build !amd64 || purego || race

package redact

func sampleLoop32(p *byte, i, lim, k int, bits *uint64, shift uint) int {
	return sampleLoop32Go(p, i, lim, k, bits, shift)
}

func sampleLoop64(p *byte, i, lim, k int, bits *uint64, shift uint, mask uint64) int {
	return sampleLoop64Go(p, i, lim, k, bits, shift, mask)
}

//go:build !purego && !race

package redact

// sampleLoop32 is sampleLoop32Go in assembly (scan_amd64.s).
//
//go:noescape
func sampleLoop32(p *byte, i, lim, k int, bits *uint64, shift uint) int

// sampleLoop64 is sampleLoop64Go in assembly (scan_amd64.s).
//
//go:noescape
func sampleLoop64(p *byte, i, lim, k int, bits *uint64, shift uint, mask uint64) int

package redact

import (
	"strings"
)

// refPatterns lists every variant of every secret, as the Redactor
// registers them: blank secrets and those shorter than the minimum length
// are refused.
func refPatterns(opts Options, secrets []string) []string {
	enabled := allVariants&^opts.Disable | Raw
	minLen := opts.MinLength
	if minLen == 0 {
		minLen = defaultMinLength
	}
	var ps []string
	for _, s := range secrets {
		if strings.TrimSpace(s) == "" || len(s) < minLen {
			continue
		}
		appendVariants(s, enabled, minLen, func(p string, _ Variant) {
			if p != "" {
				ps = append(ps, p)
			}
		})
	}
	return ps
}

// refRedact is the plain reference: find every occurrence of every
// pattern with strings.Index, mark the bytes, and replace each maximal run
// of marked bytes (occurrences that overlap or touch) by one marker.
func refRedact(marker string, patterns []string, text string) string {
	marked := make([]bool, len(text))
	for _, p := range patterns {
		for i := 0; i+len(p) <= len(text); {
			j := strings.Index(text[i:], p)
			if j < 0 {
				break
			}
			s := i + j
			for k := s; k < s+len(p); k++ {
				marked[k] = true
			}
			i = s + 1
		}
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		if !marked[i] {
			b.WriteByte(text[i])
			i++
			continue
		}
		b.WriteString(marker)
		for i < len(text) && marked[i] {
			i++
		}
	}
	return b.String()
}

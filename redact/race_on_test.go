//go:build race

package redact

// raceEnabled scales heavy tests down under the race detector.
const raceEnabled = true

//go:build !race

package linearize_test

const raceEnabled = false

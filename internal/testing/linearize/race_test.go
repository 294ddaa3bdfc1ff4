//go:build race

package linearize_test

// raceEnabled: under the race detector every call is several times slower,
// so fewer histories run side by side (see TestFleetLinearizable).
const raceEnabled = true

//go:build !linux

package redact

import "time"

var startWall = time.Now()

// threadCPU falls back to wall time where thread CPU time is not known.
func threadCPU() time.Duration { return time.Since(startWall) }

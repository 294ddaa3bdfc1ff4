//go:build !unix

package loadtest

import "time"

// ProcessCPU returns 0: the CPU time is not measured on this platform,
// and Result.CPU stays 0.
func ProcessCPU() time.Duration { return 0 }

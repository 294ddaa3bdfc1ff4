//go:build linux

package redact

import (
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU returns the CPU time of the calling OS thread, so that
// throughput measured on a shared machine does not count the time other
// processes ran. Callers lock the goroutine to its thread. It reads
// CLOCK_THREAD_CPUTIME_ID, which counts nanoseconds; getrusage's thread
// times move in scheduler ticks on some kernels (4 ms here), longer than
// one pass over the workload, so that rounds measured zero.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

//go:build linux

package redact

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time of the calling OS thread, so that
// throughput measured on a shared machine does not count the time other
// processes ran. Callers lock the goroutine to its thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

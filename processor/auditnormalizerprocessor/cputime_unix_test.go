//go:build unix

package auditnormalizerprocessor

import "syscall"

// processCPUNanos is the CPU time (user and system, all threads) the process has used. The
// benchmarks report it per record: on a shared machine wall time measures the neighbours too.
func processCPUNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

//go:build !unix

package auditnormalizerprocessor

func processCPUNanos() int64 { return 0 }

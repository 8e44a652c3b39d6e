package spool

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// BenchmarkAppend measures ingest with fsync on: each op is one event; ConsumeLogs-sized
// batches of 100 events come from 16 concurrent callers (b.SetParallelism), which group
// commit folds into shared fsyncs. Run with -cpu 1 for the one-core figure. Its event ids
// increase with time, so the dedup index is appended to like the rows; see
// BenchmarkAppendRandomIDs for ids in no order.
func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "spool.db"), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			benchAppend(b, s, batch, 0, func(n int64) string { return fmt.Sprintf("evt-%016x", n*2654435761) })
		})
	}
}

// BenchmarkAppendRandomIDs is BenchmarkAppend with ids in random order, as UUIDs and hashes
// are, into a spool that already holds 200k events: each stored event then lands on its own
// page of the dedup index, which dominates the commit.
func BenchmarkAppendRandomIDs(b *testing.B) {
	const prefill = 200_000
	s, err := Open(filepath.Join(b.TempDir(), "spool.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	id := func(n int64) string { return fmt.Sprintf("evt-%016x", uint64(n)*0x9E3779B97F4A7C15) }
	batch := make([]audit.Row, 0, 10_000)
	for n := int64(1); n <= prefill; n++ {
		batch = append(batch, benchEvent(n, id))
		if len(batch) == cap(batch) {
			if _, err := s.Append(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	benchAppend(b, s, 100, prefill, id)
}

func benchEvent(n int64, id func(int64) string) audit.Row {
	return audit.Row{
		Time: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Millisecond), Tenant: "tenant-" + fmt.Sprint(n%4),
		EventID: id(n), Author: "alice@example.com", Category: "Authentication",
		Summary: "Login", Description: "User alice@example.com logged in from 192.0.2.10", Outcome: "success",
		SourceIP: "192.0.2.10", Target: "app/console",
	}
}

// benchAppend appends b.N events numbered from first+1 in batches from concurrent callers.
func benchAppend(b *testing.B, s *Spool, batch int, first int64, id func(int64) string) {
	var seq atomic.Int64
	seq.Store(first)
	b.SetParallelism(benchParallelism)
	b.ReportAllocs()
	b.ResetTimer()
	start, cpuStart := time.Now(), cpuTime()
	var total atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		events := make([]audit.Row, 0, batch)
		flush := func() {
			if len(events) == 0 {
				return
			}
			if _, err := s.Append(context.Background(), events); err != nil {
				b.Error(err)
			}
			total.Add(int64(len(events)))
			events = events[:0]
		}
		for pb.Next() {
			events = append(events, benchEvent(seq.Add(1), id))
			if len(events) == batch {
				flush()
			}
		}
		flush()
	})
	// events/s is wall-clock throughput (fsync latency included); events/cpu-s is
	// what one core can ingest, independent of other load on the machine.
	b.ReportMetric(float64(total.Load())/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(float64(total.Load())/(cpuTime()-cpuStart).Seconds(), "events/cpu-s")
}

var benchParallelism = 16

// cpuTime is the CPU time (user + system) the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkScan measures reading a day of one tenant in time order, as a report render
// does; memory per scan is bounded by the chunk size, not by the row count.
func BenchmarkScan(b *testing.B) {
	const n = 200_000
	s, err := Open(filepath.Join(b.TempDir(), "spool.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	base := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	batch := make([]audit.Row, 0, 10_000)
	for i := 0; i < n; i++ {
		batch = append(batch, audit.Row{Time: base.Add(time.Duration(i) * 400 * time.Millisecond), Tenant: "acme",
			EventID: fmt.Sprintf("evt-%d", i), Author: "alice@example.com", Category: "Authentication", Summary: "Login",
			Description: "User alice@example.com logged in", Outcome: "success", SourceIP: "192.0.2.10", Target: "console"})
		if len(batch) == cap(batch) {
			if _, err := s.Append(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rows := 0
		if err := s.Scan(context.Background(), "acme", base, base.Add(24*time.Hour), func(audit.Row) error { rows++; return nil }); err != nil {
			b.Fatal(err)
		}
		if rows != n {
			b.Fatalf("scanned %d rows, want %d", rows, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

package spool

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// BenchmarkAppend measures ingest with fsync on: each op is one event; ConsumeLogs-sized
// batches of 100 events come from 16 concurrent callers (b.SetParallelism), which group
// commit folds into shared fsyncs. Run with -cpu 1 for the one-core figure. Its event ids
// increase with time; see BenchmarkAppendRandomIDs for ids in no order.
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

// BenchmarkAppendJitter is BenchmarkAppend with event times up to a minute before their
// arrival (random ids, 200k events already spooled), as cmd/benchload sends them: rows then
// land anywhere in the last minute of their day rather than at its end.
func BenchmarkAppendJitter(b *testing.B) {
	const prefill = 200_000
	s, err := Open(filepath.Join(b.TempDir(), "spool.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	id := func(n int64) string { return fmt.Sprintf("evt-%016x", uint64(n)*0x9E3779B97F4A7C15) }
	// Events arrive at 10k/s: event n arrives at n/10 ms and happened up to 60 s before.
	jittered := func(n int64) audit.Row {
		e := benchEvent(n, id)
		e.Time = time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC).Add(time.Duration(n)*100*time.Microsecond - time.Duration(uint64(n)*0x9E3779B97F4A7C15%60_000)*time.Millisecond)
		return e
	}
	batch := make([]audit.Row, 0, 10_000)
	for n := int64(1); n <= prefill; n++ {
		batch = append(batch, jittered(n))
		if len(batch) == cap(batch) {
			if _, err := s.Append(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	benchAppendEvents(b, s, 100, prefill, jittered)
}

// BenchmarkAppendRandomIDs is BenchmarkAppend with ids in random order, as UUIDs and hashes
// are, into a spool that already holds 200k events. An on-disk index keyed by id would take
// a page write per stored event here (file version 1 had one: 14.6k events/s against 77k
// with ordered ids).
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
	benchAppendEvents(b, s, batch, first, func(n int64) audit.Row { return benchEvent(n, id) })
}

// benchAppendEvents is benchAppend with the events made by event.
func benchAppendEvents(b *testing.B, s *Spool, batch int, first int64, event func(int64) audit.Row) {
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
			events = append(events, event(seq.Add(1)))
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
	// The first read moves staged events to their day; scans read days.
	if _, err := s.Count(context.Background(), "acme", base, base.Add(time.Nanosecond)); err != nil {
		b.Fatal(err)
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

// BenchmarkOpen measures opening a spool of 1M events (hashed ids, "h-" and 32 hex digits,
// as the normaliser makes them, over 4 tenants) of which 200k are still staged, as a killed
// process leaves them: Open reads the staged events' ids into memory, and only those.
// staged-B/event is the heap the open spool holds, per staged event.
func BenchmarkOpen(b *testing.B) {
	const n, staged = 1_000_000, 200_000
	path := filepath.Join(b.TempDir(), "spool.db")
	s, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	id := func(n int64) string { return fmt.Sprintf("h-%016x%016x", uint64(n)*0x9E3779B97F4A7C15, uint64(n)) }
	batch := make([]audit.Row, 0, 10_000)
	for i := int64(1); i <= n; i++ {
		batch = append(batch, benchEvent(i, id))
		if len(batch) == cap(batch) {
			if _, err := s.Append(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
		if i == n-staged {
			// Compact what is there, then stage the rest and keep it staged.
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
			if s, err = Open(path, Options{}); err != nil {
				b.Fatal(err)
			}
			s.compactAfter = n
		}
	}
	s.ids.tenants = map[string]*tenantIDs{} // leave the staged events to the next Open
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	var held int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		before := heapInUse()
		b.StartTimer()
		s, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if s.ids.staged != staged {
			b.Fatalf("%d staged events, want %d", s.ids.staged, staged)
		}
		held += int64(heapInUse()) - int64(before)
		runtime.KeepAlive(s)
		s.ids.tenants = map[string]*tenantIDs{}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(staged)/float64(b.N), "ns/staged-event")
	b.ReportMetric(float64(held)/float64(staged)/float64(b.N), "staged-B/event")
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

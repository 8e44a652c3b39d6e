package reportrender

// Benchmarks against the raw libraries on the same rows, in one run so that baselines and
// results share the machine's state:
//
//	go test ./internal/reportrender -run '^$' -bench 'BenchmarkReport' -benchtime=1x -count=5
//
// REPORT_BENCH_ROWS sets the sizes (comma-separated, default "100000,1000000"), so that memory
// can be compared across row counts. Each benchmark reports:
//   - rows/s (wall time);
//   - cpu-s/op: the process's user+system CPU seconds, steadier than wall time when other
//     work shares the machine;
//   - peak-heap-MiB: the largest live heap seen while it ran (runtime/metrics, sampled);
//   - peak-RSS-MiB: the process's resident high-water mark while it ran (Linux VmHWM, reset
//     through /proc/self/clear_refs); scripts/bench-report-rss.sh measures it per process with
//     /usr/bin/time -v instead.

import (
	"bufio"
	"encoding/csv"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

func benchSizes(b *testing.B) []int {
	spec := os.Getenv("REPORT_BENCH_ROWS")
	if spec == "" {
		spec = "100000,1000000"
	}
	var sizes []int
	for _, f := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("REPORT_BENCH_ROWS: bad size %q", f)
		}
		sizes = append(sizes, n)
	}
	return sizes
}

// rowSource yields realistic rows without holding them, so that memory measures the writer.
type rowSource struct {
	base time.Time
	id   []byte
}

var (
	benchAuthors      = []string{"alice@example.com", "bob@example.com", "carol.de-la-cruz@example.org", "system", "svc-backup", "Zoë Ñúñez", "dave@example.net", "=mallory"}
	benchCategories   = []string{"Authentication", "Users", "Settings", "Billing", "API keys", "Audit log"}
	benchSummaries    = []string{"Login", "Login failed", "User created", "Role changed", "Password reset", "Export downloaded", "-", "API key revoked"}
	benchDescriptions = []string{
		"alice@example.com logged in with SSO from Dublin, Ireland",
		"Failed login for bob@example.com: invalid password (3rd attempt in 5 minutes)",
		"User carol was created by alice@example.com with role \"Editor\"",
		"Role of dave changed from Viewer to Admin, approved by the security team",
		"Password reset requested; link sent to the registered address",
		"Audit log export of 2026-11-01..2026-11-08 downloaded as CSV",
	}
	benchOutcomes = []string{"success", "failure", "success", "unknown"}
	benchIPs      = []string{"10.0.0.1", "192.0.2.45", "2001:db8::1f", "198.51.100.7"}
	benchTargets  = []string{"user:alice", "user:bob", "role:admin", "key:ak_7f3e", "tenant:acme"}
)

func newRowSource() *rowSource {
	return &rowSource{base: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
}

func (s *rowSource) row(i int) audit.Row {
	s.id = strconv.AppendInt(append(s.id[:0], "evt-"...), int64(i), 10)
	return audit.Row{
		Time:        s.base.Add(time.Duration(i) * time.Second),
		Author:      benchAuthors[i%len(benchAuthors)],
		Category:    benchCategories[i%len(benchCategories)],
		Summary:     benchSummaries[i%len(benchSummaries)],
		Description: benchDescriptions[i%len(benchDescriptions)],
		Outcome:     benchOutcomes[i%len(benchOutcomes)],
		SourceIP:    benchIPs[i%len(benchIPs)],
		Target:      benchTargets[i%len(benchTargets)],
		EventID:     string(s.id),
		Tenant:      "acme",
	}
}

// rawCells is what the baselines write: the same text, formatted the same way, without
// neutralisation.
func rawCells(r audit.Row, loc *time.Location, dst []string) {
	dst[0] = r.Time.In(loc).Format(TimeLayout)
	dst[1], dst[2], dst[3], dst[4] = r.Author, r.Category, r.Summary, r.Description
	dst[5], dst[6], dst[7], dst[8], dst[9] = r.Outcome, r.SourceIP, r.Target, r.EventID, r.Tenant
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// memProbe records the peak live heap (sampled every 5 ms) and the resident high-water mark.
type memProbe struct {
	stop     chan struct{}
	done     sync.WaitGroup
	peakHeap uint64
	rssReset bool
	cpuStart time.Duration
}

// processCPU is the user+system CPU time of the process: under a busy shared machine it
// varies less than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startMemProbe() *memProbe {
	runtime.GC()
	debug.FreeOSMemory()
	p := &memProbe{stop: make(chan struct{}), cpuStart: processCPU()}
	p.rssReset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			p.peakHeap = max(p.peakHeap, sample[0].Value.Uint64())
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

func (p *memProbe) report(b *testing.B, rows int) {
	cpu := processCPU() - p.cpuStart
	close(p.stop)
	p.done.Wait()
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(p.peakHeap)/(1<<20), "peak-heap-MiB")
	if p.rssReset {
		if hwm, ok := vmHWM(); ok {
			b.ReportMetric(hwm/(1<<20), "peak-RSS-MiB")
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func vmHWM() (float64, bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb * 1024, err == nil
		}
	}
	return 0, false
}

func BenchmarkReportCSV(b *testing.B) {
	loc, err := time.LoadLocation("Europe/Dublin")
	if err != nil {
		b.Fatal(err)
	}
	for _, rows := range benchSizes(b) {
		b.Run("rows="+strconv.Itoa(rows)+"/impl=encoding-csv", func(b *testing.B) {
			probe := startMemProbe()
			var out countingWriter
			for b.Loop() {
				src, cells := newRowSource(), make([]string, len(Columns))
				buf := bufio.NewWriterSize(&out, 64<<10)
				w := csv.NewWriter(buf)
				w.UseCRLF = true
				_ = w.Write(Columns)
				for i := range rows {
					rawCells(src.row(i), loc, cells)
					if err := w.Write(cells); err != nil {
						b.Fatal(err)
					}
				}
				w.Flush()
				if err := buf.Flush(); err != nil {
					b.Fatal(err)
				}
			}
			probe.report(b, rows)
		})
		b.Run("rows="+strconv.Itoa(rows)+"/impl=reportrender", func(b *testing.B) {
			probe := startMemProbe()
			var out countingWriter
			for b.Loop() {
				src := newRowSource()
				w := NewCSV(&out, loc)
				for i := range rows {
					if err := w.WriteRow(src.row(i)); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			probe.report(b, rows)
		})
	}
}

func BenchmarkReportXLSX(b *testing.B) {
	loc, err := time.LoadLocation("Europe/Dublin")
	if err != nil {
		b.Fatal(err)
	}
	tmp := b.TempDir()
	// rawStream writes the same rows with excelize's StreamWriter, as its documentation shows.
	rawStream := func(b *testing.B, rows int) *excelize.File {
		f := excelize.NewFile(excelize.Options{TmpDir: tmp})
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			b.Fatal(err)
		}
		src, cells, values := newRowSource(), make([]string, len(Columns)), make([]any, len(Columns))
		if err := sw.SetRow("A1", headerValues); err != nil {
			b.Fatal(err)
		}
		for i := range rows {
			rawCells(src.row(i), loc, cells)
			for j, c := range cells {
				values[j] = c
			}
			ref, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := sw.SetRow(ref, values); err != nil {
				b.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			b.Fatal(err)
		}
		return f
	}
	for _, rows := range benchSizes(b) {
		if rows >= MaxSheetRows {
			rows = MaxSheetRows - 1 // the raw baseline has no rollover
		}
		prefix := "rows=" + strconv.Itoa(rows)
		b.Run(prefix+"/impl=excelize-write", func(b *testing.B) {
			probe := startMemProbe()
			var out countingWriter
			for b.Loop() {
				f := rawStream(b, rows)
				if err := f.Write(&out); err != nil {
					b.Fatal(err)
				}
				_ = f.Close()
			}
			probe.report(b, rows)
		})
		b.Run(prefix+"/impl=excelize-saveas", func(b *testing.B) {
			probe := startMemProbe()
			path := tmp + "/raw.xlsx"
			for b.Loop() {
				f := rawStream(b, rows)
				if err := f.SaveAs(path); err != nil {
					b.Fatal(err)
				}
				_ = f.Close()
			}
			probe.report(b, rows)
			_ = os.Remove(path)
		})
		b.Run(prefix+"/impl=reportrender", func(b *testing.B) {
			probe := startMemProbe()
			var out countingWriter
			for b.Loop() {
				src := newRowSource()
				w, err := NewXLSX(&out, loc, WithTempDir(tmp))
				if err != nil {
					b.Fatal(err)
				}
				for i := range rows {
					if err := w.WriteRow(src.row(i)); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			probe.report(b, rows)
		})
	}
}

var _ io.Writer = (*countingWriter)(nil)

// BenchmarkCSVRow compares the per-row cost with b.N rows, for quick profiling.
func BenchmarkCSVRow(b *testing.B) {
	loc := time.UTC
	b.Run("impl=encoding-csv", func(b *testing.B) {
		src, cells := newRowSource(), make([]string, len(Columns))
		w := csv.NewWriter(bufio.NewWriterSize(io.Discard, 64<<10))
		w.UseCRLF = true
		i := 0
		for b.Loop() {
			rawCells(src.row(i), loc, cells)
			_ = w.Write(cells)
			i++
		}
		w.Flush()
	})
	b.Run("impl=reportrender", func(b *testing.B) {
		src := newRowSource()
		w := NewCSV(io.Discard, loc)
		i := 0
		for b.Loop() {
			_ = w.WriteRow(src.row(i))
			i++
		}
		_ = w.Close()
	})
}

// Command hostileload sends hostile request bodies to a running otelcol-audit on loopback,
// together with a steady stream of legitimate OTLP/HTTP events, and reports what the process
// survived: peak RSS (VmHWM), whether it is still alive, and the share of legitimate events
// acknowledged. With -verify-spool (after the collector stopped) it checks that every
// acknowledged legitimate event reached the report spool. scripts/hostile.sh drives it.
//
// It only ever targets the addresses it is given, which must be loopback.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/spool"
)

type options struct {
	otlp, webhook string
	token         string
	hostileToken  string
	pid           int
	duration      time.Duration
	workers       int
	bodySize      int
	legitRate     int
	idsFile       string
	verifySpool   string
	tenant        string
	shapes        string
}

func main() {
	var o options
	flag.StringVar(&o.otlp, "otlp", "http://127.0.0.1:4318", "OTLP/HTTP base URL")
	flag.StringVar(&o.webhook, "webhook", "http://127.0.0.1:8088", "webhook receiver base URL")
	flag.StringVar(&o.token, "token", "demo-token-change-me-0123456789", "bearer token of the legitimate sender")
	flag.StringVar(&o.hostileToken, "hostile-token", "demo-token-change-me-0123456789", "bearer token the hostile senders present (\"\" for none): a compromised tenant's token is the worse case")
	flag.IntVar(&o.pid, "pid", 0, "collector process id, for RSS and liveness")
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "how long the hostile load runs")
	flag.IntVar(&o.workers, "workers", 64, "parallel hostile senders")
	flag.IntVar(&o.bodySize, "body-size", 10<<20, "size of each hostile body in bytes")
	flag.IntVar(&o.legitRate, "legit-rate", 200, "legitimate events per second (requests of 50 events)")
	flag.StringVar(&o.idsFile, "ids", "", "write the acknowledged legitimate event ids to this file")
	flag.StringVar(&o.verifySpool, "verify-spool", "", "instead of sending: check that every id in -ids is in this spool file")
	flag.StringVar(&o.tenant, "tenant", "demo", "tenant of the legitimate events")
	flag.StringVar(&o.shapes, "shapes", "", "only the hostile shapes whose name matches this regular expression")
	flag.Parse()
	var err error
	if o.verifySpool != "" {
		err = verify(o)
	} else {
		err = run(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostileload:", err)
		os.Exit(1)
	}
}

func loopbackOnly(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	ip := net.ParseIP(u.Hostname())
	if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%s is not a loopback address", raw)
	}
	return nil
}

// shape is one hostile body, built once and sent many times.
type shape struct {
	name, path, contentType string
	body                    []byte
}

func hostileShapes(o options) []shape {
	n := o.bodySize
	tinyArray := func() []byte {
		b := make([]byte, 0, n)
		b = append(b, '[')
		for len(b) < n-4 {
			b = append(b, "{},"...)
		}
		return append(b, "{}]"...)
	}()
	deep := append(bytes.Repeat([]byte{'['}, n/2), bytes.Repeat([]byte{']'}, n/2)...)
	hugeString := []byte(`[{"event_type":"user.login","actor":"x","note":"` + strings.Repeat("A", n-64) + `"}]`)
	ndjson := bytes.Repeat([]byte("{}\n"), n/3)
	nestedTiny := append(append([]byte(`[{"event_type":"x","a":[`), bytes.Repeat([]byte("{},"), n/3-10)...), []byte("{}]}]")...)

	// OTLP protobuf: empty records are two bytes each on the wire.
	ld := plog.NewLogs()
	recs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for range n / 2 {
		recs.AppendEmpty()
	}
	otlpProto, _ := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	otlpJSON := append(append([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[`), bytes.Repeat([]byte("{},"), n/3-20)...), []byte("{}]}]}]}")...)

	var shapes []shape
	for _, ep := range []string{"generic", "okta", "kubernetes", "cloudtrail", "github"} {
		path := o.webhook + "/webhook/" + ep
		shapes = append(shapes,
			shape{ep + "/tiny-array", path, "application/json", tinyArray},
			shape{ep + "/deep", path, "application/json", deep},
			shape{ep + "/huge-string", path, "application/json", hugeString},
			shape{ep + "/ndjson", path, "application/x-ndjson", ndjson},
			shape{ep + "/nested-tiny", path, "application/json", nestedTiny},
		)
	}
	shapes = append(shapes,
		shape{"otlp/proto-empty-records", o.otlp + "/v1/logs", "application/x-protobuf", otlpProto},
		shape{"otlp/json-empty-records", o.otlp + "/v1/logs", "application/json", otlpJSON},
	)
	return shapes
}

type counters struct {
	mu     sync.Mutex
	byCode map[string]map[int]int
	errs   map[string]int
}

func (c *counters) add(name string, code int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.errs[name]++
		return
	}
	if c.byCode[name] == nil {
		c.byCode[name] = map[int]int{}
	}
	c.byCode[name][code]++
}

func run(o options) error {
	for _, u := range []string{o.otlp, o.webhook} {
		if err := loopbackOnly(u); err != nil {
			return err
		}
	}
	shapes := hostileShapes(o)
	if o.shapes != "" {
		re, err := regexp.Compile(o.shapes)
		if err != nil {
			return fmt.Errorf("-shapes: %w", err)
		}
		shapes = slices.DeleteFunc(shapes, func(s shape) bool { return !re.MatchString(s.name) })
		if len(shapes) == 0 {
			return errors.New("-shapes matches no shape")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.duration)
	defer cancel()

	hostile := &counters{byCode: map[string]map[int]int{}, errs: map[string]int{}}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.workers}}
	var wg sync.WaitGroup
	for w := range o.workers {
		wg.Go(func() {
			for i := w; ctx.Err() == nil; i++ {
				s := shapes[i%len(shapes)]
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.path, bytes.NewReader(s.body))
				req.Header.Set("Content-Type", s.contentType)
				if o.hostileToken != "" {
					req.Header.Set("Authorization", "Bearer "+o.hostileToken)
				}
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						hostile.add(s.name, 0, err)
					}
					continue
				}
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
				resp.Body.Close()
				hostile.add(s.name, resp.StatusCode, nil)
			}
		})
	}

	var peak, peakAnon atomic.Int64
	var died atomic.Bool
	wg.Go(func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for ctx.Err() == nil {
			if o.pid > 0 {
				hwm, err := vmHWM(o.pid)
				if err != nil {
					died.Store(true)
					return
				}
				peak.Store(hwm)
				if anon, err := statusKB(o.pid, "RssAnon:"); err == nil && anon > peakAnon.Load() {
					peakAnon.Store(anon)
				}
			}
			<-t.C
		}
	})

	acked, sent := legit(ctx, o)
	wg.Wait()
	if o.pid > 0 {
		if hwm, err := vmHWM(o.pid); err == nil {
			peak.Store(hwm)
		} else {
			died.Store(true)
		}
	}

	fmt.Printf("hostile load: %d workers, %d-byte bodies, %s, hostile token set: %v\n", o.workers, o.bodySize, o.duration, o.hostileToken != "")
	for _, s := range shapes {
		fmt.Printf("  %-28s %v errors=%d\n", s.name, hostile.byCode[s.name], hostile.errs[s.name])
	}
	share := 0.0
	if sent > 0 {
		share = 100 * float64(len(acked)) / float64(sent)
	}
	fmt.Printf("legitimate events: sent %d, acknowledged %d (%.1f%%)\n", sent, len(acked), share)
	fmt.Printf("peak RSS (VmHWM): %.0f MiB\n", float64(peak.Load())/(1<<20))
	// RSS also counts the pages of memory-mapped files (the bbolt queue and spool) that were
	// touched; the kernel can reclaim those. The anonymous part is the process's own memory.
	fmt.Printf("peak anonymous RSS (RssAnon, sampled every 200ms): %.0f MiB\n", float64(peakAnon.Load())/(1<<20))
	fmt.Printf("process survived: %v\n", !died.Load())
	if o.idsFile != "" {
		if err := os.WriteFile(o.idsFile, []byte(strings.Join(acked, "\n")+"\n"), 0o600); err != nil {
			return err
		}
	}
	if died.Load() {
		return errors.New("the collector died")
	}
	return nil
}

// legit sends batches of 50 events at the configured rate, retrying a batch on 429/503 as an
// OTLP exporter would, until ctx ends; it returns the acknowledged event ids and the number
// of events it tried to send.
func legit(ctx context.Context, o options) ([]string, int) {
	client := &http.Client{Timeout: 10 * time.Second}
	const perRequest = 50
	interval := time.Second * perRequest / time.Duration(max(o.legitRate, 1))
	var acked []string
	sent := 0
	for batch := 0; ctx.Err() == nil; batch++ {
		start := time.Now()
		ids := make([]string, perRequest)
		ld := plog.NewLogs()
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", "lms")
		rl.Resource().Attributes().PutStr("tenant.id", o.tenant)
		recs := rl.ScopeLogs().AppendEmpty().LogRecords()
		for i := range perRequest {
			ids[i] = fmt.Sprintf("legit-%d-%d-%d", os.Getpid(), batch, i)
			lr := recs.AppendEmpty()
			lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
			lr.SetEventName("user.login")
			a := lr.Attributes()
			a.PutStr("event.id", ids[i])
			a.PutStr("user.email", fmt.Sprintf("user%d@%s.example", i, o.tenant))
			a.PutStr("event.outcome", "success")
			a.PutStr("client.address", "203.0.113.7")
		}
		body, _ := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
		sent += perRequest
		// Retry as an OTLP exporter does, within the run's time plus a grace period for the
		// last batch.
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			req, _ := http.NewRequest(http.MethodPost, o.otlp+"/v1/logs", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/x-protobuf")
			req.Header.Set("Authorization", "Bearer "+o.token)
			resp, err := client.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					acked = append(acked, ids...)
					break
				}
				if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
					break
				}
			}
			time.Sleep(250 * time.Millisecond)
		}
		if d := interval - time.Since(start); d > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}
	}
	return acked, sent
}

// statusKB reads one "Name:   N kB" line of /proc/PID/status, in bytes.
func statusKB(pid int, name string) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, name); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s", name)
}

// vmHWM reads the peak resident set size of a process, in bytes.
func vmHWM(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
		if rest, ok := strings.CutPrefix(s.Text(), "State:"); ok && strings.Contains(rest, "zombie") {
			return 0, errors.New("zombie")
		}
	}
	return 0, errors.New("no VmHWM")
}

func verify(o options) error {
	data, err := os.ReadFile(o.idsFile)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, id := range strings.Fields(string(data)) {
		want[id] = true
	}
	sp, err := spool.Open(o.verifySpool, spool.Options{})
	if err != nil {
		return err
	}
	defer sp.Close()
	found := 0
	err = sp.Scan(context.Background(), o.tenant, time.Now().Add(-24*time.Hour), time.Now().Add(time.Hour), func(e audit.Row) error {
		if want[e.EventID] {
			found++
			delete(want, e.EventID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("acknowledged legitimate events in the spool: %d of %d\n", found, found+len(want))
	if len(want) > 0 {
		return fmt.Errorf("%d acknowledged events are missing from the spool", len(want))
	}
	return nil
}

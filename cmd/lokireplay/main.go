// Command lokireplay pushes the entries of an audit_loki dead-letter file back to Loki, once
// the cause of their refusal is fixed (a raised limit, a created tenant, a corrected clock).
//
//	go run ./cmd/lokireplay -file data/audit_loki_dead_letter.jsonl -endpoint http://localhost:3100
//
// Entries keep their tenant, labels, structured metadata, timestamp and line, so a replayed
// entry is identical to the original and Loki drops it if it was stored after all. Lines that
// fail again are written to -failed, so that a replay can itself be replayed.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/snappy"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditlokiexporter"
	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "lokireplay:", err)
		os.Exit(1)
	}
}

type options struct {
	file, endpoint, pushPath, tenant, failed, reason string
	retime, dryRun                                   bool
	maxRequestBytes                                  int
	timeout                                          time.Duration
}

func run(args []string, stdout io.Writer) error {
	var o options
	fs := flag.NewFlagSet("lokireplay", flag.ContinueOnError)
	fs.StringVar(&o.file, "file", "", "dead-letter file to replay (JSON lines)")
	fs.StringVar(&o.endpoint, "endpoint", "http://localhost:3100", "Loki base URL, or a full push URL ending in /push")
	fs.StringVar(&o.pushPath, "push-path", auditlokiexporter.DefaultPushPath, "push path appended to -endpoint")
	fs.StringVar(&o.tenant, "tenant", "", "send every entry to this tenant instead of its own")
	fs.StringVar(&o.reason, "reason", "", "replay only entries refused for this reason (e.g. too_far_in_future)")
	fs.StringVar(&o.failed, "failed", "", "file for the entries that fail again (default: <file>.failed)")
	fs.BoolVar(&o.retime, "retime", false, "send with the current time, keeping the original in structured metadata original_timestamp (for entries refused as too old or too new)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "count what would be sent, send nothing")
	fs.IntVar(&o.maxRequestBytes, "max-request-bytes", 1<<20, "uncompressed bytes per push")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "timeout of each push")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.file == "" {
		return errors.New("-file is required")
	}
	if o.failed == "" {
		o.failed = o.file + ".failed"
	}
	if o.tenant != "" {
		if err := audit.ValidateTenant(o.tenant); err != nil {
			return fmt.Errorf("-tenant: %w", err)
		}
	}
	url := o.endpoint
	if !strings.HasSuffix(url, "/push") {
		url = strings.TrimSuffix(url, "/") + "/" + strings.TrimPrefix(o.pushPath, "/")
	}

	records, err := readRecords(o.file, o.reason)
	if err != nil {
		return err
	}
	byTenant := map[string][]auditlokiexporter.DeadLetterRecord{}
	for _, r := range records {
		if o.tenant != "" {
			r.Tenant = o.tenant
		}
		if o.retime {
			if r.StructuredMetadata == nil {
				r.StructuredMetadata = map[string]string{}
			}
			r.StructuredMetadata["original_timestamp"] = r.Timestamp.Format(time.RFC3339Nano)
			r.Timestamp = time.Now()
		}
		byTenant[r.Tenant] = append(byTenant[r.Tenant], r)
	}
	tenants := make([]string, 0, len(byTenant))
	for t := range byTenant {
		tenants = append(tenants, t)
	}
	sort.Strings(tenants)

	client := &http.Client{Timeout: o.timeout}
	var failed []auditlokiexporter.DeadLetterRecord
	sent := 0
	for _, tenant := range tenants {
		for _, batch := range split(byTenant[tenant], o.maxRequestBytes) {
			if o.dryRun {
				sent += len(batch)
				continue
			}
			if err := pushBatch(client, url, tenant, batch); err != nil {
				fmt.Fprintf(stdout, "tenant %q: %d entries failed: %v\n", tenant, len(batch), err)
				for _, r := range batch {
					r.Error = err.Error()
					failed = append(failed, r)
				}
				continue
			}
			sent += len(batch)
		}
	}
	fmt.Fprintf(stdout, "replayed %d of %d entries to %s\n", sent, len(records), url)
	if len(failed) > 0 {
		if err := writeRecords(o.failed, failed); err != nil {
			return err
		}
		return fmt.Errorf("%d entries failed again; they are in %s", len(failed), o.failed)
	}
	return nil
}

func readRecords(path, reason string) ([]auditlokiexporter.DeadLetterRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []auditlokiexporter.DeadLetterRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r auditlokiexporter.DeadLetterRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if reason == "" || r.Reason == reason {
			out = append(out, r)
		}
	}
	return out, sc.Err()
}

func writeRecords(path string, records []auditlokiexporter.DeadLetterRecord) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for i := range records {
		if err := enc.Encode(&records[i]); err != nil {
			_ = f.Close()
			return err
		}
	}
	return f.Close()
}

func split(records []auditlokiexporter.DeadLetterRecord, maxBytes int) [][]auditlokiexporter.DeadLetterRecord {
	var out [][]auditlokiexporter.DeadLetterRecord
	var cur []auditlokiexporter.DeadLetterRecord
	size := 0
	for _, r := range records {
		s := len(r.Line) + len(r.Labels) + 32
		for k, v := range r.StructuredMetadata {
			s += len(k) + len(v)
		}
		if len(cur) > 0 && size+s > maxBytes {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, r)
		size += s
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func pushBatch(client *http.Client, url, tenant string, batch []auditlokiexporter.DeadLetterRecord) error {
	idx := map[string]int{}
	var req push.PushRequest
	for _, r := range batch {
		i, ok := idx[r.Labels]
		if !ok {
			i = len(req.Streams)
			idx[r.Labels] = i
			req.Streams = append(req.Streams, push.Stream{Labels: r.Labels})
		}
		meta := make(push.LabelsAdapter, 0, len(r.StructuredMetadata))
		for k, v := range r.StructuredMetadata {
			meta = append(meta, push.LabelAdapter{Name: k, Value: v})
		}
		sort.Slice(meta, func(a, b int) bool { return meta[a].Name < meta[b].Name })
		req.Streams[i].Entries = append(req.Streams[i].Entries, push.Entry{Timestamp: r.Timestamp, Line: r.Line, StructuredMetadata: meta})
	}
	raw, err := req.Marshal()
	if err != nil {
		return err
	}
	httpReq, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(snappy.Encode(nil, raw)))
	if err != nil {
		return err
	}
	httpReq.Header.Set("Content-Type", "application/x-protobuf")
	if tenant != "" {
		httpReq.Header.Set("X-Scope-OrgID", tenant)
	}
	resp, err := client.Do(httpReq)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("loki answered %d: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	return nil
}

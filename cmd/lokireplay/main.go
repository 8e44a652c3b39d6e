// Command lokireplay pushes the entries of an audit_loki dead-letter file back to Loki, once
// the cause of their refusal is fixed (a raised limit, a created tenant, a corrected clock).
//
//	go run ./cmd/lokireplay -file data/audit_loki_dead_letter.jsonl -endpoint http://localhost:3100
//
// Entries keep their tenant, labels, structured metadata, timestamp and line, so a replayed
// entry is identical to the original and Loki drops it if it was stored after all. Each
// entry's tenant is checked against Loki's tenant rules first: an entry with an invalid tenant
// is not sent (it would become a path segment and a header). Entries that are not sent or
// fail again are written to -failed, so that a replay can itself be replayed.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/lokipush"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
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

// item is a record read from the file and the entry it is sent as.
type item struct {
	rec   lokipush.DeadLetterRecord
	entry lokipush.Entry
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	var o options
	fs := flag.NewFlagSet("lokireplay", flag.ContinueOnError)
	fs.StringVar(&o.file, "file", "", "dead-letter file to replay (JSON lines)")
	fs.StringVar(&o.endpoint, "endpoint", "http://localhost:3100", "Loki base URL, or a full push URL ending in /push")
	fs.StringVar(&o.pushPath, "push-path", lokipush.DefaultPushPath, "push path appended to -endpoint")
	fs.StringVar(&o.tenant, "tenant", "", "send every entry to this tenant instead of its own")
	fs.StringVar(&o.reason, "reason", "", "replay only entries refused for this reason (e.g. too_far_in_future)")
	fs.StringVar(&o.failed, "failed", "", "file for the entries that are not replayed (default: <file>.failed)")
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
	url := lokipush.URL(o.endpoint, o.pushPath)

	records, err := readRecords(o.file, o.reason)
	if err != nil {
		return err
	}
	byTenant := map[string][]item{}
	// invalid holds, by tenant, the records not sent because of their tenant, as read.
	invalid := map[string][]lokipush.DeadLetterRecord{}
	invalidErr := map[string]error{}
	for _, r := range records {
		if o.tenant != "" {
			r.Tenant = o.tenant
		} else if err := validateTenant(r.Tenant); err != nil {
			r.Error = "not replayed: " + err.Error()
			invalid[r.Tenant] = append(invalid[r.Tenant], r)
			invalidErr[r.Tenant] = err
			continue
		}
		if o.retime {
			if r.StructuredMetadata == nil {
				r.StructuredMetadata = map[string]string{}
			}
			r.StructuredMetadata["original_timestamp"] = r.Timestamp.Format(time.RFC3339Nano)
			r.Timestamp = time.Now()
		}
		byTenant[r.Tenant] = append(byTenant[r.Tenant], item{rec: r, entry: r.Entry()})
	}

	var notReplayed []lokipush.DeadLetterRecord
	skipped := 0
	for _, tenant := range sortedKeys(invalid) {
		fmt.Fprintf(stdout, "tenant %q: %d entries skipped: %v\n", tenant, len(invalid[tenant]), invalidErr[tenant])
		skipped += len(invalid[tenant])
		notReplayed = append(notReplayed, invalid[tenant]...)
	}

	client := &http.Client{Timeout: o.timeout}
	failed, sent := 0, 0
	for _, tenant := range sortedKeys(byTenant) {
		for _, batch := range split(byTenant[tenant], o.maxRequestBytes) {
			if o.dryRun {
				sent += len(batch)
				continue
			}
			if err := pushBatch(ctx, client, url, tenant, batch); err != nil {
				fmt.Fprintf(stdout, "tenant %q: %d entries failed: %v\n", tenant, len(batch), err)
				for _, it := range batch {
					it.rec.Error = err.Error()
					notReplayed = append(notReplayed, it.rec)
				}
				failed += len(batch)
				continue
			}
			sent += len(batch)
		}
	}
	fmt.Fprintf(stdout, "replayed %d of %d entries to %s\n", sent, len(records), url)
	if skipped > 0 {
		fmt.Fprintf(stdout, "skipped %d entries with an invalid tenant\n", skipped)
	}
	if len(notReplayed) == 0 || o.dryRun {
		return nil
	}
	if err := writeRecords(o.failed, notReplayed); err != nil {
		return err
	}
	var what []string
	if failed > 0 {
		what = append(what, fmt.Sprintf("%d entries failed again", failed))
	}
	if skipped > 0 {
		what = append(what, fmt.Sprintf("%d entries have an invalid tenant", skipped))
	}
	return fmt.Errorf("%s; they are in %s", strings.Join(what, ", "), o.failed)
}

// validateTenant applies Loki's tenant rules, as the exporter does before sending. An empty
// tenant is the exporter's single-tenant mode: the entry is sent without X-Scope-OrgID.
func validateTenant(tenant string) error {
	if tenant == "" {
		return nil
	}
	return audit.ValidateTenant(tenant)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func readRecords(path, reason string) ([]lokipush.DeadLetterRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []lokipush.DeadLetterRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r lokipush.DeadLetterRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if reason == "" || r.Reason == reason {
			out = append(out, r)
		}
	}
	return out, sc.Err()
}

func writeRecords(path string, records []lokipush.DeadLetterRecord) error {
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

// split cuts items, in order, into batches of at most maxBytes (uncompressed, estimated); an
// item larger than maxBytes is a batch of its own.
func split(items []item, maxBytes int) [][]item {
	var out [][]item
	var cur []item
	size := 0
	for _, it := range items {
		s := it.entry.Size()
		if len(cur) > 0 && size+s > maxBytes {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, it)
		size += s
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func pushBatch(ctx context.Context, client *http.Client, url, tenant string, batch []item) error {
	entries := make([]lokipush.Entry, len(batch))
	for i := range batch {
		entries[i] = batch[i].entry
	}
	body, err := lokipush.Encode(lokipush.NewRequest(entries))
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	res := lokipush.Push(ctx, client, lokipush.Request{URL: url, Tenant: tenant, UserAgent: "lokireplay", Body: body})
	return res.Err
}

// Command auditgen sends realistic audit events to an OTLP endpoint (gRPC or HTTP), or in the
// vendors' own shapes to the audit_webhook receiver, for demos, end-to-end tests and benchmarks.
//
//	auditgen -protocol grpc -endpoint 127.0.0.1:4317 -scenario normal -tenants 3 -count 1000 -rate 200
//	auditgen -scenario webhooks -webhook http://127.0.0.1:8088 -count 5
//	auditgen -scenario bruteforce -count 40 -every 10m    # a burst every ten minutes, until interrupted
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/otelcol-audit/otelcol-audit/internal/auditgen"
)

type options struct {
	protocol  string
	endpoint  string
	scenario  string
	tenants   int
	names     string
	count     int
	rate      float64
	batch     int
	seed      uint64
	token     string
	idsFile   string
	quiet     bool
	timeout   time.Duration
	progressT time.Duration
	webhook   string
	every     time.Duration
	tokenFile string
}

// retryDelay is the wait before a repeated run (-every) that failed starts again: the
// collector may still be starting, or restarting.
const retryDelay = 5 * time.Second

// demoToken is the bundled config's loopback demo token (config/default.yaml, audit_auth).
const demoToken = "demo-token-change-me-0123456789"

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func main() {
	var o options
	flag.StringVar(&o.protocol, "protocol", "grpc", "OTLP transport: grpc or http")
	flag.StringVar(&o.endpoint, "endpoint", "", "OTLP endpoint (default 127.0.0.1:4317 for grpc, http://127.0.0.1:4318 for http)")
	flag.StringVar(&o.scenario, "scenario", auditgen.ScenarioNormal, "scenario: "+strings.Join(auditgen.Scenarios, ", "))
	flag.IntVar(&o.tenants, "tenants", 2, "number of tenants (tenant-1..tenant-N)")
	flag.StringVar(&o.names, "tenant-names", "", "comma-separated tenant names, instead of -tenants (e.g. demo,acme)")
	flag.IntVar(&o.count, "count", 100, "events to send (webhooks: per vendor shape); 0 sends until interrupted")
	flag.Float64Var(&o.rate, "rate", 0, "events per second; 0 sends as fast as the endpoint accepts")
	flag.IntVar(&o.batch, "batch", 100, "events per OTLP or webhook request")
	flag.Uint64Var(&o.seed, "seed", 1, "random seed; the same seed sends the same events; 0 picks one from the clock")
	flag.StringVar(&o.token, "token", envOr("OTELCOL_AUDIT_TOKEN", demoToken), "bearer token sent as the Authorization header (default: $OTELCOL_AUDIT_TOKEN, else the bundled config's demo token)")
	flag.StringVar(&o.tokenFile, "token-file", "", "read the bearer token from this file instead (a mounted secret)")
	flag.StringVar(&o.idsFile, "ids", "", "write 'tenant event_id' of every acknowledged event to this file")
	flag.BoolVar(&o.quiet, "quiet", false, "no progress output")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Second, "timeout per request")
	flag.DurationVar(&o.progressT, "progress", time.Second, "progress interval")
	flag.StringVar(&o.webhook, "webhook", "http://127.0.0.1:8088", "base URL of the audit_webhook receiver (scenario webhooks)")
	flag.DurationVar(&o.every, "every", 0, "start the run again every interval until interrupted (0: run once); a failed run is retried after "+retryDelay.String())
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "auditgen:", err)
		os.Exit(1)
	}
}

type sender func(ctx context.Context, ld plog.Logs) error

func run(ctx context.Context, o options) error {
	if o.batch < 1 {
		return errors.New("-batch must be at least 1")
	}
	if o.every < 0 {
		return errors.New("-every must not be negative")
	}
	if o.tokenFile != "" {
		data, err := os.ReadFile(o.tokenFile)
		if err != nil {
			return fmt.Errorf("-token-file: %w", err)
		}
		o.token = strings.TrimSpace(string(data))
	}
	if o.scenario == auditgen.ScenarioWebhooks && o.idsFile != "" {
		return errors.New("-ids is for OTLP scenarios: with webhooks the receiver's configuration decides the tenant")
	}
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano())
	}
	var gen *auditgen.Generator
	var err error
	if o.names != "" {
		gen, err = auditgen.NewNamed(o.scenario, strings.Split(o.names, ","), o.seed)
	} else {
		gen, err = auditgen.New(o.scenario, o.tenants, o.seed)
	}
	if err != nil {
		return err
	}

	var ids io.Writer = io.Discard
	if o.idsFile != "" {
		f, err := os.Create(o.idsFile)
		if err != nil {
			return err
		}
		defer f.Close()
		ids = f
	}

	once := func() error { return sendOTLP(ctx, o, gen, ids) }
	if o.scenario == auditgen.ScenarioWebhooks {
		once = func() error { return sendWebhooks(ctx, o, gen) }
	}
	if o.every == 0 {
		return once()
	}
	// The generator lives across runs, so every run sends new event ids.
	for {
		next := time.Now().Add(o.every)
		if err := once(); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintf(os.Stderr, "auditgen: %v; retrying in %s\n", err, retryDelay)
			next = time.Now().Add(retryDelay)
		}
		select {
		case <-time.After(time.Until(next)):
		case <-ctx.Done():
			return nil
		}
	}
}

// sendOTLP sends one run of o.count events over OTLP.
func sendOTLP(ctx context.Context, o options, gen *auditgen.Generator, ids io.Writer) error {
	send, closeFn, err := newSender(o)
	if err != nil {
		return err
	}
	defer closeFn()

	start := time.Now()
	lastReport := start
	sent := 0
	for o.count == 0 || sent < o.count {
		if err := ctx.Err(); err != nil {
			break
		}
		n := o.batch
		if o.count > 0 && o.count-sent < n {
			n = o.count - sent
		}
		ld, batchIDs := gen.Batch(n)
		reqCtx, cancel := context.WithTimeout(ctx, o.timeout)
		err := send(reqCtx, ld)
		cancel()
		if err != nil {
			return fmt.Errorf("after %d events: %w", sent, err)
		}
		for _, s := range batchIDs {
			fmt.Fprintf(ids, "%s %s\n", s.Tenant, s.EventID)
		}
		sent += n
		if o.rate > 0 {
			// Pace against the start time so that slow requests do not lower the average rate.
			due := start.Add(time.Duration(float64(sent) / o.rate * float64(time.Second)))
			select {
			case <-time.After(time.Until(due)):
			case <-ctx.Done():
			}
		}
		if !o.quiet && time.Since(lastReport) >= o.progressT {
			lastReport = time.Now()
			progress(sent, o.count, start)
		}
	}
	if !o.quiet {
		progress(sent, o.count, start)
		fmt.Fprintln(os.Stderr)
	}
	return nil
}

// sendWebhooks posts one run of o.count events per vendor shape to the audit_webhook receiver,
// in requests of at most o.batch events.
func sendWebhooks(ctx context.Context, o options, gen *auditgen.Generator) error {
	base := strings.TrimSuffix(o.webhook, "/")
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return fmt.Errorf("-webhook must be an http:// or https:// URL, got %q", o.webhook)
	}
	client := &http.Client{Timeout: o.timeout}
	start := time.Now()
	lastReport := start
	total := o.count * len(auditgen.WebhookKinds)
	sent, perKind := 0, 0
	for o.count == 0 || perKind < o.count {
		if ctx.Err() != nil {
			break
		}
		n := o.batch
		if o.count > 0 && o.count-perKind < n {
			n = o.count - perKind
		}
		reqs, err := gen.Webhooks(n)
		if err != nil {
			return err
		}
		for _, r := range reqs {
			if err := postWebhook(ctx, client, base+r.Path, o.token, r.Body); err != nil {
				return fmt.Errorf("after %d events: %w", sent, err)
			}
			sent += len(r.EventIDs)
		}
		perKind += n
		if o.rate > 0 {
			due := start.Add(time.Duration(float64(sent) / o.rate * float64(time.Second)))
			select {
			case <-time.After(time.Until(due)):
			case <-ctx.Done():
			}
		}
		if !o.quiet && time.Since(lastReport) >= o.progressT {
			lastReport = time.Now()
			progress(sent, total, start)
		}
	}
	if !o.quiet {
		progress(sent, total, start)
		fmt.Fprintln(os.Stderr)
	}
	return nil
}

func postWebhook(ctx context.Context, client *http.Client, url, token string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

func progress(sent, total int, start time.Time) {
	elapsed := time.Since(start).Seconds()
	rate := float64(sent) / max(elapsed, 1e-9)
	if total > 0 {
		fmt.Fprintf(os.Stderr, "\rsent %d/%d events (%.0f%%), %.0f events/s", sent, total, 100*float64(sent)/float64(total), rate)
		return
	}
	fmt.Fprintf(os.Stderr, "\rsent %d events, %.0f events/s", sent, rate)
}

func newSender(o options) (sender, func(), error) {
	switch o.protocol {
	case "grpc":
		endpoint := o.endpoint
		if endpoint == "" {
			endpoint = "127.0.0.1:4317"
		}
		conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, nil, fmt.Errorf("grpc endpoint %q: %w", endpoint, err)
		}
		client := plogotlp.NewGRPCClient(conn)
		return func(ctx context.Context, ld plog.Logs) error {
			if o.token != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+o.token)
			}
			_, err := client.Export(ctx, plogotlp.NewExportRequestFromLogs(ld))
			return err
		}, func() { conn.Close() }, nil
	case "http":
		endpoint := o.endpoint
		if endpoint == "" {
			endpoint = "http://127.0.0.1:4318"
		}
		url := strings.TrimSuffix(endpoint, "/") + "/v1/logs"
		client := &http.Client{}
		return func(ctx context.Context, ld plog.Logs) error {
			body, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
			if err != nil {
				return err
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				return err
			}
			req.Header.Set("Content-Type", "application/x-protobuf")
			if o.token != "" {
				req.Header.Set("Authorization", "Bearer "+o.token)
			}
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			if resp.StatusCode/100 != 2 {
				return fmt.Errorf("POST %s: %s: %s", url, resp.Status, bytes.TrimSpace(msg))
			}
			return nil
		}, func() {}, nil
	default:
		return nil, nil, fmt.Errorf("-protocol must be grpc or http, got %q", o.protocol)
	}
}

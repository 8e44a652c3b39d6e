// Command auditgen sends realistic audit events to an OTLP endpoint (gRPC or HTTP), for demos,
// end-to-end tests and benchmarks.
//
//	auditgen -protocol grpc -endpoint 127.0.0.1:4317 -scenario normal -tenants 3 -count 1000 -rate 200
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
}

func main() {
	var o options
	flag.StringVar(&o.protocol, "protocol", "grpc", "OTLP transport: grpc or http")
	flag.StringVar(&o.endpoint, "endpoint", "", "OTLP endpoint (default 127.0.0.1:4317 for grpc, http://127.0.0.1:4318 for http)")
	flag.StringVar(&o.scenario, "scenario", auditgen.ScenarioNormal, "scenario: "+strings.Join(auditgen.Scenarios, ", "))
	flag.IntVar(&o.tenants, "tenants", 2, "number of tenants (tenant-1..tenant-N)")
	flag.StringVar(&o.names, "tenant-names", "", "comma-separated tenant names, instead of -tenants (e.g. demo,acme)")
	flag.IntVar(&o.count, "count", 100, "events to send; 0 sends until interrupted")
	flag.Float64Var(&o.rate, "rate", 0, "events per second; 0 sends as fast as the endpoint accepts")
	flag.IntVar(&o.batch, "batch", 100, "events per OTLP request")
	flag.Uint64Var(&o.seed, "seed", 1, "random seed; the same seed sends the same events")
	flag.StringVar(&o.token, "token", "", "bearer token sent as the Authorization header")
	flag.StringVar(&o.idsFile, "ids", "", "write 'tenant event_id' of every acknowledged event to this file")
	flag.BoolVar(&o.quiet, "quiet", false, "no progress output")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Second, "timeout per request")
	flag.DurationVar(&o.progressT, "progress", time.Second, "progress interval")
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
	send, closeFn, err := newSender(o)
	if err != nil {
		return err
	}
	defer closeFn()

	var ids io.Writer = io.Discard
	if o.idsFile != "" {
		f, err := os.Create(o.idsFile)
		if err != nil {
			return err
		}
		defer f.Close()
		ids = f
	}

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

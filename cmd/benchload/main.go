// Command benchload drives whole-process pipeline benchmarks on loopback
// (scripts/bench-pipeline.sh). It has three modes:
//
//   - load (the default): sends pre-marshalled OTLP/HTTP protobuf requests to a collector
//     and prints the events acknowledged and the wall time, as key=value pairs;
//   - -sink ADDR: a Loki- and OTLP-compatible sink that reads and discards every body, so
//     that the collector under test, not its downstream, is what costs CPU;
//   - -free-ports N: prints N free loopback TCP ports, for the configurations' ${env:…}.
//
// Every request body is built before the clock starts, so the generator costs little more
// than the HTTP round trips. It only ever targets or binds loopback addresses.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// demoToken is the bundled configuration's demo token (config/default.yaml).
const demoToken = "demo-token-change-me-0123456789"

func main() {
	var (
		o         loadOptions
		b         buildOptions
		sinkAddr  string
		sinkFor   time.Duration
		freePorts int
		planFile  string
		writeTo   string
	)
	flag.StringVar(&o.endpoint, "endpoint", "http://127.0.0.1:4318/v1/logs", "OTLP/HTTP logs URL (loopback only)")
	flag.StringVar(&o.token, "token", demoToken, "bearer token sent in Authorization")
	flag.IntVar(&o.concurrency, "c", 4, "concurrent senders")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up on the load after this long")
	flag.IntVar(&b.events, "n", 300000, "events to send")
	flag.IntVar(&b.batch, "batch", 500, "records per request")
	flag.IntVar(&b.ring, "ring", 0, "distinct requests sent in turn; 0 builds every request distinct so that event ids never repeat (the report spool deduplicates by id)")
	flag.StringVar(&b.mix, "mix", mixSemconv, "records: semconv (application events) or vendor (Okta, Kubernetes, CloudTrail, GitHub bodies)")
	flag.Uint64Var(&b.seed, "seed", 1, "seed of the record contents")
	flag.StringVar(&b.runID, "run-id", "", "prefix of the event ids (default: derived from the clock)")
	flag.StringVar(&planFile, "plan", "", "send the requests of this plan file instead of building them (-n, -batch, -ring, -mix and -seed are then ignored)")
	flag.StringVar(&writeTo, "write-plan", "", "build the requests, write them to this file and exit")
	flag.StringVar(&sinkAddr, "sink", "", "run as a sink on this loopback address (\":PORT\" means 127.0.0.1:PORT) instead of sending")
	flag.DurationVar(&sinkFor, "sink-for", 2*time.Hour, "the sink exits after this long")
	flag.IntVar(&freePorts, "free-ports", 0, "print this many free loopback TCP ports and exit")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case freePorts > 0:
		err = printFreePorts(freePorts)
	case sinkAddr != "":
		err = runSink(ctx, sinkAddr, sinkFor)
	case writeTo != "":
		err = savePlan(writeTo, b)
	default:
		err = runLoad(ctx, o, b, planFile)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchload:", err)
		os.Exit(1)
	}
}

// build builds the plan and says how long it took.
func build(b buildOptions) (plan, error) {
	if b.runID == "" {
		b.runID = "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	b.now = time.Now()
	started := time.Now()
	p, err := buildPlan(b)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "benchload: built %d requests (%d events, mix %s) in %s\n",
		len(p), p.events(), b.mix, time.Since(started).Round(time.Millisecond))
	return p, nil
}

func savePlan(path string, b buildOptions) error {
	p, err := build(b)
	if err != nil {
		return err
	}
	return writePlan(path, p)
}

func runLoad(ctx context.Context, o loadOptions, b buildOptions, planFile string) error {
	if err := loopbackURL(o.endpoint); err != nil {
		return err
	}
	var p plan
	var err error
	if planFile != "" {
		p, err = readPlan(planFile)
	} else {
		p, err = build(b)
	}
	if err != nil {
		return err
	}
	cpuBefore := processCPU()
	res, err := sendPlan(ctx, o, p)
	// One line of key=value pairs, read by scripts/bench-pipeline.sh.
	fmt.Printf("acked=%d events=%d requests=%d rejected=%d failed=%d retries=%d wall_s=%.3f events_per_s=%.0f sender_cpu_s=%.3f\n",
		res.acked, p.events(), res.requests, res.rejected, res.failed, res.retries,
		res.wall.Seconds(), float64(res.acked)/res.wall.Seconds(), (processCPU() - cpuBefore).Seconds())
	if err != nil {
		return err
	}
	if res.failed > 0 {
		return fmt.Errorf("%d requests failed; first error: %v", res.failed, res.firstErr)
	}
	return nil
}

// loopbackURL refuses any target that is not a literal loopback address or localhost.
func loopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("endpoint: %w", err)
	}
	if u.Scheme != "http" {
		return fmt.Errorf("endpoint: %q: only http:// is supported", raw)
	}
	if !loopbackHost(u.Hostname()) {
		return fmt.Errorf("endpoint: %q is not a loopback address", raw)
	}
	return nil
}

// loopbackAddr checks a listen address and gives an empty host the loopback address.
func loopbackAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("sink: %w", err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if !loopbackHost(host) {
		return "", fmt.Errorf("sink: %q is not a loopback address", addr)
	}
	return net.JoinHostPort(host, port), nil
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// printFreePorts holds n listeners open at once, so that the ports printed are distinct.
func printFreePorts(n int) error {
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
	}
	for i, l := range ls {
		if i > 0 {
			fmt.Print(" ")
		}
		fmt.Print(l.Addr().(*net.TCPAddr).Port)
	}
	fmt.Println()
	return nil
}

// processCPU returns the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Package e2e runs the built otelcol-audit distribution as a process, the way users run it.
//
// TestMain builds the binary once (or uses OTELCOL_AUDIT_BIN), so every test here exercises
// the real components.go generated from builder-config.yaml.
package e2e

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// collectorBin is the distribution binary under test.
var collectorBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		// Every test here runs the built distribution: none runs in -short mode, and the
		// binary is not built.
		fmt.Println("e2e: skipped in -short mode")
		os.Exit(0)
	}
	collectorBin = os.Getenv("OTELCOL_AUDIT_BIN")
	var cleanup func()
	if collectorBin == "" {
		dir, err := os.MkdirTemp("", "otelcol-audit-e2e")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		cleanup = func() { os.RemoveAll(dir) }
		collectorBin = filepath.Join(dir, "otelcol-audit")
		build := exec.Command("go", "build", "-o", collectorBin, "./cmd/otelcol-audit")
		build.Dir = testharness.RepoRoot()
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: build the distribution:", err)
			cleanup()
			os.Exit(1)
		}
	}
	code := m.Run()
	if cleanup != nil {
		cleanup()
	}
	os.Exit(code)
}

// Collector is a running otelcol-audit process.
type Collector struct {
	t       testing.TB
	dir     string
	args    []string
	waitFor string
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has been reaped
	out     *bytes.Buffer
	// logs accumulates the output of every run, for failure messages.
	logs bytes.Buffer
}

// StartCollector writes config into a fresh working directory, starts the distribution with
// it (and any extra --config arguments, such as the bundled default), and waits until waitFor
// (host:port) accepts TCP connections. The working directory is the process's CWD, so relative
// paths in the config (./data) stay inside the test.
func StartCollector(t testing.TB, config string, waitFor string, extraConfigs ...string) *Collector {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, c := range extraConfigs {
		args = append(args, "--config", c)
	}
	args = append(args, "--config", path)
	c := &Collector{t: t, dir: dir, args: args, waitFor: waitFor}
	c.Start()
	t.Cleanup(func() {
		c.Stop()
		if t.Failed() {
			t.Logf("collector output:\n%s", c.Output())
		}
	})
	return c
}

// Dir is the collector's working directory.
func (c *Collector) Dir() string { return c.dir }

// Start (re)starts the process with the same config and working directory.
func (c *Collector) Start() {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil {
		return
	}
	c.out = &bytes.Buffer{}
	cmd := exec.Command(collectorBin, c.args...)
	cmd.Dir = c.dir
	cmd.Stdout, cmd.Stderr = c.out, c.out
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start collector: %v", err)
	}
	c.cmd = cmd
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	c.exited = exited
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			c.logs.Write(c.out.Bytes())
			c.cmd = nil
			c.t.Fatalf("collector exited during start:\n%s", c.out.String())
		default:
		}
		if conn, err := net.DialTimeout("tcp", c.waitFor, 200*time.Millisecond); err == nil {
			conn.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("collector did not listen on %s within 60s:\n%s", c.waitFor, c.out.String())
}

// Kill sends SIGKILL, as a crash would, and waits for the process to exit.
func (c *Collector) Kill() { c.signal(syscall.SIGKILL) }

// Stop sends SIGTERM, waits for a clean shutdown (up to 30 s), then kills. Safe twice.
func (c *Collector) Stop() { c.signal(syscall.SIGTERM) }

func (c *Collector) signal(sig syscall.Signal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil {
		return
	}
	_ = c.cmd.Process.Signal(sig)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
	c.logs.Write(c.out.Bytes())
	c.cmd = nil
}

// Output is everything the collector printed across runs so far.
func (c *Collector) Output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.logs.String()
	if c.cmd != nil {
		s += c.out.String()
	}
	return s
}

// Package testharness starts the real servers the integration tests talk to (VictoriaLogs,
// Mailpit) on loopback, from the pinned binaries that scripts/tools.sh installs. It also holds
// the checks every component runs in place of mdatagen's generated tests (CheckLifecycle,
// CheckMetadata) and the config loader of the config tests (LoadConfig).
//
// A test that needs a server it cannot find is skipped, unless OTELCOL_AUDIT_REQUIRE_INTEGRATION
// is set (make test sets it), in which case it fails: CI never passes by skipping.
package testharness

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// RepoRoot returns the repository root, found from this source file.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// ToolPath returns the installed binary of a pinned tool, or skips/fails the test.
// The env variable (e.g. VICTORIALOGS_BIN) wins; otherwise scripts/tools.sh path is asked.
func ToolPath(t testing.TB, envVar, tool string) string {
	t.Helper()
	if p := os.Getenv(envVar); p != "" {
		return p
	}
	out, err := exec.Command("bash", filepath.Join(RepoRoot(), "scripts", "tools.sh"), "path", tool).Output()
	p := strings.TrimSpace(string(out))
	if err == nil && p != "" {
		if _, statErr := os.Stat(p); statErr == nil {
			return p
		}
	}
	missing(t, fmt.Sprintf("%s is not installed: run scripts/tools.sh %s or make test", tool, tool))
	return ""
}

func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("OTELCOL_AUDIT_REQUIRE_INTEGRATION") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// FreePort returns a loopback TCP port that was free a moment ago. It never returns a port it
// returned before in this process, so that several ports asked for in a row differ even when
// the kernel would hand the same one out again.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if _, loaded := handedOut.LoadOrStore(port, true); !loaded {
			return port
		}
	}
	t.Fatal("free port: no new port after 100 tries")
	return 0
}

var handedOut sync.Map

// Process is a server started for a test. Stop and Start may be called to simulate outages.
type Process struct {
	t    testing.TB
	name string
	args []string
	mu   sync.Mutex
	cmd  *exec.Cmd
	out  *bytes.Buffer
	// Ready is polled after start until it returns 200.
	readyURL string
	// readyWithin bounds the wait for readiness; zero means 30 s.
	readyWithin time.Duration
}

// StartProcess starts bin with args and waits until readyURL answers 200. It is stopped when
// the test ends.
func StartProcess(t testing.TB, bin string, args []string, readyURL string) *Process {
	t.Helper()
	p := &Process{t: t, name: filepath.Base(bin), args: append([]string{bin}, args...), readyURL: readyURL}
	p.Start()
	t.Cleanup(p.Stop)
	return p
}

// Start (re)starts the process and waits for it to be ready.
func (p *Process) Start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return
	}
	p.out = &bytes.Buffer{}
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	p.cmd = cmd
	within := p.readyWithin
	if within == 0 {
		within = 30 * time.Second
	}
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.readyURL)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("%s did not become ready at %s; output:\n%s", p.name, p.readyURL, p.out.String())
}

// Stop kills the process and waits for it. Safe to call twice.
func (p *Process) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.cmd = nil
}

// Output returns what the process printed so far, for failure messages.
func (p *Process) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out == nil {
		return ""
	}
	return p.out.String()
}

package auditreporterextension

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportmail"
	"github.com/otelcol-audit/otelcol-audit/internal/reportrender"
)

// fakeClock is the reporter's injectable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// sentMessage is a message as the fake sender saw it, attachments read at send time.
type sentMessage struct {
	reportmail.Message
	Files map[string][]byte
	// Manifests are the attached manifests by name; Files holds the other attachments.
	Manifests map[string][]byte
}

// fakeSender records messages; failures lists what the next Send calls return.
type fakeSender struct {
	mu       sync.Mutex
	sent     []sentMessage
	failures []sendResult
}

type sendResult struct {
	retry bool
	err   error
}

func (s *fakeSender) Send(_ context.Context, m reportmail.Message) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failures) > 0 {
		f := s.failures[0]
		s.failures = s.failures[1:]
		return f.retry, f.err
	}
	sm := sentMessage{Message: m, Files: map[string][]byte{}, Manifests: map[string][]byte{}}
	for _, a := range m.Attachments {
		b, err := os.ReadFile(a.Path)
		if err != nil {
			return false, err
		}
		if strings.HasSuffix(a.Name, manifest.Suffix) {
			sm.Manifests[a.Name] = b
		} else {
			sm.Files[a.Name] = b
		}
	}
	s.sent = append(s.sent, sm)
	return false, nil
}

func (s *fakeSender) messages() []sentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sentMessage(nil), s.sent...)
}

func dailyConfig(dir string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Directory = dir
	cfg.RetryOnFailure = configretry.BackOffConfig{Enabled: true, InitialInterval: time.Millisecond, Multiplier: 2, MaxInterval: 10 * time.Millisecond}
	cfg.Reports = []ReportConfig{{
		Name: "daily", Schedule: "@daily", Timezone: "Europe/Dublin", Tenants: []string{"acme"},
		Formats: []string{"csv"}, Recipients: []string{"admin@acme.example"},
	}}
	return cfg
}

// harness is one reporter instance, started without its scheduler goroutine: tests drive
// runDue with the fake clock. Starting a second harness on the same directory is a restart.
type harness struct {
	t      *testing.T
	exp    *reporter
	clock  *fakeClock
	sender *fakeSender
}

func startHarness(t *testing.T, cfg *Config, clock *fakeClock, sender *fakeSender) *harness {
	t.Helper()
	return startHarnessOn(t, cfg, clock, sender, componenttest.NewNopHost())
}

// startHarnessOn starts the reporter on host, which provides the extensions it looks up.
func startHarnessOn(t *testing.T, cfg *Config, clock *fakeClock, sender *fakeSender, host component.Host) *harness {
	t.Helper()
	require.NoError(t, cfg.Validate())
	e, err := newReporter(cfg, nopSettings())
	require.NoError(t, err)
	e.now = clock.Now
	e.sleep = func(context.Context, time.Duration) error { return nil }
	e.startLoop = false
	if sender != nil {
		e.sender = sender
	}
	require.NoError(t, e.Start(context.Background(), host))
	h := &harness{t: t, exp: e, clock: clock, sender: sender}
	t.Cleanup(func() { _ = e.Shutdown(context.Background()) })
	return h
}

func (h *harness) stop() {
	require.NoError(h.t, h.exp.Shutdown(context.Background()))
}

func (h *harness) runAt(t time.Time) {
	h.clock.Set(t)
	h.exp.runDue(context.Background(), t)
}

type testEvent struct {
	at                                                               time.Time
	tenant, id, author, category, summary, desc, outcome, ip, target string
}

func mkEvent(tenant, id string, at time.Time) testEvent {
	return testEvent{at: at, tenant: tenant, id: id, author: "user-" + id + "@acme.example", category: "Authentication",
		summary: "Login", desc: "Signed in " + id, outcome: audit.OutcomeSuccess, ip: "192.0.2.7", target: "console"}
}

// row is the event as the audit_report exporter stores it in the spool.
func (ev testEvent) row() audit.Row {
	return audit.Row{Time: ev.at, Tenant: ev.tenant, EventID: ev.id, Author: ev.author, Category: ev.category,
		Summary: ev.summary, Description: ev.desc, Outcome: ev.outcome, SourceIP: ev.ip, Target: ev.target}
}

// consume stores events in the spool as the audit_report exporter does.
func (h *harness) consume(events ...testEvent) {
	h.t.Helper()
	rows := make([]audit.Row, len(events))
	for i, ev := range events {
		rows[i] = ev.row()
	}
	_, err := h.exp.spool.Append(context.Background(), rows)
	require.NoError(h.t, err)
}

// expectedRow is the CSV row reportrender writes for an event in loc.
func expectedRow(ev testEvent, loc *time.Location) []string {
	return []string{ev.at.In(loc).Format(reportrender.TimeLayout), ev.author, ev.category, ev.summary, ev.desc, ev.outcome, ev.ip, ev.target, ev.id, ev.tenant}
}

// parseCSV returns the data rows of a rendered CSV, after checking the header.
func parseCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, rows)
	require.Equal(t, "Date", rows[0][0])
	return rows[1:]
}

func day(loc *time.Location, y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, loc)
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func onlyFile(t *testing.T, m sentMessage) []byte {
	t.Helper()
	require.Len(t, m.Files, 1, fmt.Sprintf("attachments of %s", m.MessageID))
	for _, b := range m.Files {
		return b
	}
	return nil
}

func nopSettings() extension.Settings {
	return extensiontest.NewNopSettings(metadata.Type)
}

package exportjobs

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/signedlink"
)

const (
	tokenAcme   = "acme-token-0123456789"
	tokenGlobex = "globex-token-0123456789"
	tokenAdmin  = "admin-token-0123456789"
)

// fakeSource holds rows in memory. gate, when set, blocks every Scan until it is closed or
// the context ends, so that tests see jobs running; countGate does the same for Count, and
// counting tells how many Counts are waiting. countErr and scanErr fail the calls.
type fakeSource struct {
	mu        sync.Mutex
	rows      []audit.Row
	gate      chan struct{}
	scans     int
	countGate chan struct{}
	counting  int
	countErr  error
	scanErr   error
}

func (f *fakeSource) add(rows ...audit.Row) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rows = append(f.rows, rows...)
	sort.SliceStable(f.rows, func(i, j int) bool { return f.rows[i].Time.Before(f.rows[j].Time) })
}

func (f *fakeSource) Count(ctx context.Context, tenant string, from, to time.Time) (int, error) {
	f.mu.Lock()
	gate := f.countGate
	f.counting++
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counting--
	if f.countErr != nil {
		return 0, f.countErr
	}
	n := 0
	for _, r := range f.rows {
		if r.Tenant == tenant && !r.Time.Before(from) && r.Time.Before(to) {
			n++
		}
	}
	return n, nil
}

func (f *fakeSource) Scan(ctx context.Context, tenant string, from, to time.Time, fn func(audit.Row) error) error {
	f.mu.Lock()
	f.scans++
	gate := f.gate
	rows := append([]audit.Row(nil), f.rows...)
	scanErr := f.scanErr
	f.mu.Unlock()
	if scanErr != nil {
		return scanErr
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for _, r := range rows {
		if r.Tenant == tenant && !r.Time.Before(from) && r.Time.Before(to) {
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recordingEmitter keeps every audit-of-audit event.
type recordingEmitter struct {
	mu   sync.Mutex
	logs []plog.Logs
}

func (r *recordingEmitter) Emit(_ context.Context, ld plog.Logs) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, ld)
	return nil
}

// summaries returns "summary target author" of every event, in emission order.
func (r *recordingEmitter) summaries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ld := range r.logs {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			lr := ld.ResourceLogs().At(i).ScopeLogs().At(0).LogRecords().At(0)
			s, _ := lr.Attributes().Get(audit.AttrSummary)
			out = append(out, s.Str())
		}
	}
	return out
}

func testSigner(t *testing.T, now func() time.Time) *signedlink.Signer {
	s, err := signedlink.NewSigner(map[string]configopaque.String{"k1": "0123456789abcdef0123456789abcdef"}, "k1", now)
	require.NoError(t, err)
	return s
}

type testEnv struct {
	engine  *Engine
	server  *httptest.Server
	source  *fakeSource
	clock   *clock
	emitter *recordingEmitter
	dir     string
}

func newEnv(t *testing.T, dir string, src *fakeSource, mutate func(*Config, *Deps)) *testEnv {
	t.Helper()
	env := &testEnv{source: src, clock: &clock{t: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}, emitter: &recordingEmitter{}, dir: dir}
	cfg := Config{
		Directory: dir,
		Workers:   2,
		Auth: AuthConfig{Tokens: []TokenConfig{
			{Token: tokenAcme, Name: "acme-admin", Tenants: []string{"acme"}},
			{Token: tokenGlobex, Name: "globex-admin", Tenants: []string{"globex"}},
			{Token: tokenAdmin, Name: "ops", Tenants: []string{"*"}},
		}},
	}
	deps := Deps{Source: src, Signer: testSigner(t, env.clock.Now), Emitter: env.emitter, Now: env.clock.Now,
		Sleep: func(context.Context, time.Duration) error { return nil }}
	if mutate != nil {
		mutate(&cfg, &deps)
	}
	e, err := New(cfg, deps)
	require.NoError(t, err)
	e.Start()
	env.engine = e
	env.server = httptest.NewServer(e.Handler())
	t.Cleanup(func() {
		env.server.Close()
		_ = e.Close(context.Background())
	})
	return env
}

func (env *testEnv) do(t *testing.T, method, path, token string, body any) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, env.server.URL+path, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := env.server.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

func (env *testEnv) submit(t *testing.T, token string, body map[string]any) (int, createdBody, errorBody) {
	t.Helper()
	resp, b := env.do(t, http.MethodPost, "/api/v1/exports", token, body)
	var c createdBody
	var e errorBody
	if resp.StatusCode == http.StatusAccepted {
		require.NoError(t, json.Unmarshal(b, &c))
	} else {
		_ = json.Unmarshal(b, &e)
	}
	return resp.StatusCode, c, e
}

func (env *testEnv) status(t *testing.T, token, id string) View {
	t.Helper()
	resp, b := env.do(t, http.MethodGet, "/api/v1/exports/"+id, token, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	var v View
	require.NoError(t, json.Unmarshal(b, &v))
	return v
}

// waitStatus polls until the job reaches want; it fails after a generous bound rather than
// measuring time.
func (env *testEnv) waitStatus(t *testing.T, token, id string, want Status) View {
	t.Helper()
	var v View
	require.Eventually(t, func() bool {
		v = env.status(t, token, id)
		return v.Status == want
	}, 30*time.Second, 5*time.Millisecond, "job %s never became %s", id, want)
	return v
}

func acmeBody(from, to string) map[string]any {
	return map[string]any{"tenant": "acme", "from": from, "to": to, "format": "csv"}
}

func rowsFor(tenant string, start time.Time, n int, step time.Duration) []audit.Row {
	out := make([]audit.Row, n)
	for i := range out {
		out[i] = audit.Row{
			Time: start.Add(time.Duration(i) * step), Tenant: tenant, Author: []string{"alice@acme.test", "bob@acme.test"}[i%2],
			Category: []string{"Authentication", "Users"}[i%2], Summary: []string{"Login", "User created"}[i%2],
			Description: "event", Outcome: []string{audit.OutcomeSuccess, audit.OutcomeFailure}[i%3%2],
			SourceIP: "10.0.0.1", Target: "t", EventID: tenant + "-" + start.Add(time.Duration(i)*step).Format(time.RFC3339Nano),
		}
	}
	return out
}

package exportjobs

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// The Mailpit harness reads its API with http.Get; idle keep-alive connections are not ours.
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

const (
	from = "2026-11-01T00:00:00Z"
	to   = "2026-11-02T00:00:00Z"
)

func TestExportFlowAndAuditEvents(t *testing.T) {
	src := &fakeSource{}
	src.add(rowsFor("acme", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 10, time.Hour)...)
	src.add(rowsFor("globex", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 5, time.Hour)...)
	env := newEnv(t, t.TempDir(), src, nil)

	body := acmeBody(from, to)
	body["filters"] = map[string]any{"outcome": "failure", "categories": []string{"users"}}
	code, created, _ := env.submit(t, tokenAcme, body)
	require.Equal(t, http.StatusAccepted, code)
	assert.Equal(t, StatusPath(created.ID), created.StatusURL)

	v := env.waitStatus(t, tokenAcme, created.ID, StatusReady)
	assert.Equal(t, float64(100), v.Progress.PercentScanned)
	require.NotEmpty(t, v.DownloadURL)
	// The job shows ready just before its completion event is emitted.
	require.Eventually(t, func() bool { return len(env.emitter.summaries()) == 2 }, 10*time.Second, time.Millisecond)

	resp, err := env.server.Client().Get(env.server.URL + v.DownloadURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(readAll(t, resp.Body), "\ufeff"))).ReadAll()
	require.NoError(t, err)
	require.Len(t, records, 1+int(v.Rows))
	for _, rec := range records[1:] {
		assert.Equal(t, "Users", rec[2])
		assert.Equal(t, "failure", rec[5])
		assert.Equal(t, "acme", rec[9])
	}
	assert.Positive(t, v.Rows)
	assert.Equal(t, []string{"Export requested", "Export completed", "Export downloaded"}, env.emitter.summaries())

	// The list shows it; another tenant's list is refused.
	resp2, b := env.do(t, http.MethodGet, "/api/v1/exports?tenant=acme", tokenAcme, nil)
	assert.Equal(t, http.StatusOK, resp2.StatusCode)
	assert.Contains(t, string(b), created.ID)
	resp2, _ = env.do(t, http.MethodGet, "/api/v1/exports?tenant=globex", tokenAcme, nil)
	assert.Equal(t, http.StatusForbidden, resp2.StatusCode)
}

func readAll(t *testing.T, r io.Reader) string {
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return string(b)
}

func TestAuthMatrix(t *testing.T) {
	src := &fakeSource{}
	src.add(rowsFor("acme", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 3, time.Hour)...)
	src.add(rowsFor("globex", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 3, time.Hour)...)
	env := newEnv(t, t.TempDir(), src, nil)

	code, acmeJob, _ := env.submit(t, tokenAcme, acmeBody(from, to))
	require.Equal(t, http.StatusAccepted, code)
	globexBody := acmeBody(from, to)
	globexBody["tenant"] = "globex"
	code, globexJob, _ := env.submit(t, tokenGlobex, globexBody)
	require.Equal(t, http.StatusAccepted, code)
	acme := env.waitStatus(t, tokenAcme, acmeJob.ID, StatusReady)
	globex := env.waitStatus(t, tokenGlobex, globexJob.ID, StatusReady)

	t.Run("api", func(t *testing.T) {
		for _, tc := range []struct {
			name, method, path, token string
			body                      any
			want                      int
		}{
			{"no token", http.MethodPost, "/api/v1/exports", "", acmeBody(from, to), http.StatusUnauthorized},
			{"wrong token", http.MethodPost, "/api/v1/exports", "not-a-token-at-all", acmeBody(from, to), http.StatusUnauthorized},
			{"other tenant's token", http.MethodPost, "/api/v1/exports", tokenGlobex, acmeBody(from, to), http.StatusForbidden},
			{"status without token", http.MethodGet, "/api/v1/exports/" + acme.ID, "", nil, http.StatusUnauthorized},
			{"status of other tenant", http.MethodGet, "/api/v1/exports/" + acme.ID, tokenGlobex, nil, http.StatusForbidden},
			{"delete of other tenant", http.MethodDelete, "/api/v1/exports/" + acme.ID, tokenGlobex, nil, http.StatusForbidden},
			{"link form without token", http.MethodGet, "/api/v1/exports/new?tenant=acme&from=" + from + "&to=" + to, "", nil, http.StatusUnauthorized},
			{"link form for other tenant", http.MethodGet, "/api/v1/exports/new?tenant=acme&from=" + from + "&to=" + to, tokenGlobex, nil, http.StatusForbidden},
			{"wildcard token", http.MethodGet, "/api/v1/exports/" + acme.ID, tokenAdmin, nil, http.StatusOK},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, _ := env.do(t, tc.method, tc.path, tc.token, tc.body)
				assert.Equal(t, tc.want, resp.StatusCode)
			})
		}
	})

	t.Run("links", func(t *testing.T) {
		acmeURL, err := url.Parse(acme.DownloadURL)
		require.NoError(t, err)
		globexURL, err := url.Parse(globex.DownloadURL)
		require.NoError(t, err)
		tampered := acmeURL.Query()
		tampered.Set("tenant", "globex")
		badSig := acmeURL.Query()
		badSig.Set("sig", strings.Repeat("A", 43))
		for _, tc := range []struct {
			name, path string
			want       int
		}{
			{"valid", acme.DownloadURL, http.StatusOK},
			{"unsigned", acmeURL.Path, http.StatusForbidden},
			{"tampered tenant", acmeURL.Path + "?" + tampered.Encode(), http.StatusForbidden},
			{"bad signature", acmeURL.Path + "?" + badSig.Encode(), http.StatusForbidden},
			// A valid globex signature presented on the acme file's path.
			{"another tenant's link on this file", acmeURL.Path + "?" + globexURL.RawQuery, http.StatusForbidden},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, err := env.server.Client().Get(env.server.URL + tc.path)
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, tc.want, resp.StatusCode)
			})
		}
		// A link signed for the other tenant's file id but for acme: the signature is the
		// engine's own, but the file belongs to globex.
		forged := env.engine.deps.Signer.Sign("GET", DownloadPath(globex.ID), "acme", globex.ID, time.Now().Add(time.Hour))
		resp, err := env.server.Client().Get(env.server.URL + DownloadPath(globex.ID) + "?" + forged.Encode())
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "link for another tenant's file")

		env.clock.Add(8 * 24 * time.Hour)
		resp, err = env.server.Client().Get(env.server.URL + acme.DownloadURL)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "expired link")
	})
}

func TestValidationNamesField(t *testing.T) {
	env := newEnv(t, t.TempDir(), &fakeSource{}, nil)
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"bad from", map[string]any{"tenant": "acme", "from": "yesterday", "to": to}, "from"},
		{"to before from", map[string]any{"tenant": "acme", "from": to, "to": from}, "to"},
		{"bad tenant", map[string]any{"tenant": "a/b", "from": from, "to": to}, "tenant"},
		{"bad format", map[string]any{"tenant": "acme", "from": from, "to": to, "format": "pdf"}, "format"},
		{"bad outcome", map[string]any{"tenant": "acme", "from": from, "to": to, "filters": map[string]any{"outcome": "maybe"}}, "filters.outcome"},
		{"complete log file with filters", map[string]any{"tenant": "acme", "from": from, "to": to, "scope": "all", "filters": map[string]any{"outcome": "failure"}}, "scope"},
		{"bad scope", map[string]any{"tenant": "acme", "from": from, "to": to, "scope": "filtered"}, "scope"},
		{"typo'd filter", map[string]any{"tenant": "acme", "from": from, "to": to, "filters": map[string]any{"author": "x"}}, "author"},
		{"bad notify", map[string]any{"tenant": "acme", "from": from, "to": to, "notify": []string{"x\r\nBcc: y@z"}}, "notify[0]"},
		{"wrong type", map[string]any{"tenant": "acme", "from": from, "to": to, "notify": "a@b.c"}, "notify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, e := env.submit(t, tokenAcme, tc.body)
			assert.Equal(t, http.StatusBadRequest, code)
			assert.Equal(t, tc.field, e.Field, e.Error)
		})
	}
}

func TestLimits(t *testing.T) {
	t.Run("per-tenant concurrency and queue full", func(t *testing.T) {
		src := &fakeSource{gate: make(chan struct{})}
		env := newEnv(t, t.TempDir(), src, func(c *Config, _ *Deps) {
			c.Workers, c.PerTenant, c.QueueSize, c.TenantQueueSize, c.RetryAfter = 2, 1, 3, 2, 7*time.Second
		})
		_, first, _ := env.submit(t, tokenAcme, acmeBody(from, to))
		env.waitStatus(t, tokenAcme, first.ID, StatusRunning)
		_, second, _ := env.submit(t, tokenAcme, acmeBody(from, to))
		// A second acme job waits although a worker is free: the tenant limit is 1.
		assert.Equal(t, StatusPending, env.status(t, tokenAcme, second.ID).Status)
		// Another tenant gets the free worker.
		gb := acmeBody(from, to)
		gb["tenant"] = "globex"
		_, g, _ := env.submit(t, tokenGlobex, gb)
		env.waitStatus(t, tokenGlobex, g.ID, StatusRunning)

		code, _, _ := env.submit(t, tokenAcme, acmeBody(from, to))
		require.Equal(t, http.StatusAccepted, code)
		resp, _ := env.do(t, http.MethodPost, "/api/v1/exports", tokenAcme, acmeBody(from, to))
		assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "tenant queue full")
		assert.Equal(t, "7", resp.Header.Get("Retry-After"))
		_, _, _ = env.submit(t, tokenGlobex, gb)
		resp, _ = env.do(t, http.MethodPost, "/api/v1/exports", tokenGlobex, gb)
		assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "global queue full")
		close(src.gate)
		env.waitStatus(t, tokenAcme, second.ID, StatusReady)
	})

	t.Run("size cap", func(t *testing.T) {
		src := &fakeSource{}
		src.add(rowsFor("acme", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 20, time.Minute)...)
		env := newEnv(t, t.TempDir(), src, func(c *Config, _ *Deps) { c.MaxRows = 10 })
		code, _, e := env.submit(t, tokenAcme, acmeBody(from, to))
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Equal(t, "to", e.Field)
		assert.Contains(t, e.Error, "narrower range")
		// With a filter that leaves 10 rows, it is accepted and complete.
		body := acmeBody(from, to)
		body["filters"] = map[string]any{"authors": []string{"alice@acme.test"}}
		code, c, _ := env.submit(t, tokenAcme, body)
		require.Equal(t, http.StatusAccepted, code)
		assert.Equal(t, int64(10), env.waitStatus(t, tokenAcme, c.ID, StatusReady).Rows)
	})

	t.Run("cancel and remove", func(t *testing.T) {
		src := &fakeSource{gate: make(chan struct{})}
		env := newEnv(t, t.TempDir(), src, func(c *Config, _ *Deps) { c.Workers = 1 })
		_, running, _ := env.submit(t, tokenAcme, acmeBody(from, to))
		env.waitStatus(t, tokenAcme, running.ID, StatusRunning)
		gb := acmeBody(from, to)
		gb["tenant"] = "globex"
		_, pending, _ := env.submit(t, tokenGlobex, gb)

		resp, _ := env.do(t, http.MethodDelete, "/api/v1/exports/"+pending.ID, tokenGlobex, nil)
		assert.Equal(t, http.StatusAccepted, resp.StatusCode)
		v := env.waitStatus(t, tokenGlobex, pending.ID, StatusFailed)
		assert.Equal(t, "cancelled", v.Error)

		resp, _ = env.do(t, http.MethodDelete, "/api/v1/exports/"+running.ID, tokenAcme, nil)
		assert.Equal(t, http.StatusAccepted, resp.StatusCode)
		assert.Equal(t, "cancelled", env.waitStatus(t, tokenAcme, running.ID, StatusFailed).Error)

		resp, _ = env.do(t, http.MethodDelete, "/api/v1/exports/"+running.ID, tokenAcme, nil)
		assert.Equal(t, http.StatusNoContent, resp.StatusCode)
		resp, _ = env.do(t, http.MethodGet, "/api/v1/exports/"+running.ID, tokenAcme, nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		assert.Contains(t, env.emitter.summaries(), "Export cancelled")
		close(src.gate)
	})
}

func TestRestartDuringRunningExport(t *testing.T) {
	dir := t.TempDir()
	src := &fakeSource{gate: make(chan struct{})}
	src.add(rowsFor("acme", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 5, time.Hour)...)
	env := newEnv(t, dir, src, nil)
	_, c, _ := env.submit(t, tokenAcme, acmeBody(from, to))
	env.waitStatus(t, tokenAcme, c.ID, StatusRunning)
	env.server.Close()
	require.NoError(t, env.engine.Close(context.Background()))

	src.mu.Lock()
	src.gate = nil
	src.mu.Unlock()
	env2 := newEnv(t, dir, src, nil)
	v := env2.waitStatus(t, tokenAcme, c.ID, StatusReady)
	assert.Equal(t, int64(5), v.Rows)
	assert.Equal(t, 2, v.Attempts)
	// Completed once: the first engine emitted only the request, the second only the completion.
	assert.Equal(t, []string{"Export requested"}, env.emitter.summaries())
	// The job shows ready just before its completion event is emitted.
	require.Eventually(t, func() bool { return len(env2.emitter.summaries()) > 0 }, 10*time.Second, time.Millisecond)
	assert.Equal(t, []string{"Export completed"}, env2.emitter.summaries())
	entries, err := os.ReadDir(dir + "/files")
	require.NoError(t, err)
	assert.Len(t, entries, 2, "the file and its manifest, no partial file left")
	for _, ent := range entries {
		assert.False(t, strings.HasSuffix(ent.Name(), ".part"), ent.Name())
	}
}

func TestExpiryCleanup(t *testing.T) {
	dir := t.TempDir()
	src := &fakeSource{}
	src.add(rowsFor("acme", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 2, time.Hour)...)
	env := newEnv(t, dir, src, func(c *Config, _ *Deps) { c.FileTTL, c.RecordTTL = 24*time.Hour, 48*time.Hour })
	_, c, _ := env.submit(t, tokenAcme, acmeBody(from, to))
	v := env.waitStatus(t, tokenAcme, c.ID, StatusReady)
	require.FileExists(t, env.engine.filePath(c.ID))

	env.clock.Add(23 * time.Hour)
	files, records := env.engine.Cleanup()
	assert.Equal(t, 0, files+records)

	env.clock.Add(time.Hour)
	files, _ = env.engine.Cleanup()
	assert.Equal(t, 1, files)
	assert.NoFileExists(t, env.engine.filePath(c.ID))
	assert.Equal(t, StatusExpired, env.status(t, tokenAcme, c.ID).Status)
	resp, err := env.server.Client().Get(env.server.URL + v.DownloadURL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	env.clock.Add(48 * time.Hour)
	_, records = env.engine.Cleanup()
	assert.Equal(t, 1, records)
	resp, _ = env.do(t, http.MethodGet, "/api/v1/exports/"+c.ID, tokenAcme, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

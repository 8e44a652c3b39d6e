package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/snappy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/lokipush"
)

const deadLetters = `{"tenant":"acme","reason":"too_far_in_future","error":"x","labels":"{category=\"Authentication\", service_name=\"lms\"}","timestamp":"2026-01-01T00:00:00Z","line":"alice logged in","structured_metadata":{"author":"alice","event_id":"e1"}}
{"tenant":"globex","reason":"http_403","error":"x","labels":"{service_name=\"lms\"}","timestamp":"2026-01-01T00:00:01Z","line":"bob logged in","structured_metadata":{"event_id":"e2"}}
{"tenant":"acme","reason":"too_far_in_future","error":"x","labels":"{category=\"Authentication\", service_name=\"lms\"}","timestamp":"2026-01-01T00:00:02Z","line":"carol logged in"}
`

func TestReplay(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]push.Stream{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/loki/api/v1/push", r.URL.Path)
		body, _ := io.ReadAll(r.Body)
		raw, err := snappy.Decode(nil, body)
		require.NoError(t, err)
		var req push.PushRequest
		require.NoError(t, req.Unmarshal(raw))
		mu.Lock()
		got[r.Header.Get("X-Scope-OrgID")] = append(got[r.Header.Get("X-Scope-OrgID")], req.Streams...)
		mu.Unlock()
		if r.Header.Get("X-Scope-OrgID") == "globex" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	file := filepath.Join(t.TempDir(), "dlq.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(deadLetters), 0o600))
	var out bytes.Buffer
	err := run(context.Background(), []string{"-file", file, "-endpoint", srv.URL}, &out)
	require.ErrorContains(t, err, "1 entries failed again; they are in")
	assert.Contains(t, out.String(), "replayed 2 of 3 entries")

	require.Len(t, got["acme"], 1)
	assert.Equal(t, `{category="Authentication", service_name="lms"}`, got["acme"][0].Labels)
	require.Len(t, got["acme"][0].Entries, 2)
	assert.Equal(t, "alice logged in", got["acme"][0].Entries[0].Line)
	assert.Equal(t, push.LabelsAdapter{{Name: "author", Value: "alice"}, {Name: "event_id", Value: "e1"}}, got["acme"][0].Entries[0].StructuredMetadata)

	failed, err := os.ReadFile(file + ".failed")
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(failed), "\n"))
	assert.Contains(t, string(failed), "bob logged in")
}

func TestReplayFilterAndDryRun(t *testing.T) {
	file := filepath.Join(t.TempDir(), "dlq.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(deadLetters), 0o600))
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-file", file, "-reason", "too_far_in_future", "-dry-run", "-endpoint", "http://127.0.0.1:1"}, &out))
	assert.Contains(t, out.String(), "replayed 2 of 2 entries")
	assert.Error(t, run(context.Background(), []string{"-endpoint", "http://x"}, &out))
	assert.Error(t, run(context.Background(), []string{"-file", file, "-tenant", "a/b"}, &out))
}

// An entry whose tenant breaks Loki's tenant rules is not sent: it is reported, counted and
// kept, as read, in the failed file, while the other entries are replayed.
func TestReplaySkipsInvalidTenant(t *testing.T) {
	var mu sync.Mutex
	var tenants []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tenants = append(tenants, r.Header.Get("X-Scope-OrgID"))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	invalid := `{"tenant":"../etc","reason":"http_404","error":"x","labels":"{service_name=\"lms\"}","timestamp":"2026-01-01T00:00:03Z","line":"mallory logged in"}
{"tenant":"a b","reason":"http_400","error":"x","labels":"{service_name=\"lms\"}","timestamp":"2026-01-01T00:00:04Z","line":"eve logged in"}
{"tenant":"","reason":"http_400","error":"x","labels":"{service_name=\"lms\"}","timestamp":"2026-01-01T00:00:05Z","line":"single-tenant entry"}
`
	file := filepath.Join(t.TempDir(), "dlq.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(deadLetters+invalid), 0o600))
	var out bytes.Buffer
	err := run(context.Background(), []string{"-file", file, "-endpoint", srv.URL, "-retime"}, &out)
	require.ErrorContains(t, err, "2 entries have an invalid tenant; they are in "+file+".failed")

	assert.Contains(t, out.String(), `tenant "../etc": 1 entries skipped: `+audit.ErrTenantInvalidChar.Error())
	assert.Contains(t, out.String(), `tenant "a b": 1 entries skipped: `+audit.ErrTenantInvalidChar.Error())
	assert.Contains(t, out.String(), "replayed 4 of 6 entries")
	assert.Contains(t, out.String(), "skipped 2 entries with an invalid tenant")
	assert.ElementsMatch(t, []string{"", "acme", "globex"}, tenants, "no request for an invalid tenant; an empty tenant sends no header")

	failed, err := os.ReadFile(file + ".failed")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(failed)), "\n")
	require.Len(t, lines, 2)
	var rec lokipush.DeadLetterRecord
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &rec))
	assert.Equal(t, "../etc", rec.Tenant)
	assert.Equal(t, "http_404", rec.Reason)
	assert.Contains(t, rec.Error, audit.ErrTenantInvalidChar.Error())
	assert.Equal(t, "2026-01-01T00:00:03Z", rec.Timestamp.Format(time.RFC3339), "kept as read, not re-timed")
	assert.Empty(t, rec.StructuredMetadata)

	// A replay of the failed file with a valid tenant override sends them.
	out.Reset()
	require.NoError(t, run(context.Background(), []string{"-file", file + ".failed", "-endpoint", srv.URL, "-tenant", "acme"}, &out))
	assert.Contains(t, out.String(), "replayed 2 of 2 entries")
}

func TestDryRunReportsInvalidTenant(t *testing.T) {
	file := filepath.Join(t.TempDir(), "dlq.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(deadLetters+`{"tenant":"..","reason":"x","labels":"{a=\"b\"}","timestamp":"2026-01-01T00:00:00Z","line":"l"}`+"\n"), 0o600))
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-file", file, "-dry-run", "-endpoint", "http://127.0.0.1:1"}, &out))
	assert.Contains(t, out.String(), "replayed 3 of 4 entries")
	assert.Contains(t, out.String(), "skipped 1 entries with an invalid tenant")
	_, err := os.Stat(file + ".failed")
	assert.ErrorIs(t, err, os.ErrNotExist, "a dry run writes nothing")
}

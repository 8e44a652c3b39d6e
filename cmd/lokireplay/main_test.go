package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/snappy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	err := run([]string{"-file", file, "-endpoint", srv.URL}, &out)
	require.ErrorContains(t, err, "1 entries failed again")
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
	require.NoError(t, run([]string{"-file", file, "-reason", "too_far_in_future", "-dry-run", "-endpoint", "http://127.0.0.1:1"}, &out))
	assert.Contains(t, out.String(), "replayed 2 of 2 entries")
	assert.Error(t, run([]string{"-endpoint", "http://x"}, &out))
	assert.Error(t, run([]string{"-file", file, "-tenant", "a/b"}, &out))
}

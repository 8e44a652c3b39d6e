package testharness

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Loki is a real, multi-tenant Loki server (auth_enabled: true) on loopback, from the test
// build in the shared tools. Every request needs X-Scope-OrgID.
type Loki struct {
	*Process
	// URL is http://127.0.0.1:PORT.
	URL string
	// Data is the server's data directory; rules go to RulesDir(tenant).
	Data string
}

// LokiBinary returns the Loki test binary. Loki is not a Go module and not installed on a
// user's machine, so its absence skips the test even where other servers are required:
// OTELCOL_AUDIT_LOKI_BIN, else the build in ../shared/tools/loki unpacked by scripts/tools.sh.
func LokiBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("OTELCOL_AUDIT_LOKI_BIN"); p != "" {
		return p
	}
	tools := filepath.Join(RepoRoot(), "scripts", "tools.sh")
	out, err := exec.Command("bash", tools, "path", "loki").Output()
	p := strings.TrimSpace(string(out))
	if err != nil || p == "" {
		t.Skip("no Loki test binary: ../shared/tools/loki/loki.xz is absent and OTELCOL_AUDIT_LOKI_BIN is unset")
	}
	if _, err := os.Stat(p); err != nil {
		if out, err := exec.Command("bash", tools, "loki").CombinedOutput(); err != nil {
			t.Fatalf("unpack Loki: %v\n%s", err, out)
		}
	}
	return p
}

// StartLoki starts Loki with the multi-tenant test config (testdata/loki-test.yaml: structured
// metadata on, old samples accepted, ruler reading $data/rules/<tenant>/). It takes 10-20 s.
func StartLoki(t testing.TB) *Loki {
	t.Helper()
	bin := LokiBinary(t)
	data := t.TempDir()
	httpPort, grpcPort := FreePort(t), FreePort(t)
	cfg, err := os.ReadFile(filepath.Join(RepoRoot(), "internal", "testharness", "testdata", "loki-test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer(
		"${LOKI_HTTP_PORT:-3100}", strconv.Itoa(httpPort),
		"${LOKI_GRPC_PORT:-9095}", strconv.Itoa(grpcPort),
		"${LOKI_DATA:-loki-data}", data,
	).Replace(string(cfg))
	path := filepath.Join(data, "loki.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	p := &Process{t: t, name: "loki", args: []string{bin, "-config.file=" + path}, readyURL: base + "/ready", readyWithin: 90 * time.Second}
	p.Start()
	t.Cleanup(p.Stop)
	return &Loki{Process: p, URL: base, Data: data}
}

// RulesDir is the folder the ruler reads the tenant's rule files from; it is created.
func (l *Loki) RulesDir(t testing.TB, tenant string) string {
	t.Helper()
	dir := filepath.Join(l.Data, "rules", tenant)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Get sends a GET with the tenant header and returns the status and body. It asks for
// structured metadata apart from the stream labels (categorize-labels), as Grafana does.
func (l *Loki) Get(t testing.TB, tenant, path string, query url.Values) (int, []byte) {
	t.Helper()
	u := l.URL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Scope-OrgID", tenant)
	req.Header.Set("X-Loki-Response-Encoding-Flags", "categorize-labels")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("loki %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// LokiStream is one stream of a query_range answer.
type LokiStream struct {
	Labels map[string]string
	// Entries are [timestamp ns, line, structured metadata and parsed labels].
	Entries []LokiEntry
}

// LokiEntry is one log line of a query answer.
type LokiEntry struct {
	Time     time.Time
	Line     string
	Metadata map[string]string
}

// QueryRange runs a log query over [start, end] and returns its streams; it fails the test on
// any answer but 200 with resultType streams.
func (l *Loki) QueryRange(t testing.TB, tenant, query string, start, end time.Time, limit int) []LokiStream {
	t.Helper()
	status, body := l.Get(t, tenant, "/loki/api/v1/query_range", url.Values{
		"query": {query}, "start": {strconv.FormatInt(start.UnixNano(), 10)}, "end": {strconv.FormatInt(end.UnixNano(), 10)},
		"limit": {strconv.Itoa(limit)}, "direction": {"forward"},
	})
	if status != http.StatusOK {
		t.Fatalf("query_range %s: %d %s", query, status, body)
	}
	var ans struct {
		Data struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Stream map[string]string   `json:"stream"`
				Values [][]json.RawMessage `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ans); err != nil || ans.Data.ResultType != "streams" {
		t.Fatalf("query_range %s: unexpected answer (%v): %.500s", query, err, body)
	}
	streams := make([]LokiStream, 0, len(ans.Data.Result))
	for _, r := range ans.Data.Result {
		s := LokiStream{Labels: r.Stream}
		for _, v := range r.Values {
			var ts, line string
			if len(v) < 2 || json.Unmarshal(v[0], &ts) != nil || json.Unmarshal(v[1], &line) != nil {
				t.Fatalf("query_range %s: bad value %s", query, v)
			}
			ns, _ := strconv.ParseInt(ts, 10, 64)
			e := LokiEntry{Time: time.Unix(0, ns), Line: line}
			if len(v) > 2 {
				var md map[string]json.RawMessage
				_ = json.Unmarshal(v[2], &md)
				e.Metadata = map[string]string{}
				for _, group := range md { // "structuredMetadata", "parsed"
					var kv map[string]string
					if json.Unmarshal(group, &kv) == nil {
						for k, val := range kv {
							e.Metadata[k] = val
						}
					}
				}
			}
			s.Entries = append(s.Entries, e)
		}
		streams = append(streams, s)
	}
	return streams
}

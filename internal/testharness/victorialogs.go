package testharness

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// VictoriaLogs is a real VictoriaLogs server, which accepts Loki's push protocol.
type VictoriaLogs struct {
	*Process
	// BaseURL is http://127.0.0.1:PORT.
	BaseURL string
}

// StartVictoriaLogs starts the pinned VictoriaLogs on a free loopback port with a temp store.
func StartVictoriaLogs(t testing.TB) *VictoriaLogs {
	t.Helper()
	return StartVictoriaLogsOnPort(t, FreePort(t))
}

// StartVictoriaLogsOnPort starts VictoriaLogs on a given loopback port, for tests that must
// configure a client before the server exists (an outage from the start).
func StartVictoriaLogsOnPort(t testing.TB, port int) *VictoriaLogs {
	t.Helper()
	bin := ToolPath(t, "VICTORIALOGS_BIN", "victoria-logs")
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	p := StartProcess(t, bin, []string{
		fmt.Sprintf("-httpListenAddr=127.0.0.1:%d", port),
		"-storageDataPath=" + t.TempDir(),
		"-loggerLevel=WARN",
	}, base+"/health")
	return &VictoriaLogs{Process: p, BaseURL: base}
}

// LokiPushURL is the Loki-compatible push endpoint.
func (v *VictoriaLogs) LokiPushURL() string { return v.BaseURL + "/insert/loki/api/v1/push" }

// Query runs a LogsQL query and returns the matching rows as field maps. headers are added to
// the request (VictoriaLogs tenants are the AccountID and ProjectID headers).
func (v *VictoriaLogs) Query(t testing.TB, logsql string, headers map[string]string) []map[string]string {
	t.Helper()
	// Flush recently ingested data so that it is searchable at once.
	if resp, err := http.Get(v.BaseURL + "/internal/force_flush"); err == nil {
		resp.Body.Close()
	}
	req, err := http.NewRequest(http.MethodGet, v.BaseURL+"/select/logsql/query?query="+url.QueryEscape(logsql), nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, val := range headers {
		req.Header.Set(k, val)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("query victorialogs: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("query victorialogs: status %d", resp.StatusCode)
	}
	var rows []map[string]string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		row := map[string]string{}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("decode victorialogs row %q: %v", sc.Text(), err)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read victorialogs rows: %v", err)
	}
	return rows
}

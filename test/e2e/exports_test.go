package e2e

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// TestGenerateLogFileThroughTheDistribution runs the "Generate log file" flow on the built
// distribution with the bundled config, mail going to a real Mailpit over STARTTLS: events sent
// over OTLP, an export requested with a filter, progress polled, the email's link followed, and
// the downloaded CSV compared with what was sent. Another tenant's events never appear, and the
// demo token cannot export another tenant.
func TestGenerateLogFileThroughTheDistribution(t *testing.T) {
	mp, caFile := testharness.StartMailpitTLS(t, testharness.MailpitRequireSTARTTLS, "--smtp-auth-accept-any")
	linksAddr := fmt.Sprintf("127.0.0.1:%d", testharness.FreePort(t))
	cfg, grpcAddr, _ := overlay(t, "http://127.0.0.1:1") // the otlp_http/e2e exporter is unused here
	cfg += `
  pipelines:
    logs:
      exporters: [audit_report]
`
	reportCfg := filepath.Join(t.TempDir(), "report.yaml")
	require.NoError(t, os.WriteFile(reportCfg, []byte(fmt.Sprintf(`
extensions:
  audit_reporter:
    smtp:
      endpoint: %s
      tls: starttls
      ca_file: %s
      username: reports
      password: secret
      from: Audit reports <reports@otelcol-audit.example>
    links:
      server:
        endpoint: %s
      public_url: http://%s
receivers:
  audit_webhook:
    server:
      endpoint: 127.0.0.1:%d
`, mp.SMTPAddr, caFile, linksAddr, linksAddr, testharness.FreePort(t))), 0o600))
	defaultConfig := filepath.Join(testharness.RepoRoot(), "config", "default.yaml")
	col := StartCollector(t, cfg, linksAddr, defaultConfig, reportCfg)

	gen := filepath.Join(t.TempDir(), "auditgen")
	out, err := exec.Command("go", "build", "-o", gen, filepath.Join(testharness.RepoRoot(), "cmd", "auditgen")).CombinedOutput()
	require.NoError(t, err, string(out))
	send := func(tenant, scenario string, count int) map[string]bool {
		ids := filepath.Join(t.TempDir(), "ids")
		out, err := exec.Command(gen, "-endpoint", grpcAddr, "-tenant-names", tenant, "-scenario", scenario,
			"-count", fmt.Sprint(count), "-ids", ids, "-quiet").CombinedOutput()
		require.NoError(t, err, string(out))
		f, err := os.Open(ids)
		require.NoError(t, err)
		defer f.Close()
		got := map[string]bool{}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			_, id, _ := strings.Cut(sc.Text(), " ")
			got[id] = true
		}
		return got
	}
	from := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	failedLogins := send("demo", "bruteforce", 120)
	send("other", "bruteforce", 50)

	api := "http://" + linksAddr + "/api/v1/exports"
	request := func(method, url, body string) (int, map[string]any) {
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer demo-token-change-me-0123456789")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	to := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	body := fmt.Sprintf(`{"tenant":"demo","from":%q,"to":%q,"format":"csv",
		"filters":{"categories":["Authentication"],"outcome":"failure"},"notify":["admin@demo.example"]}`, from, to)
	code, created := request(http.MethodPost, api, body)
	require.Equal(t, http.StatusAccepted, code, "%v\n%s", created, col.Output())

	code, _ = request(http.MethodPost, api, strings.Replace(body, `"demo"`, `"other"`, 1))
	assert.Equal(t, http.StatusForbidden, code, "the demo token cannot export another tenant")

	var status map[string]any
	require.Eventually(t, func() bool {
		_, status = request(http.MethodGet, created["status_url"].(string), "")
		return status["status"] == "ready" || status["status"] == "failed"
	}, 30*time.Second, 100*time.Millisecond)
	require.Equal(t, "ready", status["status"], "%v", status)

	// The email carries the signed link.
	var link string
	require.Eventually(t, func() bool {
		var list struct {
			Messages []struct {
				ID string
				To []struct{ Address string }
			}
		}
		mp.GetJSON(t, "/api/v1/messages", &list)
		for _, m := range list.Messages {
			if len(m.To) == 1 && m.To[0].Address == "admin@demo.example" {
				var msg struct{ Text string }
				mp.GetJSON(t, "/api/v1/message/"+m.ID, &msg)
				link = regexp.MustCompile(`http://` + regexp.QuoteMeta(linksAddr) + `/api/v1/exports/\S+`).FindString(msg.Text)
				return link != ""
			}
		}
		return false
	}, 30*time.Second, 200*time.Millisecond, "the export email arrives")

	resp, err := http.Get(link) // no credential: the signature is the authorisation
	require.NoError(t, err)
	csvBytes, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(csvBytes))

	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(csvBytes, []byte("\xef\xbb\xbf")))).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, rows)
	assert.Equal(t, []string{"Date", "Author", "Event Category", "Event Summary", "Description", "Outcome", "Source IP", "Target", "Event ID", "Tenant"}, rows[0])
	got := map[string]bool{}
	for _, r := range rows[1:] {
		assert.Equal(t, "Authentication", r[2])
		assert.Equal(t, "Login failed", r[3])
		assert.Equal(t, "failure", r[5])
		assert.Equal(t, "demo", r[9], "only the demo tenant's events")
		got[r[8]] = true
	}
	// The generator's brute force ends a burst with a success now and then; every failure
	// it sent is in the file, once.
	assert.Len(t, rows[1:], len(got), "no event twice")
	for id := range got {
		assert.True(t, failedLogins[id], "unexpected event %s", id)
	}
	assert.GreaterOrEqual(t, len(got), len(failedLogins)-len(failedLogins)/50-1)

	tampered := strings.Replace(link, "tenant=demo", "tenant=other", 1)
	resp, err = http.Get(tampered)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a tampered link is refused")
}

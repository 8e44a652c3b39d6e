package lokiqueries

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-audit/otelcol-audit/dashboards"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// The failed-login alerts of dashboards/rules.go.
const (
	alertByAuthor = "AuditRepeatedFailedLoginsByAuthor"
	alertFromIP   = "AuditRepeatedFailedLoginsFromIP"
	alertSpray    = "AuditPasswordSprayFromIP"
)

// rulerDeadline bounds the wait for the ruler: it polls rule files and evaluates every 15 s
// here, so an alert is pending within about 30 s of its data.
const rulerDeadline = 120 * time.Second

// installRules copies each tenant's committed rule file, as dashgen wrote it, into the
// folder the ruler reads for that tenant.
func installRules(t *testing.T, loki *testharness.Loki, tenants ...string) {
	t.Helper()
	for _, tenant := range tenants {
		rel := dashboards.LokiRulesPath(tenant)
		raw, err := os.ReadFile(filepath.Join(testharness.RepoRoot(), "dashboards", filepath.FromSlash(rel)))
		require.NoError(t, err, "dashboards/%s: regenerate with `go run ./cmd/dashgen -out dashboards`", rel)
		var rf dashboards.RuleFile
		require.NoError(t, yaml.Unmarshal(raw, &rf))
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				require.Equal(t, tenant, r.Labels["tenant"], "%s: %s", rel, r.Alert)
			}
		}
		dst := filepath.Join(loki.RulesDir(t, tenant), filepath.Base(rel))
		require.NoError(t, os.WriteFile(dst, raw, 0o644))
	}
}

// rulesAnswer is GET /prometheus/api/v1/rules.
type rulesAnswer struct {
	Status string `json:"status"`
	Data   struct {
		Groups []struct {
			Name           string    `json:"name"`
			LastEvaluation time.Time `json:"lastEvaluation"`
			Rules          []struct {
				Name      string `json:"name"`
				State     string `json:"state"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
				Type      string `json:"type"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"data"`
}

// alert is one alert instance of GET /prometheus/api/v1/alerts.
type alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
	Value       string            `json:"value"`
}

func getJSON(t *testing.T, loki *testharness.Loki, tenant, path string, into any) {
	t.Helper()
	status, body := loki.Get(t, tenant, path, nil)
	require.Equal(t, http.StatusOK, status, "%s (tenant %s): %s", path, tenant, body)
	require.NoError(t, json.Unmarshal(body, into), "%s: %s", path, body)
}

func rules(t *testing.T, loki *testharness.Loki, tenant string) rulesAnswer {
	t.Helper()
	var ans rulesAnswer
	getJSON(t, loki, tenant, "/prometheus/api/v1/rules", &ans)
	return ans
}

func alerts(t *testing.T, loki *testharness.Loki, tenant string) []alert {
	t.Helper()
	var ans struct {
		Data struct {
			Alerts []alert `json:"alerts"`
		} `json:"data"`
	}
	getJSON(t, loki, tenant, "/prometheus/api/v1/alerts", &ans)
	return ans.Data.Alerts
}

// ruleNames lists the loaded alerting rules, failing on any rule whose evaluation errs.
func ruleNames(t *testing.T, ans rulesAnswer) []string {
	t.Helper()
	var names []string
	for _, g := range ans.Data.Groups {
		for _, r := range g.Rules {
			assert.NotEqual(t, "err", r.Health, "rule %s: %s", r.Name, r.LastError)
			names = append(names, r.Name)
		}
	}
	return names
}

// evaluatedSince reports whether every group was evaluated after at.
func evaluatedSince(ans rulesAnswer, at time.Time) bool {
	if len(ans.Data.Groups) == 0 {
		return false
	}
	for _, g := range ans.Data.Groups {
		if !g.LastEvaluation.After(at) {
			return false
		}
	}
	return true
}

// checkRuler waits until the busy tenant's burst raises its failed-login alerts (pending or
// firing: the rules have for: 1m, and pending already proves the expression matched), then
// checks that the quiet tenant's rules, evaluated over the same period, raised nothing.
func checkRuler(t *testing.T, loki *testharness.Loki, l loaded) {
	allRules := []string{alertByAuthor, alertFromIP, alertSpray}
	victim := burstVictim(tenantBusy)

	var busy []alert
	deadline := time.Now().Add(rulerDeadline)
	for {
		busy = alerts(t, loki, tenantBusy)
		if hasAlert(busy, alertByAuthor, victim) && hasAlert(busy, alertFromIP, victim) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s and %s alert for %s in tenant %s within %s; alerts: %+v\nrules: %+v\nLoki output:\n%s",
				alertByAuthor, alertFromIP, victim, tenantBusy, rulerDeadline, busy, rules(t, loki, tenantBusy), tail(loki.Output(), 4000))
		}
		time.Sleep(2 * time.Second)
	}
	assert.ElementsMatch(t, allRules, ruleNames(t, rules(t, loki, tenantBusy)))

	for _, a := range busy {
		name := a.Labels["alertname"]
		assert.Contains(t, []string{"pending", "firing"}, a.State, name)
		assert.Equal(t, tenantBusy, a.Labels["tenant"], name)
		assert.Contains(t, a.Annotations["summary"], "(tenant "+tenantBusy+")", name)
		// The busy tenant's rules see its own events only: no author of the quiet tenant.
		assert.False(t, strings.HasSuffix(a.Labels["author"], "@"+tenantQuiet+".example.com"), "%s names %s", name, a.Labels["author"])
		if a.Labels["author"] == victim {
			assert.Equal(t, burstSourceIP, a.Labels["source_ip"], name)
			// Every failure of the burst, counted over the rule's 10m window.
			value, err := strconv.ParseFloat(a.Value, 64)
			require.NoError(t, err, "%s value %q", name, a.Value)
			assert.Equal(t, float64(l.burstFailures), value, "%s: failures counted", name)
			assert.Contains(t, a.Annotations["description"], victim, name)
		}
	}
	// One author failing from one address is a brute-force burst, not password spraying.
	assert.False(t, hasAlert(busy, alertSpray, ""), "%s raised by a single-author burst", alertSpray)

	// The quiet tenant has the same rules; once they have been evaluated with the burst in
	// Loki, they must have raised nothing.
	var quiet rulesAnswer
	for {
		quiet = rules(t, loki, tenantQuiet)
		if evaluatedSince(quiet, l.to) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rules of tenant %s not evaluated since the load within %s: %+v", tenantQuiet, rulerDeadline, quiet)
		}
		time.Sleep(2 * time.Second)
	}
	assert.ElementsMatch(t, allRules, ruleNames(t, quiet))
	for _, g := range quiet.Data.Groups {
		for _, r := range g.Rules {
			assert.Equal(t, "inactive", r.State, "rule %s of tenant %s", r.Name, tenantQuiet)
		}
	}
	assert.Empty(t, alerts(t, loki, tenantQuiet), "alerts of tenant %s", tenantQuiet)
}

// hasAlert reports whether an alert of that name names the author (any author when empty).
func hasAlert(list []alert, name, author string) bool {
	for _, a := range list {
		if a.Labels["alertname"] == name && (author == "" || a.Labels["author"] == author) {
			return true
		}
	}
	return false
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

package dashboards

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// promtool finds the promtool binary (scripts/tools.sh promtool installs it). Without it the
// test is skipped, unless OTELCOL_AUDIT_REQUIRE_INTEGRATION is set: CI never passes by skipping.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		msg := "promtool not found; install it with scripts/tools.sh promtool"
		if os.Getenv("OTELCOL_AUDIT_REQUIRE_INTEGRATION") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

func runPromtool(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command(promtool(t), args...).CombinedOutput()
	assert.NoError(t, err, "promtool %v:\n%s", args, out)
}

func TestPromtoolCheckRules(t *testing.T) {
	runPromtool(t, "check", "rules", filepath.FromSlash(PrometheusRulesPath))
}

func TestPromtoolTestRules(t *testing.T) {
	runPromtool(t, "test", "rules", filepath.FromSlash(PrometheusTestsPath))
}

func TestEveryPrometheusAlertHasAUnitTest(t *testing.T) {
	tested := map[string]bool{}
	for _, tc := range prometheusRuleTests().Tests {
		for _, at := range tc.AlertRuleTest {
			if len(at.ExpAlerts) > 0 {
				tested[at.Alertname] = true
			}
		}
	}
	raw, err := os.ReadFile(filepath.FromSlash(PrometheusRulesPath))
	require.NoError(t, err)
	var rf RuleFile
	require.NoError(t, yaml.Unmarshal(raw, &rf))
	require.NotEmpty(t, rf.Groups)
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			assertAlertRule(t, PrometheusRulesPath+" "+r.Alert, r)
			assert.True(t, tested[r.Alert], "%s has no promtool test that fires it", r.Alert)
		}
	}
}

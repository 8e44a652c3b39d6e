package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-audit/otelcol-audit/dashboards"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

const composeFile = "deploy/compose/docker-compose.yaml"

// composeTenants are the demo tenants of the local stack; deploy/generate.sh writes a Loki
// rule folder for each.
var composeTenants = []string{"demo", "tenant-1", "tenant-2", "tenant-3"}

type composeService struct {
	Image       string         `yaml:"image"`
	Ports       []string       `yaml:"ports"`
	Volumes     []string       `yaml:"volumes"`
	Command     any            `yaml:"command"`
	Environment map[string]any `yaml:"environment"`
}

func loadCompose(t *testing.T) map[string]composeService {
	t.Helper()
	data, err := os.ReadFile(repoPath(composeFile))
	require.NoError(t, err)
	var f struct {
		Services map[string]composeService `yaml:"services"`
	}
	require.NoError(t, yaml.Unmarshal(data, &f))
	require.NotEmpty(t, f.Services)
	return f.Services
}

var pinnedTag = regexp.MustCompile(`^[^:@]+(:[A-Za-z0-9_][A-Za-z0-9_.-]*)$`)

func TestComposeFile(t *testing.T) {
	services := loadCompose(t)
	for _, name := range []string{"collector", "loki", "grafana", "prometheus", "mailpit", "secrets"} {
		require.Contains(t, services, name)
	}
	var generators int
	for name, s := range services {
		m := pinnedTag.FindStringSubmatch(s.Image)
		if assert.NotNil(t, m, "%s: image %q needs a pinned tag", name, s.Image) {
			assert.NotEqual(t, ":latest", m[1], "%s: image %q", name, s.Image)
		}
		for _, p := range s.Ports {
			assert.True(t, strings.HasPrefix(p, "127.0.0.1:"), "%s: port %s is published beyond the host's loopback", name, p)
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") {
				_, err := os.Stat(filepath.Join(repoPath("deploy/compose"), src))
				assert.NoError(t, err, "%s: bind mount %s", name, v)
			}
		}
		if strings.HasPrefix(name, "demo-") {
			generators++
			assert.Equal(t, services["collector"].Image, s.Image, "%s runs auditgen from the collector image", name)
		}
	}
	assert.GreaterOrEqual(t, generators, 3, "normal traffic, webhooks and brute-force bursts")
	assert.Contains(t, services["collector"].Volumes, "./collector.yaml:/etc/otelcol-audit/config.yaml:ro")

	t.Run("a report every five minutes", func(t *testing.T) {
		data, err := os.ReadFile(repoPath("deploy/compose/collector.yaml"))
		require.NoError(t, err)
		assert.Contains(t, string(data), `schedule: "*/5 * * * *"`)
	})

	t.Run("Grafana has a Loki datasource per tenant with a rule folder", func(t *testing.T) {
		data, err := os.ReadFile(repoPath("deploy/compose/grafana/datasources.yaml"))
		require.NoError(t, err)
		var ds struct {
			Datasources []struct {
				Type           string            `yaml:"type"`
				JSONData       map[string]any    `yaml:"jsonData"`
				SecureJSONData map[string]string `yaml:"secureJsonData"`
			} `yaml:"datasources"`
		}
		require.NoError(t, yaml.Unmarshal(data, &ds))
		var lokiTenants []string
		var prometheus int
		for _, d := range ds.Datasources {
			switch d.Type {
			case "loki":
				assert.Equal(t, "X-Scope-OrgID", d.JSONData["httpHeaderName1"])
				lokiTenants = append(lokiTenants, d.SecureJSONData["httpHeaderValue1"])
			case "prometheus":
				prometheus++
			}
		}
		assert.Equal(t, 1, prometheus)
		dirs, err := os.ReadDir(repoPath("deploy/compose/loki/rules"))
		require.NoError(t, err)
		var ruleTenants []string
		for _, d := range dirs {
			ruleTenants = append(ruleTenants, d.Name())
		}
		sort.Strings(lokiTenants)
		assert.Equal(t, composeTenants, lokiTenants)
		assert.Equal(t, composeTenants, ruleTenants)
	})

	t.Run("docker-compose config", func(t *testing.T) {
		bin := testharness.ToolPath(t, "DOCKER_COMPOSE_BIN", "docker-compose")
		cmd := exec.Command(bin, "-f", repoPath(composeFile), "config", "--quiet")
		// An .env of the developer's must not change what is checked.
		cmd.Env = append(os.Environ(), "OTELCOL_AUDIT_TOKEN=", "OTELCOL_AUDIT_LINK_KEY=", "SMTP_PASSWORD=", "GRAFANA_ADMIN_PASSWORD=")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Run(), stderr.String())
	})
}

// TestGeneratedCopiesAreCurrent checks the copies of dashgen's output that the deployments
// ship: the local stack's Loki rules per tenant and the chart's Prometheus rules.
func TestGeneratedCopiesAreCurrent(t *testing.T) {
	opts := dashboards.DefaultOptions()
	opts.LokiTenants = composeTenants
	files, err := dashboards.Files(opts)
	require.NoError(t, err)
	copies := map[string]string{
		"deploy/helm/otelcol-audit/files/prometheus-rules.yaml": dashboards.PrometheusRulesPath,
	}
	for _, tenant := range composeTenants {
		copies["deploy/compose/loki/rules/"+tenant+"/otelcol-audit.rules.yaml"] = dashboards.LokiRulesPath(tenant)
	}
	for dst, src := range copies {
		want, ok := files[src]
		require.True(t, ok, src)
		got, err := os.ReadFile(repoPath(dst))
		if assert.NoError(t, err, "run deploy/generate.sh") {
			assert.Equal(t, string(want), string(got), "%s differs from dashgen's %s: run deploy/generate.sh", dst, src)
		}
	}
}

func TestComposeLokiConfigIsAcceptedByLoki(t *testing.T) {
	bin := testharness.LokiBinary(t)
	cmd := exec.Command(bin, "-config.file="+repoPath("deploy/compose/loki/loki.yaml"), "-verify-config")
	out, err := cmd.CombinedOutput()
	assert.NoError(t, err, string(out))
}

func TestComposePrometheusConfig(t *testing.T) {
	bin := testharness.ToolPath(t, "PROMTOOL_BIN", "promtool")
	data, err := os.ReadFile(repoPath("deploy/compose/prometheus/prometheus.yml"))
	require.NoError(t, err)
	// The rules are mounted from dashboards/prometheus at /etc/prometheus/rules.
	text := strings.ReplaceAll(string(data), "/etc/prometheus/rules/", repoPath("dashboards/prometheus")+"/")
	path := filepath.Join(t.TempDir(), "prometheus.yml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	out, err := exec.Command(bin, "check", "config", path).CombinedOutput()
	assert.NoError(t, err, string(out))
}

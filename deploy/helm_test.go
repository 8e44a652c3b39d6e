package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

const (
	chartDir = "deploy/helm/otelcol-audit"
	// helm installed with `go install` assumes Kubernetes 1.20 when it renders offline; the
	// chart requires 1.25 or later.
	kubeVersion = "1.31.0"
)

// manifest is one rendered Kubernetes object, kept loosely typed.
type manifest = map[string]any

func kindOf(m manifest) string { return str(m, "kind") }
func nameOf(m manifest) string { return str(m, "metadata", "name") }

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any, keys ...string) string {
	s, _ := dig(v, keys...).(string)
	return s
}

func list(v any, keys ...string) []any {
	l, _ := dig(v, keys...).([]any)
	return l
}

// chartVariants are the documented value sets: the defaults and every file in ci/.
func chartVariants(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(repoPath(chartDir + "/ci/*-values.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	variants := map[string][]string{"default": nil}
	for _, f := range files {
		variants[strings.TrimSuffix(filepath.Base(f), "-values.yaml")] = []string{"--values", f}
	}
	return variants
}

func helm(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = repoRoot
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "helm %s:\n%s%s", strings.Join(args, " "), out, stderr.String())
	return string(out)
}

func TestHelmChart(t *testing.T) {
	bin := testharness.ToolPath(t, "HELM_BIN", "helm")
	wantRules := prometheusRuleGroups(t, repoPath("dashboards/prometheus/otelcol-audit.rules.yaml"))

	for name, values := range chartVariants(t) {
		t.Run(name, func(t *testing.T) {
			helm(t, bin, append([]string{"lint", chartDir, "--strict", "--kube-version", kubeVersion}, values...)...)
			out := helm(t, bin, append([]string{"template", "audit", chartDir, "--namespace", "audit", "--kube-version", kubeVersion}, values...)...)

			var docs []manifest
			dec := yaml.NewDecoder(strings.NewReader(out))
			for {
				var m manifest
				if err := dec.Decode(&m); err != nil {
					break
				}
				if m != nil {
					docs = append(docs, m)
				}
			}
			byKind := map[string][]manifest{}
			for _, m := range docs {
				byKind[kindOf(m)] = append(byKind[kindOf(m)], m)
			}
			assert.Empty(t, byKind["Secret"], "secrets come from existing Secrets, never from values")

			configs := map[string]manifest{}
			for _, cm := range byKind["ConfigMap"] {
				var cfg manifest
				require.NoError(t, yaml.Unmarshal([]byte(str(cm, "data", "config.yaml")), &cfg), nameOf(cm))
				configs[nameOf(cm)] = cfg
			}

			t.Run("collector configs validate", func(t *testing.T) {
				collector := collectorBinary(t)
				require.NotEmpty(t, byKind["ConfigMap"])
				for _, cm := range byKind["ConfigMap"] {
					config := str(cm, "data", "config.yaml")
					require.NotEmpty(t, config, nameOf(cm))
					path := filepath.Join(t.TempDir(), nameOf(cm)+".yaml")
					require.NoError(t, os.WriteFile(path, []byte(config), 0o600))
					config2, env := withSecrets(t, path)
					out, err := validate(t, collector, config2, env)
					assert.NoError(t, err, "%s:\n%s\n%s", nameOf(cm), out, config)
				}
			})

			workloads := append(append([]manifest(nil), byKind["Deployment"]...), byKind["StatefulSet"]...)
			require.NotEmpty(t, workloads)
			for _, w := range workloads {
				checkWorkload(t, w)
			}

			mode := "gateway"
			if name == "single" {
				mode = "single"
			}
			switch mode {
			case "gateway":
				var gateway, reporter manifest
				for _, w := range workloads {
					switch nameOf(w) {
					case "audit-otelcol-audit-gateway":
						gateway = w
					case "audit-otelcol-audit-reporter":
						reporter = w
					}
				}
				require.NotNil(t, gateway, "gateway workload")
				require.NotNil(t, reporter, "reporter workload")
				assert.Equal(t, "StatefulSet", kindOf(reporter))
				assert.EqualValues(t, 1, dig(reporter, "spec", "replicas"), "one reporter")
				assert.NotEmpty(t, list(reporter, "spec", "volumeClaimTemplates"), "reporter keeps its directory and queue on a PVC")
				checkFleetConfigs(t, chartValues(t, values), configs["audit-otelcol-audit-gateway"], configs["audit-otelcol-audit-reporter"])
				assert.Empty(t, containerPorts(reporter, 4317, 4318, 8088), "the reporter receives no events")
				assert.NotEmpty(t, containerPorts(reporter, 8089), "export API and download links")
				assert.Empty(t, containerPorts(gateway, 8089))
				if name == "gateway-pvc" {
					assert.Equal(t, "StatefulSet", kindOf(gateway), "a queue PVC per replica")
					assert.NotEmpty(t, list(gateway, "spec", "volumeClaimTemplates"))
				} else {
					assert.Equal(t, "Deployment", kindOf(gateway))
				}
				for _, hpa := range byKind["HorizontalPodAutoscaler"] {
					assert.Equal(t, kindOf(gateway), str(hpa, "spec", "scaleTargetRef", "kind"))
					assert.Equal(t, nameOf(gateway), str(hpa, "spec", "scaleTargetRef", "name"))
				}
				require.Len(t, byKind["PodDisruptionBudget"], 1)
				assert.Equal(t, dig(gateway, "spec", "selector", "matchLabels"), dig(byKind["PodDisruptionBudget"][0], "spec", "selector", "matchLabels"))
			case "single":
				require.Len(t, workloads, 1)
				assert.Equal(t, "StatefulSet", kindOf(workloads[0]))
				assert.EqualValues(t, 1, dig(workloads[0], "spec", "replicas"))
				assert.NotEmpty(t, list(workloads[0], "spec", "volumeClaimTemplates"))
				assert.Empty(t, byKind["HorizontalPodAutoscaler"])
				single := configs["audit-otelcol-audit-single"]
				require.NotNil(t, single)
				assert.NotNil(t, dig(single, "extensions", "audit_reporter", "source", "spool"), "one process reports from its spool")
				assert.ElementsMatch(t, []any{"audit_loki", "audit_report"}, list(single, "service", "pipelines", "logs", "exporters"))
			}

			for _, rule := range byKind["PrometheusRule"] {
				got, err := yaml.Marshal(dig(rule, "spec", "groups"))
				require.NoError(t, err)
				want, err := yaml.Marshal(wantRules)
				require.NoError(t, err)
				assert.Equal(t, string(want), string(got), "PrometheusRule carries dashboards/prometheus rules")
			}
			if name == "monitoring" {
				assert.Len(t, byKind["PrometheusRule"], 1)
				assert.Len(t, byKind["ServiceMonitor"], 1)
			}
		})
	}
}

// checkFleetConfigs checks the topology of docs/scaling.md: gateways push to Loki only and
// keep no report state; the reporter reads Loki and pushes only its own audit events.
func checkFleetConfigs(t *testing.T, values manifest, gateway, reporter manifest) {
	t.Helper()
	require.NotNil(t, gateway, "gateway config")
	require.NotNil(t, reporter, "reporter config")

	assert.Equal(t, []string{"audit_loki"}, keys(dig(gateway, "exporters")), "gateways push to Loki only")
	assert.Nil(t, dig(gateway, "extensions", "audit_reporter"), "gateways keep no report state")
	assert.Equal(t, []string{"logs"}, keys(dig(gateway, "service", "pipelines")))

	assert.Equal(t, []string{"audit_events"}, keys(dig(reporter, "receivers")), "the reporter receives only its own audit events")
	assert.Equal(t, []string{"audit_loki"}, keys(dig(reporter, "exporters")))
	source := dig(reporter, "extensions", "audit_reporter", "source")
	assert.Equal(t, []string{"loki"}, keys(source), "the reporter reads Loki")
	endpoint := str(values, "reporter", "loki", "endpoint")
	if endpoint == "" {
		endpoint = str(values, "loki", "endpoint")
	}
	require.NotEmpty(t, endpoint)
	assert.Equal(t, endpoint, str(source, "loki", "endpoint"))
	assert.Equal(t, str(values, "reporter", "loki", "settleDelay"), str(source, "loki", "settle_delay"))
	assert.EqualValues(t, dig(values, "reporter", "loki", "pageSize"), dig(source, "loki", "page_size"))
	if r := str(values, "reporter", "loki", "retention"); r != "" {
		assert.Equal(t, r, str(source, "loki", "retention"))
	}
	if str(values, "secrets", "lokiTokenKey") != "" {
		assert.Equal(t, "bearertokenauth/loki", str(source, "loki", "auth", "authenticator"), "queries carry the Loki token")
		assert.Equal(t, "bearertokenauth/loki", str(gateway, "exporters", "audit_loki", "auth", "authenticator"))
	}
}

// chartValues is the chart's values.yaml with the given --values files merged over it.
func chartValues(t *testing.T, args []string) manifest {
	t.Helper()
	files := []string{repoPath(chartDir + "/values.yaml")}
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == "--values" {
			files = append(files, args[i+1])
		}
	}
	merged := manifest{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var m manifest
		require.NoError(t, yaml.Unmarshal(data, &m), f)
		mergeValues(merged, m)
	}
	return merged
}

// mergeValues merges src into dst as Helm does: maps key by key, anything else replaced.
func mergeValues(dst, src manifest) {
	for k, v := range src {
		if sm, ok := v.(manifest); ok {
			if dm, ok := dst[k].(manifest); ok {
				mergeValues(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

func keys(v any) []string {
	m, _ := v.(map[string]any)
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// containerPorts returns the workload's container ports among the given numbers.
func containerPorts(w manifest, numbers ...int) []int {
	var found []int
	for _, c := range list(w, "spec", "template", "spec", "containers") {
		for _, p := range list(c, "ports") {
			for _, n := range numbers {
				if dig(p, "containerPort") == n {
					found = append(found, n)
				}
			}
		}
	}
	return found
}

// checkWorkload checks what every collector pod must have: non-root, a read-only root
// filesystem, probes on the health_check extension, a memory limit, secrets by reference.
func checkWorkload(t *testing.T, w manifest) {
	t.Helper()
	where := kindOf(w) + "/" + nameOf(w)
	pod := dig(w, "spec", "template", "spec")
	assert.Equal(t, true, dig(pod, "securityContext", "runAsNonRoot"), where)
	assert.NotZero(t, dig(pod, "securityContext", "runAsUser"), where)
	containers := list(pod, "containers")
	require.Len(t, containers, 1, where)
	c := containers[0]
	assert.Equal(t, true, dig(c, "securityContext", "readOnlyRootFilesystem"), where)
	assert.Equal(t, false, dig(c, "securityContext", "allowPrivilegeEscalation"), where)
	assert.NotEmpty(t, str(c, "resources", "limits", "memory"), "%s: memory_limiter needs a limit", where)

	health := map[string]bool{}
	for _, p := range list(c, "ports") {
		if dig(p, "containerPort") == 13133 {
			health[str(p, "name")] = true
		}
	}
	for _, probe := range []string{"livenessProbe", "readinessProbe"} {
		port := dig(c, probe, "httpGet", "port")
		assert.True(t, port == 13133 || health[str(c, probe, "httpGet", "port")], "%s: %s on the health_check port, got %v", where, probe, port)
	}
	for _, e := range list(c, "env") {
		if strings.HasPrefix(str(e, "name"), "OTELCOL_AUDIT_") {
			assert.Nil(t, dig(e, "value"), "%s: %s must come from a Secret", where, str(e, "name"))
			assert.NotEmpty(t, str(e, "valueFrom", "secretKeyRef", "name"), where)
		}
	}
	mounts := map[string]bool{}
	for _, m := range list(c, "volumeMounts") {
		mounts[str(m, "mountPath")] = true
	}
	assert.True(t, mounts["/var/lib/otelcol-audit"], "%s: state volume", where)
	assert.True(t, mounts["/tmp"], "%s: writable /tmp on a read-only root", where)
}

func prometheusRuleGroups(t *testing.T, file string) any {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var rf map[string]any
	require.NoError(t, yaml.Unmarshal(data, &rf))
	require.NotEmpty(t, rf["groups"])
	return rf["groups"]
}

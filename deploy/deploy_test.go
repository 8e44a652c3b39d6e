package deploy

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

var repoRoot = testharness.RepoRoot()

func repoPath(rel string) string { return filepath.Join(repoRoot, filepath.FromSlash(rel)) }

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// collectorBinary builds the distribution once for all tests of this package.
func collectorBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the distribution to run its validate command: skipped with -short")
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "otelcol-audit-deploy-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(buildDir, "otelcol-audit"), "./cmd/otelcol-audit")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/otelcol-audit: %w\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return filepath.Join(buildDir, "otelcol-audit")
}

var (
	// ${env:NAME} without a default: the config cannot start unless it is set.
	requiredEnvRef = regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}`)
	fileRef        = regexp.MustCompile(`\$\{file:([^}]+)\}`)
)

// secretValue is a value no check takes for a demo secret, long enough for every key.
func secretValue(name string) string {
	return "test_" + strings.ToLower(name) + "_0123456789abcdef0123456789abcdef"
}

// withSecrets returns a copy of a collector config whose ${file:...} secrets point at files
// holding real (non-demo) values, and the environment that sets every ${env:NAME} it needs.
func withSecrets(t *testing.T, path string) (string, []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	text := string(data)
	dir := t.TempDir()
	for _, m := range fileRef.FindAllStringSubmatch(text, -1) {
		name := filepath.Base(m[1])
		secret := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(secret, []byte(secretValue(name)), 0o600))
		text = strings.ReplaceAll(text, m[0], "${file:"+secret+"}")
	}
	out := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(out, []byte(text), 0o600))
	var env []string
	for _, m := range requiredEnvRef.FindAllStringSubmatch(text, -1) {
		env = append(env, m[1]+"="+secretValue(m[1]))
	}
	return out, env
}

// validate runs `otelcol-audit validate` on a config with only the given OTELCOL_AUDIT_*
// variables set.
func validate(t *testing.T, bin, config string, env []string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, "validate", "--config", config)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OTELCOL_AUDIT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// isCollectorConfig tells a collector config from the other YAML files under deploy/.
func isCollectorConfig(data []byte) bool {
	var top map[string]any
	if yaml.Unmarshal(data, &top) != nil {
		return false
	}
	_, r := top["receivers"]
	_, e := top["exporters"]
	_, s := top["service"]
	return r && e && s
}

func TestEveryCollectorConfigUnderDeployValidates(t *testing.T) {
	bin := collectorBinary(t)
	var found []string
	err := filepath.WalkDir(repoPath("deploy"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// Chart templates are not YAML until rendered; TestHelmChart validates what they render.
		if d.IsDir() && d.Name() == "helm" {
			return filepath.SkipDir
		}
		if d.IsDir() || (filepath.Ext(path) != ".yaml" && filepath.Ext(path) != ".yml") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if isCollectorConfig(data) {
			rel, _ := filepath.Rel(repoRoot, path)
			found = append(found, filepath.ToSlash(rel))
		}
		return nil
	})
	require.NoError(t, err)
	sort.Strings(found)
	assert.Subset(t, found, []string{"deploy/compose/collector.yaml", "deploy/container/config.yaml"})
	for _, rel := range found {
		t.Run(rel, func(t *testing.T) {
			config, env := withSecrets(t, repoPath(rel))
			out, err := validate(t, bin, config, env)
			assert.NoError(t, err, "otelcol-audit validate --config %s:\n%s", rel, out)
		})
	}
}

func TestContainerConfigStartsOnlyWithRealSecrets(t *testing.T) {
	bin := collectorBinary(t)
	config := repoPath("deploy/container/config.yaml")

	out, err := validate(t, bin, config, nil)
	assert.Error(t, err, "no secrets set")
	assert.Contains(t, out, "token: must be at least 16 bytes")

	out, err = validate(t, bin, config, []string{
		"OTELCOL_AUDIT_TOKEN=demo-token-change-me-0123456789",
		"OTELCOL_AUDIT_LINK_KEY=demo-link-key-change-me-0123456789abcdef",
	})
	assert.Error(t, err, "demo secrets while listening on 0.0.0.0")
	assert.Contains(t, out, "a demo secret is configured")

	out, err = validate(t, bin, config, []string{
		"OTELCOL_AUDIT_TOKEN=" + secretValue("token"),
		"OTELCOL_AUDIT_LINK_KEY=" + secretValue("link-key"),
	})
	assert.NoError(t, err, out)
}

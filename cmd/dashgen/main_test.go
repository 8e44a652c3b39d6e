package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunWritesEveryFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, run([]string{"-out", dir, "-loki-tenant", "acme", "-loki-tenant", "globex", "-export-base-url", "https://audit.example.com"}))
	for _, path := range []string{
		"grafana/audit-log-explorer.json",
		"grafana/authentication-security.json",
		"grafana/pipeline-health.json",
		"alerts/acme/otelcol-audit.rules.yaml",
		"alerts/globex/otelcol-audit.rules.yaml",
		"prometheus/otelcol-audit.rules.yaml",
		"prometheus/otelcol-audit.rules.test.yaml",
	} {
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(path)))
		assert.NoError(t, err, path)
	}
}

func TestRunDefaultsToTheSingleTenantLokiTenant(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, run([]string{"-out", dir}))
	_, err := os.Stat(filepath.Join(dir, "alerts", "fake", "otelcol-audit.rules.yaml"))
	assert.NoError(t, err)
}

func TestRunRejectsBadInput(t *testing.T) {
	assert.Error(t, run([]string{"-out", t.TempDir(), "-loki-tenant", "../x"}))
	assert.Error(t, run([]string{"-out", t.TempDir(), "-export-base-url", ""}))
	assert.Error(t, run([]string{"-no-such-flag"}))
}

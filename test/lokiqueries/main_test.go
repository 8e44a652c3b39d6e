// Package lokiqueries runs every Loki query of the generated Grafana dashboards, and the
// generated Loki ruler rules, against a real multi-tenant Loki loaded through the real
// pipeline (auditgen scenarios → audit_normalizer → audit_loki). It checks what a unit test
// cannot: that each query parses once Grafana has expanded its variables, that it finds the
// events the pipeline wrote, and that each tenant's rules alert on that tenant's data only.
//
// Loki comes from the shared test build (internal/testharness.StartLoki); without it the
// tests are skipped. One Loki serves the whole package: it takes 10-20 s to start.
package lokiqueries

import (
	"fmt"
	"net/http"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

func TestMain(m *testing.M) {
	code := m.Run()
	// Keep-alive connections of the default client (the harness's queries) are not leaks.
	http.DefaultClient.CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// The two tenants. Rule files are taken from the committed dashboards/alerts/<tenant>/, so
// both are tenants the generator writes by default (dashboards.BundledTenants).
const (
	// tenantBusy gets every scenario: normal activity, a brute-force burst and vendor
	// events. Every dashboard panel has data for it.
	tenantBusy = "tenant-1"
	// tenantQuiet gets normal activity only: its rules must stay silent while tenantBusy's
	// burst is in Loki.
	tenantQuiet = "tenant-2"
)

// TestDashboardsAndRulesAgainstLoki starts one Loki, installs the rule files, loads both
// tenants, then checks the ruler and the dashboards side by side.
func TestDashboardsAndRulesAgainstLoki(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Loki")
	}
	loki := testharness.StartLoki(t)
	// The rules go in first: the ruler picks files up on its next poll (every 15 s here).
	installRules(t, loki, tenantBusy, tenantQuiet)
	loaded := loadTenants(t, loki)

	t.Run("ruler", func(t *testing.T) {
		t.Parallel()
		checkRuler(t, loki, loaded)
	})
	t.Run("dashboards", func(t *testing.T) {
		t.Parallel()
		checkDashboards(t, loki, loaded)
	})
}

// Command dashgen renders the Grafana dashboards, the Loki ruler rules (one file per tenant)
// and the Prometheus rules (with their promtool tests) defined in package dashboards.
//
//	go run ./cmd/dashgen -out dashboards
//	go run ./cmd/dashgen -out /tmp/rules -tenants acme,globex -export-base-url https://audit.example.com
//
// Each tenant's Loki rules land in <out>/alerts/<tenant>/otelcol-audit.rules.yaml, the layout
// of Loki's local rule storage: copy or mount <out>/alerts as the ruler's rules directory.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/otelcol-audit/otelcol-audit/dashboards"
)

// tenantList collects tenants from -tenants (comma-separated) and the older, repeatable
// -loki-tenant; both add to one list, in order, without duplicates.
type tenantList []string

func (t *tenantList) String() string { return strings.Join(*t, ",") }

// Set adds one tenant.
func (t *tenantList) Set(v string) error {
	if v == "" {
		return errors.New("empty tenant")
	}
	for _, have := range *t {
		if have == v {
			return nil
		}
	}
	*t = append(*t, v)
	return nil
}

// commaList adds a comma-separated list of tenants to a tenantList.
type commaList struct{ list *tenantList }

func (c commaList) String() string {
	if c.list == nil {
		return ""
	}
	return c.list.String()
}

func (c commaList) Set(v string) error {
	for _, tenant := range strings.Split(v, ",") {
		if err := c.list.Set(strings.TrimSpace(tenant)); err != nil {
			return fmt.Errorf("%w in %q", err, v)
		}
	}
	return nil
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "dashgen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("dashgen", flag.ContinueOnError)
	defaults := dashboards.DefaultOptions()
	out := fs.String("out", "dashboards", "directory the files are written into")
	exportBaseURL := fs.String("export-base-url", defaults.ExportBaseURL, "base URL of the on-demand export endpoint used by the explorer's \"Generate log file\" link")
	var tenants tenantList
	fs.Var(commaList{&tenants}, "tenants", fmt.Sprintf("comma-separated Loki tenants to write a rule file for (default %q; %q for a Loki with auth_enabled: false)",
		strings.Join(defaults.LokiTenants, ","), dashboards.SingleTenantLokiTenant))
	fs.Var(&tenants, "loki-tenant", "one Loki tenant to write a rule file for, repeatable; adds to -tenants")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	opts := dashboards.Options{ExportBaseURL: *exportBaseURL, LokiTenants: tenants}
	if len(opts.LokiTenants) == 0 {
		opts.LokiTenants = defaults.LokiTenants
	}
	paths, err := dashboards.Write(*out, opts)
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Println(p)
	}
	return nil
}

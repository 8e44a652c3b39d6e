// Command dashgen renders the Grafana dashboards, the Loki ruler rules and the Prometheus
// rules (with their promtool tests) defined in package dashboards.
//
//	go run ./cmd/dashgen -out dashboards
//	go run ./cmd/dashgen -out /tmp/rules -loki-tenant acme -loki-tenant globex -export-base-url https://audit.example.com
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/otelcol-audit/otelcol-audit/dashboards"
)

// tenantList is a repeatable -loki-tenant flag.
type tenantList []string

func (t *tenantList) String() string { return strings.Join(*t, ",") }

func (t *tenantList) Set(v string) error {
	*t = append(*t, v)
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
	fs.Var(&tenants, "loki-tenant", fmt.Sprintf("Loki tenant to write a rule file for, repeatable (default %q)", dashboards.DefaultLokiTenant))
	if err := fs.Parse(args); err != nil {
		return err
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

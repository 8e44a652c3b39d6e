// Package dashboards defines, as Go code, the Grafana dashboards, the Loki ruler rules and the
// Prometheus rules that ship with otelcol-audit, and renders them to the files committed next
// to this package (cmd/dashgen writes them; the tests fail when the committed files drift).
//
// Loki queries are built from the label and structured-metadata names in internal/audit, and
// Prometheus queries from the metric names in metrics.go, so that a rename breaks a test here
// instead of a dashboard in production.
package dashboards

#!/usr/bin/env bash
# Regenerates the copies of generated rule files that the deployments ship, from the Go code in
# dashboards/ (cmd/dashgen):
#   deploy/compose/loki/rules/<tenant>/   Loki ruler rules of each demo tenant of the local stack
#   deploy/helm/otelcol-audit/files/      Prometheus rules carried by the chart's PrometheusRule
# `go test ./deploy/` fails while these differ from what dashgen writes.
set -euo pipefail
cd "$(dirname "$0")/.."

tenants=(demo tenant-1 tenant-2 tenant-3)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

args=(-out "$tmp")
for t in "${tenants[@]}"; do args+=(-loki-tenant "$t"); done
go run ./cmd/dashgen "${args[@]}" >/dev/null

rm -rf deploy/compose/loki/rules
mkdir -p deploy/compose/loki/rules
for t in "${tenants[@]}"; do cp -r "$tmp/alerts/$t" deploy/compose/loki/rules/; done

mkdir -p deploy/helm/otelcol-audit/files
cp "$tmp/prometheus/otelcol-audit.rules.yaml" deploy/helm/otelcol-audit/files/prometheus-rules.yaml

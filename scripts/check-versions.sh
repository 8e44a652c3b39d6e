#!/usr/bin/env bash
# Fails when the module graph mixes collector releases: every go.opentelemetry.io/collector
# module must be at v0.161.0 (or stable v1.67.0), every contrib module at v0.161.0, and no
# AGPL Grafana module (loki/v3, grafana/grafana) may appear.
set -euo pipefail
cd "$(dirname "$0")/.."
mods=$(go list -m all)
bad=$(echo "$mods" | awk '
  $1 ~ /^go\.opentelemetry\.io\/collector($|\/)/ && $2 != "v0.161.0" && $2 != "v1.67.0" { print }
  $1 ~ /^github\.com\/open-telemetry\/opentelemetry-collector-contrib\// && $2 != "v0.161.0" { print }
  $1 ~ /^github\.com\/grafana\/(loki\/v3|grafana)$/ { print }')
if [ -n "$bad" ]; then
  echo "modules outside the pinned collector release (see docs/development.md):" >&2
  echo "$bad" >&2
  exit 1
fi
echo "collector modules: one release (core v0.161.0/v1.67.0, contrib v0.161.0)"

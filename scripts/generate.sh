#!/usr/bin/env bash
# Regenerates the distribution's main.go and components.go from builder-config.yaml with the
# pinned OpenTelemetry Collector Builder. The generated files are committed and build inside the
# root module; the go.mod the builder writes is discarded (the root go.mod is the only one).
# With --check, nothing is written and the script fails when the committed files are stale.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/tools.sh builder
builder=$(scripts/tools.sh path builder)
out=cmd/otelcol-audit
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed "s#^\(\s*output_path:\).*#\1 $tmp/gen#" builder-config.yaml > "$tmp/builder-config.yaml"
"$builder" --config "$tmp/builder-config.yaml" --skip-compilation --skip-get-modules >"$tmp/builder.log" 2>&1 \
  || { cat "$tmp/builder.log" >&2; exit 1; }

files="main.go main_others.go main_windows.go components.go"
for f in $files; do gofmt "$tmp/gen/$f" > "$tmp/$f"; done

if [ "${1:-}" = "--check" ]; then
  stale=0
  for f in $files; do
    if ! diff -u "$out/$f" "$tmp/$f"; then stale=1; fi
  done
  if [ $stale -ne 0 ]; then
    echo "cmd/otelcol-audit is stale: run 'make generate' and commit the result" >&2
    exit 1
  fi
  echo "cmd/otelcol-audit matches builder-config.yaml"
  exit 0
fi

mkdir -p "$out"
for f in $files; do cp "$tmp/$f" "$out/$f"; done

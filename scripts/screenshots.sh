#!/usr/bin/env bash
# Takes the screenshots in docs/images/ from pages the project serves:
#   report-email.png         the HTML summary of a scheduled report email (internal/reportmail,
#                            rendered by scripts/screenshots.go from sample events)
#   export-confirm.png       the confirmation page of the explorer's "Generate log file" link
#   export-confirm-view.png  the confirmation page of its "Export this view" link
#   export-status.png        the status page of a finished "Generate log file" export
# The export pages come from the built distribution, started on config/default.yaml in a
# temporary directory (loopback only, on ports from PORT_BASE so that a running `make run`
# is not disturbed), fed with `cmd/auditgen`.
#
# Needs Debian's chromium (apt-get install -y --no-install-recommends chromium); pngquant or
# ImageMagick's convert, when present, shrink images over 300 KB.
#
#   scripts/screenshots.sh              # writes docs/images/*.png
#   SKIP_BUILD=1 scripts/screenshots.sh # reuse bin/otelcol-audit
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$PWD
out=${OUT:-$repo/docs/images}
base=${PORT_BASE:-24300}
token=${OTELCOL_AUDIT_TOKEN:-demo-token-change-me-0123456789}
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[[ -n $chromium ]] || { echo "chromium not found: apt-get install -y --no-install-recommends chromium" >&2; exit 1; }

grpc=$((base + 17)) http=$((base + 18)) webhook=$((base + 88)) links=$((base + 89))
health=$((base + 33)) pprof=$((base + 77)) metrics=$((base + 80))
for p in $grpc $http $webhook $links $health $pprof $metrics; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "port $p is in use: set PORT_BASE to a free range" >&2
    exit 1
  fi
done

work=$(mktemp -d)
collector_pid=
cleanup() {
  [[ -n $collector_pid ]] && kill "$collector_pid" 2>/dev/null && wait "$collector_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$out"

shoot() { # shoot <url> <png> <width> <height>
  local sandbox=()
  [[ $(id -u) == 0 ]] && sandbox=(--no-sandbox)
  "$chromium" --headless "${sandbox[@]}" --disable-gpu --hide-scrollbars --no-first-run \
    --user-data-dir="$work/chromium" --window-size="$3,$4" --screenshot="$2" "$1" >/dev/null 2>&1
  if (($(stat -c %s "$2") > 300000)); then
    if command -v pngquant >/dev/null; then
      pngquant --force --output "$2" 64 "$2"
    elif command -v convert >/dev/null; then
      convert "$2" -colors 64 "PNG8:$2"
    fi
  fi
  echo "$2: $(stat -c %s "$2") bytes"
}

# (a) The report email's HTML summary.
go run scripts/screenshots.go -out "$work/report-email.html"
shoot "file://$work/report-email.html" "$out/report-email.png" 820 860

# (b, c) The export pages, from the distribution.
if [[ -z ${SKIP_BUILD:-} ]]; then
  make build
fi
cat >"$work/ports.yaml" <<EOF
extensions:
  health_check: {endpoint: 127.0.0.1:$health}
  pprof: {endpoint: 127.0.0.1:$pprof}
  audit_reporter:
    links:
      server: {endpoint: 127.0.0.1:$links}
      public_url: http://127.0.0.1:$links
receivers:
  otlp:
    protocols:
      grpc: {endpoint: 127.0.0.1:$grpc}
      http: {endpoint: 127.0.0.1:$http}
  audit_webhook:
    server: {endpoint: 127.0.0.1:$webhook}
service:
  telemetry:
    metrics:
      readers:
        - pull: {exporter: {prometheus: {host: 127.0.0.1, port: $metrics}}}
  pipelines:
    logs:
      exporters: [audit_report] # no Loki here: the export reads the report spool
EOF
(cd "$work" && exec "$repo/bin/otelcol-audit" --config "$repo/config/default.yaml" --config "$work/ports.yaml" >"$work/collector.log" 2>&1) &
collector_pid=$!
for _ in $(seq 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$health/" 2>/dev/null && break
  sleep 0.2
done
curl -fsS -o /dev/null "http://127.0.0.1:$health/" || { cat "$work/collector.log" >&2; exit 1; }

go run ./cmd/auditgen -tenant-names demo -count 50 -endpoint "127.0.0.1:$grpc" -token "$token" -quiet
sleep 1 # the spool acknowledges before the export counts

from=$(date -u -d '-1 hour' +%Y-%m-%dT%H:00:00Z)
to=$(date -u -d '+1 hour' +%Y-%m-%dT%H:00:00Z)
api=http://127.0.0.1:$links/api/v1/exports
# The browser sends the token as the Basic password, as it would after the login prompt.
page=http://demo-admin:$token@127.0.0.1:$links/api/v1/exports

# The links as Grafana fills them in on the explorer dashboard.
shoot "$page/new?tenant=demo&from=$from&to=$to&scope=all&format=csv" "$out/export-confirm.png" 820 520
shoot "$page/new?tenant=demo&from=$from&to=$to&scope=view&services=&categories=Authentication&outcomes=failure&author=alice&summary=&source_ip=&format=xlsx" \
  "$out/export-confirm-view.png" 820 600

id=$(curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$api" \
  -d "{\"tenant\":\"demo\",\"from\":\"$from\",\"to\":\"$to\",\"scope\":\"all\",\"format\":\"csv\",\"notify\":[\"admin@demo.example\"]}" |
  sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p')
[[ -n $id ]] || { echo "no export id" >&2; exit 1; }
for _ in $(seq 100); do
  curl -fsS -H "Authorization: Bearer $token" "$api/$id" | grep -q '"status":"ready"' && break
  sleep 0.2
done
shoot "$page/$id" "$out/export-status.png" 980 380

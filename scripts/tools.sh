#!/usr/bin/env bash
# Installs the pinned tools the build and the tests need, once per version, into a cache
# outside the checkout so that fresh clones on the same machine reuse them.
# Usage: scripts/tools.sh [builder|victoria-logs|mailpit|benchstat|promtool|all]...
# Prints nothing on success; each tool's path is available through scripts/tools.sh path NAME.
set -euo pipefail

TOOLS_DIR=${OTELCOL_AUDIT_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/otelcol-audit/tools}

declare -A MODULE=(
  [builder]=go.opentelemetry.io/collector/cmd/builder@v0.161.0
  [victoria-logs]=github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@v1.52.1
  [mailpit]=github.com/axllent/mailpit@v1.33.1
  [benchstat]=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
)

bin_path() {
  local name=$1 mod=${MODULE[$1]}
  echo "$TOOLS_DIR/${name}-${mod##*@}/bin/${name}"
}

install_go_tool() {
  local name=$1 mod=${MODULE[$1]} dst
  dst=$(bin_path "$name")
  [ -x "$dst" ] && return 0
  echo "installing $mod" >&2
  mkdir -p "$(dirname "$dst")"
  GOBIN=$(dirname "$dst") GOFLAGS=-buildvcs=false CGO_ENABLED=0 go install "$mod"
}

install_promtool() {
  command -v promtool >/dev/null 2>&1 && return 0
  echo "installing promtool (Debian package prometheus)" >&2
  export DEBIAN_FRONTEND=noninteractive
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  # The package starts a Prometheus service on :9090 where an init system runs; tests do not need it.
  $sudo service prometheus stop >/dev/null 2>&1 || true
}

case "${1:-all}" in
  path)
    if [ "$2" = promtool ]; then command -v promtool; else bin_path "$2"; fi ;;
  all)
    for t in builder victoria-logs mailpit benchstat; do install_go_tool "$t"; done
    install_promtool ;;
  *)
    for t in "$@"; do
      if [ "$t" = promtool ]; then install_promtool; else install_go_tool "$t"; fi
    done ;;
esac

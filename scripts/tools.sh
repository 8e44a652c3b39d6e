#!/usr/bin/env bash
# Installs the pinned tools the build and the tests need, once per version, into a cache
# outside the checkout so that fresh clones on the same machine reuse them.
# Usage: scripts/tools.sh [builder|victoria-logs|mailpit|benchstat|helm|promtool|docker-compose|loki|all]...
# Prints nothing on success; each tool's path is available through scripts/tools.sh path NAME.
set -euo pipefail

TOOLS_DIR=${OTELCOL_AUDIT_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/otelcol-audit/tools}

declare -A MODULE=(
  [builder]=go.opentelemetry.io/collector/cmd/builder@v0.161.0
  [victoria-logs]=github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@v1.52.1
  [mailpit]=github.com/axllent/mailpit@v1.33.1
  [benchstat]=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
  [helm]=helm.sh/helm/v3/cmd/helm@v3.22.0
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

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

install_promtool() {
  command -v promtool >/dev/null 2>&1 && return 0
  echo "installing promtool (Debian package prometheus)" >&2
  apt_install prometheus
  # The package starts a Prometheus service on :9090 where an init system runs; tests do not need it.
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo service prometheus stop >/dev/null 2>&1 || true
}

# docker-compose 1.29 (Debian) validates compose files offline (`docker-compose config`); the
# deploy tests use it without a container engine.
install_docker_compose() {
  command -v docker-compose >/dev/null 2>&1 && return 0
  echo "installing docker-compose (Debian package docker-compose)" >&2
  apt_install docker-compose
}

# Loki is a test tool, not a module: a server binary is unpacked from the shared tools beside
# the checkout (../shared/tools/loki/loki.xz, checked against its SHA256SUMS), or taken from
# OTELCOL_AUDIT_LOKI_BIN. Without either, tests that need Loki skip; `all` goes on.
LOKI_XZ=${OTELCOL_AUDIT_LOKI_XZ:-$(cd "$(dirname "$0")/.." && pwd)/../shared/tools/loki/loki.xz}

loki_path() {
  if [ -n "${OTELCOL_AUDIT_LOKI_BIN:-}" ]; then echo "$OTELCOL_AUDIT_LOKI_BIN"; return; fi
  [ -f "$LOKI_XZ" ] || return 0
  local sum
  sum=$(awk '$2 == "loki.xz" {print substr($1, 1, 12)}' "$(dirname "$LOKI_XZ")/SHA256SUMS" 2>/dev/null)
  [ -n "$sum" ] || sum=$(sha256sum "$LOKI_XZ" | cut -c1-12)
  echo "$TOOLS_DIR/loki-$sum/loki"
}

install_loki() {
  local dst sums
  dst=$(loki_path)
  if [ -z "$dst" ]; then
    echo "no Loki test binary ($LOKI_XZ absent, OTELCOL_AUDIT_LOKI_BIN unset): tests that need Loki will skip" >&2
    return 0
  fi
  [ -x "$dst" ] && return 0
  echo "unpacking $LOKI_XZ" >&2
  sums="$(dirname "$LOKI_XZ")/SHA256SUMS"
  (cd "$(dirname "$LOKI_XZ")" && grep ' loki.xz$' "$sums" | sha256sum -c --quiet -)
  mkdir -p "$(dirname "$dst")"
  xz -dc "$LOKI_XZ" >"$dst.tmp"
  echo "$(grep ' loki$' "$sums" | cut -d' ' -f1)  $dst.tmp" | sha256sum -c --quiet -
  chmod +x "$dst.tmp" && mv "$dst.tmp" "$dst"
}

install() {
  case "$1" in
    loki) install_loki ;;
    promtool) install_promtool ;;
    docker-compose) install_docker_compose ;;
    *) install_go_tool "$1" ;;
  esac
}

case "${1:-all}" in
  path)
    case "$2" in
      promtool | docker-compose) command -v "$2" ;;
      loki) loki_path ;;
      *) bin_path "$2" ;;
    esac ;;
  all)
    for t in builder victoria-logs mailpit benchstat helm promtool docker-compose loki; do install "$t"; done ;;
  *)
    for t in "$@"; do install "$t"; done ;;
esac

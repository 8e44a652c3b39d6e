#!/usr/bin/env bash
# Installs the pinned tools the build and the tests need, once per version, into a cache
# outside the checkout so that fresh clones on the same machine reuse them.
# Usage: scripts/tools.sh [builder|victoria-logs|mailpit|benchstat|helm|promtool|docker-compose|all]...
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

install() {
  case "$1" in
    promtool) install_promtool ;;
    docker-compose) install_docker_compose ;;
    *) install_go_tool "$1" ;;
  esac
}

case "${1:-all}" in
  path)
    case "$2" in
      promtool | docker-compose) command -v "$2" ;;
      *) bin_path "$2" ;;
    esac ;;
  all)
    for t in builder victoria-logs mailpit benchstat helm promtool docker-compose; do install "$t"; done ;;
  *)
    for t in "$@"; do install "$t"; done ;;
esac

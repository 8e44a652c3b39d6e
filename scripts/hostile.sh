#!/usr/bin/env bash
# Hostile-load harness: builds the distribution, starts it on the bundled config/default.yaml in a
# scratch directory, sends 64 parallel 10 MiB hostile bodies of every shape to every webhook
# endpoint and to OTLP/HTTP for DURATION (default 60s) while a legitimate sender keeps a steady
# rate, then stops the collector and checks that every acknowledged legitimate event reached the
# report spool. Everything runs on loopback and stops by itself.
#   scripts/hostile.sh                 # DURATION=60s WORKERS=64 BODY_SIZE=10485760
#   BODY_SIZE=3145728 scripts/hostile.sh   # bodies under the 4 MiB limit: the decoders' caps work
#   HOSTILE_TOKEN= scripts/hostile.sh      # hostile senders without a token (default: the demo
#                                          # token, i.e. a compromised tenant)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
duration=${DURATION:-60s}
workers=${WORKERS:-64}
body_size=${BODY_SIZE:-10485760}
hostile_token=${HOSTILE_TOKEN-demo-token-change-me-0123456789}

make -s build >/dev/null
go build -o bin/hostileload ./cmd/hostileload

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
"$root/bin/otelcol-audit" --config "$root/config/default.yaml" >collector.log 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS http://127.0.0.1:13133/ >/dev/null 2>&1 && break
  sleep 0.2
done
echo "collector pid $pid on $(nproc) cores, config/default.yaml" >&2

status=0
"$root/bin/hostileload" -pid "$pid" -duration "$duration" -workers "$workers" -body-size "$body_size" \
  -hostile-token "$hostile_token" \
  -ids "$work/acked.txt" || status=$?

kill -TERM "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
"$root/bin/hostileload" -ids "$work/acked.txt" -verify-spool "$work/data/audit_report/spool.db" || status=$?
exit $status

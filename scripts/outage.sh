#!/usr/bin/env bash
# Outage harness: the bundled config (persistent queue + report spool) receives a steady load
# while its Loki is unreachable, then Loki (a sink that answers at once) comes back and the
# queue drains. Reports whether any sender was refused during the outage, and the drain rate.
# Everything runs on loopback and stops by itself.
#   scripts/outage.sh                       # OUTAGE_S=120 RATE=1500
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
outage_s=${OUTAGE_S:-120}
rate=${RATE:-1500}
events=$((outage_s * rate))

go build -o bin/otelcol-audit ./cmd/otelcol-audit
go build -o bin/benchload ./cmd/benchload
go build -o bin/auditgen ./cmd/auditgen

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
read -r BENCH_OTLP_GRPC BENCH_OTLP_HTTP BENCH_WEBHOOK BENCH_LINKS BENCH_HEALTH BENCH_PPROF BENCH_METRICS BENCH_SINK \
  <<<"$(bin/benchload -free-ports 8 | tr '\n' ' ')"
export BENCH_OTLP_GRPC BENCH_OTLP_HTTP BENCH_WEBHOOK BENCH_LINKS BENCH_HEALTH BENCH_PPROF BENCH_METRICS BENCH_SINK

cd "$work"
"$root/bin/otelcol-audit" --config "$root/config/default.yaml" --config "$root/bench/pipelines/bundled.yaml" >collector.log 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$BENCH_HEALTH/" >/dev/null 2>&1 && break; sleep 0.2; done

sent() { # audit_loki records sent so far, from the collector's own metrics
  curl -fsS "http://127.0.0.1:$BENCH_METRICS/metrics" |
    awk '/^otelcol_exporter_sent_log_records_total\{.*exporter="audit_loki"/ {s += $NF} END {printf "%d\n", s}'
}

echo "outage: ${outage_s}s at ${rate} events/s (${events} events), Loki down; $(nproc) cores" >&2
start=$(date +%s.%N)
if "$root/bin/auditgen" -protocol http -endpoint "http://127.0.0.1:$BENCH_OTLP_HTTP" -tenant-names demo \
  -count "$events" -rate "$rate" -batch 100 -quiet -seed 0 -ids "$work/acked.txt"; then refused=no; else refused=yes; fi
acked=$(wc -l <"$work/acked.txt")
echo "during the outage: $acked of $events events acknowledged; a sender refused: $refused" >&2
queue_mib=$(du -sm data/queue | cut -f1)

"$root/bin/benchload" -sink ":$BENCH_SINK" -sink-for 30m >sink.log 2>&1 &
pids+=($!)
drain_start=$(date +%s.%N)
base=$(sent)
while :; do
  now=$(sent)
  [ "$now" -ge "$acked" ] && break
  sleep 0.5
  if [ "$(echo "$(date +%s.%N) - $drain_start > 900" | bc)" = 1 ]; then echo "drain did not finish in 15 minutes" >&2; exit 1; fi
done
drain_s=$(echo "$(date +%s.%N) - $drain_start" | bc)
echo "queue on disk after the outage: ${queue_mib} MiB" >&2
printf 'drained %d events in %.1f s: %.0f events/s (%.1fx the load rate)\n' "$acked" "$drain_s" \
  "$(echo "$acked / $drain_s" | bc -l)" "$(echo "$acked / $drain_s / $rate" | bc -l)"
[ "$refused" = no ] && [ "$acked" -eq "$events" ]

#!/usr/bin/env bash
# Whole-process pipeline benchmark: events per CPU-second of the collector process and its peak
# RSS, for several pipeline configurations (bench/pipelines/) run in the same session against a
# sink that discards everything (cmd/benchload -sink). Each run starts a fresh collector in its
# own working directory, waits for health, sends EVENTS pre-built OTLP/HTTP requests with
# cmd/benchload, waits until the sink has been quiet for QUIET_S seconds (so queued batches are
# flushed and paid for), and reads utime+stime from /proc/PID/stat before the load and after
# the quiet period, and VmHWM from /proc/PID/status. Rounds are interleaved, each starting at
# the next pipeline, so that drift on the machine hits every pipeline alike. Loopback only.
#   scripts/bench-pipeline.sh                          # every pipeline, 3 rounds
#   ROUNDS=1 EVENTS=50000 scripts/bench-pipeline.sh null ours-loki
# Environment: ROUNDS (3), EVENTS (300000), BATCH (500 records per request), CONCURRENCY (4
# senders), MIX (semconv or vendor), QUIET_S (2), BUILD (go, or make to run `make build`, which
# also regenerates cmd/otelcol-audit), OUT (bench/out). Results: $OUT/pipeline.md (the table)
# and $OUT/pipeline-runs.tsv (every run); collector logs and final metrics stay in
# $OUT/pipeline-logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
rounds=${ROUNDS:-3}
events=${EVENTS:-300000}
batch=${BATCH:-500}
concurrency=${CONCURRENCY:-4}
mix=${MIX:-semconv}
quiet_s=${QUIET_S:-2}
out=${OUT:-bench/out}
export OTELCOL_AUDIT_TOKEN=${OTELCOL_AUDIT_TOKEN:-demo-token-change-me-0123456789}
all=(null peer peer-batch ours-batch ours-loki bundled)
pipelines=("$@")
[ ${#pipelines[@]} -eq 0 ] && pipelines=("${all[@]}")

# configs prints the --config files of a pipeline, merged by the collector in this order.
configs() {
  local p=bench/pipelines
  case "$1" in
    null | peer | ours-batch | ours-loki) echo "$p/common.yaml $p/$1.yaml" ;;
    peer-batch) echo "$p/common.yaml $p/peer.yaml $p/peer-batch.yaml" ;;
    bundled) echo "config/default.yaml $p/bundled.yaml" ;;
    *) return 1 ;;
  esac
}
for p in "${pipelines[@]}"; do
  configs "$p" >/dev/null || { echo "unknown pipeline $p (known: ${all[*]})" >&2; exit 2; }
done

mkdir -p "$out" "$out/pipeline-logs"
tmp=$(mktemp -d)
sink_pid='' collector_pid=''
cleanup() {
  for pid in $collector_pid $sink_pid; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "== building bin/otelcol-audit and cmd/benchload" >&2
if [ "${BUILD:-go}" = make ]; then
  make build >&2
else
  go build -trimpath -o bin/otelcol-audit ./cmd/otelcol-audit
fi
collector=$root/bin/otelcol-audit
load=$tmp/benchload
go build -o "$load" ./cmd/benchload
# One plan for every run: the same requests, built once.
"$load" -write-plan "$tmp/plan" -n "$events" -batch "$batch" -mix "$mix"

clk_tck=$(getconf CLK_TCK)
# cpu_ticks prints utime+stime of a process, in clock ticks (fields 14 and 15 of
# /proc/PID/stat, counted after the parenthesised command name, which may hold spaces).
cpu_ticks() { sed -E 's/^.*\) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
stat_field() { sed -E "s/.*\"$1\":([0-9]+).*/\\1/"; }

# wait_http URL SECONDS [PID]: until URL answers 2xx; fails early if PID exits.
wait_http() {
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null; do
    if [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; then return 1; fi
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.1
  done
}

sink_port=$("$load" -free-ports 1)
"$load" -sink "127.0.0.1:$sink_port" -sink-for 6h 2>"$tmp/sink.log" &
sink_pid=$!
wait_http "http://127.0.0.1:$sink_port/stats" 10 "$sink_pid" || { cat "$tmp/sink.log" >&2; exit 1; }
export BENCH_SINK=$sink_port
sink_stats() { curl -fsS --max-time 2 "http://127.0.0.1:$sink_port/stats"; }

# stop_collector PID: SIGTERM, then SIGKILL after 30 s.
stop_collector() {
  kill -TERM "$1" 2>/dev/null || return 0
  local deadline=$((SECONDS + 30))
  while kill -0 "$1" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

runs=$out/pipeline-runs.tsv
printf 'pipeline\tround\tacked\twall_s\tcpu_s\tevents_per_cpu_s\tpeak_rss_mib\tsink_requests\tsink_mib\tretries\trefused\n' >"$runs"
failures=0

# run_one PIPELINE ROUND: one collector, one load; appends a row to $runs.
run_one() {
  local p=$1 r=$2 wd=$tmp/run-$1-$2 log=$out/pipeline-logs/$1-$2.log
  mkdir -p "$wd"
  read -r BENCH_HEALTH BENCH_OTLP_HTTP BENCH_OTLP_GRPC BENCH_METRICS BENCH_PPROF BENCH_WEBHOOK BENCH_LINKS \
    < <("$load" -free-ports 7)
  export BENCH_HEALTH BENCH_OTLP_HTTP BENCH_OTLP_GRPC BENCH_METRICS BENCH_PPROF BENCH_WEBHOOK BENCH_LINKS
  local args=() f
  for f in $(configs "$p"); do args+=(--config "$root/$f"); done
  (cd "$wd" && exec "$collector" "${args[@]}") >"$log" 2>&1 &
  collector_pid=$!
  local pid=$collector_pid
  if ! wait_http "http://127.0.0.1:$BENCH_HEALTH/" 60 "$pid"; then
    echo "!! $p round $r: collector did not become healthy; $log:" >&2
    tail -n 20 "$log" >&2
    stop_collector "$pid"
    return 1
  fi

  local s0 t0 t1 rss
  s0=$(sink_stats)
  t0=$(cpu_ticks "$pid")
  if ! "$load" -plan "$tmp/plan" -endpoint "http://127.0.0.1:$BENCH_OTLP_HTTP/v1/logs" \
    -c "$concurrency" -token "$OTELCOL_AUDIT_TOKEN" -timeout 10m >"$wd/load.txt" 2>"$wd/load.err"; then
    echo "!! $p round $r: load failed:" >&2
    cat "$wd/load.txt" "$wd/load.err" >&2
    tail -n 20 "$log" >&2
    stop_collector "$pid"
    return 1
  fi
  # Wait until the sink has seen nothing new for quiet_s seconds (at most 120 s): what the
  # collector still held in queues and batches is then delivered, and its cost counted.
  local last now stable=0 polls=$((quiet_s * 4)) deadline=$((SECONDS + 120))
  last=$(sink_stats | stat_field requests)
  while [ $stable -lt "$polls" ] && [ $SECONDS -lt $deadline ]; do
    sleep 0.25
    now=$(sink_stats | stat_field requests)
    if [ "$now" = "$last" ]; then stable=$((stable + 1)); else stable=0 last=$now; fi
  done
  t1=$(cpu_ticks "$pid")
  rss=$(hwm_kib "$pid")
  local s1
  s1=$(sink_stats)
  # The collector's own metrics (dropped, refused, quarantined), after the CPU reading.
  curl -fsS --max-time 5 "http://127.0.0.1:$BENCH_METRICS/metrics" >"${log%.log}.metrics" 2>/dev/null || true
  stop_collector "$pid"
  collector_pid=''

  local line acked wall retries requests bytes refused
  line=$(cat "$wd/load.txt")
  # Records the receiver refused under back-pressure (the sender retried them): work the
  # collector did twice, which events/CPU-s includes.
  refused=$(awk '/^otelcol_receiver_refused_log_records/ { n += $NF } END { printf "%d", n }' "${log%.log}.metrics" 2>/dev/null || echo 0)
  acked=$(sed -E 's/.*acked=([0-9]+).*/\1/' <<<"$line")
  wall=$(sed -E 's/.*wall_s=([0-9.]+).*/\1/' <<<"$line")
  retries=$(sed -E 's/.*retries=([0-9]+).*/\1/' <<<"$line")
  requests=$(($(stat_field requests <<<"$s1") - $(stat_field requests <<<"$s0")))
  bytes=$(($(stat_field bytes <<<"$s1") - $(stat_field bytes <<<"$s0")))
  if [ "$requests" -le 0 ]; then
    echo "!! $p round $r: the sink received nothing; $log:" >&2
    tail -n 20 "$log" >&2
    return 1
  fi
  awk -v p="$p" -v r="$r" -v a="$acked" -v w="$wall" -v t=$((t1 - t0)) -v hz="$clk_tck" \
    -v rss="$rss" -v q="$requests" -v b="$bytes" -v re="$retries" -v rf="$refused" 'BEGIN {
      cpu = t / hz
      printf "%s\t%d\t%d\t%.3f\t%.2f\t%.0f\t%.1f\t%d\t%.1f\t%d\t%d\n", p, r, a, w, cpu, (cpu > 0 ? a / cpu : 0), rss / 1024, q, b / 1048576, re, rf
    }' | tee -a "$runs" >&2
}

nproc_n=$(nproc)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== $nproc_n cores; $events events ($mix, $batch per request, $concurrency senders); $rounds rounds of: ${pipelines[*]}" >&2
n=${#pipelines[@]}
for ((r = 1; r <= rounds; r++)); do
  for ((i = 0; i < n; i++)); do
    p=${pipelines[$(((i + r - 1) % n))]}
    echo "-- round $r: $p" >&2
    run_one "$p" "$r" || failures=$((failures + 1))
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
column_of() { awk -F'\t' -v p="$1" -v c="$2" 'NR > 1 && $1 == p { print $c }' "$runs"; }
declare -A eps rss_med rss_max
for p in "${pipelines[@]}"; do
  eps[$p]=$(column_of "$p" 6 | median)
  rss_med[$p]=$(column_of "$p" 7 | median)
  rss_max[$p]=$(column_of "$p" 7 | sort -g | tail -n 1)
done
ratio() { awk -v a="$1" -v b="${2:-0}" 'BEGIN { if (b > 0 && a > 0) printf "%.2f", a / b; else print "–" }'; }

rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || rev="$rev (with uncommitted changes)"
{
  echo "# Pipeline benchmark"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $rev, $(go env GOVERSION), $(sed -nE 's/^model name\s*:\s*//p' /proc/cpuinfo | head -n 1)."
  echo "nproc: $nproc_n. Load average before ${load_before}, after ${load_after}."
  echo "$events events per run (mix $mix, $batch records per request, $concurrency senders), $rounds round(s), medians over rounds."
  echo "Events/CPU-s: events acknowledged per second of collector CPU (utime+stime), from the start of the load until the sink had been quiet for ${quiet_s}s."
  echo
  echo "| pipeline | events/CPU-s | × null | × peer | peak RSS MiB (median / max) | RSS × null | RSS × peer |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for p in "${pipelines[@]}"; do
    printf '| %s | %.0f | %s | %s | %.1f / %.1f | %s | %s |\n' "$p" "${eps[$p]}" \
      "$(ratio "${eps[$p]}" "${eps[null]:-}")" "$(ratio "${eps[$p]}" "${eps[peer]:-}")" \
      "${rss_med[$p]}" "${rss_max[$p]}" \
      "$(ratio "${rss_med[$p]}" "${rss_med[null]:-}")" "$(ratio "${rss_med[$p]}" "${rss_med[peer]:-}")"
  done
  echo
  echo "Every run ($runs). retries: requests the load generator resent after 429/503; refused:"
  echo "records the receiver refused under back-pressure, normalised or transformed once more when resent."
  echo
  echo '```'
  column -t -s $'\t' "$runs" 2>/dev/null || cat "$runs"
  echo '```'
} | tee "$out/pipeline.md"

if [ $failures -gt 0 ]; then
  echo "$failures run(s) failed; see above and $out/pipeline-logs/" >&2
  exit 1
fi

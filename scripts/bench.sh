#!/usr/bin/env bash
# The benchmark harness behind BENCHMARKS.md. Each suite runs COUNT times (default 6) and is
# summarised with the pinned benchstat; raw results stay in bench/out/ for later comparison
# (benchstat old.txt new.txt).
#   scripts/bench.sh                 # every suite
#   scripts/bench.sh normalizer loki # some suites: normalizer loki webhook spool report report-rss pipeline
# Run it on an otherwise idle machine: the suites report CPU time per operation where the
# comparison matters, but wall-clock numbers move with load.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-6}
out=bench/out
mkdir -p "$out"
scripts/tools.sh benchstat
benchstat=$(scripts/tools.sh path benchstat)

run() { # name, benchstat args, go test args...
  local name=$1 stat=$2
  shift 2
  echo "== $name: go test $*" >&2
  go test -run '^$' -count "$count" "$@" | tee "$out/$name.txt" >/dev/null
  # shellcheck disable=SC2086
  "$benchstat" $stat "$out/$name.txt"
}

suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(normalizer loki webhook spool report report-rss pipeline)
for s in "${suites[@]}"; do
  case "$s" in
    normalizer)
      run normalizer "" -bench . -benchmem ./processor/auditnormalizerprocessor
      echo "-- normaliser versus the transform processor (OTTL) on the same records" >&2
      "$benchstat" -filter '.name:Semconv' -col /impl "$out/normalizer.txt" ;;
    loki)
      run loki "" -bench . -benchmem ./exporter/auditlokiexporter
      "$benchstat" -filter '.name:EndToEnd' -col /exporter "$out/loki.txt" ;;
    webhook)
      run webhook "" -bench . -benchmem ./receiver/auditwebhookreceiver ;;
    spool)
      run spool "" -bench 'BenchmarkAppend' -cpu 1 -benchtime 200000x ./internal/spool
      run spool-scan "" -bench 'BenchmarkScan' -cpu 1 -benchtime 5x ./internal/spool ;;
    report)
      echo "== report: scripts/bench-report.sh (ROUNDS=$count)" >&2
      ROUNDS=$count scripts/bench-report.sh > "$out/report.txt"
      "$benchstat" -col /impl "$out/report.txt" ;;
    report-rss)
      echo "== report-rss: scripts/bench-report-rss.sh" >&2
      scripts/bench-report-rss.sh | tee "$out/report-rss.txt" ;;
    pipeline)
      # Whole collector processes: events per CPU-second and peak RSS per pipeline (ROUNDS=3).
      echo "== pipeline: scripts/bench-pipeline.sh (ROUNDS=${ROUNDS:-3})" >&2
      scripts/bench-pipeline.sh ;;
    *) echo "unknown suite $s" >&2; exit 2 ;;
  esac
done

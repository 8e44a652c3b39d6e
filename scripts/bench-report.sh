#!/usr/bin/env bash
# Runs the report renderer benchmarks and their baselines (raw encoding/csv, raw excelize
# StreamWriter) in interleaved rounds — one process per round, every benchmark in each — so
# that a busy machine affects renderer and baseline alike. Output is benchstat-ready:
#   scripts/bench-report.sh > /tmp/report.txt
#   benchstat -col /impl /tmp/report.txt
# ROUNDS (default 6), BENCH (default ^BenchmarkReport) and REPORT_BENCH_ROWS (default
# "100000,1000000") tune it.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-6}
bench=${BENCH:-^BenchmarkReport}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/reportrender.test" ./internal/reportrender
for i in $(seq 1 "$rounds"); do
  if [ "$i" -eq 1 ]; then
    "$tmp/reportrender.test" -test.run '^$' -test.bench "$bench" -test.benchtime=1x
  else
    "$tmp/reportrender.test" -test.run '^$' -test.bench "$bench" -test.benchtime=1x | grep '^Benchmark'
  fi
done

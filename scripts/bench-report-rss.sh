#!/usr/bin/env bash
# Measures the peak RSS of the report renderers, one benchmark per process, with
# /usr/bin/time -v (the kernel's max resident set size for the whole process, Go runtime and
# excelize temp-file buffers included). Rows default to 1,000,000; override with
# REPORT_BENCH_ROWS (one size).
#   scripts/bench-report-rss.sh            # all renderers and baselines
#   scripts/bench-report-rss.sh 'BenchmarkReportXLSX/.*/impl=reportrender$'
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${REPORT_BENCH_ROWS:-1000000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go test -c -o "$out/reportrender.test" ./internal/reportrender
benches=("$@")
if [ ${#benches[@]} -eq 0 ]; then
  benches=(
    'BenchmarkReportCSV/.*/impl=encoding-csv$'
    'BenchmarkReportCSV/.*/impl=reportrender$'
    'BenchmarkReportXLSX/.*/impl=excelize-write$'
    'BenchmarkReportXLSX/.*/impl=excelize-saveas$'
    'BenchmarkReportXLSX/.*/impl=reportrender$'
  )
fi
printf '%-50s %10s %14s\n' benchmark seconds maxRSS-MiB
for b in "${benches[@]}"; do
  REPORT_BENCH_ROWS=$rows /usr/bin/time -v -o "$out/time" \
    "$out/reportrender.test" -test.run '^$' -test.bench "$b" -test.benchtime=1x >"$out/bench" 2>&1
  rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time")
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/time")
  printf '%-50s %10s %14.1f\n' "$b" "$secs" "$(awk -v k="$rss_kb" 'BEGIN{print k/1024}')"
done

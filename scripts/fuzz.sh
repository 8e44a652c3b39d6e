#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME each (default 20s). `go test` already runs each target's
# seed corpus as a unit test; this explores beyond it. A crasher is saved under the package's
# testdata/fuzz/<Target>/ and should be committed as a regression seed once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-20s}
targets=(
  "./processor/auditnormalizerprocessor FuzzNormalize"
  "./receiver/auditwebhookreceiver FuzzParseGeneric"
  "./receiver/auditwebhookreceiver FuzzParseOkta"
  "./receiver/auditwebhookreceiver FuzzParseKubernetes"
  "./receiver/auditwebhookreceiver FuzzParseCloudTrail"
  "./receiver/auditwebhookreceiver FuzzParseGitHubStream"
  "./receiver/auditwebhookreceiver FuzzParseGitHubWebhook"
  "./receiver/auditwebhookreceiver FuzzVerifyStandardWebhook"
  "./exporter/auditlokiexporter FuzzEncode"
  "./internal/reportrender FuzzCellEscaping"
  "./internal/reportrender FuzzSafeCell"
  "./internal/exportjobs FuzzParseRequest"
  "./internal/signedlink FuzzVerify"
)
for t in "${targets[@]}"; do
  read -r pkg target <<<"$t"
  echo "== $target ($pkg, $fuzztime)"
  # -fuzzminimizetime keeps minimisation from stalling on small machines.
  go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 5s
done

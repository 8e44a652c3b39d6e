#!/usr/bin/env bash
# Fails when a file in the repository is over 1 MiB, unless its path is in ALLOWED below.
# Build outputs, data files and binaries belong outside git; a file large on purpose (a test
# corpus, say) is listed here with the reason. Files not yet added but not ignored count too,
# so the check catches a large file before it is committed.
set -euo pipefail
cd "$(dirname "$0")/.."

LIMIT=$((1 << 20))
# Paths allowed over the limit, one per line, each with a comment saying why.
ALLOWED=(
)

allowed() {
  local p
  for p in "${ALLOWED[@]+"${ALLOWED[@]}"}"; do
    [ "$p" = "$1" ] && return 0
  done
  return 1
}

bad=0
while IFS= read -r -d '' path; do
  [ -f "$path" ] && [ ! -L "$path" ] || continue # deleted in the work tree, or a symlink
  size=$(stat -c %s -- "$path")
  if [ "$size" -gt "$LIMIT" ] && ! allowed "$path"; then
    echo "$path: $size bytes, over the 1 MiB limit (scripts/check-large-files.sh)" >&2
    bad=1
  fi
done < <(git ls-files -z --cached --others --exclude-standard | sort -zu)
if [ "$bad" -ne 0 ]; then
  exit 1
fi
echo "no file over 1 MiB"

#!/usr/bin/env bash
# Builds compose-check (tools/compose-check: docker-compose.yml through the Compose
# specification's own loader, compose-go) into the git-ignored .cache/bin. Later runs reuse
# it, unless its source changed.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=.cache/bin/compose-check
sources=(tools/compose-check/main.go tools/compose-check/go.mod tools/compose-check/go.sum)
if [ -x "$binary" ]; then
  stale=0
  for source in "${sources[@]}"; do [ "$source" -nt "$binary" ] && stale=1; done
  if [ "$stale" = 0 ]; then exit 0; fi
fi
command -v go >/dev/null || { echo "setup-compose-check: Go is needed to build compose-check (https://go.dev/dl)" >&2; exit 1; }
mkdir -p .cache/bin
echo "setup-compose-check: building tools/compose-check (first run only; under a minute)..." >&2
start=$(date +%s)
(cd tools/compose-check && go build -o ../../"$binary".tmp .)
mv "$binary".tmp "$binary"
echo "setup-compose-check: built in $(( $(date +%s) - start )) s" >&2

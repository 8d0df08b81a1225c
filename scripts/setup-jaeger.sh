#!/usr/bin/env bash
# Builds the real Jaeger v2 (an OpenTelemetry collector distribution) from its Go module,
# pinned in tools/jaeger/go.mod, into the git-ignored .cache/bin. Later runs reuse it.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=.cache/bin/jaeger
if [ -x "$binary" ]; then exit 0; fi
command -v go >/dev/null || { echo "setup-jaeger: Go is needed to build Jaeger (https://go.dev/dl)" >&2; exit 1; }
mkdir -p .cache/bin
echo "setup-jaeger: building Jaeger from tools/jaeger/go.mod (first run only; several minutes)..." >&2
start=$(date +%s)
(cd tools/jaeger && go build -o ../../"$binary".tmp github.com/jaegertracing/jaeger/cmd/jaeger)
mv "$binary".tmp "$binary"
echo "setup-jaeger: built in $(( $(date +%s) - start )) s" >&2

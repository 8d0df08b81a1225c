#!/usr/bin/env bash
# Builds the real Jaeger v2 (an OpenTelemetry collector distribution) from its Go module,
# pinned in tools/jaeger/go.mod, into the git-ignored .cache/bin. Later runs reuse it. The build
# has the query API but no UI (the UI assets are not in the Go module).
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
echo "setup-jaeger: note: this build serves Jaeger's query API (/api/traces?service=...&tags=...," >&2
echo "  what the tests and 'otel-sessions --jaeger' use) but not the Jaeger UI: its web assets are" >&2
echo "  not in the Go module, and / answers with a placeholder page. For the UI, run Jaeger's" >&2
echo "  Docker image (docker compose up) or a release archive from https://www.jaegertracing.io/download/" >&2

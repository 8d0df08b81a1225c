#!/usr/bin/env bash
# npm run demo: installs what the demo needs (a supported Node, the npm dependencies), then runs
# the example service with a few conversations. Telemetry goes to the local journal unless
# OTEL_EXPORTER_OTLP_ENDPOINT is set.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/node.sh
use_node
bash scripts/ensure-deps.sh
npm run --silent build
export OTEL_SERVICE_NAME=${OTEL_SERVICE_NAME:-otel-sessions-demo}
export OTEL_SESSIONS_SECRET=${OTEL_SESSIONS_SECRET:-demo-secret-demo-secret-demo-secret}
export OTEL_SESSIONS_LOG_CONSOLE=${OTEL_SESSIONS_LOG_CONSOLE:-false}
exec node --import otel-sessions/register --import tsx examples/demo.ts

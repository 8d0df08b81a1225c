#!/usr/bin/env bash
# npm run bench: every benchmark, on a supported Node, after a fresh build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/node.sh
use_node
bash scripts/ensure-deps.sh
npm run --silent build
exec node --import tsx bench/index.ts "$@"

#!/usr/bin/env bash
# The one test command (npm test): installs what the tests need (a supported Node, the npm
# dependencies, redis-server, a Jaeger build), then runs them all: the unit tests on Node 22
# and 24, the end-to-end tests on 24.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/node.sh
node22=$(node_bin_dir 22)
use_node 24
echo "test: Node $(node --version) (and $("$node22/node" --version) for the unit tests)"
bash scripts/ensure-deps.sh
bash scripts/setup-redis.sh
bash scripts/setup-jaeger.sh
bash scripts/setup-compose-check.sh
bash scripts/setup-phoenix.sh
# The shipped configuration files, through their own tools' loaders (no Docker engine needed).
.cache/bin/compose-check docker-compose.yml
.cache/bin/jaeger validate --config file:collector-config.yaml
echo "collector-config.yaml is valid (jaeger validate)"
npm run --silent build
npm run --silent typecheck
npm run --silent lint
# The docs: TypeDoc fails on an undocumented public export; the Markdown pages' relative links resolve.
npm run --silent docs:check
PATH="$node22:$PATH" node scripts/run-tests.mjs test/unit
node scripts/run-tests.mjs test/unit test/e2e

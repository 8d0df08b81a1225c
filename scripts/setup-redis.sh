#!/usr/bin/env bash
# Installs Debian's redis-server when it is missing (the Redis tests start their own).
set -euo pipefail
if command -v redis-server >/dev/null; then exit 0; fi
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then sudo=sudo; else sudo=; fi
echo "setup-redis: installing redis-server from Debian's packages..." >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends redis-server >/dev/null
# The package starts a system instance on 6379; the tests never use it.
$sudo service redis-server stop >/dev/null 2>&1 || true

#!/usr/bin/env bash
# Installs Arize Phoenix (PyPI arize-phoenix, the LLM tool the conventions test sends to) into a
# venv in the git-ignored .cache/phoenix, once; the test starts `phoenix serve` on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
version=20.26.1
venv=.cache/phoenix/venv
if [ -x "$venv/bin/phoenix" ] && [ "$(cat .cache/phoenix/version 2>/dev/null)" = "$version" ]; then exit 0; fi
if ! command -v python3 >/dev/null; then
  echo "setup-phoenix: python3 is needed for the Phoenix test; installing it from Debian's packages..." >&2
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
fi
echo "setup-phoenix: installing arize-phoenix $version into $venv (about a minute)..." >&2
rm -rf .cache/phoenix
mkdir -p .cache/phoenix
if ! python3 -m venv "$venv" 2>/dev/null; then
  # Debian's python3 keeps venv in a package of its own.
  echo "setup-phoenix: python3 has no venv module; installing python3-venv..." >&2
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  rm -rf "$venv"
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check "arize-phoenix==$version"
echo "$version" > .cache/phoenix/version

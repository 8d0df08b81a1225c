# Sourced by the project's scripts: puts a supported Node.js (>= 22.15) first on PATH.
#
#   use_node        the machine's node when it is >= 22.15, else Node 24
#   use_node 22     a Node 22 (the machine's when it is 22.15+, else one from the npm registry)
#
# A Node that the machine lacks comes from the npm registry's node-<os>-<arch> package (it
# holds the official binary) into the git-ignored .cache/node/<major>, once.

node_supported() { # VERSION: whether it is >= 22.15
  local major minor
  IFS=. read -r major minor _ <<<"${1#v}"
  [ "$major" -gt 22 ] || { [ "$major" -eq 22 ] && [ "$minor" -ge 15 ]; }
}

node_bin_dir() { # [MAJOR]: prints the folder of a node binary of that major (any supported one without)
  local want=${1:-} have=""
  command -v node >/dev/null && have=$(node --version)
  if [ -n "$have" ] && node_supported "$have"; then
    local major=${have#v}
    major=${major%%.*}
    if [ -z "$want" ] || [ "$want" = "$major" ]; then dirname "$(command -v node)"; return; fi
  fi
  want=${want:-24}
  local root os arch
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.cache/node/$want"
  os=$(uname -s | tr '[:upper:]' '[:lower:]')
  case "$(uname -m)" in x86_64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  local bin="$root/node_modules/node-$os-$arch/bin"
  if [ ! -x "$bin/node" ]; then
    echo "node: the machine's node is ${have:-missing}; fetching Node $want (node-$os-$arch) from the npm registry into .cache/node/$want" >&2
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$root" "node-$os-$arch@$want" >&2
  fi
  "$bin/node" --version >/dev/null || { echo "node: could not run $bin/node" >&2; return 1; }
  echo "$bin"
}

use_node() { # [MAJOR]
  local dir
  dir=$(node_bin_dir "${1:-}") || exit 1
  export PATH="$dir:$PATH"
}

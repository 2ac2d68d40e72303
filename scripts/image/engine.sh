#!/usr/bin/env bash
# Makes sure a Docker engine answers. When none runs, starts Debian's dockerd the way these
# machines allow: no bridge, no iptables (containers and builds use the host's network only).
# Prints the pid of a daemon it started (empty when one was already running), so the caller
# can stop exactly that process and nothing else.
set -euo pipefail

if docker info >/dev/null 2>&1; then exit 0; fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "installing Debian's docker.io" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends docker.io >&2
fi

log="${TMPDIR:-/tmp}/payrelay-dockerd.log"
setsid dockerd --bridge=none --iptables=false --ip6tables=false >"$log" 2>&1 < /dev/null &
pid=$!
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then echo "$pid"; exit 0; fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 1
done
echo "dockerd did not come up; its log ($log) ends with:" >&2
tail -n 20 "$log" >&2
exit 1

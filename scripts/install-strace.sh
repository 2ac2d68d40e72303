#!/usr/bin/env bash
# Debian's strace for the durability test (it traces a gateway's flushes). Idempotent: does
# nothing when /usr/bin/strace is already there.
set -euo pipefail

if [ -x /usr/bin/strace ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y strace
/usr/bin/strace -V | head -1

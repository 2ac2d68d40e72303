#!/usr/bin/env bash
# Debian's Chromium for the page tests (playwright-core drives it; playwright never downloads a
# browser of its own). Idempotent: does nothing when /usr/bin/chromium is already there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y chromium
/usr/bin/chromium --version

#!/usr/bin/env bash
# install-debian-package.sh PACKAGE BINARY: Debian's PACKAGE with apt-get, unless BINARY is
# already there (idempotent); then BINARY's version line. Root, or sudo.
set -euo pipefail
package="$1"
binary="$2"

if [ -x "$binary" ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "$package"
"$binary" --version 2>&1 | head -1

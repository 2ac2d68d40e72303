#!/usr/bin/env bash
# Debian's strace for the durability test (it traces a gateway's flushes). Idempotent: does
# nothing when /usr/bin/strace is already there.
exec bash "$(dirname "$0")/install-debian-package.sh" strace /usr/bin/strace

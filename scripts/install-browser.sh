#!/usr/bin/env bash
# Debian's Chromium for the page tests (playwright-core drives it; playwright never downloads a
# browser of its own). Idempotent: does nothing when /usr/bin/chromium is already there.
exec bash "$(dirname "$0")/install-debian-package.sh" chromium /usr/bin/chromium

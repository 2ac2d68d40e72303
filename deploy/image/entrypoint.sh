#!/bin/sh
# The replaced images ran a bash script mounted at /opt/setup.sh before the gateway; so does this
# one. Its failure stops the container, with its own output and this line as the last words.
set -e
if [ -f /opt/setup.sh ]; then
  bash /opt/setup.sh || {
    status=$?
    echo "payrelay: /opt/setup.sh failed (exit status $status); not starting" >&2
    exit "$status"
  }
fi
exec node --max-semi-space-size=16 --initial-old-space-size=64 /app/dist/main.js "$@"

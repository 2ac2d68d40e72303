#!/usr/bin/env bash
# npm run test:image: builds the container image and runs test/image against it.
# Host network only: the engine gets no bridge, builds and containers use --network host.
set -euo pipefail
cd "$(dirname "$0")/../.."

started="$(bash scripts/image/engine.sh)"
stop_engine() {
  # Only a daemon this script started; its image store (and so the cached base) stays on disk.
  if [ -n "$started" ]; then kill "$started" 2>/dev/null || true; fi
}
trap stop_engine EXIT

base="$(bash scripts/image/base.sh)"
image="payrelay:test-image"
echo "== building $image on $base"
DOCKER_BUILDKIT=0 docker build --network host \
  --build-arg NODE_IMAGE="$base" \
  --build-arg NPM_CONFIG_REGISTRY="$(npm config get registry 2>/dev/null)" \
  --build-arg NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
  --tag "$image" .

PAYRELAY_IMAGE="$image" npx vitest run --config test/image/vitest.config.ts
echo "== image size: $(docker image inspect --format '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }')"

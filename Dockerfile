# syntax=docker/dockerfile:1
# Gatehouse: one image, three entry points (see README, Deploy):
#   gateway   node bin/gateway.mjs                     (the default command)
#   console   node --import tsx scripts/deploy/console.ts
#   cli       node bin/gatehouse.mjs <command>
# The connector is not built yet: there is no entry point for it.

# --- build: every dependency, the console's production build, the gateway and CLI bundles ---
FROM node:20-bookworm-slim AS build
WORKDIR /app
# node-pty (the browser terminal) builds from source when no prebuilt binary fits.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ENV NEXT_TELEMETRY_DISABLED=1
RUN node node_modules/next/dist/bin/next build \
  && node --input-type=module -e "import { buildCompiled } from './bin/compiled.mjs'; await buildCompiled({ name: 'gateway', entry: 'gateway/main.ts' }); await buildCompiled({ name: 'cli', entry: 'gateway/cli/main.ts' });" \
  && npm prune --omit=dev --no-audit --no-fund \
  && rm -rf .next/cache

# --- runtime: production dependencies, the builds, the clients the browser terminal runs ---
FROM node:20-bookworm-slim AS runtime
# psql and ssh: the browser terminal runs them against the gateway's own listeners. tini reaps them.
RUN apt-get update \
  && apt-get install -y --no-install-recommends postgresql-client openssh-client tini ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && groupadd --system --gid 10001 gatehouse \
  && useradd --system --uid 10001 --gid gatehouse --home-dir /data --shell /usr/sbin/nologin gatehouse \
  && mkdir -p /data \
  && chown gatehouse:gatehouse /data
WORKDIR /app
ENV NODE_ENV=production \
  NEXT_TELEMETRY_DISABLED=1 \
  GATEHOUSE_DATA_DIR=/data \
  GATEHOUSE_BIND=0.0.0.0 \
  GATEHOUSE_CONSOLE_HOST=0.0.0.0 \
  HOME=/data
# Owned by root and read-only to the process: only /data (and the console's .next/cache) is written.
COPY --from=build /app /app
USER 10001:10001
# postgres, mysql, ssh, http (health, metrics, proxies, terminal, MCP), console
EXPOSE 15432 13306 12222 18888 3000
VOLUME ["/data"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "bin/gateway.mjs"]

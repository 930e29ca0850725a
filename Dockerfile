# One image for everything Stashflow runs (stashflow/stashflow:<version>, the image deploy/catalog's Functions name):
#   stashflow CLI  (default)   docker run stashflow/stashflow:0.1.0 --help
#                              Jobs run it with the Function's args: `function elasticsearch backup-es ...`
#   worker                     command: ["node", "/app/dist/worker/main.js"]
#   watcher                    command: ["node", "/app/dist/watcher/main.js"]
# plus restic on PATH for the backup and restore functions. Runs as nobody (65534), like Stash's images.
# There is no Docker engine on the project's machine: test/unit/dockerfile.test.ts lints this file instead.
# Probes: Kubernetes ignores HEALTHCHECK, so the Deployments in deploy/base define liveness/readiness probes
# on /healthz and /readyz; Jobs need none.

# --- restic 0.18.1, built from the same pinned wrapper module as the local stack (dev/backends/restic) ---
FROM golang:1.26.8-bookworm AS restic
WORKDIR /src
COPY dev/backends/restic/go.mod dev/backends/restic/go.sum ./
RUN CGO_ENABLED=0 go build -buildvcs=false -trimpath -ldflags "-s -w" -o /out/restic github.com/restic/restic/cmd/restic \
 && /out/restic version

# --- TypeScript build, then production dependencies only ---
FROM node:20.19.5-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY api ./api
COPY lib ./lib
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY watcher ./watcher
COPY cli ./cli
COPY functions ./functions
# tsconfig's other roots (test, bench, dev) are not copied, so only product code lands in dist/
RUN npx tsc -p tsconfig.json \
 && node dist/worker/workflow-bundle.js \
 && npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# --- runtime ---
FROM node:20.19.5-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# root-owned and read-only to the runtime user: the process cannot change its own code
COPY --from=restic --chown=0:0 /out/restic /usr/local/bin/restic
# restic's HTTPS backends (S3, GCS, Azure, REST over TLS) need system roots; Node carries its own
COPY --from=restic --chown=0:0 /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build --chown=0:0 /app/package.json ./package.json
COPY --from=build --chown=0:0 /app/node_modules ./node_modules
COPY --from=build --chown=0:0 /app/dist ./dist
USER 65534:65534
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["--help"]

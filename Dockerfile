# syntax=docker/dockerfile:1
# One image per Bosun app, from one build:
#   docker build --target app --build-arg APP=ipam -t bosun/ipam .
#   docker build --target router -t bosun/router .        (the BIRD router of the demo)
# Every app runs as `node --require @bosun/telemetry/dist/register.js apps/<APP>/dist/main.js`,
# so OpenTelemetry is configured only by the OTEL_* variables.

ARG NODE_IMAGE=node:20.20-bookworm-slim

# ---- build: install (with dev tools), compile every project, drop dev dependencies ----------
FROM ${NODE_IMAGE} AS build
# python3/make/g++ and libpcap-dev build `cap` (raw Ethernet frames for the L2 announcer).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ libpcap-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
COPY apps ./apps
COPY libs ./libs
COPY tsconfig.base.json tsconfig.build.json ./
RUN npm ci --no-audit --no-fund --loglevel=error \
 && npx tsc -b tsconfig.build.json \
 && npm prune --omit=dev --no-audit --no-fund --loglevel=error \
 && find apps libs -name '*.test.ts' -delete

# ---- runtime: node, libpcap, tini; the compiled workspace -----------------------------------
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpcap0.8 tini iproute2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/libs ./libs
COPY --from=build /src/apps ./apps
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--require", "@bosun/telemetry/dist/register.js"]

# ---- app: any Bosun service, chosen by build argument (APP = a folder of apps/) -------------
FROM runtime AS app
ARG APP=api
ENV OTEL_SERVICE_NAME=bosun-${APP}
# Exec-form CMD cannot expand ARG: the entry point is fixed at build time through a symlink.
RUN test -f "apps/${APP}/dist/main.js" || { echo "no app ${APP} in apps/" >&2; exit 1; } \
 && ln -s "apps/${APP}/dist/main.js" /app/main.js
CMD ["/app/main.js"]

# ---- one named target per app (same images as --target app --build-arg APP=<name>) ----------
# Cluster services run as the unprivileged `node` user; the per-node agents (bgp-speaker,
# l2-announcer) stay root inside the container and get only the capabilities they need from
# the runtime (NET_RAW, NET_ADMIN, NET_BIND_SERVICE).
FROM runtime AS api
ENV OTEL_SERVICE_NAME=bosun-api
RUN ln -s apps/api/dist/main.js /app/main.js
USER node
CMD ["/app/main.js"]

FROM runtime AS ipam
ENV OTEL_SERVICE_NAME=bosun-ipam
RUN ln -s apps/ipam/dist/main.js /app/main.js
USER node
CMD ["/app/main.js"]

FROM runtime AS observability
ENV OTEL_SERVICE_NAME=bosun-observability
RUN ln -s apps/observability/dist/main.js /app/main.js
USER node
CMD ["/app/main.js"]

FROM runtime AS gateway-translator
ENV OTEL_SERVICE_NAME=bosun-gateway-translator
RUN ln -s apps/gateway-translator/dist/main.js /app/main.js
USER node
CMD ["/app/main.js"]

FROM runtime AS bgp-speaker
ENV OTEL_SERVICE_NAME=bosun-bgp-speaker
RUN ln -s apps/bgp-speaker/dist/main.js /app/main.js
CMD ["/app/main.js"]

FROM runtime AS l2-announcer
ENV OTEL_SERVICE_NAME=bosun-l2-announcer
RUN ln -s apps/l2-announcer/dist/main.js /app/main.js
CMD ["/app/main.js"]

FROM runtime AS cli
ENTRYPOINT ["/usr/bin/tini", "--", "node", "apps/cli/dist/main.js"]

# ---- router: BIRD 2, the upstream router of the demo topology ------------------------------
FROM debian:bookworm-slim AS router
RUN apt-get update \
 && apt-get install -y --no-install-recommends bird2 iproute2 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /run/bird
COPY deploy/compose/bird.conf /etc/bird/bird.conf
CMD ["bird", "-f", "-c", "/etc/bird/bird.conf", "-s", "/run/bird/bird.ctl"]

# syntax=docker/dockerfile:1
#
# Production image of the Chehra service.
#
#   docker build -t chehra .
#   docker run -p 127.0.0.1:8080:8080 -v chehra-data:/data chehra
#
# The install and start steps below are the ones scripts/image-smoke.sh runs without Docker (CI):
# `npm run install:prod` here, and the CMD line, which it reads from this file and checks against
# package.json's `start:prod`. Change them together.
#
# Debian (glibc), not alpine: sodium-native ships glibc prebuilds only.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- deps: production dependencies of the service, and the face models fetched and verified ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# npm before 11.16 ignores package.json's allowScripts and would run onnxruntime-node's postinstall,
# which fetches CUDA libraries from NuGet (linux/x64 only): the variable its install script reads skips it.
ENV NODE_ENV=production \
    ONNXRUNTIME_NODE_INSTALL=skip
# Only what the install reads, so a source change does not redo it.
COPY package.json package-lock.json ./
COPY contract/package.json contract/
COPY sdk/package.json sdk/
COPY service/package.json service/
COPY models/manifest.json models/fetch-models.mjs models/
# npm ci --omit=dev for the service workspace (not the SDK's onnxruntime-node and sharp: the service
# imports only the SDK's envelope code), then models/fetch-models.mjs: the build fails unless every
# model's sha256 matches models/manifest.json.
RUN npm run install:prod

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
# Owned by root and not writable by the service's user: the service writes only under DATA_DIR.
COPY --from=deps /app ./
COPY . .
# Keys (DATA_DIR/keys) and the embedded database (DATA_DIR/pglite) live on the volume. The
# directories exist in the image, owned by `node`, so a fresh named volume starts with that owner.
RUN mkdir -p /data/keys && chown -R node:node /data && chmod 0700 /data /data/keys
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>r.json()).then(b=>process.exit(b.status==='ok'?0:1),()=>process.exit(1))"]
# node itself is PID 1 (no npm in between): it receives SIGTERM and closes the server and database.
CMD ["node", "--import", "tsx", "service/src/main.ts"]

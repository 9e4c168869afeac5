# syntax=docker/dockerfile:1
# The toygres binary with its dashboard embedded, for Kubernetes (deploy/kubernetes/) or any
# container runtime:
#
#   docker build -t toygres .
#   docker run -p 8080:8080 -e DATABASE_URL=postgres://… -e TOYGRES_JWT_SECRET=… toygres
#
# The image has no PostgreSQL server binaries, so it needs DATABASE_URL (no embedded database)
# and offers no local instances: it is for Kubernetes instances and the server fleet.

# The dashboard (`make ui`). api/build.rs embeds ui/dist into the binary.
FROM node:20-bookworm-slim AS ui
WORKDIR /src/ui
COPY ui/package.json ui/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY ui/ ./
RUN npm run build

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
COPY --from=ui /src/ui/dist ui/dist
# The caches only speed up rebuilds; target/ lives in one, so the binary is copied out here.
# SQLX_OFFLINE comes from .cargo/config.toml.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin toygres \
    && cp target/release/toygres /usr/local/bin/toygres

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 toygres \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin toygres \
    && install -d -o 10001 -g 10001 -m 0700 /var/lib/toygres
COPY --from=build /usr/local/bin/toygres /usr/local/bin/toygres
# The data directory: created at every start even with DATABASE_URL (local instances,
# master.key and initial-admin-password live there). On Kubernetes it is an emptyDir.
ENV TOYGRES_DATA_DIR=/var/lib/toygres \
    TOYGRES_LISTEN=0.0.0.0:8080
WORKDIR /var/lib/toygres
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/toygres"]
CMD ["serve"]

# The toygres binary with its dashboard, for Kubernetes (deploy/kubernetes/) or any container
# runtime. Build: docker build -t toygres .
FROM rust:1.95-bookworm AS build
RUN curl -fsSL https://deb.nodesource.com/setup_20.x | bash - && apt-get install -y nodejs
WORKDIR /src
COPY . .
RUN cd ui && npm ci --no-audit --no-fund && npm run build
RUN cargo build --release --locked && cp target/release/toygres /toygres

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --no-create-home toygres
COPY --from=build /toygres /usr/local/bin/toygres
USER 10001
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/toygres"]
CMD ["serve"]

# otelcol-audit container image: the static distribution and the event generator on scratch.
#
#   make image                                   # docker, podman or buildah, whichever runs
#   docker run --rm -p 4317:4317 -p 4318:4318 -p 8088:8088 -p 8089:8089 \
#     -e OTELCOL_AUDIT_TOKEN="$(openssl rand -base64 32)" \
#     -e OTELCOL_AUDIT_LINK_KEY="$(openssl rand -base64 48)" \
#     -v otelcol-audit-data:/var/lib/otelcol-audit otelcol-audit:dev
#
# The default command runs deploy/container/config.yaml, which listens on 0.0.0.0 and refuses
# to start until real secrets are set (see that file). The build caches modules and compiled
# packages across builds with RUN --mount, which needs BuildKit (Docker 23+, Podman, Buildah).

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS=linux
ARG TARGETARCH=amd64
# Static binaries: no libc in the final image. The report zones' database is compiled in
# (time/tzdata), so scratch needs no zoneinfo.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o /out/otelcol-audit ./cmd/otelcol-audit && \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o /out/auditgen ./cmd/auditgen
# The state directory and /tmp must exist, owned by the runtime user, in an image without a shell.
RUN mkdir -p /out/rootfs/var/lib/otelcol-audit /out/rootfs/tmp /out/rootfs/etc && \
    chown 10001:10001 /out/rootfs/var/lib/otelcol-audit && chmod 0700 /out/rootfs/var/lib/otelcol-audit && \
    chmod 1777 /out/rootfs/tmp && \
    echo 'otelcol-audit:x:10001:10001:otelcol-audit:/var/lib/otelcol-audit:/sbin/nologin' > /out/rootfs/etc/passwd && \
    echo 'otelcol-audit:x:10001:' > /out/rootfs/etc/group

FROM scratch
LABEL org.opencontainers.image.title="otelcol-audit" \
      org.opencontainers.image.description="OpenTelemetry Collector distribution for audit logs"
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/rootfs/ /
COPY --from=build /out/otelcol-audit /usr/bin/otelcol-audit
COPY --from=build /out/auditgen /usr/bin/auditgen
COPY deploy/container/config.yaml /etc/otelcol-audit/config.yaml
USER 10001:10001
WORKDIR /var/lib/otelcol-audit
# OTLP gRPC, OTLP HTTP, webhooks, report links and export API, metrics, health check.
EXPOSE 4317 4318 8088 8089 8888 13133
VOLUME ["/var/lib/otelcol-audit"]
ENTRYPOINT ["/usr/bin/otelcol-audit"]
CMD ["--config", "/etc/otelcol-audit/config.yaml"]

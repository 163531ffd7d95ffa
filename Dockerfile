# Build on Debian 12, run on debian:bookworm-slim as a non-root user. No step depends on the
# architecture: the same file builds for amd64 and arm64 (docker buildx --platform linux/arm64).
FROM debian:bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake ninja-build g++ ca-certificates libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
      libssl-dev libpaho-mqtt-dev libpaho-mqttpp-dev libyaml-cpp-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# .dockerignore keeps build trees, .git, state and every secret or config path out of the context.
COPY . .
# A user's plain Release build, without tests (CI runs the same script).
RUN script/release-build /build \
    && install -D -m 0755 /build/wyze-mqtt-bridge /out/usr/bin/wyze-mqtt-bridge

FROM debian:bookworm-slim
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="wyze-mqtt-bridge" \
      org.opencontainers.image.description="Wyze cameras as retained MQTT topics with Home Assistant discovery" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/wyze-mqtt-bridge/wyze-mqtt-bridge" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libboost-json1.81.0 libboost-url1.81.0 libssl3 libpaho-mqtt1.3 libpaho-mqttpp3-1 \
      libyaml-cpp0.7 \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
    && useradd --system --uid 10001 --home-dir /state --shell /usr/sbin/nologin wyze \
    && mkdir -p /config /state && chown wyze /state
COPY --from=build /out/ /
COPY config.example.yaml config.schema.json /usr/share/doc/wyze-mqtt-bridge/
COPY LICENSE /usr/share/doc/wyze-mqtt-bridge/LICENSE
USER wyze
# tokens.json lives in the /state volume, so a new container does not log in again. The metrics
# listener is on by default here (METRICS_LISTEN overrides metrics.listen), so the health check
# works without a config key the user must remember.
ENV STATE_DIRECTORY=/state \
    METRICS_LISTEN=0.0.0.0:9105
VOLUME ["/config", "/state"]
EXPOSE 9105
# bash's /dev/tcp spares an HTTP client in the image.
HEALTHCHECK --interval=60s --timeout=5s --start-period=60s \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9105 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["wyze-mqtt-bridge", "--config", "/config/config.yaml"]

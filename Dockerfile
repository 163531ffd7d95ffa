# Build on Debian 12, run on debian:bookworm-slim as a non-root user.
FROM debian:bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake ninja-build g++ ca-certificates libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
      libssl-dev libpaho-mqtt-dev libpaho-mqttpp-dev libyaml-cpp-dev doctest-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
      -DWYZE_BRIDGE_BENCHMARKS=OFF \
    && cmake --build /build --target wyze-mqtt-bridge \
    && install -D -m 0755 /build/wyze-mqtt-bridge /out/usr/bin/wyze-mqtt-bridge

FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libboost-json1.81.0 libboost-url1.81.0 libssl3 libpaho-mqtt1.3 libpaho-mqttpp3-1 \
      libyaml-cpp0.7 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /state --shell /usr/sbin/nologin wyze \
    && mkdir -p /config /state && chown wyze /state
COPY --from=build /out/ /
COPY config.example.yaml /usr/share/doc/wyze-mqtt-bridge/config.example.yaml
USER wyze
# tokens.json lives in the /state volume, so a new container does not log in again.
ENV STATE_DIRECTORY=/state
VOLUME ["/config", "/state"]
# Needs metrics.listen: 0.0.0.0:9105 in /config/config.yaml; bash's /dev/tcp spares an HTTP client.
HEALTHCHECK --interval=60s --timeout=5s --start-period=60s \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9105 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["wyze-mqtt-bridge", "--config", "/config/config.yaml"]

#!/usr/bin/env bash
# Checks that what users deploy with agrees with what is built: the Dockerfile, docker-compose.yml,
# the systemd unit and `cmake --install`. No Docker engine runs here, so the container files are
# checked statically (and the compose file by docker-compose itself).
# usage: packaging_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
failures=0 checks=0
check() {  # check "what" command...
  local what=$1; shift
  checks=$((checks + 1))
  if "$@" >/dev/null 2>&1; then echo "ok: $what"; else echo "FAILED: $what"; failures=$((failures + 1)); fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# cmake --install puts the binary, the unit and the example config in their usual places.
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
check "cmake --install: bin/wyze-mqtt-bridge" test -x "$tmp/prefix/bin/wyze-mqtt-bridge"
check "cmake --install: lib/systemd/system/wyze-mqtt-bridge.service" test -f "$tmp/prefix/lib/systemd/system/wyze-mqtt-bridge.service"
check "cmake --install: share/doc/wyze-mqtt-bridge/config.example.yaml" test -f "$tmp/prefix/share/doc/wyze-mqtt-bridge/config.example.yaml"
check "the installed binary runs" "$tmp/prefix/bin/wyze-mqtt-bridge" --version

# The unit: valid for systemd, hardened, and starting the installed binary with a config.
unit="$build/wyze-mqtt-bridge.service"
check "unit: ExecStart runs the installed binary with --config" grep -Eq '^ExecStart=/.*/bin/wyze-mqtt-bridge --config ' "$unit"
for setting in Type=notify DynamicUser=yes StateDirectory=wyze-mqtt-bridge ProtectSystem=strict NoNewPrivileges=yes \
               RestartPreventExitStatus=2 LoadCredential=config.yaml:/etc/wyze-mqtt-bridge/config.yaml; do
  check "unit: $setting" grep -qx "$setting" "$unit"
done
if command -v systemd-analyze >/dev/null; then
  sed "s#^ExecStart=[^ ]*#ExecStart=$tmp/prefix/bin/wyze-mqtt-bridge#" "$unit" >"$tmp/wyze-mqtt-bridge.service"
  check "unit: systemd-analyze verify" bash -c "! systemd-analyze verify '$tmp/wyze-mqtt-bridge.service' 2>&1 | grep -v -e 'Failed to ' -e 'Unit is bound' | grep -q ."
fi

# The Dockerfile: runs the binary this build makes, as a non-root user, with the volumes the
# config and state use, a health check on /healthz, and every shared library it links.
dockerfile="$src/Dockerfile"
check "Dockerfile: ENTRYPOINT is wyze-mqtt-bridge --config /config/config.yaml" \
  grep -q '^ENTRYPOINT \["wyze-mqtt-bridge", "--config", "/config/config.yaml"\]' "$dockerfile"
check "Dockerfile: builds the wyze-mqtt-bridge target" grep -q -- '--target wyze-mqtt-bridge' "$dockerfile"
check "Dockerfile: VOLUME /config and /state" grep -q '^VOLUME \["/config", "/state"\]' "$dockerfile"
check "Dockerfile: runs as a non-root USER" bash -c "grep '^USER ' '$dockerfile' | grep -vq root"
check "Dockerfile: HEALTHCHECK against /healthz" bash -c "grep -A2 '^HEALTHCHECK' '$dockerfile' | grep -q /healthz"
check "Dockerfile: runtime base is debian:bookworm-slim" grep -q '^FROM debian:bookworm-slim' "$dockerfile"
runtime=$(sed -n '/^FROM debian:bookworm-slim/,$p' "$dockerfile")
for lib in $(ldd "$build/wyze-mqtt-bridge" | awk '/=> \// {print $3}'); do
  package=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -n1 | cut -d: -f1) || true
  [ -z "$package" ] && package=$(dpkg -S "$lib" 2>/dev/null | head -n1 | cut -d: -f1) || true
  case "$package" in ""|libc6|libgcc-s1|libstdc++6) continue ;; esac
  check "Dockerfile: the runtime stage installs $package (for $(basename "$lib"))" grep -q -- "$package" <<<"$runtime"
done

# docker-compose.yml: valid for docker-compose, with mosquitto 2 refusing anonymous clients.
if command -v docker-compose >/dev/null; then
  check "docker-compose.yml: docker-compose config" docker-compose -f "$src/docker-compose.yml" config -q
fi
check "docker-compose.yml: mounts ./config on /config and a volume on /state" \
  bash -c "grep -q -- '- ./config:/config' '$src/docker-compose.yml' && grep -q -- '- bridge-state:/state' '$src/docker-compose.yml'"
check "docker/mosquitto.conf: anonymous clients refused, password file set" \
  bash -c "grep -qx 'allow_anonymous false' '$src/docker/mosquitto.conf' && grep -q '^password_file ' '$src/docker/mosquitto.conf'"
# mosquitto runs it (paths and port moved into the temp dir) until stopped, instead of refusing it.
sed -e "s#^password_file .*#password_file $tmp/passwd#" -e "s#^persistence_location .*#persistence_location $tmp/#" \
    -e "s#^listener 1883#listener $((20000 + RANDOM % 20000)) 127.0.0.1#" "$src/docker/mosquitto.conf" >"$tmp/mosquitto.conf"
echo "user $(id -un)" >>"$tmp/mosquitto.conf"
: >"$tmp/passwd"
check "docker/mosquitto.conf: mosquitto 2 accepts it" bash -c "timeout 2 mosquitto -c '$tmp/mosquitto.conf'; [ \$? -eq 124 ]"

# Security: the daemon never runs another program (no shell-outs), whatever its input.
check "no shell-outs in wyze/, mqtt/, bridge/ (system, popen, exec*, posix_spawn)" \
  bash -c "! grep -rnE '\\b(system|popen|execl|execlp|execv|execvp|execve|posix_spawnp?)\\s*\\(' '$src/wyze' '$src/mqtt' '$src/bridge'"

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]

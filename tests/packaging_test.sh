#!/usr/bin/env bash
# Checks that what users deploy with agrees with what is built: the Dockerfile, docker-compose.yml,
# the systemd unit and `cmake --install`. No Docker engine runs here, so the container files are
# checked statically (and the compose file by docker-compose itself).
# usage: packaging_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
source "$(dirname "$0")/checks.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# cmake --install puts the binary, the unit and the example config in their usual places.
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
check "cmake --install: bin/wyze-mqtt-bridge" test -x "$tmp/prefix/bin/wyze-mqtt-bridge"
check "cmake --install: lib/systemd/system/wyze-mqtt-bridge.service" test -f "$tmp/prefix/lib/systemd/system/wyze-mqtt-bridge.service"
check "cmake --install: share/doc/wyze-mqtt-bridge/config.example.yaml" test -f "$tmp/prefix/share/doc/wyze-mqtt-bridge/config.example.yaml"
check "cmake --install: share/doc/wyze-mqtt-bridge/config.schema.json" test -f "$tmp/prefix/share/doc/wyze-mqtt-bridge/config.schema.json"
check "cmake --install: the simulator (a test tool) is not installed" test ! -e "$tmp/prefix/bin/wyze-cloud-sim"
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
check "Dockerfile: builds with script/release-build (the plain Release build CI also makes)" \
  grep -q '^RUN script/release-build ' "$dockerfile"
check "script/release-build: Release, default options, no tests, the wyze-mqtt-bridge target" \
  bash -c "grep -q -- '-DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF\$' '$src/script/release-build' &&
           grep -q -- '--target wyze-mqtt-bridge' '$src/script/release-build' && ! grep -q WERROR '$src/script/release-build'"
check "Dockerfile: no architecture-specific step (builds for amd64 and arm64)" \
  bash -c "! grep -v '^#' '$dockerfile' | grep -Eqi 'amd64|x86_64|aarch64|arm64|armhf'"
version=$(sed -n 's/^project(wyze-mqtt-bridge VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
check "Dockerfile: OCI labels with the project's version ($version), source and licence" \
  bash -c "grep -q '^ARG VERSION=$version\$' '$dockerfile' && grep -q 'org.opencontainers.image.version=\"\${VERSION}\"' '$dockerfile' &&
           grep -q 'org.opencontainers.image.source=' '$dockerfile' && grep -q 'org.opencontainers.image.licenses=\"Apache-2.0\"' '$dockerfile'"
check "Dockerfile: the health check works with the image's defaults (METRICS_LISTEN on the port it asks, EXPOSEd)" \
  bash -c "grep -q 'METRICS_LISTEN=0.0.0.0:9105' '$dockerfile' && grep -q '^EXPOSE 9105\$' '$dockerfile' &&
           grep -A2 '^HEALTHCHECK' '$dockerfile' | grep -q '127.0.0.1/9105'"
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

# Every path the README's Docker Compose steps tell users to create (their config, secrets and the
# broker's password file) stays out of the image's build context and out of git.
readme_paths=$(python3 - "$src/README.md" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
section = text[text.index("## Docker Compose"):]
section = section[:section.index("\n## ", 5)]
paths = set()
for line in section.splitlines():
    if m := re.match(r"\s*mkdir -p (.*)", line):
        paths.update(p + "/" for p in m.group(1).split())
    for target in re.findall(r"> *([\w./-]+)", line):
        paths.add(target)
# A folder mounted into a container (-v "$PWD/docker:/d") and a file written there (/d/x).
for folder, mount, name in re.findall(r'-v "\$PWD/(\w+):(/\w+)"[\s\S]*?\2/([\w.-]+)', section):
    paths.add(folder + "/" + name)
print("\n".join(sorted(paths)))
PY
)
check "README: the Docker Compose steps create config/, secrets/ and docker/mosquitto.passwd" \
  bash -c "grep -qx config/ <<<'$readme_paths' && grep -qx secrets/ <<<'$readme_paths' && grep -qx docker/mosquitto.passwd <<<'$readme_paths'"
for path in $readme_paths state/tokens.json .run/config.yaml build/wyze-mqtt-bridge; do
  check ".dockerignore keeps $path out of the build context" python3 - "$src/.dockerignore" "$path" <<'PY'
import fnmatch, sys
patterns = [l.strip().rstrip("/") for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
parts = sys.argv[2].rstrip("/").split("/")
# Docker excludes a path when a pattern matches it or one of its parent directories.
prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
sys.exit(0 if any(fnmatch.fnmatchcase(p, pat) for p in prefixes for pat in patterns) else 1)
PY
  if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    check ".gitignore keeps $path out of git" git -C "$src" check-ignore -q --no-index "$path"
  fi
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

finish_checks

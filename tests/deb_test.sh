#!/usr/bin/env bash
# Builds the .deb with CPack from this build tree, checks what it holds and what it depends on,
# runs lintian on it (no errors allowed), and, as root, installs it with dpkg -i, runs the
# installed binary and removes the package again.
# usage: deb_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
source "$(dirname "$0")/checks.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$build" && cpack -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log"; exit 1; }
deb=$(ls "$tmp"/out/wyze-mqtt-bridge_*.deb)
version=$(sed -n 's/^project(wyze-mqtt-bridge VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's#^\./#/#' >"$tmp/files"
dpkg-deb -f "$deb" Package Version Depends Section Maintainer >"$tmp/control"

check "the .deb is named and versioned as the project ($version)" grep -qx "Version: $version" "$tmp/control"
for file in /usr/bin/wyze-mqtt-bridge /usr/lib/systemd/system/wyze-mqtt-bridge.service \
            /usr/share/doc/wyze-mqtt-bridge/config.example.yaml /usr/share/doc/wyze-mqtt-bridge/config.schema.json \
            /usr/share/doc/wyze-mqtt-bridge/copyright /usr/share/doc/wyze-mqtt-bridge/changelog.gz; do
  check "the .deb holds $file" grep -qx "$file" "$tmp/files"
done
check "the .deb does not hold the simulator" bash -c "! grep -q wyze-cloud-sim '$tmp/files'"
check "the licence in the .deb is Apache-2.0" bash -c "dpkg-deb --fsys-tarfile '$deb' | tar -xO ./usr/share/doc/wyze-mqtt-bridge/copyright | grep -q '^License: Apache-2.0'"
for library in libpaho-mqttpp3 libpaho-mqtt1.3 libyaml-cpp0.7 libboost-json1.81.0 libboost-url1.81.0 libssl3; do
  check "Depends (from dpkg-shlibdeps) names $library" grep -q "$library" "$tmp/control"
done
check "lintian finds no error" lintian --fail-on error --suppress-tags-from-file /dev/null "$deb"
lintian "$deb" 2>&1 | sed 's/^/  lintian: /' || true

if [ "$(id -u)" -eq 0 ] && ! dpkg -s wyze-mqtt-bridge >/dev/null 2>&1; then
  check "dpkg -i installs it" dpkg -i "$deb"
  check "the installed wyze-mqtt-bridge --version says $version" bash -c "/usr/bin/wyze-mqtt-bridge --version | grep -qx 'wyze-mqtt-bridge $version'"
  check "dpkg --purge removes it" dpkg --purge wyze-mqtt-bridge
  check "nothing of it is left in /usr/bin" test ! -e /usr/bin/wyze-mqtt-bridge
else
  echo "ok: dpkg -i skipped (needs root, and no wyze-mqtt-bridge package installed already)"
fi

finish_checks

#!/usr/bin/env bash
# A Raspberry Pi build (script/build-cross arm64|armhf) proven on this machine: its binary and .deb
# are for the target, and the binary, run under qemu-user against the simulator and a broker,
# publishes every camera with --once, keeps its tokens, and does not log in again on the next run.
# usage: cross_test.sh SOURCE_DIR ARCH (arm64|armhf) CROSS_BUILD_DIR NATIVE_BUILD_DIR (the simulator's)
set -euo pipefail
src=$1 arch=$2 cross=$3 native=$4
source "$(dirname "$0")/checks.sh"
source "$(dirname "$0")/services.sh"
tmp=$(mktemp -d)
trap 'stop_services; rm -rf "$tmp"' EXIT
case "$arch" in
  arm64) machine='ARM aarch64' qemu=(qemu-aarch64-static -L /) ;;
  armhf) machine='32-bit LSB .* ARM, EABI5' qemu=(qemu-arm-static -L /) ;;
  *) echo "cross_test.sh: arm64 or armhf, not '$arch'" >&2; exit 2 ;;
esac
bridge=$cross/wyze-mqtt-bridge
deb=$(ls "$cross"/deb/wyze-mqtt-bridge_*_"$arch".deb)
cameras=5

check "the binary is an $arch executable" bash -c "file -b '$bridge' | grep -q '$machine'"
check "the .deb is for $arch" bash -c "[ \"\$(dpkg-deb -f '$deb' Architecture)\" = $arch ]"
check "the .deb holds the bridge and its unit" \
  bash -c "dpkg-deb -c '$deb' | grep -q ' ./usr/bin/wyze-mqtt-bridge$' && dpkg-deb -c '$deb' | grep -q 'wyze-mqtt-bridge.service$'"
for library in libpaho-mqttpp3-1 libpaho-mqtt1.3 libyaml-cpp0.7 libboost-json1.81.0 libboost-url1.81.0 libssl3; do
  check "its Depends (dpkg-shlibdeps, from the $arch libraries) names $library" \
    bash -c "dpkg-deb -f '$deb' Depends | grep -q '$library'"
done
mkdir -p "$tmp/deb" && dpkg-deb -x "$deb" "$tmp/deb"
version() { "${qemu[@]}" "$1" --version | grep -qx "wyze-mqtt-bridge $(sed -n 's/^project(wyze-mqtt-bridge VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")"; }
check "under qemu-user the built binary says the project's version" version "$bridge"
check "and so does the one in the .deb" version "$tmp/deb/usr/bin/wyze-mqtt-bridge"

start_broker "$tmp"
start_sim "$tmp" "$native/wyze-cloud-sim" "$cameras"
write_config "$tmp/config.yaml" "$tmp/state" "$sim_ca"
set +e
timeout 120 "${qemu[@]}" "$bridge" --config "$tmp/config.yaml" --once >"$tmp/once.log" 2>&1
status=$?
set -e
check "--once under qemu-user exits 0" bash -c "[ $status -eq 0 ] || { cat '$tmp/once.log'; exit 1; }"
count_is() { [ "$(retained_count "$1")" = "$2" ]; }
check "it published every camera's state ($cameras cameras)" count_is 'wyze/+/conn_state' "$cameras"
check "and the discovery of every camera and of the bridge" count_is 'homeassistant/device/+/config' "$((cameras + 1))"
check "it saved its tokens" test -s "$tmp/state/tokens.json"
timeout 120 "${qemu[@]}" "$bridge" --config "$tmp/config.yaml" --once >"$tmp/again.log" 2>&1 || true
one_login() { [ "$(sim_stat logins)" = 1 ] && grep -q 'reusing the saved tokens' "$tmp/again.log"; }
check "a second run reuses them: one login in all" one_login
finish_checks

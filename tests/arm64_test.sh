#!/usr/bin/env bash
# The arm64 build (script/build-arm64) proven on this machine: its binary and .deb are arm64, and
# the binary, run under qemu-user against the simulator and a broker, publishes every camera with
# --once, keeps its tokens, and does not log in again on the next run.
# usage: arm64_test.sh SOURCE_DIR ARM64_BUILD_DIR NATIVE_BUILD_DIR (the simulator's)
set -euo pipefail
src=$1 arm64=$2 native=$3
source "$(dirname "$0")/checks.sh"
source "$(dirname "$0")/services.sh"
tmp=$(mktemp -d)
trap 'stop_services; rm -rf "$tmp"' EXIT
bridge=$arm64/wyze-mqtt-bridge
deb=$(ls "$arm64"/deb/wyze-mqtt-bridge_*_arm64.deb)
qemu=(qemu-aarch64-static -L /)
cameras=5

check "the binary is an arm64 executable" bash -c "file -b '$bridge' | grep -q 'ARM aarch64'"
check "the .deb is for arm64" bash -c "[ \"\$(dpkg-deb -f '$deb' Architecture)\" = arm64 ]"
check "the .deb holds the bridge and its unit" \
  bash -c "dpkg-deb -c '$deb' | grep -q ' ./usr/bin/wyze-mqtt-bridge$' && dpkg-deb -c '$deb' | grep -q 'wyze-mqtt-bridge.service$'"
for library in libpaho-mqttpp3-1 libpaho-mqtt1.3 libyaml-cpp0.7 libboost-json1.81.0 libboost-url1.81.0 libssl3; do
  check "its Depends (dpkg-shlibdeps, from the arm64 libraries) names $library" \
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

#!/usr/bin/env bash
# The demo a newcomer starts first (script/run with no config), as the README shows it: its broker
# has users and an ACL like the README's "Broker ACL", so the bridge starts without a warning, an
# anonymous client is refused, the user "homeassistant" sees every camera, and Ctrl-C (SIGINT)
# stops everything the demo started.
# usage: demo_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
source "$(dirname "$0")/checks.sh"
tmp=$(mktemp -d)
demo=
trap '[ -n "$demo" ] && kill -TERM "$demo" 2>/dev/null; sleep 0.5; rm -rf "$tmp"' EXIT

# setsid: the demo gets its own process group, so SIGINT reaches it as Ctrl-C would.
SKIP_BUILD=1 BUILD_DIR="$build" RUN_DIR="$tmp/run" CAMERAS=3 setsid "$src/script/run" >"$tmp/out" 2>&1 &
demo=$!
for _ in $(seq 150); do grep -q -- '--- retained on the broker now:' "$tmp/out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*mosquitto at 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/out" | head -n1)
check "the demo starts and names its broker" test -n "$port"
# Two event intervals (5 s) and the first poll: time enough for any warning the demo would cause.
sleep 6

check "the bridge logs no WARN and no ERROR in the demo" bash -c "! grep -E '^[0-9T:.-]+Z (WARN|ERROR)' '$tmp/out'"
check "the demo's broker refuses an anonymous client" \
  bash -c "mosquitto_sub -h 127.0.0.1 -p '$port' -t 'wyze/#' -C 1 -W 3 2>&1 | grep -qi 'not authori'"
login=(-u homeassistant -P "$(cat "$tmp/run/homeassistant.password")")
mosquitto_sub -h 127.0.0.1 -p "$port" "${login[@]}" -t 'wyze/+/conn_state' -v --retained-only -W 2 >"$tmp/states" 2>&1 || true
check "the user homeassistant, with the password the demo prints the line for, sees the 3 cameras, the 4 of the accessories and the 4 newer models" \
  bash -c "[ \"\$(grep -c '^wyze/[0-9A-Z_]*/conn_state ' '$tmp/states')\" = 11 ]"
mosquitto_sub -h 127.0.0.1 -p "$port" "${login[@]}" -t 'wyze/#' -t 'homeassistant/#' -v --retained-only -W 2 >"$tmp/all" 2>&1 || true
check "the demo shows a garage door, a floodlight, a siren, a battery camera and a doorbell" \
  bash -c "grep -q '^wyze/[0-9A-F]*/garage_door closed' '$tmp/all' && grep -q '^wyze/[0-9A-F]*/light off' '$tmp/all' &&
           grep -q '^wyze/[0-9A-F]*/siren off' '$tmp/all' && grep -q '^wyze/[0-9A-F]*/battery 76' '$tmp/all' &&
           grep -q '\"doorbell\":{\"p\":\"event\"' '$tmp/all'"
check "the demo shows the device-management models: an OG's power and SD card, a Pan v4's spotlight" \
  bash -c "grep -q '^wyze/GW_GC1_7C78B2A1B2C3/power on' '$tmp/all' && grep -q '^wyze/GW_GC1_7C78B2A1B2C3/sd_card {\"state\":\"inserted\"' '$tmp/all' &&
           grep -q '^wyze/HL_PAN4_80482C5A1B2C/light off' '$tmp/all'"
check "the printed mosquitto_sub line works as printed" \
  bash -c "line=\$(grep -m1 '^  mosquitto_sub ' '$tmp/out' | sed 's/ -v\$/ -v --retained-only -W 2/'); eval \"\$line\" | grep -q '^wyze/bridge/state online'"
mosquitto_pub -h 127.0.0.1 -p "$port" "${login[@]}" -t 'wyze/bridge/state' -m forged -r -q 1 2>/dev/null || true
check "the ACL keeps Home Assistant's user from writing the bridge's state" \
  bash -c "mosquitto_sub -h 127.0.0.1 -p '$port' -u homeassistant -P '$(cat "$tmp/run/homeassistant.password")' -t wyze/bridge/state -C 1 -W 2 | grep -qx online"
check "the demo's files holding a password are mode 0600" \
  bash -c "for f in config.yaml bridge.password homeassistant.password mosquitto.passwd; do [ \"\$(stat -c %a '$tmp/run/'\$f)\" = 600 ] || exit 1; done"

kill -INT -- "-$demo" 2>/dev/null || true
for _ in $(seq 100); do kill -0 "$demo" 2>/dev/null || break; sleep 0.1; done
check "Ctrl-C ends the demo" bash -c "! kill -0 $demo 2>/dev/null"
demo=
# The brackets keep the pattern from matching the checking shell's own command line.
left() { pgrep -f "$tmp/run/(mosquitto[.]conf|sim[.]port|config[.]yaml)" >/dev/null; }
for _ in $(seq 30); do left || break; sleep 0.1; done
check "and leaves no broker, simulator or bridge of it running" bash -c "! pgrep -fa '$tmp/run/(mosquitto[.]conf|sim[.]port|config[.]yaml)'"
finish_checks

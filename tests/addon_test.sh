#!/usr/bin/env bash
# The add-on's start script (addon/run.sh) against a fake Supervisor on loopback: it turns a sample
# options file and the Supervisor's MQTT service into a config the bridge accepts (--check-config),
# refuses a missing broker service with a clear line, and never prints a secret.
# usage: addon_test.sh SOURCE_DIR BRIDGE_BINARY
set -euo pipefail
src=$1 bridge=$2
source "$(dirname "$0")/checks.sh"
tmp=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT

# The fake Supervisor (tests/fake_supervisor.py) answers what $tmp/status and $tmp/mqtt.json hold.
python3 "$(dirname "$0")/fake_supervisor.py" "$tmp" "$tmp/port" test-supervisor-token & server=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || { echo "the fake Supervisor did not start"; exit 1; }

wyze_password='w-Secret"Pass\word'
api_key='AK-secret-0123456789'
broker_password='broker-secret-xyz'
cat >"$tmp/options.json" <<JSON
{"email": "me@example.com", "password": "w-Secret\"Pass\\\\word", "key_id": "key-id-1", "api_key": "$api_key",
 "totp_key": "", "auth": "api_key", "poll_interval": "90s", "include": ["Porch", "2C:AA:8E:12:34:56"],
 "exclude": [], "base_topic": "home/wyze", "discovery_mode": "components", "commands": false, "log_level": "debug",
 "events": true, "events_interval": "30s", "pictures": false}
JSON
echo 200 >"$tmp/status"
cat >"$tmp/mqtt.json" <<JSON
{"result": "ok", "data": {"host": "core-mosquitto", "port": 1883, "ssl": false, "protocol": "3.1.1",
 "username": "addons", "password": "$broker_password", "addon": "core_mosquitto"}}
JSON

run_addon() {  # run_addon TOKEN ARGS... (output in $tmp/out, status in $tmp/status_code)
  local token=$1; shift
  set +e
  env -u WYZE_PASSWORD -u MQTT_URL SUPERVISOR_TOKEN="$token" OPTIONS_FILE="$tmp/options.json" \
    SUPERVISOR_URL="http://127.0.0.1:$(cat "$tmp/port")" DATA_DIR="$tmp/data" BRIDGE="$bridge" RUN_AS= \
    "$src/addon/run.sh" "$@" >"$tmp/out" 2>&1
  echo $? >"$tmp/status_code"
  set -e
}
no_secret() { ! grep -qF -e "$wyze_password" -e "$api_key" -e "$broker_password" -e key-id-1 "$tmp/out"; }

run_addon test-supervisor-token --check-config
check "with a broker service, the written config is accepted by wyze-mqtt-bridge --check-config" grep -qx 0 "$tmp/status_code"
check "the broker comes from the Supervisor (mqtt://core-mosquitto:1883, user addons)" \
  bash -c "grep -q 'url: mqtt://core-mosquitto:1883' '$tmp/out' && grep -q 'username: addons' '$tmp/out'"
check "the options reach the config (poll interval, include, base topic, mode, events, log level, state in /data)" \
  bash -c "grep -q 'poll_interval: 90s' '$tmp/out' && grep -q 'Porch' '$tmp/out' && grep -q 'base_topic: home/wyze' '$tmp/out' &&
           grep -Pzq 'events:\n  enabled: true\n  interval: 30s\n' '$tmp/out' && grep -q 'pictures: false' '$tmp/out' &&
           grep -q 'discovery_mode: components' '$tmp/out' && grep -q 'commands: false' '$tmp/out' && grep -q 'level: debug' '$tmp/out' && grep -q 'state_dir: $tmp/data/state' '$tmp/out'"
check "the Wyze password with a quote and a backslash arrives intact" \
  bash -c "jq -e --arg p '$wyze_password' '.wyze.password == \$p' '$tmp/data/config.yaml'"
check "it says which broker it took, on one clean line" grep -q '^wyze-mqtt-bridge add-on: broker core-mosquitto:1883 from the Supervisor; config written' "$tmp/out"
check "no secret is printed" no_secret
check "the config file is mode 0600" bash -c "[ \"\$(stat -c %a '$tmp/data/config.yaml')\" = 600 ]"

echo 400 >"$tmp/status"
echo '{"result": "error", "message": "No MQTT service available\u001b[2J"}' >"$tmp/mqtt.json"
run_addon test-supervisor-token --check-config
check "without a broker service it stops (status 1)" grep -qx 1 "$tmp/status_code"
check "and says to install the Mosquitto broker add-on, on one clean line" \
  bash -c "[ \$(wc -l <'$tmp/out') -eq 1 ] && grep -q 'no MQTT broker: install and start the Mosquitto broker add-on' '$tmp/out' &&
           ! grep -q \$'\\x1b' '$tmp/out'"
check "no secret is printed" no_secret

run_addon wrong-token --check-config
check "a token the Supervisor refuses stops it with the same clear line" \
  bash -c "grep -qx 1 '$tmp/status_code' && grep -q 'no MQTT broker' '$tmp/out' && grep -q Unauthorized '$tmp/out'"

kill "$server"; wait "$server" 2>/dev/null || true; server=
run_addon test-supervisor-token --check-config
check "an unreachable Supervisor stops it with a line that says so" \
  bash -c "grep -qx 1 '$tmp/status_code' && grep -q 'cannot reach the Supervisor' '$tmp/out'"

finish_checks

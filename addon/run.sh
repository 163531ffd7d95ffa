#!/usr/bin/env bash
# The add-on's entry point: turns the add-on's options (/data/options.json) and the Supervisor's
# MQTT service into the bridge's config file, keeps the state in /data, and execs the bridge.
# Never prints a secret. The paths can be moved for tests:
#   OPTIONS_FILE (/data/options.json)  SUPERVISOR_URL (http://supervisor)  DATA_DIR (/data)
#   BRIDGE (wyze-mqtt-bridge)  RUN_AS (wyze; empty: stay the current user)
#   TEST_CLOUD_URL, TEST_CLOUD_CA (unset): a simulated cloud (wyze-cloud-sim) and its CA instead of
#   Wyze's, for script/test-image; never set by the Supervisor
# Arguments go to the bridge (e.g. --check-config).
set -euo pipefail
options=${OPTIONS_FILE:-/data/options.json}
supervisor=${SUPERVISOR_URL:-http://supervisor}
data=${DATA_DIR:-/data}
bridge=${BRIDGE:-wyze-mqtt-bridge}
run_as=${RUN_AS-wyze}

say() { echo "wyze-mqtt-bridge add-on: $*" >&2; }
# Text from outside (the Supervisor's messages) as one printable line.
printable() { local text; text=$(cat); printf '%s' "$text" | tr -c '[:print:]' ' ' | head -c 300; }

[ -r "$options" ] || { say "cannot read the add-on options at $options"; exit 2; }
if [ -z "${SUPERVISOR_TOKEN:-}" ]; then
  say "SUPERVISOR_TOKEN is not set: run this as a Home Assistant add-on (or set it for a test)"
  exit 1
fi

# The broker comes from the Supervisor's MQTT service (the Mosquitto broker add-on provides it).
# Its answer holds the broker's password: it stays in variables and files of mode 0600.
if ! answer=$(curl --silent --show-error --max-time 10 -H "Authorization: Bearer $SUPERVISOR_TOKEN" \
                   "$supervisor/services/mqtt" 2>&1); then
  say "cannot reach the Supervisor at $supervisor: $(printable <<<"$answer")"
  exit 1
fi
if [ "$(jq -r '.result // empty' <<<"$answer" 2>/dev/null)" != ok ] ||
   [ -z "$(jq -r '.data.host // empty' <<<"$answer" 2>/dev/null)" ]; then
  reason=$(jq -r '.message // empty' <<<"$answer" 2>/dev/null | printable || true)
  say "no MQTT broker: install and start the Mosquitto broker add-on (Settings > Add-ons), then start" \
      "this add-on again${reason:+ (the Supervisor said: $reason)}"
  exit 1
fi

umask 077
mkdir -p "$data/state"
config="$data/config.yaml"
# JSON is YAML: jq writes the config, so no value can break its syntax.
jq --slurpfile options "$options" --arg state "$data/state" \
   --arg cloud "${TEST_CLOUD_URL:-}" --arg cloud_ca "${TEST_CLOUD_CA:-}" '
  .data as $mqtt | $options[0] as $o |
  {wyze: ({auth: ($o.auth // "api_key"), email: ($o.email // ""), password: ($o.password // ""),
           poll_interval: ($o.poll_interval // "60s"), include: ($o.include // []),
           exclude: ($o.exclude // []), state_dir: $state}
          + (if ($o.auth // "api_key") == "api_key"
             then {key_id: ($o.key_id // ""), api_key: ($o.api_key // "")} else {} end)
          + (if ($o.totp_key // "") != "" then {totp_key: $o.totp_key} else {} end)
          + (if $cloud != "" then {auth_url: $cloud, api_url: $cloud, devicemgmt_url: $cloud, toggle_url: $cloud, ca_file: $cloud_ca} else {} end)),
   mqtt: ({url: ((if $mqtt.ssl == true then "mqtts://" else "mqtt://" end) + $mqtt.host + ":" + ($mqtt.port | tostring)),
           base_topic: ($o.base_topic // "wyze"),
           commands: (if $o.commands == false then false else true end)}
          + (if ($mqtt.username // "") != ""
             then {username: $mqtt.username, password: ($mqtt.password // "")} else {} end)),
   homeassistant: {discovery_mode: ($o.discovery_mode // "device")},
   events: ({enabled: ($o.events == true), interval: ($o.events_interval // "15s"),
             pictures: (if $o.pictures == false then false else true end)}
            + (if $cloud != "" then {api_url: $cloud} else {} end)),
   log: {level: ($o.log_level // "info")},
   metrics: {listen: "0.0.0.0:9105"}}' <<<"$answer" >"$config"
chmod 0600 "$config"
say "broker $(jq -r '.data.host + ":" + (.data.port | tostring)' <<<"$answer" | printable) from the Supervisor;" \
    "config written to $config, state in $data/state"

if [ -n "$run_as" ] && id "$run_as" >/dev/null 2>&1; then
  chown -R "$run_as" "$data/state" "$config"
  exec setpriv --reuid="$run_as" --regid="$run_as" --init-groups -- "$bridge" --config "$config" "$@"
fi
exec "$bridge" --config "$config" "$@"

# Shared by the shell tests that run a bridge (source it after checks.sh): a private mosquitto and
# wyze-cloud-sim on free loopback ports, and a config for them. Each start_* adds its process to
# $service_pids; stop_services ends them (call it from the test's EXIT trap).
service_pids=()
stop_services() { for pid in "${service_pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }

# start_broker DIR: mosquitto with anonymous clients on a free port; sets broker_port.
start_broker() {
  local dir=$1 try
  for try in $(seq 20); do
    broker_port=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$broker_port") 2>/dev/null && continue
    printf 'user %s\nlistener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' \
      "$(id -un)" "$broker_port" >"$dir/mosquitto.conf"
    mosquitto -c "$dir/mosquitto.conf" >"$dir/mosquitto.log" 2>&1 &
    service_pids+=($!)
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$broker_port") 2>/dev/null && return 0; sleep 0.1; done
  done
  echo "mosquitto did not start (see $dir/mosquitto.log)" >&2
  return 1
}

# start_sim DIR SIM_BINARY CAMERAS: the simulated cloud; sets sim_url and sim_ca (DIR/sim-ca.pem).
start_sim() {
  local dir=$1 sim=$2 cameras=$3
  rm -f "$dir/sim.port"
  "$sim" --cameras "$cameras" --port-file "$dir/sim.port" --ca-out "$dir/sim-ca.pem" >"$dir/sim.log" 2>&1 &
  service_pids+=($!)
  for _ in $(seq 100); do [ -s "$dir/sim.port" ] && break; sleep 0.1; done
  [ -s "$dir/sim.port" ] || { echo "wyze-cloud-sim did not start (see $dir/sim.log)" >&2; return 1; }
  sim_url="https://127.0.0.1:$(cat "$dir/sim.port")" sim_ca="$dir/sim-ca.pem"
}

# write_config FILE STATE_DIR CA_FILE: a config (mode 0600) for the simulator's default account
# and the broker, with the paths as the bridge will see them.
write_config() {
  local file=$1 state=$2 ca=$3
  (umask 077 && cat >"$file") <<CONF
wyze:
  email: demo@example.com
  password: demo-password
  key_id: demo-key-id
  api_key: demo-api-key
  auth_url: $sim_url
  api_url: $sim_url
  ca_file: $ca
  state_dir: $state
mqtt:
  url: mqtt://127.0.0.1:$broker_port
  commands: false
CONF
}

# retained_count FILTER: how many retained messages the broker holds under FILTER.
retained_count() {
  mosquitto_sub -h 127.0.0.1 -p "$broker_port" -t "$1" -v --retained-only -W 2 2>/dev/null | grep -c . || true
}

# sim_stat NAME: one number from the simulator's /sim/stats.
sim_stat() {
  curl --silent --cacert "$sim_ca" "$sim_url/sim/stats" | jq -r ".$1"
}

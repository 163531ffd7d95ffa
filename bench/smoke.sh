#!/usr/bin/env bash
# CI's smoke run of the benchmarks, so they never rot: every micro-benchmark once, briefly,
# bridge_bench once with 10 cameras (real mosquitto, simulator and bridge), events_bench with 5
# events at a 1 s interval, and commands_bench with 5 commands and 3 events. Numbers are not judged here (a shared CI machine is too noisy);
# script/bench measures.
#   bench/smoke.sh MICRO_BENCH BRIDGE_BENCH EVENTS_BENCH COMMANDS_BENCH
set -euo pipefail
micro=$1
bridge=$2
events=$3
commands=$4
"$micro" --benchmark_min_time=0.01 --benchmark_filter='/10$|discovery_payload|/1000$' >/dev/null
out=$("$bridge" --cameras 10 --runs 1)
echo "$out"
# The bridge published every topic, and a steady poll published no camera message.
grep -q '^10 cameras: {.*"steady_poll_camera_messages":0' <<<"$out"
grep -q '"changed_poll_camera_messages":2[,}]' <<<"$out"
# A Home Assistant birth republished every camera topic once, and both floors ran.
topics=$(grep -o '"camera_topics":[0-9]*' <<<"$out" | cut -d: -f2)
grep -q "\"republish_camera_messages\":$topics[,}]" <<<"$out"
grep -q '"floor_pipelined_publish_cpu_ms":' <<<"$out"
# Every event's motion and picture arrived (events_bench exits 1 otherwise).
events_out=$("$events" --events 5 --interval 1 --quiet 3)
echo "$events_out"
grep -q '^| `motion` `on`, from the event.s creation (5 of 5)' <<<"$events_out"
grep -q '^| `picture` on the broker (5 of 5' <<<"$events_out"
# Every command's state and answer arrived (commands_bench exits 1 otherwise).
commands_out=$("$commands" --commands 5 --events 3)
echo "$commands_out"
grep -q '^| mosquitto, its defaults | the state on a subscriber | 5 |' <<<"$commands_out"
grep -q "^| mosquitto, its defaults | an event's messages, from the event list's answer | 3 |" <<<"$commands_out"

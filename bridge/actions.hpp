#pragma once
// What the core decides: the actions the shell carries out (bridge.cpp), in the order given. Every
// sub-machine of the core adds to one `actions` list.
#include "common/log.hpp"
#include "mqtt/topics.hpp"
#include "wyze/cloud_client.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <variant>
#include <vector>

namespace bridge {

/// The core's timers; the shell runs one of each.
enum class timer { poll, birth, once, readback, events, motion, properties };
inline constexpr std::size_t timer_count = 7;

namespace act {
/// Start a device-list poll; report it with ev::poll_done.
struct fetch {
  bool operator==(const fetch&) const = default;
};
/// Send a camera command to the cloud; report it with ev::command_done.
struct command {
  std::string camera;  ///< the camera's topic id
  wyze::camera_command call;
  bool operator==(const command&) const = default;
};
/// Call the event list once; report it with ev::events_done.
struct fetch_events {
  wyze::event_query query;
  bool operator==(const fetch_events& o) const {
    return query.macs == o.query.macs && query.begin_ms == o.query.begin_ms && query.end_ms == o.query.end_ms;
  }
};
/// Read the accessories' states of `devices` in one batched call (none when empty), and every
/// state of each device-management camera of `iot` with its own get_iot_prop; report them all at
/// once with ev::properties_done.
struct read_properties {
  std::vector<wyze::property_target> devices;
  std::vector<std::string> pids;
  std::vector<wyze::property_target> iot;
  bool operator==(const read_properties&) const = default;
};
/// Download a picture; report it with ev::picture_done. The URL is signed: never logged.
struct download {
  std::string camera;  ///< the camera's topic id
  std::string url;
  std::size_t max_bytes = 0;
  bool operator==(const download&) const = default;
};
/// Save the event state (events.json in the state directory).
struct save_events {
  std::string text;
  bool operator==(const save_events&) const = default;
};
/// Publish one message now.
struct publish {
  broker::message message;
  bool operator==(const publish&) const = default;
};
/// The retained state has messages queued: report ev::publish_window once the broker connection's
/// publish window has room (at once if it has), and again after each answer that filled it.
struct flush {
  bool operator==(const flush&) const = default;
};
struct subscribe {
  std::string filter;
  int qos = -1;  ///< -1: mqtt.qos
  bool operator==(const subscribe&) const = default;
};
struct unsubscribe {
  std::string filter;
  bool operator==(const unsubscribe&) const = default;
};
/// (Re)start a timer: a running one of the same kind is replaced and never fires.
struct start_timer {
  timer which;
  std::chrono::milliseconds after;
  bool operator==(const start_timer&) const = default;
};
struct cancel_timer {
  timer which;
  bool operator==(const cancel_timer&) const = default;
};
/// Report ev::delivered once everything published so far is acknowledged.
struct when_delivered {
  bool operator==(const when_delivered&) const = default;
};
/// Publish `last` (offline), wait for its acknowledgement, disconnect, and exit with `code`.
struct exit {
  int code = 0;
  broker::message last;
  bool operator==(const exit&) const = default;
};
struct log {
  common::logging::level level;
  std::string component;
  std::string text;
  bool operator==(const log&) const = default;
};
/// Change the log level (bridge/request/options).
struct set_log_level {
  common::logging::level level;
  bool operator==(const set_log_level&) const = default;
};
/// The service's one-line status for the service manager (systemd's STATUS=).
struct status {
  std::string text;
  bool operator==(const status&) const = default;
};
/// Save the ids of the cameras published now (state directory), for the clean-up at the next start.
struct record {
  std::vector<std::string> ids;
  bool operator==(const record&) const = default;
};
}  // namespace act

using action =
    std::variant<act::fetch, act::command, act::publish, act::flush, act::subscribe, act::unsubscribe, act::start_timer,
                 act::cancel_timer, act::when_delivered, act::exit, act::log, act::set_log_level, act::status,
                 act::record, act::fetch_events, act::download, act::save_events, act::read_properties>;
using actions = std::vector<action>;

}  // namespace bridge

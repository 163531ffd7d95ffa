#pragma once
// The bridge's decisions as one synchronous state machine (the boostorg/redis run_fsm way): one
// entry point, core::on(event, now), takes what happened (a poll finished, the broker connected or
// was lost, a message arrived, a timer fired, the publish window has room, stop) and returns every
// action to carry out (fetch, publish, subscribe, start or cancel a timer, exit, log), in order. No
// I/O, no clock and no threads: the time comes with each event, and bridge.cpp's shell does the I/O.
// Nothing calls back into it: the retained messages go out as the answer to ev::publish_window.
#include "bridge/actions.hpp"
#include "bridge/birth_schedule.hpp"
#include "bridge/command_queue.hpp"
#include "bridge/event_poll.hpp"
#include "bridge/event_state.hpp"
#include "bridge/metrics.hpp"
#include "bridge/picture_queue.hpp"
#include "bridge/poll_schedule.hpp"
#include "bridge/readback.hpp"
#include "bridge/retained_state.hpp"
#include "common/log.hpp"
#include "mqtt/entities.hpp"
#include "wyze/cloud_client.hpp"
#include "wyze/events.hpp"
#include "wyze/result.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace bridge {

/// What happens to the core: the one input of core::on.
namespace ev {
/// The broker connection is being started: subscribes and polls at once.
struct started {};
/// The act::fetch finished.
struct poll_done {
  wyze::result<wyze::device_list> list;
  /// The account's budget as the poll ended (published on `<base>/bridge/budget` when it changed).
  wyze::cloud_budget budget{};
};
/// The broker accepted the connection (first, or again after a loss).
struct broker_up {};
/// The connection to the broker was lost; the adapter reconnects by itself.
struct broker_down {};
/// A message arrived; `retained`: the broker sent it from its store.
struct message {
  std::string topic, payload;
  bool retained = false;
};
/// The cloud answered the act::command of camera `camera`.
struct command_done {
  std::string camera;
  wyze::result<wyze::done> outcome;
};
/// The event list answered an act::fetch_events.
struct events_done {
  wyze::result<wyze::event_list> list;
};
/// One get_iot_prop of an act::read_properties answered.
struct iot_answer {
  std::string mac;
  wyze::result<wyze::iot_state> state;
};
/// The reads of an act::read_properties answered: the batched one (no values when none was asked
/// for) and each get_iot_prop.
struct properties_done {
  wyze::result<wyze::property_values> values;
  std::vector<iot_answer> iot{};
};
/// The act::download of camera `camera` finished.
struct picture_done {
  std::string camera;
  wyze::result<wyze::picture> picture;
};
/// A timer started by act::start_timer ran out.
struct timer_fired {
  timer which;
};
/// The publish window has room for `room` more messages (asked for by act::flush): answered with
/// at most that many publish actions of the queued retained messages.
struct publish_window {
  std::size_t room = 0;
};
/// Everything published before the last act::when_delivered is acknowledged (`acknowledged`), or
/// the connection dropped first (then broker_down follows, and what was unacknowledged is gone).
struct delivered {
  bool acknowledged = true;
};
/// SIGINT/SIGTERM.
struct stop {};
}  // namespace ev

using event = std::variant<ev::started, ev::poll_done, ev::broker_up, ev::broker_down, ev::message, ev::command_done,
                           ev::events_done, ev::picture_done, ev::timer_fired, ev::publish_window, ev::delivered,
                           ev::stop, ev::properties_done>;

/// The core's life cycle (core::on holds every transition).
enum class phase {
  starting,     ///< not started, or started and the broker not connected yet
  running,      ///< connected to the broker (the read-back of earlier runs first, once)
  broker_away,  ///< the connection was lost; the adapter reconnects
  draining,     ///< --once: everything is published, waiting for the broker's acknowledgements
  stopped,      ///< offline published, disconnecting: nothing more is done
};

/// events.* (SPEC §8), and what an earlier run left in the state directory.
/// Whether events and pictures are on is publishing.discovery_settings.features (events, pictures).
struct event_settings {
  std::chrono::milliseconds interval{15'000};
  std::chrono::milliseconds motion_off_after{60'000};
  std::size_t max_picture = 1u << 20;
  event_state saved;  ///< events.json
  /// The features an earlier run had on (published.json): their topics are cleared when now off.
  bool recorded_events = false, recorded_pictures = false;
};

/// What the core needs to know of the config.
struct core_settings {
  publish_settings publishing;
  std::string status_topic = "homeassistant/status";  ///< Home Assistant's birth topic
  std::chrono::milliseconds poll_interval{60'000};
  /// The batched property read (SPEC §10): every this long while some camera needs one.
  std::chrono::milliseconds property_interval{300'000};
  /// Requested polls start at the earliest this long after the last poll (10 s against Wyze's
  /// hosts, 1 s elsewhere), so no flood of requests becomes a flood of cloud calls.
  std::chrono::milliseconds min_poll_spacing{1'000};
  std::vector<std::string> include, exclude;
  bool once = false;              ///< --once: poll once, publish, exit
  bool anonymous_broker = false;  ///< no mqtt.username: anyone on the broker may send commands
  common::logging::level log_level = common::logging::level::info;  ///< at start (shown in bridge/info)
  /// Camera ids an earlier run recorded as published (state directory): cleared at start when
  /// neither the account nor the config wants them, whatever the broker gives back of its retained
  /// messages.
  std::vector<std::string> recorded_ids;
  std::string version;
  std::string broker_url;  ///< for log lines only
  event_settings events;
};

class core {
 public:
  static constexpr int failed_polls_before_cloud_offline = 3;
  static constexpr std::chrono::milliseconds once_broker_timeout{30'000};
  /// How long retained topics of earlier runs are read back at most (zigbee2mqtt does the same).
  static constexpr std::chrono::milliseconds readback_window{3'000};
  /// After the cloud carried a command out, device lists that still show the old value are not
  /// believed for this long: Wyze's list can lag behind the camera.
  static constexpr std::chrono::milliseconds command_settle{120'000};
  /// Events older than this when first seen update last_event and the picture, not motion, and
  /// are not announced on the event topic (SPEC §8).
  static constexpr std::int64_t event_fresh_ms = std::int64_t{5} * 60 * 1000;
  /// Event messages held while the broker is away (the newest ones), sent when it is back.
  static constexpr std::size_t max_held_events = 1000;

  /// `random` draws the birth delay and the read-back marker (tests pass a fixed sequence).
  core(core_settings settings, std::function<std::uint64_t()> random);

  /// What to do now that `what` happened at `now_ms` (ms since the epoch), in order.
  actions on(event what, std::int64_t now_ms);

  const metrics& stats() const { return stats_; }
  std::optional<std::int64_t> last_success_ms() const { return last_success_; }
  bool stopping() const { return phase_ == phase::stopped; }
  bridge::phase current_phase() const { return phase_; }
  const broker::bridge_topics& topics() const { return topics_; }

 private:
  // One handler an event (core.cpp and the files of the sub-machines); core::on calls them.
  void handle(actions& out, ev::started&, std::int64_t now_ms);
  void handle(actions& out, ev::poll_done& done, std::int64_t now_ms);
  void handle(actions& out, ev::broker_up&, std::int64_t now_ms);
  void handle(actions& out, ev::broker_down&, std::int64_t now_ms);
  void handle(actions& out, ev::message& m, std::int64_t now_ms);
  void handle(actions& out, ev::command_done& done, std::int64_t now_ms);
  void handle(actions& out, ev::events_done& done, std::int64_t now_ms);
  void handle(actions& out, ev::picture_done& done, std::int64_t now_ms);
  void handle(actions& out, ev::properties_done& done, std::int64_t now_ms);
  void handle(actions& out, ev::timer_fired& fired, std::int64_t now_ms);
  void handle(actions& out, ev::publish_window& window, std::int64_t now_ms);
  void handle(actions& out, ev::delivered&, std::int64_t now_ms);
  void handle(actions& out, ev::stop&, std::int64_t now_ms);
  bool connected() const { return phase_ == phase::running || phase_ == phase::draining; }
  /// mqtt.commands (subscribe to <base>/+/+/set, carry commands out), events.enabled (poll the event
  /// list), events.pictures: the switches that also decide which entities exist.
  const broker::feature_flags& features() const { return settings_.publishing.discovery_settings.features; }

  void report_problems(actions& out, const std::vector<std::string>& problems);
  void set_cloud_online(actions& out, bool online);
  void publish_info(actions& out);
  /// `<base>/bridge/budget` (SPEC 12), when it differs from the last one published.
  void publish_budget(actions& out, const wyze::cloud_budget& budget);
  /// `<base>/bridge/devices`, when it changed (or `always`).
  void publish_devices(actions& out, bool always);
  void record_published(actions& out);
  void on_request(actions& out, const std::string& name, const std::string& payload, std::int64_t now_ms);
  void set_options(actions& out, const std::string& payload, const std::string& transaction);
  /// Publishes `answer` (a JSON object's text) on `<base>/bridge/response/<name>` with the request's
  /// transaction (JSON text, or empty for none).
  void respond(actions& out, const std::string& name, std::string answer, const std::string& transaction);
  void publish_everything(actions& out);
  void finish_readback(actions& out);
  void clear_stale(actions& out);
  void finish_once_when_published(actions& out);
  void finish(actions& out, int code);

  // Events and pictures (core_events.cpp; their sub-machines event_poll and picture_queue).
  void poll_events(actions& out, std::int64_t now_ms);
  /// Publishes one new event; true when it switched motion on.
  bool take_event(actions& out, const wyze::camera_event& event, std::int64_t now_ms);
  void end_motion(actions& out, std::int64_t now_ms);
  void queue_thumbnails();
  void start_download(actions& out);
  void save_events(actions& out);

  // The batched property read (core_properties.cpp).
  /// Reads the states of every camera that needs one, unless a read is in flight or scheduled.
  void read_properties(actions& out);
  /// The batched read's values: the number of states changed.
  std::size_t take_properties(actions& out, const wyze::property_values& cameras, std::int64_t now_ms);
  void property_read_failed(actions& out, const wyze::error& failed);
  void count_failure(const wyze::error& failed);
  /// The states get_iot_prop read of the device-management camera `mac`; the number changed.
  std::size_t take_iot(const std::string& mac, const wyze::iot_state& read, std::int64_t now_ms);

  // Commands (core_commands.cpp).
  bool is_command_topic(const std::string& topic) const;
  void on_command(actions& out, const std::string& topic, const std::string& payload, bool retained,
                  std::int64_t now_ms);
  void dispatch(actions& out, const std::string& camera);
  void answer_command(actions& out, const std::string& camera, const std::string& entity, const std::string& value,
                      const std::string& error);
  void count_command(const std::string& entity, const char* result);

  core_settings settings_;
  std::function<std::uint64_t()> random_;
  broker::bridge_topics topics_;
  retained_state retained_;
  metrics stats_;

  bridge::phase phase_ = phase::starting;
  poll_schedule polls_;
  birth_schedule births_;
  event_state events_;
  event_poll event_poll_;
  motion_timers motion_;
  picture_queue pictures_;
  bool events_dirty_ = false;                ///< events_ changed since it was saved
  std::deque<broker::message> held_events_;  ///< event messages that came while the broker was away
  int failed_polls_ = 0;
  std::optional<bool> cloud_online_;
  std::string budget_text_;  ///< the bridge/budget last published (empty: none yet)
  std::int64_t started_at_ = 0;
  std::optional<std::int64_t> last_success_;
  std::optional<std::string> last_error_;
  std::vector<std::string> last_problems_;
  bool once_polled_ = false;
  readback readback_{topics_.readback, readback_window};
  earlier_run earlier_;  ///< what the state directory says an earlier run published
  command_queue commands_;
  std::optional<std::size_t> devices_hash_;         ///< of the bridge/devices last published
  std::set<std::string> recorded_;                  ///< ids last recorded as published
  bool features_written_ = false;                   ///< the record holds this run's events and pictures settings
  bool properties_busy_ = false;                    ///< a property read is in flight, or its timer runs
  bool properties_in_flight_ = false;               ///< a property read is in flight (--once waits for it)
  std::size_t asked_properties_ = 0;                ///< cameras the property read in flight names
  bool unreadable_properties_said_ = false;         ///< an answer naming none of them was reported
  std::optional<std::string> last_property_error_;  ///< said once while it repeats
};

/// True when `camera` passes `include` (empty = all) and is not in `exclude`; entries match the
/// MAC in any notation or the nickname exactly.
bool is_selected(const wyze::Camera& camera, const std::vector<std::string>& include,
                 const std::vector<std::string>& exclude);

}  // namespace bridge

#pragma once
// The bridge's decisions as a synchronous state machine (the boostorg/redis run_fsm way): events in
// (a poll finished, the broker connected or was lost, a message arrived, a timer fired, stop), the
// actions to carry out back (fetch, publish, subscribe, start or cancel a timer, exit, log). No I/O,
// no clock and no threads: the time comes with each event, and bridge.cpp's shell does the I/O.
#include "bridge/event_state.hpp"
#include "bridge/metrics.hpp"
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

/// The core's timers; the shell runs one of each.
enum class timer { poll, birth, once, readback, events, motion };

namespace act {
/// Start a device-list poll; report it with core::on_poll_done.
struct fetch {
  bool operator==(const fetch&) const = default;
};
/// Send a camera command to the cloud; report it with core::on_command_done(camera, …).
struct command {
  std::string camera;  ///< the camera's topic id
  wyze::camera_command call;
  bool operator==(const command&) const = default;
};
/// Call the event list once; report it with core::on_events_done.
struct fetch_events {
  wyze::event_query query;
  bool operator==(const fetch_events& o) const {
    return query.macs == o.query.macs && query.begin_ms == o.query.begin_ms && query.end_ms == o.query.end_ms;
  }
};
/// Download a picture; report it with core::on_picture_done(camera, …). The URL is signed: never logged.
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
/// Publish what the retained state has queued (core::next_message), as the window allows.
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
/// Report core::on_delivered once everything published so far is acknowledged.
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
                 act::record, act::fetch_events, act::download, act::save_events>;
using actions = std::vector<action>;

/// events.* (SPEC §8), and what an earlier run left in the state directory.
struct event_settings {
  bool enabled = false;  ///< poll the event list (publishing.events says the same to the entities)
  std::chrono::milliseconds interval{15'000};
  std::chrono::milliseconds motion_off_after{60'000};
  bool pictures = false;  ///< publish pictures (publishing.pictures)
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
  /// Requested polls start at the earliest this long after the last poll (10 s against Wyze's
  /// hosts, 1 s elsewhere), so no flood of requests becomes a flood of cloud calls.
  std::chrono::milliseconds min_poll_spacing{1'000};
  std::vector<std::string> include, exclude;
  bool once = false;  ///< --once: poll once, publish, exit
  /// mqtt.commands: subscribe to <base>/+/+/set and carry commands out (also sets
  /// publishing.discovery_settings.commands, which announces the entities).
  bool commands = true;
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
  /// Home Assistant's birth is answered after a random delay in this range, so many bridges don't
  /// answer in the same instant.
  static constexpr std::chrono::milliseconds birth_delay_min{1'000}, birth_delay_max{5'000};
  /// Births that repeat share one republish: at most one a minute (50,000 messages at 10,000 cameras).
  static constexpr std::chrono::milliseconds birth_republish_spacing{60'000};
  /// Poll requests answered by one poll at most; more share the poll unanswered (bounded memory
  /// and answers, whatever a broker client sends).
  static constexpr std::size_t max_poll_waiters = 100;
  /// After the cloud carried a command out, device lists that still show the old value are not
  /// believed for this long: Wyze's list can lag behind the camera.
  static constexpr std::chrono::milliseconds command_settle{120'000};
  /// Events older than this when first seen update last_event and the picture, not motion, and
  /// are not announced on the event topic (SPEC §8).
  static constexpr std::int64_t event_fresh_ms = std::int64_t{5} * 60 * 1000;
  /// Follow-up calls for one interval's events at most (20 events each); the rest come next time.
  static constexpr int max_event_pages = 10;
  /// Event messages held while the broker is away (the newest ones), sent when it is back.
  static constexpr std::size_t max_held_events = 1000;

  /// `random` draws the birth delay and the read-back marker (tests pass a fixed sequence).
  core(core_settings settings, std::function<std::uint64_t()> random);

  /// The broker connection is being started: subscribes and polls at once.
  actions on_start(std::int64_t now_ms);
  actions on_poll_done(wyze::result<wyze::device_list> list, std::int64_t now_ms);
  actions on_broker_connected(std::int64_t now_ms);
  actions on_broker_lost();
  /// `retained`: the broker sent the message from its store.
  actions on_message(const std::string& topic, const std::string& payload, std::int64_t now_ms, bool retained = false);
  /// The event list answered an act::fetch_events.
  actions on_events_done(wyze::result<wyze::event_list> list, std::int64_t now_ms);
  /// The act::download of camera `camera` finished.
  actions on_picture_done(const std::string& camera, wyze::result<wyze::picture> picture, std::int64_t now_ms);
  /// The cloud answered the act::command of camera `camera`.
  actions on_command_done(const std::string& camera, const wyze::result<wyze::done>& outcome, std::int64_t now_ms);
  actions on_timer(timer which, std::int64_t now_ms);
  /// Everything published before the last act::when_delivered is acknowledged.
  actions on_delivered();
  /// SIGINT/SIGTERM.
  actions on_stop();

  /// The next retained message to publish (the source of act::flush); nothing while reading back.
  std::optional<broker::message> next_message();

  const metrics& stats() const { return stats_; }
  std::optional<std::int64_t> last_success_ms() const { return last_success_; }
  bool stopping() const { return stopping_; }
  const broker::bridge_topics& topics() const { return topics_; }

 private:
  enum class readback { not_started, reading, read, cleared };

  void poll(actions& out, std::int64_t now_ms);
  void request_poll(actions& out, std::int64_t now_ms);
  void on_birth(actions& out, std::int64_t now_ms);
  void schedule_poll(actions& out);
  void report_problems(actions& out, const std::vector<std::string>& problems);
  void set_cloud_online(actions& out, bool online);
  void publish_info(actions& out);
  /// `<base>/bridge/devices`, when it changed (or `always`).
  void publish_devices(actions& out, bool always);
  void record_published(actions& out);
  void on_request(actions& out, const std::string& name, const std::string& payload, std::int64_t now_ms);
  void set_options(actions& out, const std::string& payload, const std::string& transaction);
  /// Publishes `answer` (a JSON object's text) on `<base>/bridge/response/<name>` with the request's
  /// transaction (JSON text, or empty for none).
  void respond(actions& out, const std::string& name, std::string answer, const std::string& transaction);
  void publish_everything(actions& out);
  void start_readback(actions& out);
  void finish_readback(actions& out);
  void clear_stale(actions& out);
  void finish_once_when_published(actions& out);
  void finish(actions& out, int code);

  // Events and pictures (core_events.cpp).
  void poll_events(actions& out, std::int64_t now_ms);
  void schedule_events(actions& out);
  /// Publishes one new event; true when it switched motion on.
  bool take_event(actions& out, const wyze::camera_event& event, std::int64_t now_ms);
  void end_motion(actions& out, std::int64_t now_ms);
  void queue_picture(const std::string& camera, std::string url, std::int64_t time_ms);
  void queue_thumbnails();
  void start_download(actions& out);
  void save_events(actions& out);
  struct picture_job {
    std::string camera;
    std::string url;  ///< signed: never logged
    std::int64_t time_ms = 0;
    int attempt = 1;
  };
  event_state events_;
  bool events_started_ = false, events_polling_ = false;
  int event_pages_ = 0;                               ///< calls of this interval so far
  std::optional<std::string> last_event_error_;       ///< said once until it changes
  std::map<std::string, std::int64_t> motion_until_;  ///< by camera id: when motion turns off
  std::deque<picture_job> pictures_;                  ///< at most one per camera: the newest
  std::optional<picture_job> downloading_;
  bool events_dirty_ = false;                ///< events_ changed since it was saved
  std::deque<broker::message> held_events_;  ///< event messages that came while the broker was away

  // Commands (core_commands.cpp).
  struct pending_command {
    std::string entity;  ///< a row key
    std::string value;   ///< "on", "off", or "press"
  };
  struct camera_commands {
    std::optional<pending_command> in_flight;
    std::vector<pending_command> queued;  ///< at most one per entity: a newer one replaces it
  };
  struct expectation {
    bool on;
    std::int64_t until_ms;
  };
  bool is_command_topic(const std::string& topic) const;
  void on_command(actions& out, const std::string& topic, const std::string& payload, bool retained,
                  std::int64_t now_ms);
  void dispatch(actions& out, const std::string& camera);
  void answer_command(actions& out, const std::string& camera, const std::string& entity, const std::string& value,
                      const std::string& error);
  void count_command(const std::string& entity, const char* result);
  /// Holds commanded values against device lists that still show the old one (command_settle).
  void apply_expectations(wyze::camera_list& cameras, std::int64_t now_ms);

  core_settings settings_;
  std::function<std::uint64_t()> random_;
  broker::bridge_topics topics_;
  retained_state retained_;
  metrics stats_;

  bool connected_ = false;
  bool polling_ = false;
  bool stopping_ = false;
  std::vector<std::string> poll_waiters_;       ///< transactions of the poll requests the next poll answers
  std::size_t unanswered_requests_ = 0;         ///< requests beyond max_poll_waiters since the last poll
  bool birth_pending_ = false;                  ///< a birth republish is scheduled
  std::optional<std::int64_t> last_republish_;  ///< when births last republished everything
  int failed_polls_ = 0;
  std::optional<bool> cloud_online_;
  std::int64_t started_at_ = 0;
  std::optional<std::int64_t> last_poll_, last_success_;
  std::optional<std::string> last_error_;
  std::vector<std::string> last_problems_;
  bool once_polled_ = false;
  readback readback_ = readback::not_started;
  std::set<std::string> read_back_;  ///< our retained topics found on the broker at start
  std::string readback_marker_;
  std::map<std::string, camera_commands> commands_;                      ///< by camera id
  std::map<std::pair<std::string, std::string>, expectation> expected_;  ///< by (camera id, entity)
  std::optional<std::size_t> devices_hash_;                              ///< of the bridge/devices last published
  std::set<std::string> recorded_;                                       ///< ids last recorded as published
  bool features_written_ = false;  ///< the record holds this run's events and pictures settings
};

/// True when `camera` passes `include` (empty = all) and is not in `exclude`; entries match the
/// MAC in any notation or the nickname exactly.
bool is_selected(const wyze::Camera& camera, const std::vector<std::string>& include,
                 const std::vector<std::string>& exclude);

}  // namespace bridge

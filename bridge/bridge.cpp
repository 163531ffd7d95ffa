#include "bridge/bridge.hpp"

#include "bridge/metrics.hpp"
#include "bridge/metrics_server.hpp"
#include "bridge/retained_state.hpp"
#include "mqtt/broker_client.hpp"
#include "version.hpp"
#include "wyze/cloud_client.hpp"
#include "wyze/https_client.hpp"
#include "wyze/state_file.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
#include <set>

namespace net = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace bridge {
namespace {

constexpr int failed_polls_before_cloud_offline = 3;
constexpr auto once_broker_timeout = 30s;
// How long retained configs of earlier runs are read back at start (zigbee2mqtt does the same).
constexpr auto readback_window = 3s;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json::value time_or_null(const std::optional<std::int64_t>& ms) {
  return ms ? json::value(broker::iso8601_utc(*ms)) : json::value(nullptr);
}

// The saved session, or a fresh one (said in the log when the file was unreadable).
wyze::session load_session(const wyze::state_file& file) {
  std::string problem;
  auto session = file.load(problem);
  if (!problem.empty()) LOG_AT(warn, "wyze", problem);
  if (session.current) LOG_AT(info, "wyze", "reusing the saved tokens from ", file.path(), " (no login)");
  return session;
}

}  // namespace

bool is_selected(const wyze::Camera& camera, const std::vector<std::string>& include,
                 const std::vector<std::string>& exclude) {
  auto matches = [&](const std::string& entry) {
    if (camera.nickname && *camera.nickname == entry) return true;
    std::string id = wyze::camera_id(entry);
    return !id.empty() && id == camera.id();
  };
  if (!include.empty() && std::none_of(include.begin(), include.end(), matches)) return false;
  return std::none_of(exclude.begin(), exclude.end(), matches);
}

struct service::impl {
  impl(net::io_context& io, const config& cfg, run_mode mode)
      : io(io),
        cfg(cfg),
        mode(mode),
        base(cfg.mqtt.base_topic),
        https(io.get_executor(), {cfg.wyze.ca_file, cfg.wyze.timeout, cfg.wyze.max_response,
                                  std::string("wyze-mqtt-bridge/") + wyze_bridge::version}),
        tokens_file(state_dir_to_use(cfg, process_environment())),
        cloud(https, account(cfg), now_ms, load_session(tokens_file),
              [this](const wyze::session& s) { save_session(s); }),
        retained(publishing(cfg)),
        mqtt(io.get_executor(), client(cfg),
             {[this] { on_broker_connected(); }, [this](std::string t, std::string p) { on_message(t, p); }}),
        poll_timer(io),
        birth_timer(io),
        once_timer(io),
        readback_timer(io) {
    stats.poll_interval = cfg.wyze.poll_interval;
    if (!cfg.metrics.listen.empty())
      metrics_http.emplace(io.get_executor(), cfg.metrics.listen,
                           [this](std::string_view target) { return answer_http(target); });
  }

  static wyze::account_settings account(const config& cfg) {
    return {cfg.wyze.auth,    cfg.wyze.email,    cfg.wyze.password, cfg.wyze.key_id,
            cfg.wyze.api_key, cfg.wyze.totp_key, cfg.wyze.auth_url, cfg.wyze.api_url};
  }

  static publish_settings publishing(const config& cfg) {
    return {cfg.mqtt.base_topic,
            cfg.homeassistant.discovery,
            {cfg.homeassistant.discovery_prefix, cfg.mqtt.base_topic, cfg.homeassistant.discovery_mode,
             wyze_bridge::version, wyze_bridge::support_url}};
  }

  static broker::client_settings client(const config& cfg) {
    broker::client_settings s;
    s.url = cfg.mqtt.url;
    s.client_id = cfg.mqtt.client_id;
    s.username = cfg.mqtt.username;
    s.password = cfg.mqtt.password;
    s.keepalive = std::chrono::duration_cast<std::chrono::seconds>(cfg.mqtt.keepalive);
    s.qos = cfg.mqtt.qos;
    s.ca_file = cfg.mqtt.ca_file;
    s.cert_file = cfg.mqtt.cert_file;
    s.key_file = cfg.mqtt.key_file;
    s.will = {cfg.mqtt.base_topic + "/bridge/state", "offline"};
    return s;
  }

  net::io_context& io;
  const config& cfg;
  run_mode mode;
  std::string base;
  wyze::https_client https;
  wyze::state_file tokens_file;
  wyze::cloud_client cloud;
  std::string last_save_problem;
  retained_state retained;
  broker::client mqtt;
  net::steady_timer poll_timer, birth_timer, once_timer, readback_timer;
  std::mt19937 random{std::random_device{}()};
  metrics stats;
  std::optional<metrics_server> metrics_http;
  std::chrono::steady_clock::time_point poll_started;

  bool polling = false;
  bool stopping = false;
  std::vector<std::function<void(const std::string& error, std::size_t cameras)>> poll_waiters;
  int failed_polls = 0;
  std::optional<bool> cloud_online;
  std::int64_t started_at = now_ms();
  std::optional<std::int64_t> last_poll, last_success;
  std::optional<std::string> last_error;
  std::vector<std::string> last_problems;
  bool once_polled = false;
  enum class readback { not_started, reading, read, cleared } readback_phase = readback::not_started;
  std::set<std::string> read_back;  ///< our retained topics found on the broker at start
  std::string readback_marker;
  int exit_code = 0;
  std::function<void()> stopped;

  void start(std::function<void()> on_stopped) {
    stopped = std::move(on_stopped);
    mqtt.set_source([this]() -> std::optional<broker::message> {
      if (readback_phase == readback::reading) return std::nullopt;  // see start_readback
      return retained.next();
    });
    mqtt.subscribe(cfg.homeassistant.status_topic);
    mqtt.subscribe(base + "/bridge/request/poll");
    mqtt.start();
    poll();
    if (mode == run_mode::once) {
      // --once must not wait forever for a broker that is not there.
      once_timer.expires_after(once_broker_timeout);
      once_timer.async_wait([this](boost::system::error_code ec) {
        if (ec || stopping) return;
        LOG_AT(error, "bridge", "the broker at ", cfg.mqtt.url, " did not accept the connection within ",
               once_broker_timeout.count(), " s");
        finish_once(1);
      });
    }
  }

  // ---- polling ----

  void schedule_poll() {
    if (mode == run_mode::once || stopping) return;
    poll_timer.expires_after(cfg.wyze.poll_interval);
    poll_timer.async_wait([this](boost::system::error_code ec) {
      if (!ec) poll();
    });
  }

  void poll() {
    if (polling || stopping) return;
    polling = true;
    poll_timer.cancel();
    last_poll = now_ms();
    poll_started = std::chrono::steady_clock::now();
    cloud.fetch_cameras([this](wyze::result<wyze::device_list> list) { on_poll_done(std::move(list)); });
  }

  void on_poll_done(wyze::result<wyze::device_list> list) {
    polling = false;
    if (stopping) return;
    stats.poll_duration.observe(std::chrono::steady_clock::now() - poll_started);
    std::string error;
    if (list) {
      report_problems(list.value().problems);
      auto& cameras = list.value().cameras;
      std::erase_if(cameras, [&](const auto& camera) { return !is_selected(camera, cfg.wyze.include, cfg.wyze.exclude); });
      stats.cameras = cameras.size();
      stats.cameras_online =
          std::count_if(cameras.begin(), cameras.end(), [](const auto& c) { return c.online == true; });
      auto camera_count = cameras.size();
      auto changes = retained.update(std::move(cameras));
      LOG_AT(debug, "bridge", "poll: ", camera_count, " cameras, ", changes, " changed topics");
      mqtt.flush();
      failed_polls = 0;
      ++stats.polls_ok;
      last_success = now_ms();
      last_error.reset();
      set_cloud_online(true);
      clear_stale();
    } else {
      error = list.error().message;
      // The same failure poll after poll is said once; what changes is said again.
      if (last_error != error)
        LOG_AT(error, "wyze", "poll failed: ", error);
      else
        LOG_AT(debug, "wyze", "poll failed again: ", error);
      last_error = error;
      ++stats.polls_error;
      if (list.error().kind == wyze::failure::rate_limited) ++stats.rate_limited;
      if (++failed_polls >= failed_polls_before_cloud_offline) set_cloud_online(false);
    }
    publish_info();
    auto waiters = std::move(poll_waiters);
    poll_waiters.clear();
    for (auto& w : waiters) w(error, retained.size());
    if (mode == run_mode::once) {
      once_polled = true;
      if (!error.empty()) return finish_once(1);
      return finish_once_when_published();
    }
    schedule_poll();
  }

  // Entries the cloud sent that could not be used: said once, not on every poll.
  void report_problems(const std::vector<std::string>& problems) {
    if (problems == last_problems) return;
    for (const auto& p : problems) LOG_AT(warn, "wyze", "device list: ", p);
    last_problems = problems;
  }

  void set_cloud_online(bool online) {
    if (cloud_online == online) return;
    cloud_online = online;
    LOG_AT(info, "bridge", "Wyze cloud is ", online ? "reachable" : "unreachable (3 failed polls in a row)");
    mqtt.publish({base + "/bridge/cloud", online ? "online" : "offline"});
  }

  void publish_info() {
    json::object info{{"version", wyze_bridge::version},
                      {"started_at", broker::iso8601_utc(started_at)},
                      {"last_poll", time_or_null(last_poll)},
                      {"last_success", time_or_null(last_success)},
                      {"poll_interval_s", cfg.wyze.poll_interval.count() / 1000},
                      {"cameras", retained.size()},
                      {"last_error", last_error ? json::value(*last_error) : json::value(nullptr)}};
    mqtt.publish({base + "/bridge/info", json::serialize(info)});
  }

  // A session that cannot be saved costs a login at the next start: said once, not every poll.
  void save_session(const wyze::session& s) {
    std::string problem = tokens_file.save(s);
    if (!problem.empty() && problem != last_save_problem) LOG_AT(warn, "wyze", problem);
    last_save_problem = problem;
  }

  // ---- metrics and health ----

  http_answer answer_http(std::string_view target) {
    stats.logins = cloud.logins();
    stats.token_refreshes = cloud.refreshes();
    stats.messages_published = mqtt.messages_published();
    stats.mqtt_connected = mqtt.connected();
    if (last_success)
      stats.last_success = std::chrono::system_clock::time_point(std::chrono::milliseconds(*last_success));
    if (target == "/metrics")
      return {200, "text/plain; version=0.0.4; charset=utf-8", render_prometheus(stats, wyze_bridge::version)};
    if (target == "/healthz") {
      auto verdict = check_health(stats, std::chrono::system_clock::now());
      return {verdict.ok ? 200u : 503u, "text/plain; charset=utf-8", verdict.reason + "\n"};
    }
    return {404, "text/plain; charset=utf-8", "not found: try /metrics or /healthz\n"};
  }

  // ---- broker ----

  void on_broker_connected() {
    // The read-back starts first: until it ends, no camera message may go out (see start_readback).
    if (readback_phase == readback::not_started) start_readback();
    mqtt.publish({base + "/bridge/state", "online"});
    publish_everything();
    finish_once_when_published();
  }

  // Reads back what earlier runs left retained, so cameras that left while the bridge was down
  // are cleared too. The broker sends a subscription's retained messages before anything published
  // after it, so a marker we publish once subscribed comes back after the last of them: the read-back
  // ends then (at the latest after readback_window). At QoS 0, so that no broker queue limit drops
  // any of them. Cameras are published only after it, or the broker would echo every config back.
  void start_readback() {
    readback_phase = readback::reading;
    readback_marker = std::to_string(std::uniform_int_distribution<std::uint64_t>()(random));
    for (const auto& filter : retained.readback_filters()) mqtt.subscribe(filter, 0);
    mqtt.subscribe(readback_topic(), 0);
    mqtt.publish({readback_topic(), readback_marker, false, 0});
    readback_timer.expires_after(readback_window);
    readback_timer.async_wait([this](boost::system::error_code ec) {
      if (!ec && !stopping) finish_readback();
    });
  }

  std::string readback_topic() const { return base + "/bridge/readback"; }

  void finish_readback() {
    if (readback_phase != readback::reading) return;
    readback_timer.cancel();
    for (const auto& filter : retained.readback_filters()) mqtt.unsubscribe(filter);
    mqtt.unsubscribe(readback_topic());
    readback_phase = readback::read;
    LOG_AT(debug, "bridge", "read back ", read_back.size(), " retained topics of earlier runs");
    clear_stale();
    mqtt.flush();
    finish_once_when_published();
  }

  // Once the account's cameras are known, clears what was read back and is no longer ours.
  void clear_stale() {
    if (readback_phase != readback::read || !last_success) return;
    readback_phase = readback::cleared;
    auto clears = retained.stale(read_back);
    if (!clears.empty())
      LOG_AT(info, "bridge", "clearing ", clears.size(), " retained topics of cameras that are gone");
    for (auto& m : clears) mqtt.publish(std::move(m));
    read_back.clear();
  }

  // The complete retained picture: after a reconnect (the broker may have lost it) or HA's birth.
  void publish_everything() {
    retained.queue_everything();
    mqtt.flush();
    if (cloud_online) mqtt.publish({base + "/bridge/cloud", *cloud_online ? "online" : "offline"});
    publish_info();
  }

  void on_message(const std::string& topic, const std::string& payload) {
    if (readback_phase == readback::reading) {
      if (topic == readback_topic() && payload == readback_marker) return finish_readback();
      if (retained.is_ours(topic, payload)) read_back.insert(topic);
    }
    if (topic == cfg.homeassistant.status_topic) {
      if (payload != "online") return;
      // Spread the republish so many bridges don't answer HA's birth in the same instant.
      auto delay = std::chrono::milliseconds(std::uniform_int_distribution<int>(1000, 5000)(random));
      LOG_AT(info, "bridge", "Home Assistant started; republishing discovery and states in ", delay.count(), " ms");
      birth_timer.expires_after(delay);
      birth_timer.async_wait([this](boost::system::error_code ec) {
        if (!ec && !stopping) publish_everything();
      });
      return;
    }
    if (topic == base + "/bridge/request/poll") {
      poll_waiters.push_back([this](const std::string& error, std::size_t cameras) {
        json::object answer = error.empty() ? json::object{{"status", "ok"}, {"cameras", cameras}}
                                            : json::object{{"status", "error"}, {"error", error}};
        mqtt.publish({base + "/bridge/response/poll", json::serialize(answer), false});
      });
      poll();
    }
  }

  // ---- --once and stopping ----

  // --once is done when the poll's states and the clean-up of earlier runs are acknowledged.
  void finish_once_when_published() {
    if (mode != run_mode::once || !once_polled || readback_phase != readback::cleared || !mqtt.connected()) return;
    mqtt.when_delivered([this] { finish_once(0); });
  }

  void finish_once(int code) {
    if (stopping) return;
    exit_code = code;
    stop_all();
  }

  void stop_all() {
    if (stopping) return;
    stopping = true;
    poll_timer.cancel();
    birth_timer.cancel();
    once_timer.cancel();
    readback_timer.cancel();
    mqtt.stop({base + "/bridge/state", "offline"}, 5s, [this] {
      if (stopped) stopped();
    });
  }
};

service::service(net::io_context& io, const config& cfg, run_mode mode) : impl_(new impl(io, cfg, mode)) {}

service::~service() = default;

void service::start(std::function<void()> stopped) { impl_->start(std::move(stopped)); }

void service::stop() {
  LOG_AT(info, "bridge", "stopping: publishing offline and disconnecting");
  impl_->stop_all();
}

int service::exit_code() const { return impl_->exit_code; }

}  // namespace bridge

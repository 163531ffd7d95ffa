#include "bridge/bridge.hpp"

#include "bridge/core.hpp"
#include "bridge/metrics.hpp"
#include "bridge/metrics_server.hpp"
#include "bridge/process_stats.hpp"
#include "bridge/systemd_notify.hpp"
#include "mqtt/broker_client.hpp"
#include "version.hpp"
#include "wyze/cloud_client.hpp"
#include "wyze/https_client.hpp"
#include "wyze/state_file.hpp"

#include <unistd.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <boost/json.hpp>

#include <array>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <random>
#include <thread>

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace bridge {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The saved session, or a fresh one (said in the log when the file was unreadable).
wyze::session load_session(const wyze::state_file& file) {
  auto loaded = file.load();
  if (!loaded) LOG_AT(warn, "wyze", loaded.error().message);
  auto session = loaded ? std::move(loaded.value()) : wyze::state_file::fresh();
  if (session.current) LOG_AT(info, "wyze", "reusing the saved tokens from ", file.path(), " (no login)");
  return session;
}

// published.json: the camera ids published last, under which base topic and discovery prefix.
constexpr const char* published_file = "published.json";
constexpr std::size_t max_published_file = std::size_t{4} * 1024 * 1024;

// What an earlier run recorded under the same base topic and prefix (others are not ours to clear):
// the camera ids it published, and whether it had events and pictures on (what it published for
// them is cleared when they are off now).
struct published_record {
  std::vector<std::string> ids;
  bool events = false, pictures = false;
};

published_record load_published(const std::string& directory, const config& cfg) {
  auto text = wyze::read_small_file(directory + "/" + published_file, max_published_file);
  if (!text)
    LOG_AT(warn, "bridge", text.error().message,
           "; cameras removed while the bridge was stopped are found by the read-back only");
  boost::system::error_code ec;
  auto root = boost::json::parse(text ? text.value() : std::string(), ec);
  const auto* object = ec ? nullptr : root.if_object();
  published_record record;
  if (!object) return record;
  auto text_of = [&](const char* key) {
    const auto* v = object->if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  auto flag = [&](const char* key) {
    const auto* v = object->if_contains(key);
    return v && v->is_bool() && v->get_bool();
  };
  if (text_of("base_topic") != cfg.mqtt.base_topic || text_of("discovery_prefix") != cfg.homeassistant.discovery_prefix)
    return record;
  if (const auto* list = object->if_contains("ids"); list && list->is_array())
    for (const auto& id : list->get_array())
      if (id.is_string()) record.ids.emplace_back(id.get_string());
  record.events = flag("events");
  record.pictures = flag("pictures");
  return record;
}

// events.json: where the event poll stands and the time of each camera's newest picture.
constexpr const char* events_file = "events.json";
constexpr std::size_t max_events_file = std::size_t{4} * 1024 * 1024;

// Every `interval` from the event loop itself: a loop that stalls stops the pings, and systemd
// restarts the service (a Paho thread that is still busy does not count as life).
std::optional<std::chrono::microseconds> watchdog_interval() {
  const char* usec = std::getenv("WATCHDOG_USEC");
  const char* pid = std::getenv("WATCHDOG_PID");
  if (!usec) return std::nullopt;
  if (pid && std::strtoll(pid, nullptr, 10) != ::getpid()) return std::nullopt;
  long long value = std::strtoll(usec, nullptr, 10);
  if (value <= 0) return std::nullopt;
  return std::chrono::microseconds(value / 2);
}

}  // namespace

// The shell: carries out what the core decides, and turns I/O into the core's events.
struct service::impl {
  impl(net::io_context& io, const config& cfg, run_mode mode)
      : cfg(cfg),
        https(io.get_executor(), {cfg.wyze.ca_file, cfg.wyze.timeout, cfg.wyze.max_response,
                                  std::string("wyze-mqtt-bridge/") + wyze_bridge::version}),
        tokens_file(state_dir_to_use(cfg, process_environment())),
        cloud(https, account(cfg), now_ms, load_session(tokens_file),
              [this](const wyze::session& s) { save_session(s); }),
        decisions(settings(cfg, mode, tokens_file.directory()), [this] { return random(); }),
        mqtt(io.get_executor(), client(cfg),
             {.connected = [this] { happened(ev::broker_up{}); },
              .disconnected = [this] { happened(ev::broker_down{}); },
              .message =
                  [this](std::string t, std::string p, bool retained) {
                    happened(ev::message{std::move(t), std::move(p), retained});
                  },
              .window = [this](std::size_t room) { happened(ev::publish_window{room}); }}),
        timers{net::steady_timer(io), net::steady_timer(io), net::steady_timer(io), net::steady_timer(io),
               net::steady_timer(io), net::steady_timer(io), net::steady_timer(io)},
        watchdog(io) {
    if (!cfg.metrics.listen.empty())
      metrics_http.emplace(io.get_executor(), cfg.metrics.listen,
                           [this](std::string_view target) { return answer_http(target); });
  }

  static wyze::account_settings account(const config& cfg) {
    return {cfg.wyze.auth, cfg.wyze.email, cfg.wyze.password, cfg.wyze.key_id, cfg.wyze.api_key, cfg.wyze.totp_key,
            cfg.wyze.auth_url, cfg.wyze.api_url, cfg.events.api_url,
            // Without events, pictures come from the device list's thumbnails.
            cfg.events.pictures && !cfg.events.enabled, cfg.wyze.devicemgmt_url, cfg.wyze.toggle_url};
  }

  static event_settings events(const config& cfg, const std::string& state_dir, const published_record& recorded) {
    event_settings e{.interval = cfg.events.interval,
                     .motion_off_after = cfg.events.motion_off_after,
                     .max_picture = cfg.events.max_picture,
                     .saved = {},
                     .recorded_events = recorded.events,
                     .recorded_pictures = recorded.pictures};
    auto text = wyze::read_small_file(state_dir + "/" + events_file, max_events_file);
    auto saved = text ? event_state::parse(text.value()) : wyze::result<event_state>(text.error());
    if (saved)
      e.saved = std::move(saved.value());
    else
      LOG_AT(warn, "bridge", saved.error().message);
    return e;
  }

  static core_settings settings(const config& cfg, run_mode mode, const std::string& state_dir) {
    auto recorded = load_published(state_dir, cfg);  // published.json, read once
    return {.publishing = {cfg.mqtt.base_topic,
                           cfg.homeassistant.discovery,
                           {cfg.homeassistant.discovery_prefix,
                            cfg.mqtt.base_topic,
                            cfg.homeassistant.discovery_mode,
                            wyze_bridge::version,
                            wyze_bridge::support_url,
                            {cfg.mqtt.commands, cfg.events.enabled, cfg.events.pictures}}},
            .status_topic = cfg.homeassistant.status_topic,
            .poll_interval = cfg.wyze.poll_interval,
            .property_interval = cfg.wyze.property_interval,
            .min_poll_spacing = is_wyze_host(cfg.wyze.api_url) || is_wyze_host(cfg.wyze.auth_url)
                                    ? std::chrono::milliseconds(10s)
                                    : std::chrono::milliseconds(1s),
            .include = cfg.wyze.include,
            .exclude = cfg.wyze.exclude,
            .once = mode == run_mode::once,
            .anonymous_broker = cfg.mqtt.username.empty() && cfg.mqtt.cert_file.empty(),
            .log_level = common::logging::current_level(),  // --log-level included
            .recorded_ids = std::move(recorded.ids),
            .version = wyze_bridge::version,
            .broker_url = cfg.mqtt.url,
            .events = events(cfg, state_dir, recorded)};
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
    s.will = {broker::bridge_topics(cfg.mqtt.base_topic).state, "offline"};
    return s;
  }

  const config& cfg;
  wyze::https_client https;
  wyze::state_file tokens_file;
  wyze::cloud_client cloud;
  std::string last_save_problem;
  std::mt19937_64 random{std::random_device{}()};
  core decisions;
  broker::client mqtt;
  std::array<net::steady_timer, timer_count> timers;  ///< by bridge::timer
  /// Bumped at every start or cancel, so a wait that completed before it never reaches the core.
  std::array<std::uint64_t, timer_count> timer_generation{};
  std::optional<metrics_server> metrics_http;
  std::chrono::steady_clock::time_point poll_started;
  duration_histogram poll_duration;
  int exit_code = 0;
  std::function<void()> stopped;
  net::steady_timer watchdog;
  std::string last_record_problem;
  std::string last_events_problem;

  void start(std::function<void()> on_stopped) {
    stopped = std::move(on_stopped);
    happened(ev::started{});
    mqtt.start();
    if (auto interval = watchdog_interval()) ping_watchdog(*interval);
    // Test hook: stalls the event loop once, as a bug would, so a test can watch the watchdog stop.
    if (const char* stall = std::getenv("WYZE_BRIDGE_TEST_STALL_LOOP_S"))
      net::post(watchdog.get_executor(),
                [seconds = std::atoi(stall)] { std::this_thread::sleep_for(std::chrono::seconds(seconds)); });
  }

  void ping_watchdog(std::chrono::microseconds interval) {
    notify_systemd("WATCHDOG=1");
    watchdog.expires_after(interval);
    watchdog.async_wait([this, interval](boost::system::error_code ec) {
      if (!ec && !decisions.stopping()) ping_watchdog(interval);
    });
  }

  // The one way into the core: what happened, now; then what it decided is carried out.
  void happened(event what) { carry_out(decisions.on(std::move(what), now_ms())); }

  void carry_out(actions todo) {
    for (auto& a : todo) std::visit([this](auto& step) { run(step); }, a);
  }

  void run(act::fetch&) {
    poll_started = std::chrono::steady_clock::now();
    cloud.fetch_cameras([this](wyze::result<wyze::device_list> list) {
      if (!decisions.stopping()) poll_duration.observe(std::chrono::steady_clock::now() - poll_started);
      happened(ev::poll_done{std::move(list), cloud.budget(now_ms())});
    });
  }
  void run(act::command& c) {
    cloud.run_command(std::move(c.call), [this, camera = c.camera](const wyze::result<wyze::done>& outcome) {
      happened(ev::command_done{camera, outcome});
    });
  }
  void run(act::fetch_events& f) {
    cloud.fetch_events(std::move(f.query),
                       [this](wyze::result<wyze::event_list> list) { happened(ev::events_done{std::move(list)}); });
  }
  // The batched read and each get_iot_prop, reported together once the last has answered (the
  // cloud client runs them one after another).
  void run(act::read_properties& r) {
    struct gathering {
      ev::properties_done done{wyze::property_values{}};
      std::size_t waiting = 0;
    };
    auto all = std::make_shared<gathering>();
    all->waiting = (r.devices.empty() ? 0 : 1) + r.iot.size();
    auto answered = [this, all] {
      if (--all->waiting == 0) happened(std::move(all->done));
    };
    if (!r.devices.empty())
      cloud.read_properties(std::move(r.devices), std::move(r.pids),
                            [all, answered](wyze::result<wyze::property_values> values) {
                              all->done.values = std::move(values);
                              answered();
                            });
    for (auto& camera : r.iot) {
      std::string mac = camera.mac;
      cloud.read_iot_properties(std::move(camera), [all, answered, mac](wyze::result<wyze::iot_state> state) {
        all->done.iot.push_back({mac, std::move(state)});
        answered();
      });
    }
  }
  void run(act::download& d) {
    cloud.download_picture(std::move(d.url), d.max_bytes,
                           [this, camera = d.camera](wyze::result<wyze::picture> picture) {
                             happened(ev::picture_done{camera, std::move(picture)});
                           });
  }
  void run(act::save_events& e) {
    warn_once(wyze::write_file_atomically(tokens_file.directory(), events_file, e.text), last_events_problem, "bridge",
              "; a restart may repeat or miss the events since the last save");
  }
  void run(act::publish& p) { mqtt.publish(std::move(p.message)); }
  void run(act::flush&) { mqtt.request_window(); }
  void run(act::subscribe& s) { mqtt.subscribe(std::move(s.filter), s.qos); }
  void run(act::unsubscribe& u) { mqtt.unsubscribe(u.filter); }
  void run(act::start_timer& t) {
    auto index = static_cast<std::size_t>(t.which);
    auto generation = ++timer_generation[index];
    timers[index].expires_after(t.after);
    timers[index].async_wait([this, which = t.which, index, generation](boost::system::error_code ec) {
      if (!ec && timer_generation[index] == generation) happened(ev::timer_fired{which});
    });
  }
  void run(act::cancel_timer& t) {
    auto index = static_cast<std::size_t>(t.which);
    ++timer_generation[index];
    timers[index].cancel();
  }
  void run(act::when_delivered&) {
    mqtt.when_delivered([this](bool acknowledged) { happened(ev::delivered{acknowledged}); });
  }
  void run(act::exit& e) {
    exit_code = e.code;
    mqtt.stop(std::move(e.last), 5s, [this] {
      if (stopped) stopped();
    });
  }
  void run(act::log& l) {
    if (common::logging::enabled(l.level)) common::logging::write(l.level, l.component, l.text);
  }
  void run(act::set_log_level& l) { common::logging::set_level(l.level); }
  void run(act::status& s) { notify_systemd("STATUS=" + s.text); }
  void run(act::record& r) {
    boost::json::object file{{"base_topic", cfg.mqtt.base_topic},
                             {"discovery_prefix", cfg.homeassistant.discovery_prefix},
                             {"ids", boost::json::array(r.ids.begin(), r.ids.end())},
                             {"events", cfg.events.enabled},
                             {"pictures", cfg.events.pictures}};
    warn_once(wyze::write_file_atomically(tokens_file.directory(), published_file, boost::json::serialize(file)),
              last_record_problem, "bridge");
  }

  // A session that cannot be saved costs a login at the next start: said once, not every poll.
  void save_session(const wyze::session& s) { warn_once(tokens_file.save(s), last_save_problem, "wyze"); }

  // A state file that cannot be written is said once, until the problem changes or goes away.
  static void warn_once(const wyze::result<wyze::done>& written, std::string& last, const char* component,
                        std::string_view consequence = {}) {
    std::string problem = written ? std::string() : written.error().message;
    if (!problem.empty() && problem != last) LOG_AT(warn, component, problem, consequence);
    last = std::move(problem);
  }

  // ---- metrics and health ----

  http_answer answer_http(std::string_view target) {
    metrics stats = decisions.stats();
    stats.poll_duration = poll_duration;
    stats.logins = cloud.logins();
    stats.token_refreshes = cloud.refreshes();
    stats.cloud_requests = cloud.requests();
    stats.cloud_calls_last_hour = cloud.budget(now_ms()).last_hour;
    stats.process = read_process_stats();
    stats.messages_published = mqtt.messages_published();
    stats.mqtt_connected = mqtt.connected();
    if (auto last = decisions.last_success_ms())
      stats.last_success = std::chrono::system_clock::time_point(std::chrono::milliseconds(*last));
    if (target == "/metrics")
      return {200, "text/plain; version=0.0.4; charset=utf-8", render_prometheus(stats, wyze_bridge::version)};
    if (target == "/healthz") {
      auto verdict = check_health(stats, std::chrono::system_clock::now());
      return {verdict.ok ? 200u : 503u, "text/plain; charset=utf-8", verdict.reason + "\n"};
    }
    return {404, "text/plain; charset=utf-8", "not found: try /metrics or /healthz\n"};
  }
};

service::service(net::io_context& io, const config& cfg, run_mode mode) : impl_(new impl(io, cfg, mode)) {}

service::~service() = default;

void service::start(std::function<void()> stopped) { impl_->start(std::move(stopped)); }

void service::stop() { impl_->happened(ev::stop{}); }

int service::exit_code() const { return impl_->exit_code; }

}  // namespace bridge

#include "bridge/core.hpp"

#include "bridge/log_line.hpp"
#include "common/utf8.hpp"
#include "mqtt/discovery.hpp"
#include "mqtt/json_text.hpp"
#include "mqtt/topics.hpp"
#include "wyze/models.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace json = boost::json;

namespace bridge {
namespace {

json::value time_or_null(const std::optional<std::int64_t>& ms) {
  return ms ? json::value(broker::iso8601_utc(*ms)) : json::value(nullptr);
}

using common::logging::level;

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

core::core(core_settings settings, std::function<std::uint64_t()> random)
    : settings_(std::move(settings)),
      random_(std::move(random)),
      topics_(settings_.publishing.base_topic),
      retained_(settings_.publishing),
      polls_(settings_.poll_interval, settings_.min_poll_spacing, settings_.once),
      event_poll_(features().events, settings_.events.interval, settings_.once) {
  events_ = settings_.events.saved;
  stats_.poll_interval = settings_.poll_interval;
  recorded_.insert(settings_.recorded_ids.begin(), settings_.recorded_ids.end());
  // Read once, by the clean-up: moved there, not kept twice.
  earlier_ = {std::move(settings_.recorded_ids), settings_.events.recorded_events, settings_.events.recorded_pictures};
}

// The life cycle; every change of phase_ is in this file:
//   starting    --broker_up-->              running   (the read-back of earlier runs first, once)
//   running     --broker_down-->            broker_away --broker_up--> running (all republished)
//   running     --once: all published-->    draining  --delivered--> stopped (exit 0)
//   any         --stop, a failed --once-->  stopped   (offline published, disconnect, exit)
actions core::on(event what, std::int64_t now_ms) {
  actions out;
  // Once stopped only the exit is left to carry out: nothing that happens after changes it.
  if (phase_ == phase::stopped) return out;
  std::visit([&](auto& happened) { handle(out, happened, now_ms); }, what);
  return out;
}

void core::handle(actions& out, ev::started&, std::int64_t now_ms) {
  started_at_ = now_ms;
  out.push_back(act::subscribe{settings_.status_topic});
  out.push_back(act::subscribe{topics_.request("+")});
  if (features().commands && !settings_.once) {
    out.push_back(act::subscribe{settings_.publishing.base_topic + "/+/+/set"});
    if (settings_.anonymous_broker)
      out.push_back(
          line(level::warn, "mqtt", "camera commands are on and the broker login is anonymous: anyone who can ",
               "publish to ", settings_.broker_url, " can power the cameras off. Give the broker users and an ",
               "ACL that lets only Home Assistant and the bridge publish to ", settings_.publishing.base_topic,
               "/+/+/set (README, \"Broker ACL\"), or set mqtt.commands: false"));
  }
  polls_.poll(out, now_ms);
  // --once must not wait forever for a broker that is not there.
  if (settings_.once) out.push_back(act::start_timer{timer::once, once_broker_timeout});
}

// ---- polling ----

void core::handle(actions& out, ev::poll_done& done, std::int64_t now_ms) {
  auto& list = done.list;
  auto answers = polls_.ended();
  std::string error;
  if (list) {
    report_problems(out, list.value().problems);
    auto& cameras = list.value().cameras;
    std::erase_if(cameras,
                  [&](const auto& camera) { return !is_selected(camera, settings_.include, settings_.exclude); });
    stats_.cameras = cameras.size();
    stats_.cameras_online =
        std::count_if(cameras.begin(), cameras.end(), [](const auto& c) { return c.online == true; });
    auto camera_count = cameras.size();
    commands_.hold(cameras, now_ms);  // commanded values the list does not show yet
    auto changes = retained_.update(std::move(cameras));
    queue_thumbnails();
    start_download(out);
    // The event poll starts once the cameras are known, and then runs on its own timer.
    if (!event_poll_.started()) poll_events(out, now_ms);
    // So does the property read, as soon as some camera needs one.
    read_properties(out);
    out.push_back(line(level::debug, "bridge", "poll: ", camera_count, " cameras, ", changes, " changed topics"));
    out.push_back(act::flush{});
    failed_polls_ = 0;
    ++stats_.polls_ok;
    last_success_ = now_ms;
    last_error_.reset();
    set_cloud_online(out, true);
    clear_stale(out);
    // Every field of bridge/devices is in some camera topic: a poll that changed none changes neither.
    if (changes > 0 || !devices_hash_) {
      publish_devices(out, false);
      record_published(out);
    }
  } else {
    error = list.error().message;
    // The same failure poll after poll is said once; what changes is said again.
    if (last_error_ != error)
      out.push_back(line(level::error, "wyze", "poll failed: ", error));
    else
      out.push_back(line(level::debug, "wyze", "poll failed again: ", error));
    last_error_ = error;
    ++stats_.polls_error;
    if (list.error().kind == wyze::failure::rate_limited) ++stats_.rate_limited;
    if (++failed_polls_ >= failed_polls_before_cloud_offline) set_cloud_online(out, false);
  }
  publish_info(out);
  publish_budget(out, done.budget);
  out.push_back(act::status{error.empty() ? std::to_string(retained_.size()) + " cameras; last poll ok at " +
                                                broker::iso8601_utc(now_ms)
                                          : "last poll failed at " + broker::iso8601_utc(now_ms) + ": " + error});
  // (`cameras` at the top as well: the poll answer had it before the bridge API's `data`.)
  json::object answer = error.empty() ? json::object{{"status", "ok"},
                                                     {"data", json::object{{"cameras", retained_.size()}}},
                                                     {"cameras", retained_.size()}}
                                      : json::object{{"status", "error"}, {"error", error}};
  std::string text = json::serialize(answer);
  for (const auto& transaction : answers.transactions) respond(out, "poll", text, transaction);
  if (answers.unanswered > 0)
    out.push_back(line(level::warn, "bridge", answers.unanswered, " more poll requests than ",
                       poll_schedule::max_waiters, " shared this poll unanswered: something publishes to ",
                       topics_.request("poll"), " in a loop"));
  if (settings_.once) {
    once_polled_ = true;
    if (!error.empty())
      finish(out, 1);
    else
      finish_once_when_published(out);
    return;
  }
  polls_.schedule_next(out);
}

// Entries the cloud sent that could not be used: said once, not on every poll.
void core::report_problems(actions& out, const std::vector<std::string>& problems) {
  if (problems == last_problems_) return;
  for (const auto& p : problems) out.push_back(line(level::warn, "wyze", "device list: ", p));
  last_problems_ = problems;
}

void core::set_cloud_online(actions& out, bool online) {
  if (cloud_online_ == online) return;
  cloud_online_ = online;
  out.push_back(
      line(level::info, "bridge", "Wyze cloud is ", online ? "reachable" : "unreachable (3 failed polls in a row)"));
  out.push_back(act::publish{{topics_.cloud, online ? "online" : "offline"}});
}

void core::publish_budget(actions& out, const wyze::cloud_budget& budget) {
  json::object by_kind;
  for (std::size_t k = 0; k < wyze::call_kinds; ++k) by_kind[wyze::call_kind_names[k]] = budget.last_hour[k];
  auto remaining = budget.rate_limit_remaining ? json::value(*budget.rate_limit_remaining) : json::value(nullptr);
  json::object text{{"calls_last_hour", budget.calls_last_hour()},
                    {"by_kind", std::move(by_kind)},
                    {"rate_limit_remaining", remaining},
                    {"paused_until", time_or_null(budget.paused_until_ms)},
                    {"last_rate_limit", time_or_null(budget.last_rate_limit_ms)}};
  std::string payload = json::serialize(text);
  if (payload == budget_text_) return;
  budget_text_ = payload;
  out.push_back(act::publish{{topics_.budget, std::move(payload)}});
}

void core::publish_info(actions& out) {
  json::object info{{"version", settings_.version},
                    {"started_at", broker::iso8601_utc(started_at_)},
                    {"last_poll", time_or_null(polls_.last_poll())},
                    {"last_success", time_or_null(last_success_)},
                    {"poll_interval_s", settings_.poll_interval.count() / 1000},
                    {"cameras", retained_.size()},
                    {"last_error", last_error_ ? json::value(*last_error_) : json::value(nullptr)},
                    {"log_level", common::logging::level_name(settings_.log_level)}};
  out.push_back(act::publish{{topics_.info, json::serialize(info)}});
}

void core::publish_devices(actions& out, bool always) {
  if (!last_success_) return;  // the account's cameras are not known yet
  // Written as text, not built as a document: at 10,000 cameras a DOM would cost megabytes more.
  std::string text = "[";
  for (const auto& [id, camera] : retained_.cameras()) {
    if (text.size() > 1) text += ',';
    std::vector<std::string_view> entities;
    for (const auto* row : broker::discovered_rows(camera, features())) entities.push_back(row->key);
    auto model_name = camera.product_model ? std::optional(wyze::model_name(*camera.product_model)) : std::nullopt;
    text += broker::json_members()
                .string("id", id)
                .string("mac", camera.mac)
                .string_or_null("nickname", camera.nickname)
                .string_or_null("model", camera.product_model)
                .string_or_null("model_name", model_name)
                .string_or_null("firmware", camera.firmware_ver)
                .boolean_or_null("online", camera.online)
                .raw("entities", broker::json_string_array(entities))
                .object();
  }
  text += ']';
  // A hash, not the text: at 10,000 cameras the list is megabytes.
  auto hash = std::hash<std::string>{}(text);
  if (!always && devices_hash_ == hash) return;
  devices_hash_ = hash;
  out.push_back(act::publish{{topics_.topic("devices"), std::move(text)}});
}

void core::record_published(actions& out) {
  std::set<std::string> now;
  for (const auto& [id, camera] : retained_.cameras()) now.insert(id);
  // The record also says whether events and pictures are on: written again when they changed.
  const auto& e = settings_.events;
  bool features_changed =
      !features_written_ && (e.recorded_events != features().events || e.recorded_pictures != features().pictures);
  if (now == recorded_ && !features_changed) return;
  features_written_ = true;
  recorded_ = std::move(now);
  out.push_back(act::record{{recorded_.begin(), recorded_.end()}});
}

// ---- broker ----

void core::handle(actions& out, ev::broker_up&, std::int64_t) {
  phase_ = phase::running;
  // --once: the broker is there; the deadline is the acknowledgements' from when all is sent (the
  // poll and the property reads in between are bounded by their own timeouts, and an account
  // with many device-management cameras reads each one).
  if (settings_.once) out.push_back(act::cancel_timer{timer::once});
  // The read-back starts first (once): until it ends, no camera message may go out.
  if (readback_.current() == readback::phase::not_started) readback_.start(out, retained_, std::to_string(random_()));
  out.push_back(act::publish{{topics_.state, "online"}});
  publish_everything(out);
  for (auto& m : held_events_) out.push_back(act::publish{std::move(m)});
  held_events_.clear();
  finish_once_when_published(out);
}

void core::handle(actions& out, ev::broker_down&, std::int64_t) {
  phase_ = phase::broker_away;
  // --once must not wait forever for a broker that went away.
  if (settings_.once) out.push_back(act::start_timer{timer::once, once_broker_timeout});
}

// The read-back's marker came back or its window ran out (bridge/readback.hpp).
void core::finish_readback(actions& out) {
  if (!readback_.reading()) return;
  readback_.finish(out, retained_);
  clear_stale(out);
  out.push_back(act::flush{});
  finish_once_when_published(out);
}

// Once the account's cameras are known, clears what was read back and is no longer ours.
void core::clear_stale(actions& out) {
  readback_.clear(out, retained_, earlier_, features().events, features().pictures, last_success_.has_value());
}

// The complete retained picture: after a reconnect (the broker may have lost it) or HA's birth.
void core::publish_everything(actions& out) {
  retained_.queue_everything();
  out.push_back(act::flush{});
  if (cloud_online_) out.push_back(act::publish{{topics_.cloud, *cloud_online_ ? "online" : "offline"}});
  publish_info(out);
  if (!budget_text_.empty()) out.push_back(act::publish{{topics_.budget, budget_text_}});
  publish_devices(out, true);
}

// The queued retained messages, as many as the window has room for; nothing while reading back
// (finish_readback asks for the window again).
void core::handle(actions& out, ev::publish_window& window, std::int64_t) {
  if (readback_.reading()) return;
  for (std::size_t sent = 0; sent < window.room; ++sent) {
    auto next = retained_.next();
    if (!next) return;
    out.push_back(act::publish{std::move(*next)});
  }
  out.push_back(act::flush{});  // the window is full: the rest when it has room again
}

void core::handle(actions& out, ev::message& m, std::int64_t now_ms) {
  const auto& [topic, payload, retained] = m;
  // A topic name never holds wildcards (nor NUL): such a "topic" is nothing to answer, clear or
  // take for ours (answering `request/p+ll` would publish to a filter; found by fuzzing).
  if (topic.find_first_of(std::string_view("+#\0", 3)) != std::string::npos) return;
  if (readback_.message(retained_, topic, payload)) return finish_readback(out);
  if (topic == settings_.status_topic) {
    if (payload == "online") births_.birth(out, now_ms, random_);
    return;
  }
  if (features().commands && is_command_topic(topic)) return on_command(out, topic, payload, retained, now_ms);
  if (const auto requests = topics_.request(""); topic.starts_with(requests))
    on_request(out, topic.substr(requests.size()), payload, now_ms);
}

namespace {

// The request's "transaction" (any JSON) as text, or empty when it carries none.
std::string transaction_of(const std::string& payload) {
  if (payload.empty() || payload.front() != '{') return {};
  json::error_code ec;
  auto value = json::parse(payload, ec);
  const auto* object = ec ? nullptr : value.if_object();
  const auto* transaction = object ? object->if_contains("transaction") : nullptr;
  return transaction ? json::serialize(*transaction) : std::string();
}

std::string error_answer(const std::string& error) {
  return json::serialize(json::object{{"status", "error"}, {"error", error}});
}

}  // namespace

// zigbee2mqtt's bridge API: <base>/bridge/request/<name> → <base>/bridge/response/<name>.
void core::on_request(actions& out, const std::string& name, const std::string& payload, std::int64_t now_ms) {
  std::string transaction = transaction_of(payload);
  if (name == "poll") {
    polls_.request(out, std::move(transaction), now_ms);
    return;
  }
  if (name == "options") return set_options(out, payload, transaction);
  // (Cut to 64 bytes, which may split a character: made valid UTF-8 again for the JSON answer.)
  std::string shown = common::valid_utf8(name.size() > 64 ? name.substr(0, 64) + "..." : name);
  respond(out, name, error_answer("unknown request \"" + shown + "\": the requests are poll and options"), transaction);
}

// Checks every option before applying any: a request is applied whole or not at all.
void core::set_options(actions& out, const std::string& payload, const std::string& transaction) {
  json::error_code ec;
  auto value = json::parse(payload, ec);
  const auto* options = ec ? nullptr : value.if_object();
  const std::string example = "send {\"log_level\":\"debug\"}";
  if (!options)
    return respond(out, "options", error_answer("the request is not a JSON object: " + example), transaction);
  std::optional<common::logging::level> new_level;
  for (const auto& [key, option] : *options) {
    if (key == "transaction") continue;
    if (key != "log_level") {
      std::string shown =
          common::valid_utf8(key.size() > 64 ? std::string(key.substr(0, 64)) + "..." : std::string(key));
      return respond(out, "options", error_answer("unknown option \"" + shown + "\": the options are log_level"),
                     transaction);
    }
    common::logging::level parsed{};
    if (!option.is_string() || !common::logging::parse_level(option.get_string(), parsed))
      return respond(out, "options", error_answer("log_level must be trace, debug, info, warn or error"), transaction);
    new_level = parsed;
  }
  if (!new_level) return respond(out, "options", error_answer("no option given: " + example), transaction);
  settings_.log_level = *new_level;
  out.push_back(act::set_log_level{*new_level});
  out.push_back(line(level::info, "bridge", "log level is now ", common::logging::level_name(*new_level)));
  publish_info(out);
  json::object data{{"log_level", common::logging::level_name(*new_level)}};
  respond(out, "options", json::serialize(json::object{{"status", "ok"}, {"data", std::move(data)}}), transaction);
}

void core::respond(actions& out, const std::string& name, std::string answer, const std::string& transaction) {
  if (!transaction.empty()) {
    // Appended as the last key of the object: `answer` ends with its closing brace.
    answer.pop_back();
    answer += ",\"transaction\":" + transaction + "}";
  }
  out.push_back(act::publish{{topics_.response(name), std::move(answer), false}});
}

void core::handle(actions& out, ev::timer_fired& fired, std::int64_t now_ms) {
  switch (fired.which) {
    case timer::poll:
      polls_.poll(out, now_ms);
      break;
    case timer::birth:
      births_.fired(now_ms);
      publish_everything(out);
      break;
    case timer::readback:
      finish_readback(out);
      break;
    case timer::events:
      poll_events(out, now_ms);
      break;
    case timer::motion:
      end_motion(out, now_ms);
      break;
    case timer::properties:
      properties_busy_ = false;
      read_properties(out);
      break;
    case timer::once:
      if (readback_.current() == readback::phase::not_started)
        out.push_back(line(level::error, "bridge", "the broker at ", settings_.broker_url,
                           " did not accept the connection within ", once_broker_timeout.count() / 1000, " s"));
      else
        out.push_back(line(level::error, "bridge", "the broker at ", settings_.broker_url, " did not acknowledge ",
                           "everything within ", once_broker_timeout.count() / 1000,
                           " s (the connection dropped, or the broker is too slow)"));
      finish(out, 1);
      break;
  }
}

// ---- --once and stopping ----

// --once is done when the poll's states and the clean-up of earlier runs are acknowledged.
void core::finish_once_when_published(actions& out) {
  if (!settings_.once || !once_polled_ || properties_in_flight_ || readback_.current() != readback::phase::cleared ||
      phase_ != phase::running)
    return;
  phase_ = phase::draining;
  out.push_back(act::start_timer{timer::once, once_broker_timeout});
  out.push_back(act::when_delivered{});
}

// A --once that lost the broker while draining is not done: the reconnect publishes everything
// again and drains anew (or the once timer ends it with status 1).
void core::handle(actions& out, ev::delivered& d, std::int64_t) {
  if (phase_ != phase::draining) return;
  if (!d.acknowledged) {
    out.push_back(line(level::warn, "mqtt", "the broker connection dropped before everything was acknowledged; ",
                       "publishing it all again once reconnected"));
    phase_ = phase::broker_away;
    return;
  }
  finish(out, 0);
}

void core::handle(actions& out, ev::stop&, std::int64_t) {
  out.push_back(line(level::info, "bridge", "stopping: publishing offline and disconnecting"));
  finish(out, 0);
}

void core::finish(actions& out, int code) {
  if (phase_ == phase::stopped) return;
  save_events(out);
  phase_ = phase::stopped;
  for (auto which : {timer::poll, timer::birth, timer::once, timer::readback, timer::events, timer::motion})
    out.push_back(act::cancel_timer{which});
  out.push_back(act::exit{code, {topics_.state, "offline"}});
}

}  // namespace bridge

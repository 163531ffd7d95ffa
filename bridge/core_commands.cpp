// The core's camera commands (SPEC §7): `<base>/<id>/<entity>/set` in, at most one cloud call per
// camera in flight, the state topic and `bridge/response/command` out.
#include "bridge/core.hpp"
#include "bridge/log_line.hpp"
#include "mqtt/discovery.hpp"
#include "wyze/models.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace json = boost::json;

namespace bridge {
namespace {

using common::logging::level;

// Text from a topic or payload, short and printable, for log lines and answers: a 256 KiB payload
// or a byte that is not UTF-8 never reaches either whole.
std::string clip(std::string_view text) {
  constexpr std::size_t longest = 64;
  std::string out;
  for (char c : text.substr(0, longest)) {
    auto byte = static_cast<unsigned char>(c);
    out += byte < 0x20 || byte >= 0x7f ? '?' : c;
  }
  if (text.size() > longest) out += "...";
  return out;
}

// on/off in any case, also 1/0 and true/false, with blanks around (a row with its own command
// words: those, in any case); nullopt for anything else.
std::optional<bool> switch_value(std::string_view payload, const broker::entity_row& row) {
  while (!payload.empty() && (payload.front() == ' ' || payload.front() == '\t')) payload.remove_prefix(1);
  while (!payload.empty() &&
         (payload.back() == ' ' || payload.back() == '\t' || payload.back() == '\n' || payload.back() == '\r'))
    payload.remove_suffix(1);
  if (payload.size() > 5) return std::nullopt;
  std::string word;
  for (char c : payload) word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!row.command_on.empty()) {
    if (word == row.command_on || word == row.command_off) return word == row.command_on;
    return std::nullopt;
  }
  if (word == "on" || word == "1" || word == "true") return true;
  if (word == "off" || word == "0" || word == "false") return false;
  return std::nullopt;
}

// "power, restart, notifications and motion_detection": the keys of the rows with a command, made
// once (the table does not change).
const std::string& command_keys() {
  static const std::string listed = [] {
    std::vector<std::string_view> keys;
    for (const auto& row : broker::camera_entities())
      if (!row.command.empty()) keys.push_back(row.key);
    std::string out;
    for (std::size_t i = 0; i < keys.size(); ++i)
      out.append(i == 0 ? "" : i + 1 == keys.size() ? " and " : ", ").append(keys[i]);
    return out;
  }();
  return listed;
}

std::string upper(std::string_view word) {
  std::string out;
  for (char c : word) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The value a command row queues for on or off ("on"/"off", or its own words), and back.
std::string command_value(const broker::entity_row& row, bool on) {
  if (!row.command_on.empty()) return std::string(on ? row.command_on : row.command_off);
  return on ? "on" : "off";
}
bool is_on(const broker::entity_row& row, std::string_view value) {
  return value == "on" || (!row.command_on.empty() && value == row.command_on);
}

}  // namespace

bool core::is_command_topic(const std::string& topic) const {
  const auto& base = settings_.publishing.base_topic;
  // A topic name never holds wildcards (nor NUL): such a "topic" is not ours to answer or clear.
  return topic.size() > base.size() + 5 && topic.starts_with(base) && topic[base.size()] == '/' &&
         topic.ends_with("/set") && topic.find_first_of(std::string_view("+#\0", 3)) == std::string::npos;
}

void core::count_command(const std::string& entity, const char* result) {
  // Label values from our own rows only: a topic cannot add series to /metrics.
  std::string label = broker::command_row(entity) ? entity : "unknown";
  ++stats_.commands[{label, result}];
}

void core::answer_command(actions& out, const std::string& camera, const std::string& entity, const std::string& value,
                          const std::string& error) {
  json::object answer{{"status", error.empty() ? "ok" : "error"},
                      {"camera", clip(camera)},
                      {"entity", clip(entity)},
                      {"value", clip(value)}};
  if (!error.empty()) answer["error"] = error;
  out.push_back(act::publish{{topics_.response("command"), json::serialize(answer), false}});
}

void core::on_command(actions& out, const std::string& topic, const std::string& payload, bool retained, std::int64_t) {
  const auto& base = settings_.publishing.base_topic;
  std::string middle = topic.substr(base.size() + 1, topic.size() - base.size() - 1 - 4);  // <id>/<entity>
  auto slash = middle.find('/');
  std::string camera = slash == std::string::npos ? middle : middle.substr(0, slash);
  std::string entity = slash == std::string::npos ? std::string() : middle.substr(slash + 1);
  if (retained) {
    // Left on the broker by some tool: acting on it would power a camera off at every start.
    count_command(entity, "ignored");
    out.push_back(line(level::warn, "mqtt", "ignored the retained command \"", clip(payload), "\" on ", clip(topic),
                       ": commands must not be retained (a camera would switch at every start); clearing it"));
    out.push_back(act::publish{{topic, "", true}});
    return;
  }
  if (payload.empty()) {
    // The echo of clearing a retained command (or an empty message): nothing to do.
    out.push_back(line(level::debug, "mqtt", "empty command on ", clip(topic), " ignored"));
    return;
  }
  auto refuse = [&](const std::string& why) {
    count_command(entity, "refused");
    out.push_back(line(level::warn, "mqtt", "command \"", clip(payload), "\" on ", clip(topic), " refused: ", why));
    answer_command(out, camera, entity, payload, why);
  };
  const broker::entity_row* row = slash == std::string::npos ? nullptr : broker::command_row(entity);
  if (!row) return refuse(text("\"", clip(entity), "\" is not a camera command; a camera takes ", command_keys()));
  const wyze::Camera* known = retained_.find(camera);
  if (!known)
    return refuse(last_success_
                      ? text("no camera \"", clip(camera), "\" is published (not in the account, or excluded)")
                      : std::string("the account's cameras are not known yet; try again after the first poll"));
  if (!broker::has_entity(*row, *known, features()))
    return refuse(text(wyze::model_name(known->product_model.value_or("?")), " cameras have no ", row->key,
                       " control the Wyze cloud carries out (see the README's table of models)"));
  std::string value = "press";
  if (row->value) {
    auto on = switch_value(payload, *row);
    if (!on)
      return refuse(row->command_on.empty()
                        ? text("send on or off (also 1/0, true/false) to ", row->key)
                        : text("send ", upper(row->command_on), " or ", upper(row->command_off), " to ", row->key));
    // A trigger flips the state: it is sent only when the state is known (and then only to change it).
    if (row->trigger && !(known->*row->value))
      return refuse(text("the state of ", row->key,
                         " is not known yet (it is read every wyze.property_interval); try again after the next read"));
    value = command_value(*row, *on);
  }
  if (auto replaced = commands_.add(camera, entity, value)) {
    count_command(entity, "replaced");
    answer_command(out, camera, entity, *replaced,
                   "replaced by a newer command for the same entity before it was sent");
  }
  dispatch(out, camera);
}

// Sends the camera's next queued command unless one is in flight.
void core::dispatch(actions& out, const std::string& camera) {
  while (auto next = commands_.next(camera)) {
    const wyze::Camera* known = retained_.find(camera);
    const broker::entity_row* row = broker::command_row(next->entity);
    const auto* call = known && row ? wyze::call_for(*known, row->commands) : nullptr;
    if (!call) {  // the camera left the account (or changed model) since the command was queued
      commands_.finish(camera);
      count_command(next->entity, "refused");
      answer_command(out, camera, next->entity, next->value, "the camera is no longer in the account");
      continue;
    }
    if (row->trigger && known->*row->value == is_on(*row, next->value)) {
      // Already in the asked state (also after an earlier command changed it): a trigger would undo it.
      commands_.finish(camera);
      count_command(next->entity, "unchanged");
      retained_.republish(camera, *row);
      out.push_back(act::flush{});
      out.push_back(line(level::info, "bridge", broker::camera_display_name(*known), ": ", next->entity, " is ",
                         row->state(*known), " already; nothing sent"));
      answer_command(out, camera, next->entity, next->value, {});
      continue;
    }
    out.push_back(
        line(level::info, "bridge", broker::camera_display_name(*known), ": ", next->entity, " ", next->value));
    out.push_back(act::command{camera, wyze::command_for(*known, *call, is_on(*row, next->value))});
    return;
  }
}

void core::handle(actions& out, ev::command_done& done_call, std::int64_t now_ms) {
  const auto& [camera, outcome] = done_call;
  auto finished = commands_.finish(camera);
  if (!finished) return;
  auto& done = *finished;
  const broker::entity_row* row = broker::command_row(done.entity);
  const wyze::Camera* known = retained_.find(camera);
  std::string name = known ? broker::camera_display_name(*known) : camera;
  if (outcome) {
    count_command(done.entity, "ok");
    if (row->value) {
      bool on = is_on(*row, done.value);
      retained_.set_state(camera, *row, on);
      commands_.expect(camera, done.entity, row->value, on, now_ms + command_settle.count());
    }
    // The state first (the flush publishes it at once), then the answer: whoever waits for the
    // answer finds the state already there.
    out.push_back(act::flush{});
    out.push_back(line(level::info, "bridge", name, ": ", done.entity, " ", done.value, " done"));
    answer_command(out, camera, done.entity, done.value, {});
  } else {
    count_command(done.entity, "error");
    retained_.republish(camera, *row);
    out.push_back(act::flush{});
    out.push_back(
        line(level::warn, "wyze", name, ": ", done.entity, " ", done.value, " failed: ", outcome.error().message));
    answer_command(out, camera, done.entity, done.value, outcome.error().message);
  }
  dispatch(out, camera);
}

}  // namespace bridge

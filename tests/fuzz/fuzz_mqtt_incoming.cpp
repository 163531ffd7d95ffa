// libFuzzer target: what the broker hands the bridge. Before the first newline is the topic, after
// it the payload. At start the bridge reads back retained discovery configs and attributes (any
// client may have written them) to clear cameras that are gone: deciding what is ours and what to
// clear must never crash, and must never clear anything outside our own base topic and prefix.
// The same message then reaches the bridge's core, during the read-back and after it: it may
// cost at most one poll, and never a publication outside our topics. As a camera command (SPEC §7)
// it costs a cloud call only when it is valid — checked against an oracle written here, apart from
// the bridge's parser — and never when it is retained.
#include "bridge/core.hpp"
#include "bridge/retained_state.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

namespace {

// True when `topic` and `payload` make a command the bridge must send to the cloud.
bool valid_command(const std::string& topic, const std::string& payload) {
  const std::string camera = "wyze/2CAA8E000001/";
  if (topic == camera + "restart/set") return !payload.empty();
  if (topic != camera + "power/set" && topic != camera + "notifications/set" &&
      topic != camera + "motion_detection/set")
    return false;
  auto first = payload.find_first_not_of(" \t");
  auto last = payload.find_last_not_of(" \t\r\n");
  if (first == std::string::npos || last == std::string::npos || last < first) return false;
  std::string word = payload.substr(first, last - first + 1);
  std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return std::tolower(c); });
  return word == "on" || word == "off" || word == "1" || word == "0" || word == "true" || word == "false";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto newline = input.find('\n');
  std::string topic = input.substr(0, newline);
  std::string payload = newline == std::string::npos ? "" : input.substr(newline + 1);
  bridge::publish_settings settings;
  settings.discovery_settings.version = "fuzz";
  bridge::retained_state state(settings);
  wyze::Camera camera{.mac = "2C:AA:8E:00:00:01"};
  camera.online = true;
  camera.product_model = "WYZE_CAKP2JFUS";  // every control
  camera.power = camera.notifications = camera.motion_detection = true;
  state.update({camera});
  state.take_queued();
  std::set<std::string> read_back;
  if (state.is_ours(topic, payload)) read_back.insert(topic);
  for (const auto& m : state.stale(read_back)) {
    if (!m.payload.empty()) __builtin_trap();  // stale() only ever clears
    if (m.topic.rfind("wyze/", 0) != 0 && m.topic.rfind("homeassistant/", 0) != 0) __builtin_trap();
    if (m.topic.find_first_of("#+") != std::string::npos) __builtin_trap();  // never a wildcard
  }

  bridge::core_settings core_settings;
  core_settings.publishing = settings;
  core_settings.min_poll_spacing = std::chrono::seconds(10);
  bridge::core core(core_settings, [] { return std::uint64_t{7}; });
  const std::int64_t t0 = 1795687200000;
  core.on(bridge::ev::started{}, t0);
  wyze::device_list list;
  list.cameras.push_back(camera);
  core.on(bridge::ev::poll_done{std::move(list)}, t0 + 100);
  core.on(bridge::ev::broker_up{}, t0 + 200);
  int fetches = 0, commands = 0;
  for (std::int64_t at : {t0 + 300, t0 + 400}) {  // during the read-back, then (the marker) after it
    // Retained: never a call, and nothing published but the clearing of that very topic.
    for (const auto& action : core.on(bridge::ev::message{topic, payload, true}, at)) {
      if (std::holds_alternative<bridge::act::command>(action)) __builtin_trap();
      if (const auto* p = std::get_if<bridge::act::publish>(&action))
        if (p->message.topic == topic && !p->message.payload.empty()) __builtin_trap();
    }
    for (const auto& action : core.on(bridge::ev::message{topic, payload}, at)) {
      if (std::holds_alternative<bridge::act::fetch>(action)) ++fetches;
      if (std::holds_alternative<bridge::act::command>(action)) ++commands;
      if (const auto* p = std::get_if<bridge::act::publish>(&action)) {
        const auto& t = p->message.topic;
        if (t.rfind("wyze/", 0) != 0 && t.rfind("homeassistant/", 0) != 0) __builtin_trap();
        if (t.find_first_of("#+") != std::string::npos) __builtin_trap();
      }
    }
    core.on(bridge::ev::message{"wyze/bridge/readback", "7"}, at);
  }
  if (fetches > 0) __builtin_trap();  // a poll 300 ms after the last one: never (10 s spacing)
  // A valid command is sent once; the second, the same, waits behind it (one call in flight).
  if (commands != (valid_command(topic, payload) ? 1 : 0)) __builtin_trap();
  return 0;
}

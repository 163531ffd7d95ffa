// libFuzzer target: what the broker hands the bridge. Before the first newline is the topic, after
// it the payload. At start the bridge reads back retained discovery configs and attributes (any
// client may have written them) to clear cameras that are gone: deciding what is ours and what to
// clear must never crash, and must never clear anything outside our own base topic and prefix.
#include "bridge/retained_state.hpp"

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

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
  state.update({camera});
  state.take_queued();
  std::set<std::string> read_back;
  if (state.is_ours(topic, payload)) read_back.insert(topic);
  for (const auto& m : state.stale(read_back)) {
    if (!m.payload.empty()) __builtin_trap();  // stale() only ever clears
    if (m.topic.rfind("wyze/", 0) != 0 && m.topic.rfind("homeassistant/", 0) != 0) __builtin_trap();
    if (m.topic.find_first_of("#+") != std::string::npos) __builtin_trap();  // never a wildcard
  }
  return 0;
}

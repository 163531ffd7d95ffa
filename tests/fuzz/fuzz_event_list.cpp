// libFuzzer target: the event-list answer, whatever the cloud (or anything between) sends. No
// crash, hang or leak; every event returned has an id, a MAC and a positive time, oldest first.
#include "wyze/events.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto list = wyze::parse_event_list(200, body);
  if (!list) return 0;
  std::int64_t last = 0;
  for (const auto& e : list.value().events) {
    if (e.id.empty() || e.mac.empty() || e.time_ms <= 0 || e.time_ms < last) __builtin_trap();
    last = e.time_ms;
    if (wyze::event_type_of(e).empty()) __builtin_trap();
  }
  return 0;
}

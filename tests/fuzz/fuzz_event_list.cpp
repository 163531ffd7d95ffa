// libFuzzer target: the event-list answer, whatever the cloud (or anything between) sends. No
// crash, hang or leak; every event returned has an id, a MAC and a positive time, oldest first; the
// same answer taken twice gives nothing new the second time; and the event message built from any
// of them is valid JSON whose event_id is the event's id (no forged field).
#include "bridge/event_state.hpp"
#include "mqtt/json_text.hpp"
#include "wyze/events.hpp"

#include <boost/json.hpp>

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
    auto text = broker::json_members().string("event_type", wyze::event_type_of(e)).string("event_id", e.id).object();
    boost::system::error_code ec;
    auto parsed = boost::json::parse(text, ec);
    if (ec || !parsed.is_object() || parsed.as_object().size() != 2 || parsed.at("event_id").as_string() != e.id)
      __builtin_trap();
  }
  bridge::event_state state;
  state.take(list.value().events);
  if (!state.take(list.value().events).fresh.empty()) __builtin_trap();
  return 0;
}

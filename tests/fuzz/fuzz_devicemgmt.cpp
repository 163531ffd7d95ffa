// libFuzzer target: the answers of Wyze's device-management and toggle APIs (SPEC §11): get_iot_prop,
// a device-management action and a toggle. The first two bytes are the HTTP status; the rest is
// the body. Every answer is values in their ranges or an error that says what is wrong: never a
// crash, a battery outside 0–100, a signal outside -127..0 dBm, or a card using more than it holds.
#include "wyze/devicemgmt.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  unsigned status = 100u + (static_cast<unsigned>(data[0]) << 8 | data[1]) % 500u;
  std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);
  auto read = wyze::parse_iot_properties(status, body);
  if (read) {
    const auto& s = read.value();
    if (s.battery && (*s.battery < 0 || *s.battery > 100)) __builtin_trap();
    if (s.signal && (*s.signal < -127 || *s.signal > 0)) __builtin_trap();
    if (s.sd_card && (s.sd_card->total_mb < 0 || s.sd_card->used_mb < 0 || s.sd_card->used_mb > s.sd_card->total_mb))
      __builtin_trap();
  } else if (read.error().message.empty() || read.error().message.size() > 400) {
    __builtin_trap();
  }
  auto action = wyze::parse_devicemgmt_answer(status, body);
  if (!action && (action.error().message.empty() || action.error().message.size() > 400)) __builtin_trap();
  auto toggle = wyze::parse_toggle_answer(status, body);
  if (!toggle && (toggle.error().message.empty() || toggle.error().message.size() > 400)) __builtin_trap();
  return 0;
}

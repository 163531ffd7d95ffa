// libFuzzer target: the answers of the accessories' calls (SPEC §10), the batched property read
// (`/app/v2/device_list/get_property_list`) and the control answer of set_property_list and
// run_action. The first two bytes are the HTTP status; the rest is the body. Every answer is values
// or an error that says what is wrong: never a crash, never an empty pid or value, a MAC no longer
// than a camera's, or a value of more than 64 bytes taken as one.
#include "wyze/camera.hpp"
#include "wyze/protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  unsigned status = 100u + (static_cast<unsigned>(data[0]) << 8 | data[1]) % 500u;
  std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);
  auto read = wyze::parse_device_list_properties(status, body);
  if (read) {
    for (const auto& [mac, values] : read.value()) {
      if (mac.empty() || mac.size() > wyze::max_mac_length) __builtin_trap();
      for (const auto& [pid, value] : values)
        if (pid.empty() || value.empty() || pid.size() > 64 || value.size() > 64) __builtin_trap();
    }
  } else if (read.error().message.empty()) {
    __builtin_trap();
  }
  auto control = wyze::parse_control_answer(status, body);
  if (!control && control.error().message.empty()) __builtin_trap();
  return 0;
}

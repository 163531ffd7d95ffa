// libFuzzer target: the device-list answer, as the cloud (or anything between) may send it. The
// first byte picks the size of the pieces the parser is fed in, as reads would split it; the same
// bytes in one piece must give the same answer. No crash, hang or leak, whatever the bytes.
#include "wyze/device_list_stream.hpp"
#include "wyze/protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t piece = 1 + data[0] % 64;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  wyze::device_list_stream stream;
  for (std::size_t at = 0; at < body.size(); at += piece) stream.write(body.substr(at, piece));
  stream.finish();
  auto streamed = stream.take(200);
  auto whole = wyze::parse_device_list_response(200, body);
  // How the body was split must not change whether it is a device list, nor its cameras.
  if (bool(streamed) != bool(whole)) __builtin_trap();
  if (streamed && streamed.value().cameras != whole.value().cameras) __builtin_trap();
  return 0;
}

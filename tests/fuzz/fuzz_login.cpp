// libFuzzer target: the answers of the login (API key and legacy), the MFA challenge and the token
// refresh. The first two bytes are the HTTP status; the rest is the body. Every answer is a token
// pair or an error that says what is wrong: never a crash, and never an empty token taken as one.
#include "wyze/protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  unsigned status = 100u + (static_cast<unsigned>(data[0]) << 8 | data[1]) % 500u;
  std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);
  for (auto parsed : {wyze::parse_api_key_login(status, body), wyze::parse_token_envelope(status, body)}) {
    if (parsed && parsed.value().access_token.empty()) __builtin_trap();
    if (!parsed && parsed.error().message.empty()) __builtin_trap();
  }
  // An MFA challenge (its app id may be empty: then the code is sent without one) is never also a
  // successful login.
  if (wyze::totp_challenge(body) && wyze::parse_api_key_login(status, body)) __builtin_trap();
  return 0;
}

#include "wyze/totp.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>

namespace wyze {

std::optional<std::vector<unsigned char>> base32_decode(std::string_view text) {
  std::vector<unsigned char> out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == ' ' || c == '=' || c == '-') continue;
    int value;
    char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper >= 'A' && upper <= 'Z')
      value = upper - 'A';
    else if (upper >= '2' && upper <= '7')
      value = upper - '2' + 26;
    else
      return std::nullopt;
    buffer = (buffer << 5) | static_cast<unsigned>(value);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<unsigned char>(buffer >> bits));
      buffer &= (1u << bits) - 1;
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::string totp_code(const std::vector<unsigned char>& key, std::int64_t unix_seconds, int digits) {
  std::uint64_t counter = static_cast<std::uint64_t>(unix_seconds / 30);
  unsigned char message[8];
  for (int i = 7; i >= 0; --i, counter >>= 8) message[i] = static_cast<unsigned char>(counter & 0xff);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), message, sizeof message, mac, &length);
  int offset = mac[length - 1] & 0x0f;
  std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) |
                         (mac[offset + 2] << 8) | mac[offset + 3];
  std::uint32_t modulo = 1;
  for (int i = 0; i < digits; ++i) modulo *= 10;
  std::string code = std::to_string(binary % modulo);
  return std::string(static_cast<std::size_t>(digits) - code.size(), '0') + code;
}

}  // namespace wyze

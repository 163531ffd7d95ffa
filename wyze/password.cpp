#include "wyze/password.hpp"

#include "common/hex.hpp"

#include <openssl/evp.h>

#include <cctype>

namespace wyze {

std::string md5_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_md5(), nullptr);
  return common::hex(digest, length);
}

std::string hash_password(std::string_view password, int rounds) {
  constexpr std::string_view prefix = "md5:";
  if (password.starts_with(prefix)) {
    std::string hashed(password.substr(prefix.size()));
    for (auto& c : hashed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return hashed;
  }
  std::string hashed(password);
  for (int i = 0; i < rounds; ++i) hashed = md5_hex(hashed);
  return hashed;
}

}  // namespace wyze

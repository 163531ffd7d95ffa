#pragma once
// Bytes as text: lower-case hexadecimal (digests, identifiers) and base64url (JWTs).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace common {

/// Two lower-case hex digits per byte.
std::string hex(const unsigned char* bytes, std::size_t size);

/// RFC 4648 section 5 base64url without padding, as a JWT's parts are written.
std::string base64url_encode(std::string_view bytes);
/// The bytes of unpadded base64url text; nullopt for any character outside its alphabet.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace common

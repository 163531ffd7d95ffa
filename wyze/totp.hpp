#pragma once
// RFC 6238 time-based one-time passwords (HMAC-SHA1, 30 s steps, 6 digits), for accounts that
// still get an MFA challenge at login.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wyze {

/// Decodes RFC 4648 base32 (case-insensitive, spaces and '=' padding ignored); nullopt if invalid.
std::optional<std::vector<unsigned char>> base32_decode(std::string_view text);

/// The code for `key` at `unix_seconds` with `digits` digits (RFC 6238 / RFC 4226).
std::string totp_code(const std::vector<unsigned char>& key, std::int64_t unix_seconds, int digits = 6);

}  // namespace wyze

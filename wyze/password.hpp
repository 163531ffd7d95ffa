#pragma once
// Password hashing as the Wyze apps do it: the password is sent as repeated MD5 hex digests.
#include <string>
#include <string_view>

namespace wyze {

/// Lower-case hex MD5 digest of `text`.
std::string md5_hex(std::string_view text);

/// Hashes `password` `rounds` times, each round hashing the previous hex string.
/// A password written as "md5:<hex>" is taken as already hashed and sent as <hex>.
std::string hash_password(std::string_view password, int rounds);

/// Rounds used by the API-key login (auth-prod.api.wyze.com).
inline constexpr int api_key_login_rounds = 3;
/// Rounds used by the legacy login of the 2018 protocol notes.
inline constexpr int legacy_login_rounds = 2;

}  // namespace wyze

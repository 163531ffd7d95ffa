#pragma once
#include <string>
#include <string_view>

namespace common {

/// `text` with every byte that is not part of valid UTF-8 (overlong forms, surrogates and code
/// points past U+10FFFF included) replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

/// Appends the escape of a C0 control character or DEL (`\n`, `\r`, `\t`, else `hex_prefix`
/// followed by two hex digits) and returns true; returns false for any other byte.
bool append_escaped_control(std::string& out, unsigned char c, std::string_view hex_prefix);

/// `text` as a JSON string literal, quotes included: valid JSON and valid UTF-8 whatever it holds.
std::string json_string(std::string_view text);

}  // namespace common

#include "common/utf8.hpp"

#include <cstdint>

namespace common {

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    // A run of ASCII (most text, all of it in most device lists) is copied at once.
    std::size_t ascii = i;
    while (ascii < text.size() && static_cast<unsigned char>(text[ascii]) < 0x80) ++ascii;
    if (ascii != i) {
      out.append(text.substr(i, ascii - i));
      i = ascii;
      continue;
    }
    auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = byte < 0x80           ? 1
                         : (byte >> 5) == 0x6  ? 2
                         : (byte >> 4) == 0xe  ? 3
                         : (byte >> 3) == 0x1e ? 4
                                               : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) valid = (static_cast<unsigned char>(text[i + k]) >> 6) == 0x2;
    if (valid && length > 1) {  // no overlong forms, surrogates or code points past U+10FFFF
      std::uint32_t cp = byte & (0xff >> (length + 1));
      for (std::size_t k = 1; k < length; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
      static constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
      valid = cp >= smallest[length] && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
    }
    if (valid)
      out.append(text.substr(i, length));
    else
      out.append("\xEF\xBF\xBD");
    i += valid ? length : 1;
  }
  return out;
}

bool append_escaped_control(std::string& out, unsigned char c, std::string_view hex_prefix) {
  static constexpr char digits[] = "0123456789abcdef";
  if (c == '\n') {
    out += "\\n";
  } else if (c == '\r') {
    out += "\\r";
  } else if (c == '\t') {
    out += "\\t";
  } else if (c < 0x20 || c == 0x7f) {
    out += hex_prefix;
    out += digits[c >> 4];
    out += digits[c & 0xf];
  } else {
    return false;
  }
  return true;
}

std::string json_string(std::string_view text) {
  std::string valid = valid_utf8(text);
  std::string out;
  out.reserve(valid.size() + 2);
  out += '"';
  for (char ch : valid) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (!append_escaped_control(out, c, "\\u00")) {
      out += ch;
    }
  }
  out += '"';
  return out;
}

}  // namespace common

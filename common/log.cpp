#include "common/log.hpp"

#include "common/utc_time.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace common::logging {
namespace {
std::atomic<level> threshold_{level::info};
std::mutex write_mutex_;

const char* name_of(level lvl) {
  switch (lvl) {
    case level::trace:
      return "TRACE";
    case level::debug:
      return "DEBUG";
    case level::info:
      return "INFO ";
    case level::warn:
      return "WARN ";
    case level::error:
      return "ERROR";
  }
  return "?";
}
}  // namespace

bool parse_level(std::string_view text, level& out) {
  static constexpr std::pair<std::string_view, level> names[] = {{"trace", level::trace},
                                                                 {"debug", level::debug},
                                                                 {"info", level::info},
                                                                 {"warn", level::warn},
                                                                 {"error", level::error}};
  for (auto [name, lvl] : names)
    if (name == text) {
      out = lvl;
      return true;
    }
  return false;
}

void set_level(level lvl) { threshold_ = lvl; }

bool enabled(level lvl) { return lvl >= threshold_.load(); }

std::string escape(std::string_view text) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    auto after = i + 2 < text.size() ? static_cast<unsigned char>(text[i + 2]) : 0;
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 0xf];
    } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {  // C1 controls, U+0080-U+009F in UTF-8
      out += "\\u00";
      out += digits[next >> 4];
      out += digits[next & 0xf];
      ++i;
    } else if (c == 0xe2 && next == 0x80 && (after == 0xa8 || after == 0xa9)) {  // U+2028, U+2029: line breaks
      out += after == 0xa8 ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void write(level lvl, std::string_view component, std::string_view raw_message) {
  // Text from outside (nicknames, the cloud's messages) must not start a line of its own.
  std::string message = escape(raw_message);
  using namespace std::chrono;
  auto now = system_clock::now();
  auto epoch_ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
  std::string stamp = common::format_utc(epoch_ms, "%Y-%m-%dT%H:%M:%S");
  int millis = static_cast<int>(epoch_ms % 1000);
  std::lock_guard lock(write_mutex_);
  std::fprintf(stderr, "%s.%03dZ %s %.*s: %.*s\n", stamp.c_str(), millis, name_of(lvl),
               static_cast<int>(component.size()), component.data(), static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

}  // namespace common::logging

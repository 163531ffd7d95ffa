#include "common/log.hpp"

#include "common/utc_time.hpp"
#include "common/utf8.hpp"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>

namespace common::logging {
namespace {
std::atomic<level> threshold_{level::info};
std::atomic<format> format_{format::text};
std::atomic<bool> journal_{false};
std::mutex write_mutex_;

// syslog priorities: err 3, warning 4, info 6, debug 7.
int priority_of(level lvl) {
  switch (lvl) {
    case level::error:
      return 3;
    case level::warn:
      return 4;
    case level::info:
      return 6;
    case level::debug:
    case level::trace:
      return 7;
  }
  return 6;
}

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

level current_level() { return threshold_.load(); }

std::string_view level_name(level lvl) {
  switch (lvl) {
    case level::trace:
      return "trace";
    case level::debug:
      return "debug";
    case level::info:
      return "info";
    case level::warn:
      return "warn";
    case level::error:
      return "error";
  }
  return "info";
}

void set_format(format f) { format_ = f; }

void set_journal_priorities(bool on) { journal_ = on; }

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  struct stat st {};
  if (!stream || ::fstat(2, &st) != 0) return false;
  return std::string(stream) == std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

bool enabled(level lvl) { return lvl >= threshold_.load(); }

std::string escape(std::string_view text) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    auto after = i + 2 < text.size() ? static_cast<unsigned char>(text[i + 2]) : 0;
    if (append_escaped_control(out, c, "\\x")) continue;  // C0 and DEL
    if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {      // C1 controls, U+0080-U+009F in UTF-8
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
  using namespace std::chrono;
  auto epoch_ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(epoch_ms % 1000));
  std::string stamp = common::format_utc(epoch_ms, "%Y-%m-%dT%H:%M:%S") + millis;
  // Appended piece by piece (GCC 12 at -O3 warns, falsely, about `"<" + std::to_string(…)`).
  std::string line;
  if (journal_) line.append("<").append(std::to_string(priority_of(lvl))).append(">");
  if (format_ == format::json) {
    // Valid JSON whatever the message holds: quotes, control characters and bad UTF-8 included.
    line.append("{\"time\":\"").append(stamp).append("\",\"level\":\"").append(level_name(lvl));
    line.append("\",\"component\":").append(json_string(component));
    line.append(",\"message\":").append(json_string(raw_message)).append("}");
  } else {
    // Text from outside (nicknames, the cloud's messages) must not start a line of its own.
    line.append(stamp).append(" ").append(name_of(lvl)).append(" ").append(component).append(": ");
    line.append(escape(raw_message));
  }
  line += '\n';
  std::lock_guard lock(write_mutex_);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace common::logging

namespace common::logging {

sink process_log() {
  return [](level lvl, std::string_view component, std::string_view message) {
    if (enabled(lvl)) write(lvl, component, message);
  };
}

}  // namespace common::logging

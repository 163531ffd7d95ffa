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

void write(level lvl, std::string_view component, std::string_view message) {
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

#include "bridge/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace logging {
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
  std::time_t secs = system_clock::to_time_t(now);
  auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  std::lock_guard lock(write_mutex_);
  std::fprintf(stderr, "%s.%03dZ %s %.*s: %.*s\n", stamp, static_cast<int>(millis), name_of(lvl),
               static_cast<int>(component.size()), component.data(), static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

}  // namespace logging

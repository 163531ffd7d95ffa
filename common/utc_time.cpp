#include "common/utc_time.hpp"

#include <ctime>

namespace common {

std::string format_utc(std::int64_t epoch_ms, const char* format) {
  std::time_t secs = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm utc{};
  if (!gmtime_r(&secs, &utc)) return {};  // beyond what the calendar functions can express
  char text[64];
  std::size_t length = std::strftime(text, sizeof text, format, &utc);
  return std::string(text, length);
}

}  // namespace common

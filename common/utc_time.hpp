#pragma once
// UTC times as text, for log lines, payloads and HTTP headers.
#include <cstdint>
#include <string>

namespace common {

/// `format` (strftime) applied to the UTC time of `epoch_ms` milliseconds since the epoch.
std::string format_utc(std::int64_t epoch_ms, const char* format);

}  // namespace common

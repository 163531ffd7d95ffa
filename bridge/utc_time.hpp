#pragma once
#include <cstdint>
#include <string>

/// `format` (strftime) applied to the UTC time of `epoch_ms` milliseconds since the epoch.
std::string format_utc(std::int64_t epoch_ms, const char* format);

#pragma once
// The process's own resource use, as the Prometheus client libraries report it (process_*).
#include <cstdint>
#include <optional>

namespace bridge {

struct process_stats {
  double cpu_seconds = 0;            ///< user + system time
  std::uint64_t resident_bytes = 0;  ///< resident set size
  std::uint64_t open_fds = 0;        ///< open file descriptors
  double start_time_seconds = 0;     ///< since the Unix epoch
};

/// Reads /proc/self; nullopt where /proc is not there.
std::optional<process_stats> read_process_stats();

}  // namespace bridge

#pragma once
// What /metrics and /healthz report: plain values in, Prometheus text and a health verdict out.
#include "bridge/process_stats.hpp"
#include "wyze/budget.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace bridge {

/// Poll durations in a Prometheus histogram (seconds).
class duration_histogram {
 public:
  static constexpr std::array<double, 10> bounds{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

  void observe(std::chrono::duration<double> d);
  const std::array<std::uint64_t, bounds.size()>& cumulative() const { return cumulative_; }
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::array<std::uint64_t, bounds.size()> cumulative_{};
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

/// Everything the bridge counts; owned by the service, read by the metrics server.
struct metrics {
  std::uint64_t polls_ok = 0;
  std::uint64_t polls_error = 0;
  std::uint64_t logins = 0;
  std::uint64_t token_refreshes = 0;
  std::uint64_t messages_published = 0;
  std::uint64_t rate_limited = 0;  ///< polls Wyze refused with 1011 or HTTP 429
  std::size_t cameras = 0;
  std::size_t cameras_online = 0;
  bool mqtt_connected = false;
  duration_histogram poll_duration;
  std::optional<std::chrono::system_clock::time_point> last_success;
  /// Camera commands by (entity, result): ok, error (the cloud refused or failed), refused (invalid,
  /// never sent), replaced (by a newer one before it was sent), ignored (retained).
  std::map<std::pair<std::string, std::string>, std::uint64_t> commands;
  std::optional<process_stats> process;  ///< nullopt without /proc
  /// Event-list calls by result (ok, error, rate_limited), events by type, pictures by result
  /// (ok, error, too_large, not_image).
  std::map<std::string, std::uint64_t> event_calls, events, pictures;
  std::map<std::string, std::uint64_t> property_reads;  ///< batched property reads, by result
  /// Requests sent to the Wyze cloud, by endpoint.
  std::map<std::string, std::uint64_t, std::less<>> cloud_requests;
  /// Calls of the last hour by kind (bridge/budget's by_kind).
  std::array<std::uint32_t, wyze::call_kinds> cloud_calls_last_hour{};
  std::chrono::milliseconds poll_interval{60'000};
};

/// The metrics in Prometheus text format 0.0.4.
std::string render_prometheus(const metrics& m, std::string_view version);

struct health {
  bool ok = false;
  std::string reason;  ///< "ok", or what is wrong, e.g. "mqtt: disconnected"
};

/// Healthy while the broker is connected and a poll succeeded within 3 poll intervals.
health check_health(const metrics& m, std::chrono::system_clock::time_point now);

}  // namespace bridge

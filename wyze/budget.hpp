#pragma once
// The account's cloud budget as the bridge spends it (SPEC 12): the calls of the last hour by
// kind, counted where every call is sent (cloud_client), so no call escapes the count.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace wyze {

enum class call_kind : std::uint8_t { login, refresh, device_list, events, commands, properties, pictures };
inline constexpr std::size_t call_kinds = 7;
/// The names `<base>/bridge/budget` gives them, in call_kind order.
inline constexpr std::array<std::string_view, call_kinds> call_kind_names{
    "login", "refresh", "device_list", "events", "commands", "properties", "pictures"};

/// The kind of a call to the cloud by its path: both login steps are `login`, the device lists
/// `device_list`, the event lists `events`, any other read (`get_…`) `properties`, everything else
/// (run_action, set_property, …) `commands`. Picture downloads are counted as `pictures` by the
/// caller.
call_kind kind_of(std::string_view path);

/// Calls in the last hour, counted in 60 one-minute slots: a few hundred bytes whatever the rate,
/// exact but for the oldest minute, which counts whole.
class call_counter {
 public:
  void count(call_kind kind, std::int64_t now_ms);
  /// The calls of the current minute and the 59 before it, by kind.
  std::array<std::uint32_t, call_kinds> last_hour(std::int64_t now_ms) const;

 private:
  struct minute {
    std::int64_t index = -1;  ///< minutes since the epoch this slot counts; -1: unused
    std::array<std::uint32_t, call_kinds> calls{};
  };
  std::array<minute, 60> minutes_{};
};

/// What `<base>/bridge/budget` shows.
struct cloud_budget {
  std::array<std::uint32_t, call_kinds> last_hour{};  ///< by call_kind
  /// The last X-RateLimit-Remaining of the account's API (/app, the login host), if any came.
  std::optional<long> rate_limit_remaining{};
  /// The end of the pause Wyze's rate limit imposed (the account's, else the event list's), while
  /// it lasts.
  std::optional<std::int64_t> paused_until_ms{};
  /// When the bridge last met Wyze's rate limit (an answer saying so, or one close to it).
  std::optional<std::int64_t> last_rate_limit_ms{};

  std::uint64_t calls_last_hour() const;
};

}  // namespace wyze

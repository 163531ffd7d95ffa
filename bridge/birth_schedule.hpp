#pragma once
// Home Assistant's birth (`online` on its status topic) is answered by republishing every config
// and state (SPEC §5): after a random delay, so many bridges don't answer in the same instant, and
// at most one republish a minute, however often Home Assistant starts.
#include "bridge/actions.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

namespace bridge {

class birth_schedule {
 public:
  /// The delay is drawn from this range.
  static constexpr std::chrono::milliseconds delay_min{1'000}, delay_max{5'000};
  /// Births that repeat share one republish: at most one a minute (50,000 messages at 10,000 cameras).
  static constexpr std::chrono::milliseconds republish_spacing{60'000};

  /// A birth: starts the birth timer (a random delay, pushed back to a minute after the last
  /// republish), or shares the republish already scheduled. `random` is drawn only when it starts.
  void birth(actions& out, std::int64_t now_ms, const std::function<std::uint64_t()>& random);

  /// The birth timer fired: the republish happens now.
  void fired(std::int64_t now_ms);

 private:
  bool pending_ = false;  ///< a republish is scheduled
  std::optional<std::int64_t> last_republish_;
};

}  // namespace bridge

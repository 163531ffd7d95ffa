#include "bridge/birth_schedule.hpp"

#include "bridge/log_line.hpp"

namespace bridge {

void birth_schedule::birth(actions& out, std::int64_t now_ms, const std::function<std::uint64_t()>& random) {
  using common::logging::level;
  if (pending_) {
    out.push_back(
        line(level::debug, "bridge", "Home Assistant started again; the republish already scheduled covers it"));
    return;
  }
  auto span = static_cast<std::uint64_t>((delay_max - delay_min).count()) + 1;
  auto delay = delay_min + std::chrono::milliseconds(random() % span);
  if (last_republish_) {
    auto allowed = *last_republish_ + republish_spacing.count();
    if (now_ms + delay.count() < allowed) delay = std::chrono::milliseconds(allowed - now_ms);
  }
  pending_ = true;
  out.push_back(line(level::info, "bridge", "Home Assistant started; republishing discovery and states in ",
                     delay.count(), " ms"));
  out.push_back(act::start_timer{timer::birth, delay});
}

void birth_schedule::fired(std::int64_t now_ms) {
  pending_ = false;
  last_republish_ = now_ms;
}

}  // namespace bridge

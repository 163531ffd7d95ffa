#pragma once
// When the device list is polled (SPEC §6): at start, every poll_interval after the last poll, and
// on request (bridge/request/poll) — one poll at a time, a requested one at most every
// min_spacing, so no flood of requests becomes a flood of cloud calls — and which requests the
// running or next poll answers.
#include "bridge/actions.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bridge {

class poll_schedule {
 public:
  /// Poll requests answered by one poll at most; more share the poll unanswered (bounded memory
  /// and answers, whatever a broker client sends).
  static constexpr std::size_t max_waiters = 100;

  /// `once`: --once polls once, so no poll is scheduled after it.
  poll_schedule(std::chrono::milliseconds interval, std::chrono::milliseconds min_spacing, bool once)
      : interval_(interval), min_spacing_(min_spacing), once_(once) {}

  /// Polls now (act::fetch) unless a poll is running: at start and when the poll timer fires.
  void poll(actions& out, std::int64_t now_ms);

  /// A poll request, with its transaction (JSON text, or empty): the running poll answers it, else
  /// a poll starts now or, within min_spacing of the last one, when the spacing has passed.
  void request(actions& out, std::string transaction, std::int64_t now_ms);

  /// Who the poll that just ended answers: the transactions of the requests it carries, and how
  /// many more requests than max_waiters shared it unanswered.
  struct answers {
    std::vector<std::string> transactions;
    std::size_t unanswered = 0;
  };
  /// The poll ended (its answer comes from the core): the next one may start.
  answers ended();

  /// Starts the poll timer for the next regular poll (none with --once).
  void schedule_next(actions& out) const;

  /// When the last poll started.
  std::optional<std::int64_t> last_poll() const { return last_poll_; }

 private:
  std::chrono::milliseconds interval_, min_spacing_;
  bool once_;
  bool polling_ = false;
  std::optional<std::int64_t> last_poll_;
  std::vector<std::string> waiters_;  ///< transactions of the requests the next poll's end answers
  std::size_t unanswered_ = 0;        ///< requests beyond max_waiters since the last poll ended
};

}  // namespace bridge

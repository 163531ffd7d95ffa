#pragma once
// The event poll's schedule and the motion timers (SPEC §8): one event-list call per interval for
// the whole account, follow-up calls while answers come full (up to max_pages an interval), a
// failure said once until it changes, and motion that always turns off again. What an event means
// (de-duplication, topics, pictures) stays with the core and event_state.
#include "bridge/actions.hpp"
#include "bridge/event_state.hpp"
#include "wyze/result.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bridge {

class event_poll {
 public:
  /// Follow-up calls for one interval's events at most (20 events each); the rest come next time.
  static constexpr int max_pages = 10;

  /// `enabled`: events.enabled; `once`: --once polls no events.
  event_poll(bool enabled, std::chrono::milliseconds interval, bool once)
      : enabled_(enabled), once_(once), interval_(interval) {}

  /// One call for the cameras `macs`, from just after the newest event `seen` has (act::fetch_events);
  /// none while one runs, with --once or with events off; without cameras the next interval is
  /// timed instead.
  void poll(actions& out, const event_state& seen, std::vector<std::string> macs, std::int64_t now_ms);
  /// The first poll has been made (it starts with the first good device list).
  bool started() const { return started_; }

  /// The call failed: said at warn once, at debug while it repeats; the next interval is timed.
  void failed(actions& out, const wyze::error& why);
  /// The call answered (`skipped`: entries the parser left out): said once after failures.
  void answered(actions& out, std::size_t skipped);
  /// After an answer: true when it was `full` and the next page is fetched now; else the interval's
  /// calls are over (a line when events were left for the next one) and the caller times the next.
  bool next_page(actions& out, bool full);
  /// Starts the interval's timer (none with --once).
  void schedule(actions& out) const;

 private:
  bool enabled_, once_;
  std::chrono::milliseconds interval_;
  bool started_ = false, polling_ = false;
  int pages_ = 0;                          ///< calls of this interval so far
  std::optional<std::string> last_error_;  ///< said once until it changes
};

/// When each camera's motion turns off.
class motion_timers {
 public:
  /// Camera `id` has motion until `until_ms` (a later event moves it).
  void start(const std::string& id, std::int64_t until_ms) { until_[id] = until_ms; }
  /// The cameras whose motion is over at `now_ms` (forgotten here).
  std::vector<std::string> due(std::int64_t now_ms);
  /// The motion timer for the earliest end still ahead, or its cancel when none is.
  void time_next(actions& out, std::int64_t now_ms) const;
  std::size_t size() const { return until_.size(); }

 private:
  std::map<std::string, std::int64_t> until_;  ///< by camera id: when motion turns off
};

}  // namespace bridge

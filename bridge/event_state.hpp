#pragma once
// Where the event poll stands (SPEC §8): the newest event time seen and the ids seen at exactly
// that time, so the next window starts there and repeats nothing; and the time of each camera's
// newest picture, so a restart downloads no picture twice. Kept in the state directory
// (events.json), so a restart neither repeats nor loses events. Pure: no clock, no I/O.
#include "wyze/events.hpp"
#include "wyze/result.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace bridge {

class event_state {
 public:
  /// The first window ever (nothing saved) looks this far back: what is older would not switch
  /// motion on anyway.
  static constexpr std::int64_t first_lookback_ms = std::int64_t{5} * 60 * 1000;
  /// Wyze keeps events 14 days: a window never starts earlier than that.
  static constexpr std::int64_t max_lookback_ms = 14LL * 24 * 3600 * 1000;
  /// The window ends this far ahead of now, for a cloud clock that runs ahead of ours.
  static constexpr std::int64_t end_ahead_ms = 60'000;
  /// Events one answer holds at most (the cloud's limit).
  static constexpr int page_size = 20;

  /// The next call's window for the cameras `macs`: from the newest event seen (its ids are
  /// skipped) to now + end_ahead_ms.
  wyze::event_query query(std::int64_t now_ms, std::vector<std::string> macs) const;

  /// One answer: the events not seen before, oldest first. `full` tells whether the answer held
  /// page_size events with something new among them, so a follow-up call must fetch the rest.
  struct page {
    std::vector<wyze::camera_event> fresh;
    bool full = false;
  };
  page take(std::vector<wyze::camera_event> answer);

  /// The time of the newest picture published for camera `id`, or 0.
  std::int64_t picture_time(const std::string& id) const;
  void set_picture_time(const std::string& id, std::int64_t ms);

  std::optional<std::int64_t> newest_ms() const { return newest_ms_; }

  /// events.json: {"newest_ms":…,"ids":[…],"pictures":{"<id>":ms,…}}.
  std::string serialize() const;
  /// The saved state (an empty one for empty `text`), or why `text` is not one (the caller then
  /// starts from an empty state).
  static wyze::result<event_state> parse(std::string_view text);

  bool operator==(const event_state&) const = default;

 private:
  std::optional<std::int64_t> newest_ms_;
  std::set<std::string> ids_at_newest_;
  std::map<std::string, std::int64_t> pictures_;
};

}  // namespace bridge

#include "bridge/event_poll.hpp"

#include "bridge/log_line.hpp"

#include <algorithm>

namespace bridge {

using common::logging::level;

void event_poll::schedule(actions& out) const {
  if (once_) return;
  out.push_back(act::start_timer{timer::events, interval_});
}

// One call for every selected camera, from just after the newest event seen.
void event_poll::poll(actions& out, const event_state& seen, std::vector<std::string> macs, std::int64_t now_ms) {
  if (!enabled_ || polling_ || once_) return;
  started_ = true;
  if (macs.empty()) {
    pages_ = 0;
    return schedule(out);  // no camera: no call
  }
  polling_ = true;
  out.push_back(act::fetch_events{seen.query(now_ms, std::move(macs))});
}

void event_poll::failed(actions& out, const wyze::error& why) {
  polling_ = false;
  if (last_error_ != why.message)
    out.push_back(
        line(level::warn, "wyze", "event poll failed: ", why.message, " (the device list is polled as usual)"));
  else
    out.push_back(line(level::debug, "wyze", "event poll failed again: ", why.message));
  last_error_ = why.message;
  pages_ = 0;
  schedule(out);
}

void event_poll::answered(actions& out, std::size_t skipped) {
  polling_ = false;
  if (last_error_) out.push_back(line(level::info, "wyze", "event polls work again"));
  last_error_.reset();
  if (skipped > 0)
    out.push_back(
        line(level::debug, "wyze", "event list: ", skipped, " entries without an id, a camera or a time were skipped"));
}

// More events than one answer holds: the rest at once, up to max_pages calls an interval.
bool event_poll::next_page(actions& out, bool full) {
  if (full && ++pages_ < max_pages) return true;
  if (full)
    out.push_back(line(level::info, "wyze", "more than ", max_pages * event_state::page_size,
                       " new events in one interval; the rest come with the next event poll"));
  pages_ = 0;
  return false;
}

std::vector<std::string> motion_timers::due(std::int64_t now_ms) {
  std::vector<std::string> over;
  for (auto it = until_.begin(); it != until_.end();) {
    if (it->second > now_ms) {
      ++it;
      continue;
    }
    over.push_back(it->first);
    it = until_.erase(it);
  }
  return over;
}

void motion_timers::time_next(actions& out, std::int64_t now_ms) const {
  auto earliest =
      std::min_element(until_.begin(), until_.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  if (earliest != until_.end())
    out.push_back(act::start_timer{timer::motion, std::chrono::milliseconds(earliest->second - now_ms)});
  else
    out.push_back(act::cancel_timer{timer::motion});
}

}  // namespace bridge

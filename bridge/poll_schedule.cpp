#include "bridge/poll_schedule.hpp"

namespace bridge {

void poll_schedule::poll(actions& out, std::int64_t now_ms) {
  if (polling_) return;
  polling_ = true;
  out.push_back(act::cancel_timer{timer::poll});
  last_poll_ = now_ms;
  out.push_back(act::fetch{});
}

// A requested poll starts at once, unless the last one started less than min_spacing ago: then the
// poll timer brings it forward to that moment, and requests until then share it.
void poll_schedule::request(actions& out, std::string transaction, std::int64_t now_ms) {
  if (waiters_.size() < max_waiters)
    waiters_.push_back(std::move(transaction));
  else
    ++unanswered_;
  if (polling_) return;  // the running poll answers
  auto due = last_poll_ ? *last_poll_ + min_spacing_.count() : now_ms;
  if (now_ms >= due) return poll(out, now_ms);
  out.push_back(act::start_timer{timer::poll, std::chrono::milliseconds(due - now_ms)});
}

poll_schedule::answers poll_schedule::ended() {
  polling_ = false;
  answers done{std::move(waiters_), unanswered_};
  waiters_.clear();
  unanswered_ = 0;
  return done;
}

void poll_schedule::schedule_next(actions& out) const {
  if (once_) return;
  out.push_back(act::start_timer{timer::poll, interval_});
}

}  // namespace bridge

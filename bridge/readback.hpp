#pragma once
// The read-back of earlier runs and the clean-up after it (SPEC §5): what an earlier run left
// retained is read back once, at the first connection, so cameras that left while the bridge was
// down are cleared too. The broker sends a subscription's retained messages before anything
// published after it, so a marker published once subscribed comes back after the last of them: the
// read-back ends then, at the latest after `window`. At QoS 0, so that no broker queue limit drops
// any. Cameras are published only after it, or the broker would echo every config back. Once the
// account's cameras are known (the first good poll), what was read back and is no longer ours is
// cleared, with what an earlier run recorded as published and the topics of features turned off.
#include "bridge/actions.hpp"
#include "bridge/retained_state.hpp"

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace bridge {

/// What an earlier run left in the state directory (published.json), for the clean-up.
struct earlier_run {
  std::vector<std::string> recorded_ids;  ///< camera ids it recorded as published
  bool events = false, pictures = false;  ///< whether it had events and pictures on
};

class readback {
 public:
  enum class phase { not_started, reading, read, cleared };

  readback(std::string topic, std::chrono::milliseconds window) : topic_(std::move(topic)), window_(window) {}

  /// At the first connection: subscribe to our retained topics and the marker's, publish `marker`,
  /// start the window's timer. Nothing after the first time.
  void start(actions& out, const retained_state& retained, std::string marker);
  /// A message while reading: true when it is the marker (then finish()); a retained topic of ours
  /// is remembered.
  bool message(const retained_state& retained, const std::string& topic, const std::string& payload);
  /// The marker came back or the window ran out: unsubscribe, stop the timer.
  void finish(actions& out, const retained_state& retained);
  /// After the read-back and a good poll (`polled`), once: the clearing messages of everything read
  /// back or recorded that is no longer ours, and of features `now_events`/`now_pictures` turned off.
  void clear(actions& out, const retained_state& retained, const earlier_run& before, bool now_events,
             bool now_pictures, bool polled);

  phase current() const { return phase_; }
  bool reading() const { return phase_ == phase::reading; }
  /// Our retained topics found so far (emptied by the clean-up).
  std::size_t found() const { return found_.size(); }

 private:
  std::string topic_;
  std::chrono::milliseconds window_;
  phase phase_ = phase::not_started;
  std::string marker_;
  std::set<std::string> found_;  ///< our retained topics found on the broker at start
};

}  // namespace bridge

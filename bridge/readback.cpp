#include "bridge/readback.hpp"

#include "bridge/log_line.hpp"

#include <tuple>

namespace bridge {

using common::logging::level;

void readback::start(actions& out, const retained_state& retained, std::string marker) {
  if (phase_ != phase::not_started) return;
  phase_ = phase::reading;
  marker_ = std::move(marker);
  for (auto& filter : retained.readback_filters()) out.push_back(act::subscribe{std::move(filter), 0});
  out.push_back(act::subscribe{topic_, 0});
  out.push_back(act::publish{{topic_, marker_, false, 0}});
  out.push_back(act::start_timer{timer::readback, window_});
}

bool readback::message(const retained_state& retained, const std::string& topic, const std::string& payload) {
  if (phase_ != phase::reading) return false;
  if (topic == topic_ && payload == marker_) return true;
  if (retained.is_ours(topic, payload)) found_.insert(topic);
  return false;
}

void readback::finish(actions& out, const retained_state& retained) {
  if (phase_ != phase::reading) return;
  out.push_back(act::cancel_timer{timer::readback});
  for (auto& filter : retained.readback_filters()) out.push_back(act::unsubscribe{std::move(filter)});
  out.push_back(act::unsubscribe{topic_});
  phase_ = phase::read;
  out.push_back(line(level::debug, "bridge", "read back ", found_.size(), " retained topics of earlier runs"));
}

void readback::clear(actions& out, const retained_state& retained, const earlier_run& before, bool now_events,
                     bool now_pictures, bool polled) {
  if (phase_ != phase::read || !polled) return;
  phase_ = phase::cleared;
  // What earlier runs recorded as published counts as read back, whatever the broker returned.
  for (const auto& id : before.recorded_ids)
    if (!retained.find(id))
      for (auto& topic : retained.recorded_topics(id)) found_.insert(std::move(topic));
  // Events or pictures that an earlier run had on and this one has off: their topics go too.
  for (const auto& id : before.recorded_ids)
    for (auto [was, now, feature] :
         {std::tuple{before.events, now_events, "events"}, std::tuple{before.pictures, now_pictures, "pictures"}})
      if (was && !now && retained.find(id))
        for (auto& topic : retained.feature_topics(id, feature)) found_.insert(std::move(topic));
  auto clears = retained.stale(found_);
  if (!clears.empty())
    out.push_back(line(level::info, "bridge", "clearing ", clears.size(), " retained topics of cameras that are gone"));
  for (auto& m : clears) out.push_back(act::publish{std::move(m)});
  found_.clear();
}

}  // namespace bridge

#pragma once
// What the tests of the core's decisions share: device lists to feed it, and the actions it returns
// picked by kind.
#include "bridge/core.hpp"

#include <cstdint>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

namespace core_helpers {

inline wyze::result<wyze::device_list> listing(std::initializer_list<wyze::Camera> cameras) {
  wyze::device_list list;
  for (const auto& c : cameras) list.cameras.push_back(c);
  list.devices = list.cameras.size();
  return list;
}

template <class T>
std::vector<T> all_of(const bridge::actions& actions) {
  std::vector<T> out;
  for (const auto& a : actions)
    if (const auto* step = std::get_if<T>(&a)) out.push_back(*step);
  return out;
}

/// What a publish window with room for everything gets now: the retained messages the core has
/// queued, in order.
inline std::vector<broker::message> window(bridge::core& core) {
  std::vector<broker::message> out;
  for (auto& p : all_of<bridge::act::publish>(core.on(bridge::ev::publish_window{SIZE_MAX}, 0)))
    out.push_back(std::move(p.message));
  return out;
}

/// The payloads published directly (not through the retained queue) on `topic`.
inline std::vector<std::string> published_to(const bridge::actions& actions, const std::string& topic) {
  std::vector<std::string> out;
  for (const auto& p : all_of<bridge::act::publish>(actions))
    if (p.message.topic == topic) out.push_back(p.message.payload);
  return out;
}

/// One action as one line, so a test can assert a whole sequence in order (boostorg/redis's
/// test_run_fsm.cpp does the same): "fetch", "start_timer poll 60000 ms", "publish wyze/x on",
/// "log info bridge: text", …
inline std::string printed(const bridge::action& a) {
  using namespace bridge;
  std::ostringstream out;
  auto timer_name = [](timer t) {
    constexpr const char* names[] = {"poll", "birth", "once", "readback", "events", "motion"};
    return names[static_cast<int>(t)];
  };
  std::visit(
      [&](const auto& step) {
        using T = std::decay_t<decltype(step)>;
        if constexpr (std::is_same_v<T, act::fetch>)
          out << "fetch";
        else if constexpr (std::is_same_v<T, act::command>)
          out << "command " << step.camera;
        else if constexpr (std::is_same_v<T, act::fetch_events>)
          out << "fetch_events";
        else if constexpr (std::is_same_v<T, act::download>)
          out << "download " << step.camera;
        else if constexpr (std::is_same_v<T, act::save_events>)
          out << "save_events";
        else if constexpr (std::is_same_v<T, act::publish>)
          out << "publish " << step.message.topic << " "
              << (step.message.payload.empty() ? "<cleared>" : step.message.payload);
        else if constexpr (std::is_same_v<T, act::flush>)
          out << "flush";
        else if constexpr (std::is_same_v<T, act::subscribe>)
          out << "subscribe " << step.filter;
        else if constexpr (std::is_same_v<T, act::unsubscribe>)
          out << "unsubscribe " << step.filter;
        else if constexpr (std::is_same_v<T, act::start_timer>)
          out << "start_timer " << timer_name(step.which) << " " << step.after.count() << " ms";
        else if constexpr (std::is_same_v<T, act::cancel_timer>)
          out << "cancel_timer " << timer_name(step.which);
        else if constexpr (std::is_same_v<T, act::when_delivered>)
          out << "when_delivered";
        else if constexpr (std::is_same_v<T, act::exit>)
          out << "exit " << step.code;
        else if constexpr (std::is_same_v<T, act::log>)
          out << "log " << common::logging::level_name(step.level) << " " << step.component << ": " << step.text;
        else if constexpr (std::is_same_v<T, act::set_log_level>)
          out << "set_log_level " << common::logging::level_name(step.level);
        else if constexpr (std::is_same_v<T, act::status>)
          out << "status " << step.text;
        else if constexpr (std::is_same_v<T, act::record>)
          out << "record " << step.ids.size() << " ids";
      },
      a);
  return out.str();
}

/// Every action, in order, as printed() lines.
inline std::vector<std::string> printed(const bridge::actions& actions) {
  std::vector<std::string> out;
  for (const auto& a : actions) out.push_back(printed(a));
  return out;
}

}  // namespace core_helpers

#pragma once
// What the tests of the core's decisions share: device lists to feed it, and the actions it returns
// picked by kind.
#include "bridge/core.hpp"

#include <initializer_list>
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

/// The payloads published directly (not through the retained queue) on `topic`.
inline std::vector<std::string> published_to(const bridge::actions& actions, const std::string& topic) {
  std::vector<std::string> out;
  for (const auto& p : all_of<bridge::act::publish>(actions))
    if (p.message.topic == topic) out.push_back(p.message.payload);
  return out;
}

}  // namespace core_helpers

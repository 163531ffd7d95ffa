#include "bridge/retained_state.hpp"

#include <unordered_map>
#include <unordered_set>

namespace bridge {

retained_state::retained_state(publish_settings settings) : settings_(std::move(settings)) {}

std::vector<broker::message> retained_state::messages_of(const wyze::Camera& camera, bool discovery) const {
  if (discovery) {
    if (!settings_.discovery) return {};
    return broker::camera_discovery(settings_.discovery_settings, camera);
  }
  return broker::camera_states(settings_.base_topic, camera);
}

std::vector<broker::message> retained_state::update(const std::vector<wyze::Camera>& cameras) {
  std::vector<broker::message> discovery, states, cleared;
  std::unordered_set<std::string> present;
  for (const auto& camera : cameras) {
    std::string id = camera.id();
    present.insert(id);
    auto known = cameras_.find(id);
    if (known != cameras_.end() && known->second == camera) continue;
    for (bool is_discovery : {true, false}) {
      auto& out = is_discovery ? discovery : states;
      auto fresh = messages_of(camera, is_discovery);
      std::unordered_map<std::string, std::string> before;
      if (known != cameras_.end())
        for (auto& m : messages_of(known->second, is_discovery)) before.emplace(m.topic, std::move(m.payload));
      for (auto& m : fresh) {
        auto it = before.find(m.topic);
        if (it == before.end() || it->second != m.payload) out.push_back(m);
        if (it != before.end()) before.erase(it);
      }
      // A topic the camera no longer has (e.g. conn_state no longer reported) is cleared.
      for (auto& [topic, payload] : before) cleared.push_back({topic, ""});
    }
    cameras_.insert_or_assign(id, camera);
  }
  for (auto it = cameras_.begin(); it != cameras_.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    // States first, then discovery, so Home Assistant never sees an entity without its device.
    for (bool is_discovery : {false, true})
      for (auto& m : messages_of(it->second, is_discovery)) cleared.push_back({std::move(m.topic), ""});
    it = cameras_.erase(it);
  }
  discovery.insert(discovery.end(), std::make_move_iterator(states.begin()), std::make_move_iterator(states.end()));
  discovery.insert(discovery.end(), std::make_move_iterator(cleared.begin()), std::make_move_iterator(cleared.end()));
  return discovery;
}

std::vector<broker::message> retained_state::everything() const {
  std::vector<broker::message> out;
  if (settings_.discovery) out = broker::bridge_discovery(settings_.discovery_settings);
  for (bool is_discovery : {true, false})
    for (const auto& [id, camera] : cameras_) {
      auto messages = messages_of(camera, is_discovery);
      out.insert(out.end(), std::make_move_iterator(messages.begin()), std::make_move_iterator(messages.end()));
    }
  return out;
}

}  // namespace bridge

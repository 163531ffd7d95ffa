#include "bridge/retained_state.hpp"

#include <boost/json.hpp>

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

std::vector<std::string> retained_state::readback_filters() const {
  const auto& prefix = settings_.discovery_settings.prefix;
  // Both layouts, whatever the mode now: a switch of mode must not leave the old configs behind.
  return {prefix + "/device/+/config", prefix + "/+/+/+/config", settings_.base_topic + "/+/attributes"};
}

std::string retained_state::attributes_owner(const std::string& topic) const {
  const std::string head = settings_.base_topic + "/";
  const std::string tail = "/attributes";
  if (!topic.starts_with(head) || !topic.ends_with(tail) || topic.size() <= head.size() + tail.size()) return {};
  std::string id = topic.substr(head.size(), topic.size() - head.size() - tail.size());
  if (id == "bridge" || id.find('/') != std::string::npos) return {};
  return id;
}

bool retained_state::is_ours(const std::string& topic, std::string_view payload) const {
  if (payload.empty()) return false;
  if (!attributes_owner(topic).empty()) return true;
  if (!topic.starts_with(settings_.discovery_settings.prefix + "/") || !topic.ends_with("/config")) return false;
  boost::system::error_code ec;
  auto root = boost::json::parse(payload, ec);
  const auto* object = root.if_object();
  const auto* dev = object ? object->if_contains("dev") : nullptr;
  if (!dev || !dev->is_object()) return false;
  const auto bridge_id = broker::bridge_device_id(settings_.discovery_settings);
  auto names_bridge = [&](const boost::json::value* v) { return v && v->is_string() && v->get_string() == bridge_id; };
  if (names_bridge(dev->get_object().if_contains("via_device"))) return true;
  if (const auto* ids = dev->get_object().if_contains("ids"); ids && ids->is_array())
    for (const auto& id : ids->get_array())
      if (names_bridge(&id)) return true;
  return false;
}

std::vector<broker::message> retained_state::stale(const std::set<std::string>& read_back) const {
  std::set<std::string> wanted;
  for (auto& m : everything()) wanted.insert(std::move(m.topic));
  std::vector<broker::message> states, discovery;
  for (const auto& topic : read_back) {
    if (std::string id = attributes_owner(topic); !id.empty()) {
      if (cameras_.count(id)) continue;
      // Every topic a camera can have, whatever it reported last time.
      wyze::Camera gone{.mac = id};
      gone.online = false;
      for (auto& m : broker::camera_states(settings_.base_topic, gone)) states.push_back({std::move(m.topic), ""});
    } else if (!wanted.count(topic)) {
      discovery.push_back({topic, ""});
    }
  }
  states.insert(states.end(), std::make_move_iterator(discovery.begin()), std::make_move_iterator(discovery.end()));
  return states;
}

}  // namespace bridge

#pragma once
// What the bridge keeps retained on the broker for its cameras, and the messages that bring the
// broker from what it holds to a new device list. Pure: no broker, no clock.
#include "mqtt/discovery.hpp"

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace bridge {

struct publish_settings {
  std::string base_topic = "wyze";
  bool discovery = true;
  broker::discovery_settings discovery_settings;
};

class retained_state {
 public:
  explicit retained_state(publish_settings settings);

  /// Records `cameras` as the account's cameras and returns what must be published: discovery
  /// then states of new and changed cameras (only the topics whose payload changed), and empty
  /// retained messages for every topic of a camera that is gone.
  std::vector<broker::message> update(const std::vector<wyze::Camera>& cameras);

  /// Every retained message for the cameras recorded so far (after a reconnect or HA birth):
  /// discovery first — the bridge device's, then each camera's — then every state.
  std::vector<broker::message> everything() const;

  /// Topic filters that read back, at start, what earlier runs left retained on the broker.
  std::vector<std::string> readback_filters() const;

  /// True when a message read back was published by this bridge instance (same base topic):
  /// a discovery config that names our bridge device, or a camera's attributes under our base.
  bool is_ours(const std::string& topic, std::string_view payload) const;

  /// Empty retained messages for what was read back and is not wanted now: discovery configs we
  /// would not publish (camera gone or excluded, discovery off, another mode) and every state
  /// topic of a camera that is not in the account.
  std::vector<broker::message> stale(const std::set<std::string>& read_back) const;

  std::size_t size() const { return cameras_.size(); }
  const publish_settings& settings() const { return settings_; }

 private:
  std::vector<broker::message> messages_of(const wyze::Camera& camera, bool discovery) const;
  /// The camera id of `<base>/<id>/attributes`, or empty.
  std::string attributes_owner(const std::string& topic) const;

  publish_settings settings_;
  std::map<std::string, wyze::Camera> cameras_;  ///< by Camera::id()
};

}  // namespace bridge

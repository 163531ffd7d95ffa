#pragma once
// What the bridge keeps retained on the broker for its cameras, and the messages that bring the
// broker from what it holds to a new device list. Pure: no broker, no clock.
#include "mqtt/discovery.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
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

  /// Records `cameras` as the account's cameras and queues what must be published to bring the
  /// broker there: discovery then states of new and changed cameras (only the topics whose payload
  /// changed), and empty retained messages for every topic of a camera that is gone (states, then
  /// discovery). Returns how many topics were queued.
  std::size_t update(wyze::camera_list cameras);

  /// Queues every retained message (after a reconnect or HA birth): the bridge device's discovery
  /// first, then each camera's discovery and states.
  void queue_everything();

  /// The next queued message, made now from the newest values: a camera queued twice is
  /// published once, and a 10,000-camera account never sits in memory as 50,000 messages.
  std::optional<broker::message> next();
  bool has_queued() const { return !order_.empty() || !bridge_queued_.empty(); }

  /// Every queued message at once (tests; small accounts).
  std::vector<broker::message> take_queued();

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

  /// The cameras by topic id.
  const std::map<std::string, wyze::Camera>& cameras() const { return cameras_; }

  /// Every topic `stale` must see as read back to clear camera `id` whole (its attributes, and
  /// its discovery configs in the configured mode); nothing for an id this bridge could not have made.
  std::vector<std::string> recorded_topics(const std::string& id) const;

  /// The camera with topic id `id`, or nullptr.
  const wyze::Camera* find(const std::string& id) const;

  /// Sets the value of switch `row` of camera `id` (after the cloud carried a command out) and queues
  /// the topics whose payload changed.
  void set_state(const std::string& id, const broker::entity_row& row, bool on);

  /// Replaces camera `id` by `changed` (the same camera, states read anew) and queues the topics
  /// whose payload changed; false when there is no such camera.
  bool replace(const std::string& id, wyze::Camera changed);

  /// Changes the event state of camera `id` (motion, last event, picture) and queues the topics
  /// whose payload changed; false when there is no such camera.
  bool set_events(const std::string& id, const std::function<void(wyze::camera_events&)>& change);

  /// The state topics of camera `id` that belong to `feature` (`events`, `pictures`), for the
  /// clean-up of a feature that was on in an earlier run.
  std::vector<std::string> feature_topics(const std::string& id, std::string_view feature) const;

  /// Queues the state topic of `row` of camera `id` again, changed or not (a refused command: Home
  /// Assistant's switch snaps back to it).
  void republish(const std::string& id, const broker::entity_row& row);
  const publish_settings& settings() const { return settings_; }

 private:
  /// A camera's topics, each in a slot of its entity row (see retained_state.cpp). A bit per slot
  /// says what is queued.
  using slots = std::uint64_t;
  struct queued {
    slots publish = 0;  ///< topics to publish with the camera's current values
    slots clear = 0;    ///< topics to clear
  };
  /// The camera's messages with their slots (discovery only when it is on).
  std::vector<std::pair<unsigned, broker::message>> slotted(const wyze::Camera& camera) const;
  /// The slots of the topics `camera` has, without building a payload.
  slots slots_of(const wyze::Camera& camera) const;
  /// Every topic a camera with topic id `id` can have, by slot: states first, then discovery.
  std::vector<std::pair<unsigned, std::string>> topics_of(const std::string& id) const;
  void enqueue(const std::string& id, slots publish, slots clear);
  /// Queues what differs between `known` and `fresh` (the same camera), then stores `fresh`.
  std::size_t requeue_changes(const std::string& id, wyze::Camera& known, wyze::Camera fresh);
  /// The slot of the discovery config that announces `row`.
  unsigned discovery_slot(const broker::entity_row& row) const;
  /// The camera id and row of a state topic `<base>/<id>/<key>` that is read back at start, or
  /// nothing.
  std::pair<std::string, const broker::entity_row*> state_owner(const std::string& topic) const;
  static bool read_back(const broker::entity_row& row);

  publish_settings settings_;
  std::map<std::string, wyze::Camera> cameras_;  ///< by Camera::id()
  std::unordered_map<std::string, queued> queued_;
  std::deque<std::string> order_;              ///< ids in queued_, in the order they were queued
  std::deque<broker::message> ready_;          ///< the messages of the camera being sent
  std::deque<broker::message> bridge_queued_;  ///< the bridge device's discovery
};

}  // namespace bridge

#pragma once
// Home Assistant MQTT discovery payloads (SPEC §5). Pure functions of values.
#include "mqtt/entities.hpp"
#include "mqtt/topics.hpp"

#include <string>
#include <vector>

namespace broker {

enum class discovery_mode { device, components };

struct discovery_settings {
  std::string prefix = "homeassistant";
  std::string base = "wyze";  ///< mqtt.base_topic, as used in state topics
  discovery_mode mode = discovery_mode::device;
  std::string version;      ///< origin sw_version
  std::string support_url;  ///< origin support_url
  feature_flags features;   ///< which entities exist (mqtt.commands, events.enabled, events.pictures)
};

/// The discovery config(s) of one camera: one message in device mode; in components mode one per
/// row of discovered_rows(camera), in the same order.
std::vector<message> camera_discovery(const discovery_settings& settings, const wyze::Camera& camera);

/// The rows `camera` announces as entities (a platform, and its model has them), in table order.
std::vector<const entity_row*> discovered_rows(const wyze::Camera& camera, const feature_flags& on);

/// The config topic of `row` for the camera with topic id `id` (device mode: the camera's one config).
std::string camera_discovery_topic(const discovery_settings& settings, const std::string& id, const entity_row& row);

/// Every discovery topic a camera with topic id `id` can have, whatever its model, in table order,
/// without building a payload (for clearing, and for telling ours from stale ones).
std::vector<std::string> camera_discovery_topics(const discovery_settings& settings, const std::string& id);

/// The discovery config(s) of the bridge device itself.
std::vector<message> bridge_discovery(const discovery_settings& settings);

/// The identifier of the bridge device, which cameras name in `via_device`.
std::string bridge_device_id(const discovery_settings& settings);

/// The name shown for a camera: its nickname, or `Wyze <model name> <last 4 of MAC>`.
std::string camera_display_name(const wyze::Camera& camera);

}  // namespace broker

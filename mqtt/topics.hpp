#pragma once
// A camera as retained MQTT topics (SPEC §4). Pure functions of values.
#include "wyze/camera.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace broker {

/// One MQTT publication. An empty retained payload clears the topic.
struct message {
  std::string topic;
  std::string payload;
  bool retain = true;
  int qos = -1;  ///< -1: mqtt.qos

  bool operator==(const message&) const = default;
};

/// Keeps [A-Za-z0-9_-] and turns every other character into '_' (for discovery topics and ids).
std::string topic_segment(std::string_view text);

/// `2026-11-26T10:00:00Z` from milliseconds since the epoch.
std::string iso8601_utc(std::int64_t epoch_ms);

struct feature_flags;  // mqtt/entities.hpp

/// The camera's state topics under `base`, one per row of camera_entities() it publishes now with
/// the config's switches `on`.
std::vector<message> camera_states(std::string_view base, const wyze::Camera& camera, const feature_flags& on);

/// The payload published for a value the cloud does not report (Home Assistant's "unknown").
inline constexpr std::string_view unknown_value = "None";

}  // namespace broker

#pragma once
// Which camera controls the Wyze cloud carries out, per model, and the cloud calls that do it
// (SPEC §7). A model has a control only where its call is known to work; the sources of every entry
// are in the README ("Camera control").
#include "wyze/camera.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wyze {

/// What Home Assistant can do to a camera.
enum class control { power, restart, notifications, motion_detection };

/// The name of a control as an entity key: `power`, `restart`, `notifications`, `motion_detection`.
std::string_view control_name(control which);

/// One command as cloud calls: a `run_action` with `action`, or one `set_property` per entry of
/// `properties` (pid, value), in order.
struct camera_command {
  std::string mac;  ///< as the cloud reports it
  std::string model;
  std::string action;                                           ///< run_action's action_key; empty: properties
  std::vector<std::pair<std::string, std::string>> properties;  ///< set_property calls (pid, pvalue)

  bool operator==(const camera_command&) const = default;
};

/// The camera's field that holds the state of `which` (nullptr for restart, which has none).
std::optional<bool> Camera::*state_of(control which);

/// True when the cloud can carry out `which` on a camera of model `product_model`.
bool supports(std::string_view product_model, control which);
bool supports(const Camera& camera, control which);

/// The cloud calls that switch `which` on or off (`restart` ignores `on`); nullopt when the
/// camera's model does not support it.
std::optional<camera_command> command_for(const Camera& camera, control which, bool on);

}  // namespace wyze

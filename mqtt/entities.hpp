#pragma once
// The one table of entities (SPEC §4, §5): every topic a camera or the bridge device publishes and
// every Home Assistant entity it announces is a row here. A row owns its entity end to end: its
// Home Assistant fields, where its state comes from, which cameras have it (models, or the model
// table of its cloud command), and how it is commanded (wyze/capabilities.hpp). States, discovery
// in both modes, the retained slots, the read-back, the clean-up and the commands all iterate these
// rows, so a new sensor is one row (plus the parser line for its field in wyze/camera.cpp) and a
// new switch is one row and one table (README, "Add an entity").
#include "wyze/camera.hpp"
#include "wyze/capabilities.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace broker {

class json_members;

/// One entity, or a plain state topic with no entity of its own (empty `platform`).
struct entity_row {
  std::string_view key;       ///< component key, unique_id suffix, and the state topic's last level
  std::string_view platform;  ///< Home Assistant platform; empty: a state topic only (no discovery)
  std::string_view name;      ///< the entity's name in Home Assistant
  std::string_view device_class{};
  std::string_view entity_category{};
  std::string_view icon{};
  /// Camera rows: the state payload, a function of the camera (nullptr: no state topic).
  std::string (*state)(const wyze::Camera&) = nullptr;
  /// Camera rows: true when the cloud reports the value (nullptr: always). An unreported value
  /// has no state topic, so a value that stops being reported is cleared.
  bool (*reported)(const wyze::Camera&) = nullptr;
  /// Camera rows: which cameras have this entity beyond `models` and `commands` (nullptr: all).
  bool (*has)(const wyze::Camera&) = nullptr;
  /// Camera rows: the models that have this entity (empty: every camera).
  std::span<const std::string_view> models{};
  /// Bridge rows: the bridge topic the state comes from (`state`, `cloud`, `info`).
  std::string_view bridge_topic{};
  std::string_view value_template{};
  std::string_view state_class{};
  std::string_view unit{};        ///< sensors: the unit of measurement
  std::string_view payload_on{};  ///< binary sensors
  std::string_view payload_off{};
  std::string_view attributes_key{};  ///< the row whose topic carries this entity's JSON attributes
  /// The command, if any: for a bridge row the request it publishes (`poll` → bridge/request/poll);
  /// for a camera row `set`, its command topic being `<base>/<id>/<key>/set`.
  std::string_view command{};
  std::string_view payload_press{};   ///< buttons
  bool available_with_bridge = true;  ///< bridge rows: unavailable while the bridge is offline
  /// Camera rows with a command: the cloud call of each model that has it (the cameras of other
  /// models do not have the entity).
  std::span<const wyze::model_call> commands{};
  /// Switch rows: the camera's field its state reads and its command sets (nullptr: a button).
  std::optional<bool> wyze::Camera::*value = nullptr;
  /// Rows whose state the device list does not carry: the pid the batched property read gets it
  /// from (SPEC §10), "1" on and anything else off.
  std::string_view property_pid{};
  /// The command words for on and off when they are not on/off (a cover's OPEN and CLOSE).
  std::string_view command_on{}, command_off{};
  /// The command is a trigger that flips the state (a garage door): sent only when it changes it.
  bool trigger = false;
  /// The entity's name when it depends on the camera (a light is named after its accessory).
  std::string_view (*name_for)(const wyze::Camera&) = nullptr;
  /// Event rows (SPEC §8): the config key that turns them on (`events` or `pictures`), else empty.
  /// Their retained values stay valid from one run to the next (the last event's time and picture
  /// are not known again until the next event), so they are cleared only when the entity goes.
  std::string_view feature{};
  /// The topic carries events, published once each and never retained: no state, no retained slot.
  bool events_topic = false;
  /// The discovery key of the state topic (`stat_t`; an image takes `image_topic`).
  std::string_view state_key = "stat_t";
  /// Members its discovery config has beyond the common ones (event_types, content_type).
  void (*discovery_extra)(json_members&, const wyze::Camera&) = nullptr;
};

/// The key of the state topic every camera publishes (its attributes): read back at start, it tells
/// which camera ids earlier runs published.
inline constexpr std::string_view attributes_key = "attributes";

/// Every camera row, in publishing order.
std::span<const entity_row> camera_entities();

/// Every row of the bridge device.
std::span<const entity_row> bridge_entities();

/// The config switches that decide which entities exist, read here only: mqtt.commands (no row with
/// a command without it), events.enabled (the `events` rows) and events.pictures (the `pictures` row).
struct feature_flags {
  bool commands = true;
  bool events = false;
  bool pictures = false;
  bool operator==(const feature_flags&) const = default;
};

/// False for an event row whose feature (events, pictures) is off.
bool feature_on(const feature_flags& on, const entity_row& row);

/// True when `camera` has the entity of `row`: its feature is on, its model has it (`models`, the
/// model table of its command, `has`), and, for a row with a command, commands are on.
bool has_entity(const entity_row& row, const wyze::Camera& camera, const feature_flags& on);

/// True when `camera` publishes the state topic of `row` now (it has the entity, value reported).
bool has_state(const entity_row& row, const wyze::Camera& camera, const feature_flags& on);

/// `<base>/<id>/<key>`: the state topic of a camera row.
std::string camera_topic(std::string_view base, std::string_view id, const entity_row& row);

/// `<base>/<id>/<key>/set`: the command topic of a camera row with a command.
std::string command_topic(std::string_view base, std::string_view id, const entity_row& row);

/// The camera row with key `key`, or nullptr.
const entity_row* camera_row(std::string_view key);

/// The camera row with key `key` and a command, or nullptr.
const entity_row* command_row(std::string_view key);

/// True when the state of `row` on `camera` comes from a property read (the batched one, or
/// get_iot_prop for a device-management model) rather than from the device list: it carries over
/// from one list to the next, and at start it is not known until the first read.
bool read_state(const entity_row& row, const wyze::Camera& camera);

/// The pids the batched property read must get for `camera` (its rows with a property_pid that it
/// has), without repeats; empty: the camera needs no property read.
std::vector<std::string_view> property_pids(const wyze::Camera& camera, const feature_flags& on);

/// The bridge's own topics under `<base>/bridge/`.
struct bridge_topics {
  explicit bridge_topics(std::string_view base);

  std::string state;     ///< online/offline, also the Last Will
  std::string cloud;     ///< online/offline by the polls' success
  std::string info;      ///< JSON status
  std::string budget;    ///< JSON: the account's cloud budget (SPEC 12)
  std::string readback;  ///< the end-of-read-back marker

  /// `<base>/bridge/request/<name>` and `<base>/bridge/response/<name>`.
  std::string request(std::string_view name) const;
  std::string response(std::string_view name) const;
  /// `<base>/bridge/<name>`.
  std::string topic(std::string_view name) const;

 private:
  std::string prefix_;  ///< `<base>/bridge/`
};

}  // namespace broker

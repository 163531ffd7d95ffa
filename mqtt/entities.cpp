#include "mqtt/entities.hpp"

#include "mqtt/json_text.hpp"
#include "mqtt/topics.hpp"
#include "wyze/events.hpp"
#include "wyze/models.hpp"

#include <algorithm>

namespace broker {
namespace {

std::string or_unknown(const std::optional<std::string>& v) { return v.value_or(std::string(unknown_value)); }

std::string attributes(const wyze::Camera& cam) {
  auto model_name = cam.product_model ? std::optional(wyze::model_name(*cam.product_model)) : std::nullopt;
  auto since = cam.conn_state_ts_ms ? std::optional(iso8601_utc(*cam.conn_state_ts_ms)) : std::nullopt;
  auto power = cam.power ? std::optional<std::string>(*cam.power ? "on" : "off") : std::nullopt;
  return json_members()
      .string("mac", cam.mac)
      .string_or_null("nickname", cam.nickname)
      .string_or_null("product_model", cam.product_model)
      .string_or_null("model_name", model_name)
      .string_or_null("product_type", cam.product_type)
      .string_or_null("firmware_ver", cam.firmware_ver)
      .string_or_null("hardware_ver", cam.hardware_ver)
      .string_or_null("ip", cam.ip)
      .boolean_or_null("conn_state", cam.online)
      .string_or_null("conn_state_ts", since)
      .string_or_null("ssid", cam.ssid)
      .string_or_null("power", power)
      .string_or_null("timezone", cam.timezone)
      .object();
}

std::string on_off(const std::optional<bool>& value) { return *value ? "on" : "off"; }

// `inserted` with the sizes the cloud gave (MB), or `none` when it reports no space at all.
std::string sd_card_state(const wyze::Camera& c) {
  const auto& card = *c.sd_card;
  return json_members()
      .string("state", card.total_mb > 0 ? "inserted" : "none")
      .raw("total_mb", std::to_string(card.total_mb))
      .raw("used_mb", std::to_string(card.used_mb))
      .raw("free_mb", std::to_string(card.total_mb - card.used_mb))
      .raw("status", card.status ? std::to_string(*card.status) : std::string("null"))
      .object();
}

// A camera's event state; all off while events and pictures are (then it holds nothing).
const wyze::camera_events& events_of(const wyze::Camera& c) {
  static const wyze::camera_events none{};
  return c.events ? *c.events : none;
}

template <std::optional<bool> wyze::Camera::*value>
std::string on_off_of(const wyze::Camera& c) {
  return on_off(c.*value);
}

template <std::optional<bool> wyze::Camera::*value>
bool reported(const wyze::Camera& c) {
  return (c.*value).has_value();
}

// A switch: its state is `value` (`on`/`off`, no topic while the cloud does not report it), its
// command sets it through the call of `commands` for the camera's model.
template <std::optional<bool> wyze::Camera::*value>
constexpr entity_row switch_row(std::string_view key, std::string_view name, std::string_view category,
                                std::string_view icon, std::span<const wyze::model_call> commands) {
  return {.key = key,
          .platform = "switch",
          .name = name,
          .entity_category = category,
          .icon = icon,
          .state = on_off_of<value>,
          .reported = reported<value>,
          .payload_on = "on",
          .payload_off = "off",
          .command = "set",
          .commands = commands,
          .value = value};
}

// A row whose state comes from the batched property read of `pid` into `value`, and whose command
// goes through `commands`: `row` gives the rest.
template <std::optional<bool> wyze::Camera::*value>
constexpr entity_row property_row(entity_row row, std::string_view pid, std::span<const wyze::model_call> commands) {
  row.state = on_off_of<value>;
  row.reported = reported<value>;
  row.payload_on = "on";
  row.payload_off = "off";
  row.command = "set";
  row.commands = commands;
  row.value = value;
  row.property_pid = pid;
  return row;
}

// The garage door (HA cover): `open`/`closed`, commands OPEN and CLOSE, no stop.
constexpr entity_row garage_door_row() {
  entity_row row = property_row<&wyze::Camera::garage_open>({.key = "garage_door",
                                                             .platform = "cover",
                                                             .name = "Garage door",
                                                             .device_class = "garage",
                                                             .has = wyze::has_garage_door,
                                                             .discovery_extra =
                                                                 [](json_members& m, const wyze::Camera&) {
                                                                   m.string("pl_open", "OPEN")
                                                                       .string("pl_cls", "CLOSE")
                                                                       .raw("pl_stop", "null")
                                                                       .string("stat_open", "open")
                                                                       .string("stat_clsd", "closed");
                                                                 }},
                                                            "P1056", wyze::capability::garage_door);
  row.state = [](const wyze::Camera& c) { return std::string(*c.garage_open ? "open" : "closed"); };
  row.payload_on = {};
  row.payload_off = {};
  row.command_on = "open";
  row.command_off = "close";
  row.trigger = true;
  return row;
}

constexpr entity_row camera_rows[] = {
    {.key = "conn_state",
     .platform = "binary_sensor",
     .name = "Connection",
     .device_class = "connectivity",
     .state = [](const wyze::Camera& c) { return std::string(*c.online ? "online" : "offline"); },
     .reported = [](const wyze::Camera& c) { return c.online.has_value(); },
     .payload_on = "online",
     .payload_off = "offline"},
    {.key = "ip",
     .platform = "sensor",
     .name = "IP address",
     .entity_category = "diagnostic",
     .icon = "mdi:ip-network",
     .state = [](const wyze::Camera& c) { return or_unknown(c.ip); }},
    {.key = "firmware",
     .platform = "sensor",
     .name = "Firmware",
     .entity_category = "diagnostic",
     .icon = "mdi:chip",
     .state = [](const wyze::Camera& c) { return or_unknown(c.firmware_ver); },
     .attributes_key = attributes_key},
    // Sensors of some models (SPEC §10): only for the models listed, only while reported.
    {.key = "battery",
     .platform = "sensor",
     .name = "Battery",
     .device_class = "battery",
     .entity_category = "diagnostic",
     .state = [](const wyze::Camera& c) { return std::to_string(*c.battery); },
     // No entity while the cloud reports no level: it would only ever show "unknown".
     .has = [](const wyze::Camera& c) { return c.battery.has_value(); },
     .models = wyze::capability::battery,
     .state_class = "measurement",
     .unit = "%"},
    {.key = "charging",
     .platform = "binary_sensor",
     .name = "Charging",
     .device_class = "battery_charging",
     .entity_category = "diagnostic",
     .state = on_off_of<&wyze::Camera::charging>,
     .has = [](const wyze::Camera& c) { return c.charging.has_value(); },
     .models = wyze::capability::battery,
     .payload_on = "on",
     .payload_off = "off"},
    {.key = "signal",
     .platform = "sensor",
     .name = "Wi-Fi signal",
     .device_class = "signal_strength",
     .entity_category = "diagnostic",
     .state = [](const wyze::Camera& c) { return std::to_string(*c.signal); },
     .has = [](const wyze::Camera& c) { return c.signal.has_value(); },
     .state_class = "measurement",
     .unit = "dBm"},
    // The memory card of the device-management models that report one (SPEC §11): its state, and
    // its sizes as attributes on the same topic.
    {.key = "sd_card",
     .platform = "sensor",
     .name = "SD card",
     .entity_category = "diagnostic",
     .icon = "mdi:micro-sd",
     .state = sd_card_state,
     .has = [](const wyze::Camera& c) { return c.sd_card.has_value(); },
     .models = wyze::capability::sd_card_models,
     .value_template = "{{ value_json.state }}",
     .attributes_key = "sd_card"},
    // Controls (SPEC §7): each only on the models whose cloud call works (wyze/capabilities.hpp).
    switch_row<&wyze::Camera::power>("power", "Power", "", "mdi:power", wyze::capability::power),
    {.key = "restart",
     .platform = "button",
     .name = "Restart",
     .device_class = "restart",
     .entity_category = "config",
     .command = "set",
     .payload_press = "PRESS",
     .commands = wyze::capability::restart},
    switch_row<&wyze::Camera::notifications>("notifications", "Notifications", "config", "mdi:bell",
                                             wyze::capability::notifications),
    switch_row<&wyze::Camera::motion_detection>("motion_detection", "Motion detection", "config", "mdi:motion-sensor",
                                                wyze::capability::motion_detection),
    // Accessories (SPEC §10): states from the batched property read, commands as in §7.
    property_row<&wyze::Camera::siren>(
        {.key = "siren",
         .platform = "siren",
         .name = "Siren",
         .icon = "mdi:alarm-light",
         // On and off only: the cloud call takes no duration or volume.
         .discovery_extra = [](json_members& m,
                               const wyze::Camera&) { m.raw("sup_dur", "false").raw("sup_vol", "false"); }},
        "P1049", wyze::capability::siren),
    property_row<&wyze::Camera::light>({.key = "light",
                                        .platform = "light",
                                        .name = "Light",
                                        .has = [](const wyze::Camera& c) { return !wyze::light_kind(c).empty(); },
                                        .name_for = wyze::light_kind},
                                       "P1056", wyze::capability::light),
    garage_door_row(),
    // Events (SPEC §8): only with events.enabled (motion, event, last_event) or events.pictures.
    {.key = "motion",
     .platform = "binary_sensor",
     .name = "Motion",
     .device_class = "motion",
     .state = [](const wyze::Camera& c) { return std::string(events_of(c).motion ? "on" : "off"); },
     .payload_on = "on",
     .payload_off = "off",
     .feature = "events"},
    {.key = "event",
     .platform = "event",
     .name = "Event",
     .icon = "mdi:cctv",
     .feature = "events",
     .events_topic = true,
     .discovery_extra = [](json_members& m,
                           const wyze::Camera&) { m.raw("event_types", json_string_array(wyze::event_types())); }},
    {.key = "doorbell",
     .platform = "event",
     .name = "Doorbell",
     .device_class = "doorbell",
     .models = wyze::capability::doorbell,
     .feature = "events",
     .events_topic = true,
     .discovery_extra = [](json_members& m, const wyze::Camera&) { m.raw("event_types", R"(["press"])"); }},
    {.key = "last_event",
     .platform = "sensor",
     .name = "Last event",
     .device_class = "timestamp",
     .state = [](const wyze::Camera& c) { return iso8601_utc(*events_of(c).last_event_ms); },
     .reported = [](const wyze::Camera& c) { return events_of(c).last_event_ms.has_value(); },
     .feature = "events"},
    {.key = "picture",
     .platform = "image",
     .name = "Picture",
     .state = [](const wyze::Camera& c) { return *events_of(c).picture; },
     .reported = [](const wyze::Camera& c) { return events_of(c).picture != nullptr; },
     .feature = "pictures",
     .state_key = "image_topic",
     .discovery_extra = [](json_members& m,
                           const wyze::Camera& c) { m.string("content_type", events_of(c).picture_type); }},
    {.key = attributes_key, .platform = "", .name = "", .state = attributes},
};

constexpr entity_row bridge_rows[] = {
    {.key = "connectivity",
     .platform = "binary_sensor",
     .name = "Connection",
     .device_class = "connectivity",
     .entity_category = "diagnostic",
     .bridge_topic = "state",
     .payload_on = "online",
     .payload_off = "offline",
     // It must stay available to show "disconnected".
     .available_with_bridge = false},
    {.key = "cloud",
     .platform = "binary_sensor",
     .name = "Wyze cloud",
     .device_class = "connectivity",
     .entity_category = "diagnostic",
     .bridge_topic = "cloud",
     .payload_on = "online",
     .payload_off = "offline"},
    {.key = "cameras",
     .platform = "sensor",
     .name = "Cameras",
     .icon = "mdi:cctv",
     .bridge_topic = "info",
     .value_template = "{{ value_json.cameras }}",
     .state_class = "measurement"},
    {.key = "last_success",
     .platform = "sensor",
     .name = "Last successful poll",
     .device_class = "timestamp",
     .entity_category = "diagnostic",
     .bridge_topic = "info",
     .value_template = "{{ value_json.last_success }}"},
    // The account's budget (SPEC 12): what the bridge spent of it, and Wyze's own word on the rest.
    {.key = "cloud_calls",
     .platform = "sensor",
     .name = "Cloud calls (last hour)",
     .entity_category = "diagnostic",
     .icon = "mdi:cloud-upload",
     .bridge_topic = "budget",
     .value_template = "{{ value_json.calls_last_hour }}",
     .state_class = "measurement",
     .unit = "calls"},
    {.key = "rate_limit_remaining",
     .platform = "sensor",
     .name = "Rate limit remaining",
     .entity_category = "diagnostic",
     .icon = "mdi:speedometer",
     .bridge_topic = "budget",
     .value_template = "{{ value_json.rate_limit_remaining }}",
     .state_class = "measurement",
     .unit = "calls"},
    {.key = "paused_until",
     .platform = "sensor",
     .name = "Paused by the rate limit until",
     .device_class = "timestamp",
     .entity_category = "diagnostic",
     .bridge_topic = "budget",
     .value_template = "{{ value_json.paused_until }}"},
    {.key = "poll",
     .platform = "button",
     .name = "Poll now",
     .icon = "mdi:refresh",
     .command = "poll",
     .payload_press = "poll"},
};

}  // namespace

std::span<const entity_row> camera_entities() { return camera_rows; }

std::span<const entity_row> bridge_entities() { return bridge_rows; }

bool feature_on(const feature_flags& on, const entity_row& row) {
  if (row.feature == "events") return on.events;
  if (row.feature == "pictures") return on.pictures;
  return true;
}

bool has_entity(const entity_row& row, const wyze::Camera& camera, const feature_flags& on) {
  if (!on.commands && !row.command.empty()) return false;
  if (!feature_on(on, row)) return false;
  if (!row.models.empty() && !wyze::is_model(camera, row.models)) return false;
  if (!row.commands.empty() && !wyze::call_for(camera, row.commands)) return false;
  return !row.has || row.has(camera);
}

bool has_state(const entity_row& row, const wyze::Camera& camera, const feature_flags& on) {
  return row.state && has_entity(row, camera, on) && (!row.reported || row.reported(camera));
}

std::string command_topic(std::string_view base, std::string_view id, const entity_row& row) {
  return camera_topic(base, id, row) + "/" + std::string(row.command);
}

const entity_row* camera_row(std::string_view key) {
  for (const auto& row : camera_rows)
    if (row.key == key) return &row;
  return nullptr;
}

bool read_state(const entity_row& row, const wyze::Camera& camera) {
  if (!row.property_pid.empty()) return true;
  if (!wyze::uses_devicemgmt(camera)) return false;
  static constexpr std::string_view from_iot[] = {"power",    "notifications", "motion_detection", "battery",
                                                  "charging", "signal",        "sd_card"};
  return std::find(std::begin(from_iot), std::end(from_iot), row.key) != std::end(from_iot);
}

std::vector<std::string_view> property_pids(const wyze::Camera& camera, const feature_flags& on) {
  std::vector<std::string_view> pids;
  // The device-management models are read by get_iot_prop instead.
  if (wyze::uses_devicemgmt(camera)) return pids;
  for (const auto& row : camera_rows)
    if (!row.property_pid.empty() && has_entity(row, camera, on) &&
        std::find(pids.begin(), pids.end(), row.property_pid) == pids.end())
      pids.push_back(row.property_pid);
  return pids;
}

const entity_row* command_row(std::string_view key) {
  for (const auto& row : camera_rows)
    if (row.key == key && !row.command.empty()) return &row;
  return nullptr;
}

std::string camera_topic(std::string_view base, std::string_view id, const entity_row& row) {
  std::string topic;
  topic.reserve(base.size() + id.size() + row.key.size() + 2);
  topic.append(base).append("/").append(id).append("/").append(row.key);
  return topic;
}

bridge_topics::bridge_topics(std::string_view base) : prefix_(std::string(base) + "/bridge/") {
  state = topic("state");
  cloud = topic("cloud");
  info = topic("info");
  budget = topic("budget");
  readback = topic("readback");
}

std::string bridge_topics::topic(std::string_view name) const { return prefix_ + std::string(name); }

std::string bridge_topics::request(std::string_view name) const { return topic("request/") + std::string(name); }

std::string bridge_topics::response(std::string_view name) const { return topic("response/") + std::string(name); }

}  // namespace broker

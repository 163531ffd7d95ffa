#include "mqtt/entities.hpp"

#include "mqtt/topics.hpp"
#include "wyze/models.hpp"

#include <boost/json.hpp>

namespace json = boost::json;

namespace broker {
namespace {

json::value or_null(const std::optional<std::string>& v) { return v ? json::value(*v) : json::value(nullptr); }

template <class T, class F>
json::value or_null(const std::optional<T>& v, F convert) {
  return v ? json::value(convert(*v)) : json::value(nullptr);
}

std::string or_unknown(const std::optional<std::string>& v) { return v.value_or(std::string(unknown_value)); }

std::string attributes(const wyze::Camera& cam) {
  json::object a;
  a["mac"] = cam.mac;
  a["nickname"] = or_null(cam.nickname);
  a["product_model"] = or_null(cam.product_model);
  a["model_name"] = or_null(cam.product_model, [](const std::string& m) { return wyze::model_name(m); });
  a["product_type"] = or_null(cam.product_type);
  a["firmware_ver"] = or_null(cam.firmware_ver);
  a["hardware_ver"] = or_null(cam.hardware_ver);
  a["ip"] = or_null(cam.ip);
  a["conn_state"] = or_null(cam.online, [](bool b) { return b; });
  a["conn_state_ts"] = or_null(cam.conn_state_ts_ms, [](std::int64_t ms) { return iso8601_utc(ms); });
  a["ssid"] = or_null(cam.ssid);
  a["power"] = or_null(cam.power, [](bool on) { return on ? "on" : "off"; });
  a["timezone"] = or_null(cam.timezone);
  return json::serialize(a);
}

std::string on_off(const std::optional<bool>& value) { return *value ? "on" : "off"; }

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
    // Controls (SPEC §7): each only on the models whose cloud call works (wyze/capabilities.cpp).
    {.key = "power",
     .platform = "switch",
     .name = "Power",
     .icon = "mdi:power",
     .state = [](const wyze::Camera& c) { return on_off(c.power); },
     .reported = [](const wyze::Camera& c) { return c.power.has_value(); },
     .has = [](const wyze::Camera& c) { return wyze::supports(c, wyze::control::power); },
     .payload_on = "on",
     .payload_off = "off",
     .command = "set",
     .control = wyze::control::power},
    {.key = "restart",
     .platform = "button",
     .name = "Restart",
     .device_class = "restart",
     .entity_category = "config",
     .has = [](const wyze::Camera& c) { return wyze::supports(c, wyze::control::restart); },
     .command = "set",
     .payload_press = "PRESS",
     .control = wyze::control::restart},
    {.key = "notifications",
     .platform = "switch",
     .name = "Notifications",
     .entity_category = "config",
     .icon = "mdi:bell",
     .state = [](const wyze::Camera& c) { return on_off(c.notifications); },
     .reported = [](const wyze::Camera& c) { return c.notifications.has_value(); },
     .has = [](const wyze::Camera& c) { return wyze::supports(c, wyze::control::notifications); },
     .payload_on = "on",
     .payload_off = "off",
     .command = "set",
     .control = wyze::control::notifications},
    {.key = "motion_detection",
     .platform = "switch",
     .name = "Motion detection",
     .entity_category = "config",
     .icon = "mdi:motion-sensor",
     .state = [](const wyze::Camera& c) { return on_off(c.motion_detection); },
     .reported = [](const wyze::Camera& c) { return c.motion_detection.has_value(); },
     .has = [](const wyze::Camera& c) { return wyze::supports(c, wyze::control::motion_detection); },
     .payload_on = "on",
     .payload_off = "off",
     .command = "set",
     .control = wyze::control::motion_detection},
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

bool has_entity(const entity_row& row, const wyze::Camera& camera, bool commands) {
  if (!commands && !row.command.empty()) return false;
  return !row.has || row.has(camera);
}

bool has_state(const entity_row& row, const wyze::Camera& camera, bool commands) {
  return row.state && has_entity(row, camera, commands) && (!row.reported || row.reported(camera));
}

std::string command_topic(std::string_view base, std::string_view id, const entity_row& row) {
  return camera_topic(base, id, row) + "/" + std::string(row.command);
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
  readback = topic("readback");
}

std::string bridge_topics::topic(std::string_view name) const { return prefix_ + std::string(name); }

std::string bridge_topics::request(std::string_view name) const { return topic("request/") + std::string(name); }

std::string bridge_topics::response(std::string_view name) const { return topic("response/") + std::string(name); }

}  // namespace broker

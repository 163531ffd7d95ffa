#include "mqtt/discovery.hpp"

#include "mqtt/entities.hpp"
#include "mqtt/json_text.hpp"
#include "wyze/models.hpp"

#include <algorithm>
#include <cctype>

namespace broker {
namespace {

// One entity's config: its platform ("p", first in device mode, left out in components mode,
// where the topic says it) and the members after it.
struct component_config {
  std::string_view platform;
  json_members members;
};

// A device and its entities, independent of how they are laid out on the discovery topics.
struct device_config {
  std::string object_id;  ///< wyze_<id> or wyze_mqtt_bridge_<base>
  json_members device;
  json_members shared;  ///< keys that device mode may hold at the root
  std::vector<std::pair<std::string_view, component_config>> components;  ///< entity key → config
};

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string origin(const discovery_settings& s) {
  return json_members()
      .string("name", "wyze-mqtt-bridge")
      .string("sw", s.version)
      .string("url", s.support_url)
      .object();
}

std::string availability_of(std::initializer_list<std::string_view> topics) {
  std::string list = "[";
  for (auto t : topics) {
    if (list.size() > 1) list += ',';
    list += json_members().string("t", t).object();
  }
  return list + "]";
}

// The component config of one row; an empty topic is left out. The keys keep the order of earlier
// releases, so an upgrade republishes byte-identical configs (the icon follows the entity category
// when there is one, else the state and command keys).
component_config component(const std::string& object_id, const entity_row& row, const std::string& state_topic,
                           const std::string& command_topic, const std::string& attributes_topic,
                           std::string_view name) {
  std::string unique_id = object_id + "_" + std::string(row.key);
  component_config c{row.platform, {}};
  c.members.string("name", name)
      .string("uniq_id", unique_id)
      .string("default_entity_id", std::string(row.platform) + "." + lower(unique_id));
  const bool icon_first = !row.entity_category.empty();
  c.members.string_if("dev_cla", row.device_class).string_if("ent_cat", row.entity_category);
  if (icon_first) c.members.string_if("ic", row.icon);
  c.members.string_if(row.state_key, state_topic)
      .string_if("val_tpl", row.value_template)
      .string_if("cmd_t", command_topic)
      .string_if("pl_prs", row.payload_press);
  if (!icon_first) c.members.string_if("ic", row.icon);
  c.members.string_if("stat_cla", row.state_class)
      .string_if("unit_of_meas", row.unit)
      .string_if("pl_on", row.payload_on)
      .string_if("pl_off", row.payload_off)
      .string_if("json_attr_t", attributes_topic);
  return c;
}

// Lays a device out on the topics of the configured mode.
std::vector<message> render(const discovery_settings& s, const device_config& config) {
  std::vector<message> out;
  const std::string device = config.device.object();
  const std::string o = origin(s);
  if (s.mode == discovery_mode::device) {
    json_members cmps;
    for (const auto& [key, component] : config.components)
      cmps.raw(key, json_members().string("p", component.platform).append(component.members).object());
    json_members root = config.shared;
    root.raw("dev", device).raw("o", o).raw("cmps", cmps.object());
    out.push_back({s.prefix + "/device/" + config.object_id + "/config", root.object()});
    return out;
  }
  for (const auto& [key, component] : config.components) {
    // Without "p", its first member: the last one takes its place (as json::object::erase did).
    json_members rest;
    rest.append(config.shared).raw("dev", device).raw("o", o);
    std::string topic = s.prefix;
    topic.append("/").append(component.platform).append("/").append(config.object_id).append("/");
    topic.append(key).append("/config");
    // (appended, not "{" + std::string&&: GCC 12 at -O3 warns -Wrestrict on that, falsely)
    std::string payload = "{";
    payload.append(component.members.last_first()).append(",").append(rest.text()).append("}");
    out.push_back({std::move(topic), std::move(payload)});
  }
  return out;
}

// aa:bb:cc:dd:ee:ff when the MAC is 12 hex digits, else nothing. Newer models report an id such as
// GW_GC1_7C78B2A1B2C3 for a MAC: its last part is kept when that is 12 hex digits (SPEC 12).
std::string mac_connection(std::string_view mac) {
  if (auto last = mac.rfind('_'); last != std::string_view::npos) mac.remove_prefix(last + 1);
  std::string hex;
  for (char c : mac)
    if (std::isxdigit(static_cast<unsigned char>(c)))
      hex += static_cast<char>(std::tolower(c));
    else if (c != ':' && c != '-')
      return {};
  if (hex.size() != 12) return {};
  std::string out;
  for (std::size_t i = 0; i < 12; i += 2) {
    if (i) out += ':';
    out.append(hex, i, 2);
  }
  return out;
}

}  // namespace

std::string bridge_device_id(const discovery_settings& s) { return "wyze_mqtt_bridge_" + topic_segment(s.base); }

std::string camera_display_name(const wyze::Camera& camera) {
  if (camera.nickname) return *camera.nickname;
  std::string id = camera.id();
  std::string model = wyze::model_name(camera.product_model.value_or("camera"));
  return "Wyze " + model + " " + id.substr(id.size() > 4 ? id.size() - 4 : 0);
}

std::vector<message> camera_discovery(const discovery_settings& s, const wyze::Camera& camera) {
  std::string id = camera.id();
  device_config config;
  config.object_id = "wyze_" + topic_segment(id);
  config.device.raw("ids", json_string_array({config.object_id}))
      .string("name", camera_display_name(camera))
      .string("mf", "Wyze")
      .string("via_device", bridge_device_id(s));
  if (auto mac = mac_connection(camera.mac); !mac.empty())
    config.device.raw("cns", std::string("[").append(json_string_array({"mac", mac})).append("]"));
  if (camera.product_model)
    config.device.string("mdl", wyze::model_name(*camera.product_model)).string("mdl_id", *camera.product_model);
  if (camera.firmware_ver) config.device.string("sw", *camera.firmware_ver);
  if (camera.hardware_ver) config.device.string("hw", *camera.hardware_ver);
  const bridge_topics bridge(s.base);
  config.shared.raw("avty", availability_of({bridge.state, bridge.cloud})).string("avty_mode", "all");
  for (const auto* row : discovered_rows(camera, s.features)) {
    std::string attributes;
    for (const auto& other : camera_entities())
      if (other.key == row->attributes_key) attributes = camera_topic(s.base, id, other);
    std::string state = row->state || row->events_topic ? camera_topic(s.base, id, *row) : std::string();
    std::string command = row->command.empty() ? std::string() : command_topic(s.base, id, *row);
    auto c = component(config.object_id, *row, state, command, attributes,
                       row->name_for ? row->name_for(camera) : row->name);
    if (row->discovery_extra) row->discovery_extra(c.members, camera);
    config.components.emplace_back(row->key, std::move(c));
  }
  return render(s, config);
}

std::vector<const entity_row*> discovered_rows(const wyze::Camera& camera, const feature_flags& on) {
  std::vector<const entity_row*> rows;
  for (const auto& row : camera_entities())
    if (!row.platform.empty() && has_entity(row, camera, on)) rows.push_back(&row);
  return rows;
}

std::string camera_discovery_topic(const discovery_settings& s, const std::string& id, const entity_row& row) {
  std::string object_id = "wyze_" + topic_segment(id);
  if (s.mode == discovery_mode::device) return s.prefix + "/device/" + object_id + "/config";
  return s.prefix + "/" + std::string(row.platform) + "/" + object_id + "/" + std::string(row.key) + "/config";
}

std::vector<std::string> camera_discovery_topics(const discovery_settings& s, const std::string& id) {
  std::vector<std::string> topics;
  for (const auto& row : camera_entities()) {
    if (row.platform.empty() || !feature_on(s.features, row)) continue;
    topics.push_back(camera_discovery_topic(s, id, row));
    if (s.mode == discovery_mode::device) break;
  }
  return topics;
}

std::vector<message> bridge_discovery(const discovery_settings& s) {
  const bridge_topics bridge(s.base);
  device_config config;
  config.object_id = bridge_device_id(s);
  config.device.raw("ids", json_string_array({config.object_id}))
      .string("name", "Wyze MQTT bridge")
      .string("mf", "wyze-mqtt-bridge")
      .string("mdl", "Wyze MQTT bridge")
      .string("sw", s.version);
  // Root-level availability would be copied into the bridge's own connectivity entity, which must
  // stay available to show "disconnected": each entity says its own.
  for (const auto& row : bridge_entities()) {
    std::string state = row.bridge_topic.empty() ? std::string() : bridge.topic(row.bridge_topic);
    std::string command = row.command.empty() ? std::string() : bridge.request(row.command);
    auto c = component(config.object_id, row, state, command, {}, row.name);
    if (row.available_with_bridge) c.members.raw("avty", availability_of({bridge.state}));
    config.components.emplace_back(row.key, std::move(c));
  }
  return render(s, config);
}

}  // namespace broker

#include "mqtt/discovery.hpp"

#include "mqtt/entities.hpp"
#include "wyze/models.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace json = boost::json;

namespace broker {
namespace {

// A device and its entities, independent of how they are laid out on the discovery topics.
struct device_config {
  std::string object_id;  ///< wyze_<id> or wyze_mqtt_bridge_<base>
  json::object device;
  json::object shared;                                           ///< keys that device mode may hold at the root
  std::vector<std::pair<std::string, json::object>> components;  ///< entity key → config with "p"
};

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

json::object origin(const discovery_settings& s) {
  return {{"name", "wyze-mqtt-bridge"}, {"sw", s.version}, {"url", s.support_url}};
}

json::array availability_of(std::initializer_list<std::string> topics) {
  json::array list;
  for (const auto& t : topics) list.push_back(json::object{{"t", t}});
  return list;
}

// The component config of one row; an empty topic is left out. The keys keep the order of earlier
// releases, so an upgrade republishes byte-identical configs (the icon follows the entity category
// when there is one, else the state and command keys).
json::object component(const std::string& object_id, const entity_row& row, const std::string& state_topic,
                       const std::string& command_topic, const std::string& attributes_topic) {
  std::string unique_id = object_id + "_" + std::string(row.key);
  json::object c{{"p", row.platform},
                 {"name", row.name},
                 {"uniq_id", unique_id},
                 {"default_entity_id", std::string(row.platform) + "." + lower(unique_id)}};
  auto set = [&c](std::string_view key, std::string_view value) {
    if (!value.empty()) c[key] = value;
  };
  const bool icon_first = !row.entity_category.empty();
  set("dev_cla", row.device_class);
  set("ent_cat", row.entity_category);
  if (icon_first) set("ic", row.icon);
  set("stat_t", state_topic);
  set("val_tpl", row.value_template);
  set("cmd_t", command_topic);
  set("pl_prs", row.payload_press);
  if (!icon_first) set("ic", row.icon);
  set("stat_cla", row.state_class);
  set("pl_on", row.payload_on);
  set("pl_off", row.payload_off);
  set("json_attr_t", attributes_topic);
  return c;
}

// Lays a device out on the topics of the configured mode.
std::vector<message> render(const discovery_settings& s, device_config config) {
  std::vector<message> out;
  if (s.mode == discovery_mode::device) {
    json::object root = std::move(config.shared);
    root["dev"] = std::move(config.device);
    root["o"] = origin(s);
    json::object cmps;
    for (auto& [key, component] : config.components) cmps[key] = std::move(component);
    root["cmps"] = std::move(cmps);
    out.push_back({s.prefix + "/device/" + config.object_id + "/config", json::serialize(root)});
    return out;
  }
  for (auto& [key, component] : config.components) {
    std::string platform(component.at("p").as_string());
    component.erase("p");
    for (const auto& [k, v] : config.shared) component[k] = v;
    component["dev"] = config.device;
    component["o"] = origin(s);
    out.push_back(
        {s.prefix + "/" + platform + "/" + config.object_id + "/" + key + "/config", json::serialize(component)});
  }
  return out;
}

// aa:bb:cc:dd:ee:ff when the MAC is 12 hex digits, else nothing.
std::string mac_connection(const std::string& mac) {
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
  config.device = {{"ids", json::array{config.object_id}},
                   {"name", camera_display_name(camera)},
                   {"mf", "Wyze"},
                   {"via_device", bridge_device_id(s)}};
  if (auto mac = mac_connection(camera.mac); !mac.empty()) config.device["cns"] = json::array{json::array{"mac", mac}};
  if (camera.product_model) {
    config.device["mdl"] = wyze::model_name(*camera.product_model);
    config.device["mdl_id"] = *camera.product_model;
  }
  if (camera.firmware_ver) config.device["sw"] = *camera.firmware_ver;
  if (camera.hardware_ver) config.device["hw"] = *camera.hardware_ver;
  const bridge_topics bridge(s.base);
  config.shared = {{"avty", availability_of({bridge.state, bridge.cloud})}, {"avty_mode", "all"}};
  for (const auto* row : discovered_rows(camera, s.commands)) {
    std::string attributes;
    for (const auto& other : camera_entities())
      if (other.key == row->attributes_key) attributes = camera_topic(s.base, id, other);
    std::string state = row->state ? camera_topic(s.base, id, *row) : std::string();
    std::string command = row->command.empty() ? std::string() : command_topic(s.base, id, *row);
    config.components.emplace_back(row->key, component(config.object_id, *row, state, command, attributes));
  }
  return render(s, std::move(config));
}

std::vector<const entity_row*> discovered_rows(const wyze::Camera& camera, bool commands) {
  std::vector<const entity_row*> rows;
  for (const auto& row : camera_entities())
    if (!row.platform.empty() && has_entity(row, camera, commands)) rows.push_back(&row);
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
    if (row.platform.empty()) continue;
    topics.push_back(camera_discovery_topic(s, id, row));
    if (s.mode == discovery_mode::device) break;
  }
  return topics;
}

std::vector<message> bridge_discovery(const discovery_settings& s) {
  const bridge_topics bridge(s.base);
  device_config config;
  config.object_id = bridge_device_id(s);
  config.device = {{"ids", json::array{config.object_id}},
                   {"name", "Wyze MQTT bridge"},
                   {"mf", "wyze-mqtt-bridge"},
                   {"mdl", "Wyze MQTT bridge"},
                   {"sw", s.version}};
  // Root-level availability would be copied into the bridge's own connectivity entity, which must
  // stay available to show "disconnected": each entity says its own.
  for (const auto& row : bridge_entities()) {
    std::string state = row.bridge_topic.empty() ? std::string() : bridge.topic(row.bridge_topic);
    std::string command = row.command.empty() ? std::string() : bridge.request(row.command);
    auto c = component(config.object_id, row, state, command, {});
    if (row.available_with_bridge) c["avty"] = availability_of({bridge.state});
    config.components.emplace_back(row.key, std::move(c));
  }
  return render(s, std::move(config));
}

}  // namespace broker

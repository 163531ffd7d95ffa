#include "mqtt/discovery.hpp"

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

json::object entity(const std::string& object_id, const std::string& key, std::string_view platform,
                    std::string_view name) {
  return {{"p", platform},
          {"name", name},
          {"uniq_id", object_id + "_" + key},
          {"default_entity_id", std::string(platform) + "." + lower(object_id + "_" + key)}};
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
  for (std::size_t i = 0; i < 12; i += 2) out += (i ? ":" : "") + hex.substr(i, 2);
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
  std::string id = topic_segment(camera.id());
  std::string state = s.base + "/" + camera.id() + "/";
  device_config config;
  config.object_id = "wyze_" + id;
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
  config.shared = {{"avty", availability_of({s.base + "/bridge/state", s.base + "/bridge/cloud"})},
                   {"avty_mode", "all"}};

  auto conn = entity(config.object_id, "conn_state", "binary_sensor", "Connection");
  conn["dev_cla"] = "connectivity";
  conn["stat_t"] = state + "conn_state";
  conn["pl_on"] = "online";
  conn["pl_off"] = "offline";
  auto ip = entity(config.object_id, "ip", "sensor", "IP address");
  ip["ent_cat"] = "diagnostic";
  ip["ic"] = "mdi:ip-network";
  ip["stat_t"] = state + "ip";
  auto firmware = entity(config.object_id, "firmware", "sensor", "Firmware");
  firmware["ent_cat"] = "diagnostic";
  firmware["ic"] = "mdi:chip";
  firmware["stat_t"] = state + "firmware";
  firmware["json_attr_t"] = state + "attributes";
  config.components = {{"conn_state", std::move(conn)}, {"ip", std::move(ip)}, {"firmware", std::move(firmware)}};
  return render(s, std::move(config));
}

std::vector<std::string> camera_discovery_topics(const discovery_settings& s, const std::string& id) {
  std::string object_id = "wyze_" + topic_segment(id);
  if (s.mode == discovery_mode::device) return {s.prefix + "/device/" + object_id + "/config"};
  return {s.prefix + "/binary_sensor/" + object_id + "/conn_state/config",
          s.prefix + "/sensor/" + object_id + "/ip/config", s.prefix + "/sensor/" + object_id + "/firmware/config"};
}

std::vector<message> bridge_discovery(const discovery_settings& s) {
  std::string bridge = s.base + "/bridge/";
  device_config config;
  config.object_id = bridge_device_id(s);
  config.device = {{"ids", json::array{config.object_id}},
                   {"name", "Wyze MQTT bridge"},
                   {"mf", "wyze-mqtt-bridge"},
                   {"mdl", "Wyze MQTT bridge"},
                   {"sw", s.version}};
  // Root-level availability would be copied into the bridge's own connectivity entity,
  // which must stay available to show "disconnected": each entity says its own.
  auto available = availability_of({bridge + "state"});

  auto state = entity(config.object_id, "connectivity", "binary_sensor", "Connection");
  state["dev_cla"] = "connectivity";
  state["ent_cat"] = "diagnostic";
  state["stat_t"] = bridge + "state";
  state["pl_on"] = "online";
  state["pl_off"] = "offline";
  auto cloud = entity(config.object_id, "cloud", "binary_sensor", "Wyze cloud");
  cloud["dev_cla"] = "connectivity";
  cloud["ent_cat"] = "diagnostic";
  cloud["stat_t"] = bridge + "cloud";
  cloud["pl_on"] = "online";
  cloud["pl_off"] = "offline";
  cloud["avty"] = available;
  auto cameras = entity(config.object_id, "cameras", "sensor", "Cameras");
  cameras["stat_t"] = bridge + "info";
  cameras["val_tpl"] = "{{ value_json.cameras }}";
  cameras["ic"] = "mdi:cctv";
  cameras["stat_cla"] = "measurement";
  cameras["avty"] = available;
  auto last = entity(config.object_id, "last_success", "sensor", "Last successful poll");
  last["dev_cla"] = "timestamp";
  last["ent_cat"] = "diagnostic";
  last["stat_t"] = bridge + "info";
  last["val_tpl"] = "{{ value_json.last_success }}";
  last["avty"] = available;
  auto poll = entity(config.object_id, "poll", "button", "Poll now");
  poll["cmd_t"] = bridge + "request/poll";
  poll["pl_prs"] = "poll";
  poll["ic"] = "mdi:refresh";
  poll["avty"] = available;
  config.components = {{"connectivity", std::move(state)},
                       {"cloud", std::move(cloud)},
                       {"cameras", std::move(cameras)},
                       {"last_success", std::move(last)},
                       {"poll", std::move(poll)}};
  return render(s, std::move(config));
}

}  // namespace broker

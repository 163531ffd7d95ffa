#include "mqtt/discovery.hpp"
#include "mqtt/json_text.hpp"
#include "wyze/events.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <regex>
#include <set>

namespace json = boost::json;

namespace {

broker::discovery_settings settings(broker::discovery_mode mode = broker::discovery_mode::device) {
  return {"homeassistant", "wyze", mode, "1.2.3", "https://example.com/support", {}};
}

wyze::Camera porch() {
  wyze::Camera cam;
  cam.mac = "2C:AA:8E:12:34:56";
  cam.nickname = "Porch";
  cam.product_model = "WYZE_CAKP2JFUS";
  cam.firmware_ver = "4.36.11.7071";
  cam.hardware_ver = "0.0.0.0";
  return cam;
}

// Home Assistant's discovery topic pattern (homeassistant/components/mqtt/discovery.py).
const std::regex ha_topic(R"((\w+)/(?:([a-zA-Z0-9_-]+)/)?([a-zA-Z0-9_-]+)/config)");

// The keys Home Assistant accepts at the root of a device config.
const std::set<std::string> device_root_keys{
    "dev", "o", "cmps", "avty", "avty_mode", "availability", "availability_mode", "stat_t", "cmd_t", "qos", "encoding"};

// Keys of our entity configs, each a Home Assistant abbreviation (abbreviations.py) or a full
// key HA accepts; a misspelt key would make HA reject the whole message.
const std::set<std::string> entity_keys{"p", "name", "uniq_id", "default_entity_id", "dev_cla", "stat_t", "pl_on",
                                        "pl_off", "ent_cat", "ic", "json_attr_t", "avty", "avty_mode", "val_tpl",
                                        "stat_cla", "unit_of_meas", "cmd_t", "pl_prs", "dev", "o",
                                        // siren (abbreviations.py), cover (abbreviations.py)
                                        "sup_dur", "sup_vol", "pl_open", "pl_cls", "pl_stop", "stat_open", "stat_clsd",
                                        // Full keys HA accepts (event and image entities).
                                        "event_types", "image_topic", "content_type"};
const std::set<std::string> device_keys{"ids", "cns", "name", "mf", "mdl", "mdl_id", "sw", "hw", "via_device"};

// Checks one payload against HA's rules; returns every component config it holds.
std::vector<json::object> check_conformance(const broker::message& m, broker::discovery_mode mode) {
  std::smatch match;
  const std::string prefix = "homeassistant/";
  REQUIRE(m.topic.starts_with(prefix));
  const std::string rest = m.topic.substr(prefix.size());
  REQUIRE(std::regex_match(rest, match, ha_topic));
  CHECK(m.retain);
  auto root = json::parse(m.payload).as_object();
  std::vector<json::object> components;
  if (mode == broker::discovery_mode::device) {
    CHECK(match[1] == "device");
    for (const auto& entry : root) CHECK_MESSAGE(device_root_keys.count(std::string(entry.key())), entry.key());
    REQUIRE(root.contains("dev"));
    REQUIRE(root.contains("o"));
    REQUIRE(root.contains("cmps"));
    for (const auto& [key, component] : root.at("cmps").as_object()) {
      CHECK(component.as_object().contains("p"));
      components.push_back(component.as_object());
    }
  } else {
    CHECK(root.contains("dev"));
    CHECK(root.contains("o"));
    components.push_back(root);
  }
  CHECK(root.at("o").at("name") == "wyze-mqtt-bridge");
  for (const auto& entry : root.at("dev").as_object())
    CHECK_MESSAGE(device_keys.count(std::string(entry.key())), entry.key());
  for (const auto& entry : root.at("o").as_object())
    CHECK_MESSAGE((entry.key() == "name" || entry.key() == "sw" || entry.key() == "url"), entry.key());
  for (const auto& c : components) {
    for (const auto& entry : c) CHECK_MESSAGE(entity_keys.count(std::string(entry.key())), entry.key());
    if (auto it = c.find("avty"); it != c.end())
      for (const auto& entry : it->value().as_array()) CHECK(entry.as_object().contains("t"));
    CHECK(c.contains("uniq_id"));
    CHECK(c.contains("default_entity_id"));
    CHECK_FALSE(c.contains("object_id"));
    CHECK_FALSE(c.contains("obj_id"));
    CHECK_FALSE((c.contains("avty") && c.contains("avty_t")));
    // HA accepts two categories, and "config" only on entities that take commands.
    if (auto it = c.find("ent_cat"); it != c.end())
      CHECK((it->value() == "diagnostic" || (it->value() == "config" && c.contains("cmd_t"))));
    // Commands go to the bridge's <base>/<id>/<entity>/set, never retained.
    if (auto it = c.find("cmd_t"); it != c.end() && !c.contains("pl_prs")) {
      CHECK(std::string(it->value().as_string()).ends_with("/set"));
      if (c.contains("pl_open")) {
        // A cover's own keys (its state open/closed, its commands OPEN/CLOSE, no stop): no pl_on.
        CHECK(c.at("pl_open") == "OPEN");
        CHECK(c.at("pl_cls") == "CLOSE");
        CHECK(c.at("pl_stop").is_null());
        CHECK(c.at("stat_open") == "open");
        CHECK(c.at("stat_clsd") == "closed");
        CHECK_FALSE(c.contains("pl_on"));
      } else {
        CHECK(c.at("pl_on") == "on");
        CHECK(c.at("pl_off") == "off");
      }
      CHECK(c.contains("stat_t"));
    }
  }
  return components;
}

// Every component config a camera's discovery holds (checked against HA's rules), by unique id.
std::map<std::string, json::object> components_by_id(const broker::discovery_settings& s, const wyze::Camera& cam) {
  std::map<std::string, json::object> by_id;
  for (const auto& m : broker::camera_discovery(s, cam))
    for (auto& c : check_conformance(m, s.mode)) by_id[std::string(c.at("uniq_id").as_string())] = c;
  return by_id;
}

}  // namespace

TEST_CASE("device mode publishes one retained config per camera with dev, o and its components") {
  auto messages = broker::camera_discovery(settings(), porch());
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].topic == "homeassistant/device/wyze_2CAA8E123456/config");
  check_conformance(messages[0], broker::discovery_mode::device);
  auto root = json::parse(messages[0].payload).as_object();
  auto dev = root.at("dev").as_object();
  CHECK(dev.at("ids") == json::array{"wyze_2CAA8E123456"});
  CHECK(dev.at("cns") == json::array{json::array{"mac", "2c:aa:8e:12:34:56"}});
  CHECK(dev.at("name") == "Porch");
  CHECK(dev.at("mf") == "Wyze");
  CHECK(dev.at("mdl") == "Cam v3");
  CHECK(dev.at("mdl_id") == "WYZE_CAKP2JFUS");
  CHECK(dev.at("sw") == "4.36.11.7071");
  CHECK(dev.at("hw") == "0.0.0.0");
  CHECK(dev.at("via_device") == "wyze_mqtt_bridge_wyze");
  CHECK(root.at("o") ==
        json::object{{"name", "wyze-mqtt-bridge"}, {"sw", "1.2.3"}, {"url", "https://example.com/support"}});
  CHECK(root.at("avty") ==
        json::array{json::object{{"t", "wyze/bridge/state"}}, json::object{{"t", "wyze/bridge/cloud"}}});
  CHECK(root.at("avty_mode") == "all");

  auto cmps = root.at("cmps").as_object();
  auto conn = cmps.at("conn_state").as_object();
  CHECK(conn.at("p") == "binary_sensor");
  CHECK(conn.at("dev_cla") == "connectivity");
  CHECK(conn.at("stat_t") == "wyze/2CAA8E123456/conn_state");
  CHECK(conn.at("pl_on") == "online");
  CHECK(conn.at("pl_off") == "offline");
  CHECK(conn.at("uniq_id") == "wyze_2CAA8E123456_conn_state");
  CHECK(conn.at("default_entity_id") == "binary_sensor.wyze_2caa8e123456_conn_state");
  auto ip = cmps.at("ip").as_object();
  CHECK(ip.at("p") == "sensor");
  CHECK(ip.at("ent_cat") == "diagnostic");
  CHECK(ip.at("ic") == "mdi:ip-network");
  CHECK(ip.at("stat_t") == "wyze/2CAA8E123456/ip");
  auto firmware = cmps.at("firmware").as_object();
  CHECK(firmware.at("json_attr_t") == "wyze/2CAA8E123456/attributes");
  CHECK(firmware.at("uniq_id") == "wyze_2CAA8E123456_firmware");
  // A Cam v3 is controlled too (SPEC §7), and has a siren (SPEC §10).
  CHECK(cmps.size() == 8);
  auto power = cmps.at("power").as_object();
  CHECK(power.at("p") == "switch");
  CHECK(power.at("stat_t") == "wyze/2CAA8E123456/power");
  CHECK(power.at("cmd_t") == "wyze/2CAA8E123456/power/set");
  CHECK_FALSE(power.contains("ent_cat"));
  auto restart = cmps.at("restart").as_object();
  CHECK(restart.at("p") == "button");
  CHECK(restart.at("dev_cla") == "restart");
  CHECK(restart.at("ent_cat") == "config");
  CHECK(restart.at("cmd_t") == "wyze/2CAA8E123456/restart/set");
  CHECK(restart.at("pl_prs") == "PRESS");
  CHECK_FALSE(restart.contains("stat_t"));
  for (const char* key : {"notifications", "motion_detection"}) {
    auto toggle = cmps.at(key).as_object();
    CHECK(toggle.at("p") == "switch");
    CHECK(toggle.at("ent_cat") == "config");
    CHECK(toggle.at("cmd_t").as_string() == "wyze/2CAA8E123456/" + std::string(key) + "/set");
  }
}

TEST_CASE("the control entities follow the capability table and mqtt.commands") {
  auto keys_of = [](const broker::discovery_settings& s, const wyze::Camera& cam) {
    std::vector<std::string> keys;
    auto messages = broker::camera_discovery(s, cam);
    for (const auto& m : messages) check_conformance(m, s.mode);
    auto root = json::parse(messages.at(0).payload);
    for (const auto& entry : root.at("cmps").as_object()) keys.emplace_back(entry.key());
    std::sort(keys.begin(), keys.end());
    return keys;
  };
  const std::vector<std::string> read_only{"conn_state", "firmware", "ip"};
  auto cam = porch();
  auto off = settings();
  off.features.commands = false;
  CHECK(keys_of(off, cam) == read_only);
  // The Solar Cam Pan and the OG 3X: no peer shows their calls.
  for (const char* model : {"ME_WCO3", "GW_GC2", "A_MODEL_FROM_NEXT_YEAR"}) {
    CAPTURE(model);
    cam.product_model = model;
    CHECK(keys_of(settings(), cam) == read_only);
  }
  // The device-management models (SPEC §11), before their first get_iot_prop: their controls.
  using keys = std::vector<std::string>;
  cam.product_model = "GW_GC1";
  CHECK(keys_of(settings(), cam) == keys{"conn_state", "firmware", "ip", "power", "siren"});
  cam.product_model = "HL_PAN4";
  CHECK(keys_of(settings(), cam) ==
        keys{"conn_state", "firmware", "ip", "light", "motion_detection", "notifications", "power", "siren"});
  cam.product_model = "LD_CFP";
  CHECK(keys_of(settings(), cam) ==
        keys{"conn_state", "firmware", "ip", "light", "motion_detection", "notifications", "power", "siren"});
  cam.product_model = "AN_RSCW";
  cam.battery = 64;
  cam.charging = true;
  cam.signal = -60;
  cam.sd_card = wyze::sd_card_state{1000, 10, 1};
  CHECK(keys_of(settings(), cam) == keys{"battery", "charging", "conn_state", "firmware", "ip", "light",
                                         "motion_detection", "notifications", "power", "sd_card", "signal", "siren"});
  CHECK(keys_of(off, cam) == keys{"battery", "charging", "conn_state", "firmware", "ip", "sd_card", "signal"});
  cam.product_model = "HL_PAN4";  // no memory card in its list
  CHECK(keys_of(off, cam) == keys{"conn_state", "firmware", "ip", "signal"});
  cam = porch();
  cam.product_model = "WVOD1";  // battery: power, no restart, a siren
  CHECK(keys_of(settings(), cam) == std::vector<std::string>{"conn_state", "firmware", "ip", "motion_detection",
                                                             "notifications", "power", "siren"});
  cam.product_model = "GW_BE1";  // Doorbell Pro: notifications only
  CHECK(keys_of(settings(), cam) == std::vector<std::string>{"conn_state", "firmware", "ip", "notifications"});
}

TEST_CASE("a battery camera that reports its level has a battery sensor, and a wired one that reports one does not") {
  for (auto mode : {broker::discovery_mode::device, broker::discovery_mode::components}) {
    CAPTURE(static_cast<int>(mode));
    auto components_of = [&](const wyze::Camera& cam) { return components_by_id(settings(mode), cam); };
    for (const char* model : {"WVOD1", "HL_WCO2", "AN_RSCW", "GW_BE1"}) {
      CAPTURE(model);
      auto cam = porch();
      cam.product_model = model;
      cam.battery = 64;
      auto by_id = components_of(cam);
      REQUIRE(by_id.count("wyze_2CAA8E123456_battery"));
      const auto& battery = by_id.at("wyze_2CAA8E123456_battery");
      CHECK(battery.at("name") == "Battery");
      CHECK(battery.at("dev_cla") == "battery");
      CHECK(battery.at("ent_cat") == "diagnostic");
      CHECK(battery.at("stat_t") == "wyze/2CAA8E123456/battery");
      CHECK(battery.at("stat_cla") == "measurement");
      CHECK(battery.at("unit_of_meas") == "%");
      if (mode == broker::discovery_mode::components)
        CHECK(battery.at("default_entity_id") == "sensor.wyze_2caa8e123456_battery");
      auto states = broker::camera_states("wyze", cam, {});
      CHECK(std::count(states.begin(), states.end(), broker::message{"wyze/2CAA8E123456/battery", "64"}) == 1);
      // No level reported (yet): no entity, which would only ever show "unknown".
      cam.battery.reset();
      CHECK_FALSE(components_of(cam).count("wyze_2CAA8E123456_battery"));
    }
    // Wired doorbells and cameras report an electricity too, which is not a battery (ha-wyzeapi #454).
    for (const char* model : {"WYZEDB3", "HL_DB2", "WYZE_CAKP2JFUS", "GW_GC1"}) {
      CAPTURE(model);
      auto cam = porch();
      cam.product_model = model;
      cam.battery = 100;
      CHECK_FALSE(components_of(cam).count("wyze_2CAA8E123456_battery"));
      for (const auto& m : broker::camera_states("wyze", cam, {})) CHECK(m.topic != "wyze/2CAA8E123456/battery");
    }
  }
}

TEST_CASE("components mode publishes the same entities on per-component topics") {
  auto messages = broker::camera_discovery(settings(broker::discovery_mode::components), porch());
  REQUIRE(messages.size() == 8);
  CHECK(messages[0].topic == "homeassistant/binary_sensor/wyze_2CAA8E123456/conn_state/config");
  CHECK(messages[1].topic == "homeassistant/sensor/wyze_2CAA8E123456/ip/config");
  CHECK(messages[2].topic == "homeassistant/sensor/wyze_2CAA8E123456/firmware/config");
  CHECK(messages[3].topic == "homeassistant/switch/wyze_2CAA8E123456/power/config");
  CHECK(messages[4].topic == "homeassistant/button/wyze_2CAA8E123456/restart/config");
  CHECK(messages[5].topic == "homeassistant/switch/wyze_2CAA8E123456/notifications/config");
  CHECK(messages[6].topic == "homeassistant/switch/wyze_2CAA8E123456/motion_detection/config");
  CHECK(messages[7].topic == "homeassistant/siren/wyze_2CAA8E123456/siren/config");
  for (const auto& m : messages) {
    auto c = check_conformance(m, broker::discovery_mode::components).front();
    CHECK_FALSE(c.contains("p"));
    CHECK(c.at("avty_mode") == "all");
    CHECK(c.at("dev").at("ids") == json::array{"wyze_2CAA8E123456"});
  }
}

TEST_CASE("the bridge is a device with connectivity, cloud, camera count, last poll, the budget and a poll button") {
  for (auto mode : {broker::discovery_mode::device, broker::discovery_mode::components}) {
    std::map<std::string, json::object> by_unique_id;
    for (const auto& m : broker::bridge_discovery(settings(mode)))
      for (auto& c : check_conformance(m, mode)) by_unique_id[std::string(c.at("uniq_id").as_string())] = c;
    REQUIRE(by_unique_id.size() == 8);
    const auto& state = by_unique_id.at("wyze_mqtt_bridge_wyze_connectivity");
    CHECK(state.at("stat_t") == "wyze/bridge/state");
    CHECK_FALSE(state.contains("avty"));  // it must stay available to show "disconnected"
    CHECK(by_unique_id.at("wyze_mqtt_bridge_wyze_cloud").at("stat_t") == "wyze/bridge/cloud");
    CHECK(by_unique_id.at("wyze_mqtt_bridge_wyze_cameras").at("val_tpl") == "{{ value_json.cameras }}");
    CHECK(by_unique_id.at("wyze_mqtt_bridge_wyze_last_success").at("dev_cla") == "timestamp");
    CHECK(by_unique_id.at("wyze_mqtt_bridge_wyze_poll").at("cmd_t") == "wyze/bridge/request/poll");
    // The budget's three diagnostic sensors read bridge/budget; a null (no header yet, no pause)
    // renders as None, which Home Assistant's MQTT sensor takes for "no value".
    const auto& calls = by_unique_id.at("wyze_mqtt_bridge_wyze_cloud_calls");
    CHECK(calls.at("stat_t") == "wyze/bridge/budget");
    CHECK(calls.at("val_tpl") == "{{ value_json.calls_last_hour }}");
    CHECK(calls.at("stat_cla") == "measurement");
    CHECK(calls.at("ent_cat") == "diagnostic");
    const auto& remaining = by_unique_id.at("wyze_mqtt_bridge_wyze_rate_limit_remaining");
    CHECK(remaining.at("val_tpl") == "{{ value_json.rate_limit_remaining }}");
    CHECK(remaining.at("ent_cat") == "diagnostic");
    const auto& paused = by_unique_id.at("wyze_mqtt_bridge_wyze_paused_until");
    CHECK(paused.at("dev_cla") == "timestamp");
    CHECK(paused.at("val_tpl") == "{{ value_json.paused_until }}");
    CHECK(paused.at("ent_cat") == "diagnostic");
    CHECK_FALSE(paused.contains("stat_cla"));  // HA refuses a state class on a timestamp
    for (const auto& id :
         {"cloud", "cameras", "last_success", "poll", "cloud_calls", "rate_limit_remaining", "paused_until"})
      CHECK(by_unique_id.at(std::string("wyze_mqtt_bridge_wyze_") + id).at("avty") ==
            json::array{json::object{{"t", "wyze/bridge/state"}}});
  }
}

TEST_CASE("unique ids are unique across cameras and the bridge") {
  std::set<std::string> ids;
  std::size_t count = 0;
  std::vector<broker::message> all = broker::bridge_discovery(settings());
  for (std::string mac : {"AABBCCDDEE01", "AABBCCDDEE02"}) {
    auto more = broker::camera_discovery(settings(), wyze::Camera{.mac = mac});
    all.insert(all.end(), more.begin(), more.end());
  }
  for (const auto& m : all) {
    auto root = json::parse(m.payload);
    for (const auto& [key, c] : root.at("cmps").as_object()) {
      ids.insert(std::string(c.at("uniq_id").as_string()));
      ++count;
    }
  }
  CHECK(ids.size() == count);
  CHECK(count == 14);
}

TEST_CASE("a camera with no nickname is named after its model and MAC") {
  wyze::Camera cam{.mac = "2CAA8E123456"};
  cam.product_model = "HL_PAN3";
  CHECK(broker::camera_display_name(cam) == "Wyze Cam Pan v3 3456");
  for (auto [model, name] : {std::pair{"ME_WCO3", "Solar Cam Pan"},
                             {"GW_DUO", "Cam Pan Duo"},
                             {"GW_WC", "Window Cam"},
                             {"AN_RDB1", "Doorbell Pro 2"},
                             {"GW_DBD", "Doorbell Duo"}}) {
    cam.product_model = model;
    CHECK(broker::camera_display_name(cam) == std::string("Wyze ") + name + " 3456");
  }
  cam.product_model = "XX_NEW";
  CHECK(broker::camera_display_name(cam) == "Wyze XX_NEW 3456");
  auto dev = json::parse(broker::camera_discovery(settings(), cam)[0].payload).at("dev").as_object();
  CHECK(dev.at("mdl") == "XX_NEW");
}

TEST_CASE("connections are only given for a MAC of 12 hex digits") {
  auto dev = json::parse(broker::camera_discovery(settings(), wyze::Camera{.mac = "GW_ODD_ID"})[0].payload)
                 .at("dev")
                 .as_object();
  CHECK_FALSE(dev.contains("cns"));
}

TEST_CASE("an id like GW_GC1_7C78B2A1B2C3 gives the MAC in its last part, a shorter one none") {
  auto cns = [](const std::string& mac) {
    auto dev =
        json::parse(broker::camera_discovery(settings(), wyze::Camera{.mac = mac})[0].payload).at("dev").as_object();
    return dev.contains("cns") ? dev.at("cns") : json::value(nullptr);
  };
  CHECK(cns("GW_GC1_7C78B2A1B2C3") == json::array{json::array{"mac", "7c:78:b2:a1:b2:c3"}});
  CHECK(cns("HL_PAN4_80482C") == nullptr);
  CHECK(cns("ME_WCO3_80482CD5A6F26") == nullptr);
  CHECK(cns("GW_GC1_7C78B2A1B2CZ") == nullptr);
  CHECK(cns("7C:78:B2:A1:B2:C3") == json::array{json::array{"mac", "7c:78:b2:a1:b2:c3"}});
}

TEST_CASE("a base topic with levels becomes a valid discovery object id") {
  auto s = settings();
  s.base = "home/wyze.cams";
  auto messages = broker::bridge_discovery(s);
  CHECK(messages[0].topic == "homeassistant/device/wyze_mqtt_bridge_home_wyze_cams/config");
  CHECK(std::regex_match(messages[0].topic.substr(std::string("homeassistant/").size()), ha_topic));
}

TEST_CASE("the discovery topics of a camera are known from its id alone, in both modes") {
  for (auto mode : {broker::discovery_mode::device, broker::discovery_mode::components}) {
    for (const std::string mac : {"2C:AA:8E:00:00:01", "GW_ODD-ID"}) {
      CAPTURE(mac);
      // Between them, a wired camera, a battery camera, a floodlight and a v3 with the garage door
      // controller have every entity.
      wyze::Camera wired{.mac = mac}, battery{.mac = mac}, floodlight{.mac = mac}, garage{.mac = mac}, og{.mac = mac};
      og.product_model = "GW_GC1";
      og.sd_card = wyze::sd_card_state{};
      wired.product_model = "WYZE_CAKP2JFUS";
      wired.signal = -60;
      battery.product_model = "WVOD1";
      battery.battery = 50;
      battery.charging = false;
      floodlight.product_model = "HL_CFL2";
      garage.product_model = "WYZE_CAKP2JFUS";
      garage.accessory = "HL_CGDC";
      std::set<std::string> published;
      for (const auto& cam : {wired, battery, floodlight, garage, og})
        for (const auto& m : broker::camera_discovery(settings(mode), cam)) published.insert(m.topic);
      auto by_id = broker::camera_discovery_topics(settings(mode), wired.id());
      CHECK(std::set<std::string>(by_id.begin(), by_id.end()) == published);
      CHECK(by_id.size() == published.size());  // each once
    }
  }
}

TEST_CASE("JSON strings are escaped byte for byte as Boost.JSON serializes them") {
  for (int c = 0; c < 256; ++c) {
    CAPTURE(c);
    std::string text = std::string("a") + static_cast<char>(c) + "b";
    std::string ours;
    broker::append_json_string(ours, text);
    CHECK(ours == json::serialize(json::string(text)));
  }
}

TEST_CASE("discovery configs and attributes are written exactly as Boost.JSON writes the same object") {
  // Written as text, not built as json::object and serialized: the bytes must not change on
  // upgrade (Home Assistant would see every config as new), so every payload must be what
  // Boost.JSON makes of it: parsed and serialized again, the same bytes.
  std::string odd_name = "Porch \"front\" \\ back\x01\x1f\x7f\t\n Caf\xc3\xa9 \xf0\x9f\x93\xb7";
  std::vector<wyze::Camera> cameras{porch(), wyze::Camera{.mac = "GW_ODD_ID"}};
  cameras[0].nickname = odd_name;
  cameras[1].product_model = "HL_WCO2";
  cameras[1].online = false;
  cameras[1].power = true;
  cameras[1].conn_state_ts_ms = 1764150000000;
  for (auto mode : {broker::discovery_mode::device, broker::discovery_mode::components}) {
    std::vector<broker::message> all = broker::bridge_discovery(settings(mode));
    for (const auto& cam : cameras) {
      auto more = broker::camera_discovery(settings(mode), cam);
      all.insert(all.end(), more.begin(), more.end());
    }
    for (const auto& m : all) {
      CAPTURE(m.topic);
      CHECK(json::serialize(json::parse(m.payload)) == m.payload);
    }
  }
  auto dev = json::parse(broker::camera_discovery(settings(), cameras[0])[0].payload).at("dev");
  CHECK(std::string(dev.at("name").as_string()) == odd_name);
  for (const auto& row : broker::camera_entities()) {
    if (row.key != broker::attributes_key) continue;
    for (const auto& cam : cameras) {
      auto payload = row.state(cam);
      CHECK(json::serialize(json::parse(payload)) == payload);
    }
    auto attributes = json::parse(row.state(cameras[1])).as_object();
    CHECK(attributes.at("nickname").is_null());
    CHECK(attributes.at("conn_state") == false);
    CHECK(attributes.at("power") == "on");
    CHECK(attributes.at("model_name") == "Cam Outdoor v2");
    CHECK(attributes.at("conn_state_ts") == "2025-11-26T09:40:00Z");
  }
}

TEST_CASE("the configs keep the bytes of earlier releases, so an upgrade republishes nothing new") {
  // The bytes the json::object builder of 0.1.0 published (checked end to end against its
  // binary, 60 simulated cameras in both modes). In components mode "p" was erased from the front,
  // and json::object::erase moved the last member into its place: the order is kept as it was.
  const std::string device =
      R"({"avty":[{"t":"wyze/bridge/state"},{"t":"wyze/bridge/cloud"}],"avty_mode":"all","dev":{"ids":["wyze_)"
      R"(2CAA8E123456"],"name":"Porch","mf":"Wyze","via_device":"wyze_mqtt_bridge_wyze","cns":[["mac","2c:aa:)"
      R"(8e:12:34:56"]],"mdl":"Cam v3","mdl_id":"WYZE_CAKP2JFUS","sw":"4.36.11.7071","hw":"0.0.0.0"},"o":{"na)"
      R"(me":"wyze-mqtt-bridge","sw":"1.2.3","url":"https://example.com/support"},"cmps":{"conn_state":{"p":")"
      R"(binary_sensor","name":"Connection","uniq_id":"wyze_2CAA8E123456_conn_state","default_entity_id":"bin)"
      R"(ary_sensor.wyze_2caa8e123456_conn_state","dev_cla":"connectivity","stat_t":"wyze/2CAA8E123456/conn_s)"
      R"(tate","pl_on":"online","pl_off":"offline"},"ip":{"p":"sensor","name":"IP address","uniq_id":"wyze_2C)"
      R"(AA8E123456_ip","default_entity_id":"sensor.wyze_2caa8e123456_ip","ent_cat":"diagnostic","ic":"mdi:ip)"
      R"(-network","stat_t":"wyze/2CAA8E123456/ip"},"firmware":{"p":"sensor","name":"Firmware","uniq_id":"wyz)"
      R"(e_2CAA8E123456_firmware","default_entity_id":"sensor.wyze_2caa8e123456_firmware","ent_cat":"diagnost)"
      R"(ic","ic":"mdi:chip","stat_t":"wyze/2CAA8E123456/firmware","json_attr_t":"wyze/2CAA8E123456/attribute)"
      R"(s"},"power":{"p":"switch","name":"Power","uniq_id":"wyze_2CAA8E123456_power","default_entity_id":"sw)"
      R"(itch.wyze_2caa8e123456_power","stat_t":"wyze/2CAA8E123456/power","cmd_t":"wyze/2CAA8E123456/power/se)"
      R"(t","ic":"mdi:power","pl_on":"on","pl_off":"off"},"restart":{"p":"button","name":"Restart","uniq_id":)"
      R"("wyze_2CAA8E123456_restart","default_entity_id":"button.wyze_2caa8e123456_restart","dev_cla":"restar)"
      R"(t","ent_cat":"config","cmd_t":"wyze/2CAA8E123456/restart/set","pl_prs":"PRESS"},"notifications":{"p")"
      R"(:"switch","name":"Notifications","uniq_id":"wyze_2CAA8E123456_notifications","default_entity_id":"sw)"
      R"(itch.wyze_2caa8e123456_notifications","ent_cat":"config","ic":"mdi:bell","stat_t":"wyze/2CAA8E123456)"
      R"(/notifications","cmd_t":"wyze/2CAA8E123456/notifications/set","pl_on":"on","pl_off":"off"},"motion_d)"
      R"(etection":{"p":"switch","name":"Motion detection","uniq_id":"wyze_2CAA8E123456_motion_detection","de)"
      R"(fault_entity_id":"switch.wyze_2caa8e123456_motion_detection","ent_cat":"config","ic":"mdi:motion-sen)"
      R"(sor","stat_t":"wyze/2CAA8E123456/motion_detection","cmd_t":"wyze/2CAA8E123456/motion_detection/set",)"
      R"("pl_on":"on","pl_off":"off"}}})";
  const std::string components_conn_state =
      R"({"pl_off":"offline","name":"Connection","uniq_id":"wyze_2CAA8E123456_conn_state","default_entity_id")"
      R"(:"binary_sensor.wyze_2caa8e123456_conn_state","dev_cla":"connectivity","stat_t":"wyze/2CAA8E123456/c)"
      R"(onn_state","pl_on":"online","avty":[{"t":"wyze/bridge/state"},{"t":"wyze/bridge/cloud"}],"avty_mode")"
      R"(:"all","dev":{"ids":["wyze_2CAA8E123456"],"name":"Porch","mf":"Wyze","via_device":"wyze_mqtt_bridge_)"
      R"(wyze","cns":[["mac","2c:aa:8e:12:34:56"]],"mdl":"Cam v3","mdl_id":"WYZE_CAKP2JFUS","sw":"4.36.11.707)"
      R"(1","hw":"0.0.0.0"},"o":{"name":"wyze-mqtt-bridge","sw":"1.2.3","url":"https://example.com/support"}})";
  const std::string components_power =
      R"({"pl_off":"off","name":"Power","uniq_id":"wyze_2CAA8E123456_power","default_entity_id":"switch.wyze_)"
      R"(2caa8e123456_power","stat_t":"wyze/2CAA8E123456/power","cmd_t":"wyze/2CAA8E123456/power/set","ic":"m)"
      R"(di:power","pl_on":"on","avty":[{"t":"wyze/bridge/state"},{"t":"wyze/bridge/cloud"}],"avty_mode":"all)"
      R"(","dev":{"ids":["wyze_2CAA8E123456"],"name":"Porch","mf":"Wyze","via_device":"wyze_mqtt_bridge_wyze")"
      R"(,"cns":[["mac","2c:aa:8e:12:34:56"]],"mdl":"Cam v3","mdl_id":"WYZE_CAKP2JFUS","sw":"4.36.11.7071","h)"
      R"(w":"0.0.0.0"},"o":{"name":"wyze-mqtt-bridge","sw":"1.2.3","url":"https://example.com/support"}})";
  // 0.1.0's components unchanged, and after them the siren a Cam v3 has since (SPEC §10).
  const std::string siren =
      R"(,"siren":{"p":"siren","name":"Siren","uniq_id":"wyze_2CAA8E123456_siren","default_entity_id":"siren.)"
      R"(wyze_2caa8e123456_siren","stat_t":"wyze/2CAA8E123456/siren","cmd_t":"wyze/2CAA8E123456/siren/set","i)"
      R"(c":"mdi:alarm-light","pl_on":"on","pl_off":"off","sup_dur":false,"sup_vol":false}}})";
  CHECK(broker::camera_discovery(settings(), porch())[0].payload == device.substr(0, device.size() - 3) + "}" + siren);
  auto components = broker::camera_discovery(settings(broker::discovery_mode::components), porch());
  CHECK(components[0].payload == components_conn_state);
  CHECK(components[3].payload == components_power);
}

TEST_CASE("the event entities pass the conformance checks in both modes, and only with events and pictures on") {
  auto cam = porch();
  cam.events = wyze::shared_value(wyze::camera_events{});
  for (auto mode : {broker::discovery_mode::device, broker::discovery_mode::components}) {
    CAPTURE(static_cast<int>(mode));
    auto s = settings(mode);
    s.features.events = s.features.pictures = true;
    auto by_id = components_by_id(s, cam);
    auto& motion = by_id.at("wyze_2CAA8E123456_motion");
    CHECK(motion.at("dev_cla") == "motion");
    CHECK(motion.at("stat_t") == "wyze/2CAA8E123456/motion");
    CHECK(motion.at("pl_on") == "on");
    auto& event = by_id.at("wyze_2CAA8E123456_event");
    CHECK(event.at("stat_t") == "wyze/2CAA8E123456/event");
    CHECK(event.at("event_types").as_array().size() == wyze::event_types().size());
    CHECK(by_id.at("wyze_2CAA8E123456_last_event").at("dev_cla") == "timestamp");
    auto& picture = by_id.at("wyze_2CAA8E123456_picture");
    CHECK(picture.at("image_topic") == "wyze/2CAA8E123456/picture");
    CHECK(picture.at("content_type") == "image/jpeg");
    CHECK_FALSE(picture.contains("stat_t"));
    if (mode == broker::discovery_mode::components) {
      auto all = broker::camera_discovery_topics(s, cam.id());
      for (const auto& m : broker::camera_discovery(s, cam))
        CHECK_MESSAGE(std::find(all.begin(), all.end(), m.topic) != all.end(), m.topic);
      auto feature_rows = std::count_if(broker::camera_entities().begin(), broker::camera_entities().end(),
                                        [](const auto& row) { return !row.feature.empty(); });
      CHECK(static_cast<std::ptrdiff_t>(
                all.size() - broker::camera_discovery_topics(settings(mode), cam.id()).size()) == feature_rows);
    }
  }
  // Events off: none of them.
  for (const auto& m : broker::camera_discovery(settings(), porch()))
    for (const char* key : {"_motion\"", "_last_event\"", "_picture\"", "_event\""})
      CHECK(m.payload.find(key) == std::string::npos);
}

TEST_CASE("the accessories' and sensors' entities pass the conformance checks in both modes") {
  auto floodlight = porch();
  floodlight.mac = "2C:AA:8E:00:00:0A";
  floodlight.product_model = "HL_CFL2";
  floodlight.signal = -64;
  auto garage = porch();
  garage.mac = "2C:AA:8E:00:00:0B";
  garage.accessory = "HL_CGDC";
  auto patio = porch();
  patio.mac = "2C:AA:8E:00:00:0C";
  patio.product_model = "HL_WCO2";
  patio.battery = 80;
  patio.charging = true;
  auto bell = porch();
  bell.mac = "2C:AA:8E:00:00:0D";
  bell.product_model = "WYZEDB3";
  for (auto mode : {broker::discovery_mode::device, broker::discovery_mode::components}) {
    CAPTURE(static_cast<int>(mode));
    auto s = settings(mode);
    s.features.events = true;
    auto light = components_by_id(s, floodlight).at("wyze_2CAA8E00000A_light");
    CHECK(light.at("name") == "Floodlight");
    CHECK(light.at("pl_on") == "on");
    CHECK(light.at("stat_t") == "wyze/2CAA8E00000A/light");
    auto signal = components_by_id(s, floodlight).at("wyze_2CAA8E00000A_signal");
    CHECK(signal.at("dev_cla") == "signal_strength");
    CHECK(signal.at("unit_of_meas") == "dBm");
    CHECK(signal.at("ent_cat") == "diagnostic");
    auto cover = components_by_id(s, garage).at("wyze_2CAA8E00000B_garage_door");
    CHECK(cover.at("dev_cla") == "garage");
    CHECK(cover.at("cmd_t") == "wyze/2CAA8E00000B/garage_door/set");
    auto charging = components_by_id(s, patio).at("wyze_2CAA8E00000C_charging");
    CHECK(charging.at("dev_cla") == "battery_charging");
    CHECK(charging.at("pl_on") == "on");
    CHECK(components_by_id(s, patio).count("wyze_2CAA8E00000C_siren") == 1);
    auto press = components_by_id(s, bell).at("wyze_2CAA8E00000D_doorbell");
    CHECK(press.at("dev_cla") == "doorbell");
    CHECK(press.at("stat_t") == "wyze/2CAA8E00000D/doorbell");
    CHECK(press.at("event_types") == json::array{"press"});
    CHECK(components_by_id(s, bell).count("wyze_2CAA8E00000D_siren") == 0);
    if (mode == broker::discovery_mode::components) {
      auto topics = broker::camera_discovery_topics(s, garage.id());
      CHECK(std::find(topics.begin(), topics.end(), "homeassistant/cover/wyze_2CAA8E00000B/garage_door/config") !=
            topics.end());
    }
  }
}

TEST_CASE("the device-management models' discovery passes Home Assistant's rules in both modes") {
  for (auto mode : {broker::discovery_mode::device, broker::discovery_mode::components}) {
    for (const char* model : {"GW_GC1", "HL_PAN4", "LD_CFP", "AN_RSCW"}) {
      CAPTURE(model);
      wyze::Camera cam{.mac = std::string(model) + "_7C78B2A1B2C3", .product_model = model, .online = true};
      cam.battery = 64;
      cam.charging = false;
      cam.signal = -57;
      cam.sd_card = wyze::sd_card_state{30436, 5120, 1};
      auto by_id = components_by_id(settings(mode), cam);
      const std::string id = "wyze_" + cam.id();
      REQUIRE(by_id.count(id + "_power"));
      CHECK(by_id.at(id + "_power").at("cmd_t").as_string() == "wyze/" + cam.id() + "/power/set");
      CHECK(by_id.count(id + "_restart") == 0);
      bool has_card = std::string_view(model) != "HL_PAN4";
      CHECK(by_id.count(id + "_sd_card") == (has_card ? 1u : 0u));
      CHECK(by_id.count(id + "_battery") == (std::string_view(model) == "AN_RSCW" ? 1u : 0u));
      CHECK(by_id.count(id + "_notifications") == (std::string_view(model) == "GW_GC1" ? 0u : 1u));
    }
  }
}

// The entity table: every row reaches the states, discovery in both modes, the retained slots and
// the clean-up, so a new row cannot be forgotten in one of them.
#include "mqtt/entities.hpp"
#include "bridge/retained_state.hpp"
#include "mqtt/discovery.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace json = boost::json;

namespace {

// A camera that reports every field, so every row has its state.
wyze::Camera full_camera(std::string mac) {
  wyze::Camera cam{.mac = std::move(mac)};
  cam.nickname = "Porch";
  cam.product_model = "WYZE_CAKP2JFUS";
  cam.product_type = "Camera";
  cam.firmware_ver = "4.36.11.7071";
  cam.hardware_ver = "0.0.0.0";
  cam.ip = "192.168.1.20";
  cam.online = true;
  cam.conn_state_ts_ms = 1795687200000;
  cam.power = true;
  cam.notifications = false;
  cam.motion_detection = true;
  // Events and pictures on, after an event with a picture.
  cam.events =
      wyze::shared_value(wyze::camera_events{.motion = true,
                                             .last_event_ms = 1795687260000,
                                             .picture = std::make_shared<const std::string>("\xFF\xD8\xFF picture")});
  return cam;
}

// A battery camera that reports its level (WVOD1: power but no restart, a battery).
wyze::Camera battery_camera(std::string mac) {
  auto cam = full_camera(std::move(mac));
  cam.product_model = "WVOD1";
  cam.battery = 87;
  return cam;
}

// A Floodlight v2 whose siren and light were read, on a weak Wi-Fi.
wyze::Camera floodlight_camera(std::string mac) {
  auto cam = full_camera(std::move(mac));
  cam.product_model = "HL_CFL2";
  cam.signal = -71;
  cam.siren = false;
  cam.light = true;
  return cam;
}

// A v3 with the garage door controller, the door read as closed.
wyze::Camera garage_camera(std::string mac) {
  auto cam = full_camera(std::move(mac));
  cam.accessory = "HL_CGDC";
  cam.garage_open = false;
  return cam;
}

// A Video Doorbell (its presses: the doorbell entity).
wyze::Camera doorbell_camera(std::string mac) {
  auto cam = full_camera(std::move(mac));
  cam.product_model = "WYZEDB3";
  return cam;
}

// Cameras that have, between them, every row of the table: a row no camera here has fails the
// tests below until a camera that has it is added.
std::vector<wyze::Camera> fleet() {
  auto battery = battery_camera("2C:AA:8E:12:34:57");
  battery.charging = true;
  // A Cam OG as get_iot_prop reads it: its memory card (SPEC §11).
  wyze::Camera og{.mac = "GW_GC1_7C78B2A1B2C3", .product_model = "GW_GC1", .online = true};
  og.power = true;
  og.siren = false;
  og.sd_card = wyze::sd_card_state{30436, 5120, 1};
  return {full_camera("2C:AA:8E:12:34:56"),       battery,
          floodlight_camera("2C:AA:8E:12:34:58"), garage_camera("2C:AA:8E:12:34:59"),
          doorbell_camera("2C:AA:8E:12:34:5A"),   og};
}

// "<base>/<id>/<key>" → "<key>", and a discovery topic or unique id → its row key, for comparing
// what a fleet published with the rows.
std::string key_after_id(const std::string& text, const std::string& id) {
  auto at = text.find(id);
  if (at == std::string::npos) return text;
  auto rest = text.substr(at + id.size());
  if (!rest.empty() && (rest[0] == '/' || rest[0] == '_')) rest.erase(0, 1);
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.erase(slash);
  return rest;
}

// Commands, events and pictures on: every row can exist.
const broker::feature_flags everything_on{true, true, true};

broker::discovery_settings discovery(broker::discovery_mode mode, bool events = true) {
  return {"homeassistant", "wyze", mode, "1.0.0", "https://example.com", {true, events, events}};
}

bridge::publish_settings publishing(broker::discovery_mode mode, bool events = true) {
  return {"wyze", true, discovery(mode, events)};
}

std::set<std::string> topics_of(const std::vector<broker::message>& messages, bool cleared) {
  std::set<std::string> out;
  for (const auto& m : messages)
    if (m.payload.empty() == cleared) out.insert(m.topic);
  return out;
}

}  // namespace

TEST_CASE("entity keys are unique and every camera row fits a retained slot") {
  std::set<std::string_view> keys;
  for (const auto& row : broker::camera_entities()) CHECK_MESSAGE(keys.insert(row.key).second, row.key);
  // A state slot and a discovery slot per row, in 64 bits (retained_state.cpp).
  CHECK(broker::camera_entities().size() * 2 <= 64);
  std::set<std::string_view> bridge_keys;
  for (const auto& row : broker::bridge_entities()) CHECK_MESSAGE(bridge_keys.insert(row.key).second, row.key);
}

TEST_CASE("every camera row with a state is published as <base>/<id>/<key>") {
  std::set<std::string> expected, published;
  for (const auto& row : broker::camera_entities())
    if (row.state) expected.insert(std::string(row.key));
  for (const auto& cam : fleet())
    for (const auto& topic : topics_of(broker::camera_states("wyze", cam, everything_on), false)) {
      CHECK(topic.starts_with("wyze/" + cam.id() + "/"));
      published.insert(key_after_id(topic, cam.id()));
    }
  CHECK(published == expected);
}

TEST_CASE("every camera row with a platform is an entity in both discovery modes, with a stable unique id") {
  std::set<std::string> device_mode, components_mode, rows;
  for (const auto& row : broker::camera_entities())
    if (!row.platform.empty()) rows.insert(std::string(row.key));
  for (const auto& cam : fleet()) {
    auto device = broker::camera_discovery(discovery(broker::discovery_mode::device), cam);
    REQUIRE(device.size() == 1);
    auto root = json::parse(device[0].payload);
    for (const auto& [key, c] : root.at("cmps").as_object()) {
      CHECK(c.at("p").as_string() != "");
      std::string unique_id(c.at("uniq_id").as_string());
      CHECK(unique_id == "wyze_" + cam.id() + "_" + std::string(key));
      device_mode.insert(key_after_id(unique_id, cam.id()));
    }
    for (const auto& m : broker::camera_discovery(discovery(broker::discovery_mode::components), cam))
      components_mode.insert(key_after_id(std::string(json::parse(m.payload).at("uniq_id").as_string()), cam.id()));
  }
  CHECK(device_mode == rows);
  CHECK(components_mode == rows);
}

TEST_CASE("every topic of a camera row is queued when it appears and cleared when it leaves, in both modes") {
  for (auto mode : {broker::discovery_mode::device, broker::discovery_mode::components}) {
    CAPTURE(static_cast<int>(mode));
    auto cameras = fleet();
    std::set<std::string> expected;
    for (const auto& cam : cameras) {
      for (const auto& topic : topics_of(broker::camera_states("wyze", cam, everything_on), false))
        expected.insert(topic);
      for (const auto& m : broker::camera_discovery(discovery(mode), cam)) expected.insert(m.topic);
    }

    bridge::retained_state state(publishing(mode));
    state.update({cameras.begin(), cameras.end()});
    CHECK(topics_of(state.take_queued(), false) == expected);
    state.queue_everything();
    auto everything = topics_of(state.take_queued(), false);
    for (const auto& topic : expected) CHECK_MESSAGE(everything.count(topic), topic);
    state.update({});
    CHECK(topics_of(state.take_queued(), true) == expected);
  }
}

TEST_CASE("every camera row's topics are cleared at start when an earlier run left them for a camera that is gone") {
  for (auto mode : {broker::discovery_mode::device, broker::discovery_mode::components}) {
    CAPTURE(static_cast<int>(mode));
    bridge::retained_state earlier(publishing(mode));
    earlier.update({full_camera("2C:AA:8E:00:00:09"), battery_camera("2C:AA:8E:00:00:0A")});
    std::set<std::string> read_back, published;
    for (const auto& m : earlier.take_queued()) {
      published.insert(m.topic);
      if (earlier.is_ours(m.topic, m.payload)) read_back.insert(m.topic);
    }
    bridge::retained_state now(publishing(mode));
    now.update({full_camera("2C:AA:8E:00:00:01")});
    // Everything they published goes; so do the state topics of rows their models lack (a gone
    // camera's model is not known), and nothing of the camera that stays.
    auto cleared = topics_of(now.stale(read_back), true);
    for (const auto& topic : published) CHECK_MESSAGE(cleared.count(topic), topic);
    for (const auto& topic : cleared) CHECK_MESSAGE(topic.find("2CAA8E000001") == std::string::npos, topic);
  }
}

TEST_CASE("with mqtt.commands off, the controls of a camera are gone: no entity, no state, cleared at start") {
  for (const auto& each : fleet())
    for (const auto& row : broker::camera_entities()) {
      CAPTURE(row.key);
      const broker::feature_flags on{true, true, true}, off{false, true, true};
      if (row.command.empty())
        CHECK(broker::has_entity(row, each, off) == broker::has_entity(row, each, on));
      else
        CHECK_FALSE(broker::has_entity(row, each, off));
    }
  auto cam = full_camera("2C:AA:8E:12:34:56");
  // An earlier run with commands on left the controls' states; they are cleared, nothing else is.
  bridge::retained_state earlier(publishing(broker::discovery_mode::components));
  earlier.update({cam});
  std::set<std::string> read_back;
  auto filters = earlier.readback_filters();
  for (const auto& m : earlier.take_queued())
    if (earlier.is_ours(m.topic, m.payload)) read_back.insert(m.topic);
  auto settings = publishing(broker::discovery_mode::components);
  settings.discovery_settings.features.commands = false;
  bridge::retained_state now(settings);
  now.update({cam});
  std::set<std::string> expected;
  for (const auto& row : broker::camera_entities())
    if (!row.command.empty() && broker::has_entity(row, cam, everything_on)) {
      if (broker::has_state(row, cam, everything_on)) expected.insert("wyze/2CAA8E123456/" + std::string(row.key));
      expected.insert(broker::camera_discovery_topic(discovery(broker::discovery_mode::components), cam.id(), row));
    }
  CHECK(topics_of(now.stale(read_back), true) == expected);
  // Each of those state topics is read back: a filter matches it.
  for (const auto& row : broker::camera_entities())
    if (row.state && !row.command.empty())
      CHECK(std::find(filters.begin(), filters.end(), "wyze/+/" + std::string(row.key)) != filters.end());
}

TEST_CASE("with events and pictures off, their entities are gone, and what an earlier run left is cleared") {
  for (auto mode : {broker::discovery_mode::device, broker::discovery_mode::components}) {
    CAPTURE(static_cast<int>(mode));
    auto cam = full_camera("2C:AA:8E:12:34:56");
    bridge::retained_state earlier(publishing(mode));
    earlier.update({cam});
    std::set<std::string> read_back, published;
    for (const auto& m : earlier.take_queued()) {
      published.insert(m.topic);
      if (earlier.is_ours(m.topic, m.payload)) read_back.insert(m.topic);
    }
    bridge::retained_state now(publishing(mode, false));
    // The core adds the event topics an earlier run recorded (they are not read back: a picture is
    // up to events.max_picture).
    for (const char* feature : {"events", "pictures"})
      for (auto& topic : now.feature_topics(cam.id(), feature)) read_back.insert(topic);
    auto off = cam;
    off.events = {};  // as the new run's retained state has it: nothing
    now.update({off});
    auto queued = now.take_queued();
    for (const auto& m : queued)
      for (const auto& row : broker::camera_entities())
        if (!row.feature.empty()) CHECK(m.topic != broker::camera_topic("wyze", cam.id(), row));
    std::set<std::string> expected;
    for (const auto& row : broker::camera_entities())
      if (!row.feature.empty() && broker::has_entity(row, cam, everything_on)) {
        if (row.state) expected.insert(broker::camera_topic("wyze", cam.id(), row));
        if (mode == broker::discovery_mode::components)
          expected.insert(broker::camera_discovery_topic(discovery(mode), cam.id(), row));
      }
    CHECK(topics_of(now.stale(read_back), true) == expected);
  }
}

TEST_CASE("a row whose models exclude a camera gives that camera neither state nor entity") {
  broker::entity_row row{.key = "power",
                         .platform = "switch",
                         .name = "Power",
                         .state = [](const wyze::Camera&) { return std::string("on"); },
                         .has = [](const wyze::Camera& c) { return c.product_model != "GW_BE1"; }};
  auto doorbell = full_camera("AA01");
  doorbell.product_model = "GW_BE1";
  const broker::feature_flags on;
  CHECK_FALSE(broker::has_entity(row, doorbell, on));
  CHECK_FALSE(broker::has_state(row, doorbell, on));
  CHECK(broker::has_state(row, full_camera("AA02"), on));
}

TEST_CASE("the bridge's topics are named in one place") {
  broker::bridge_topics topics("home/wyze");
  CHECK(topics.state == "home/wyze/bridge/state");
  CHECK(topics.cloud == "home/wyze/bridge/cloud");
  CHECK(topics.info == "home/wyze/bridge/info");
  CHECK(topics.readback == "home/wyze/bridge/readback");
  CHECK(topics.request("poll") == "home/wyze/bridge/request/poll");
  CHECK(topics.response("poll") == "home/wyze/bridge/response/poll");
}

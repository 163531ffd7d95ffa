#include "bridge/retained_state.hpp"

#include <doctest/doctest.h>

namespace {

bridge::publish_settings settings() {
  bridge::publish_settings s;
  s.discovery_settings = {"homeassistant", "wyze", broker::discovery_mode::device, "1.0.0", "https://example.com", {}};
  return s;
}

wyze::Camera camera(std::string mac, std::string ip) {
  wyze::Camera cam{.mac = std::move(mac)};
  cam.ip = std::move(ip);
  cam.online = true;
  cam.firmware_ver = "4.36.1";
  return cam;
}

std::vector<std::string> topics(const std::vector<broker::message>& messages) {
  std::vector<std::string> out;
  out.reserve(messages.size());
  for (const auto& m : messages) out.push_back(m.topic + (m.payload.empty() ? " <cleared>" : ""));
  return out;
}

// What one poll with `cameras` queues, in the order it would be published.
std::vector<broker::message> poll(bridge::retained_state& state, wyze::camera_list cameras) {
  state.update(std::move(cameras));
  return state.take_queued();
}

std::vector<broker::message> everything(bridge::retained_state& state) {
  state.queue_everything();
  return state.take_queued();
}

}  // namespace

TEST_CASE("new cameras are published each with its discovery first, then its states") {
  bridge::retained_state state(settings());
  CHECK(state.update({camera("AA01", "10.0.0.1"), camera("AA02", "10.0.0.2")}) == 10);
  CHECK(topics(state.take_queued()) ==
        std::vector<std::string>{"homeassistant/device/wyze_AA01/config", "wyze/AA01/conn_state", "wyze/AA01/ip",
                                 "wyze/AA01/firmware", "wyze/AA01/attributes", "homeassistant/device/wyze_AA02/config",
                                 "wyze/AA02/conn_state", "wyze/AA02/ip", "wyze/AA02/firmware", "wyze/AA02/attributes"});
  CHECK(state.size() == 2);
  CHECK_FALSE(state.has_queued());
}

TEST_CASE(
    "messages are made when taken: a camera changed twice before it is sent is sent once, with its newest values") {
  bridge::retained_state state(settings());
  poll(state, {camera("AA01", "10.0.0.1"), camera("AA02", "10.0.0.2")});
  state.update({camera("AA01", "10.0.0.5"), camera("AA02", "10.0.0.2")});
  state.update({camera("AA01", "10.0.0.6"), camera("AA02", "10.0.0.2")});
  auto messages = state.take_queued();
  CHECK(topics(messages) == std::vector<std::string>{"wyze/AA01/ip", "wyze/AA01/attributes"});
  CHECK(messages[0].payload == "10.0.0.6");
}

TEST_CASE("a camera that leaves and comes back before its clearing is sent is published, not cleared") {
  bridge::retained_state state(settings());
  poll(state, {camera("AA01", "10.0.0.1"), camera("AA02", "10.0.0.2")});
  state.update({camera("AA01", "10.0.0.1")});
  state.update({camera("AA01", "10.0.0.1"), camera("AA02", "10.0.0.3")});
  auto messages = state.take_queued();
  CHECK(topics(messages) == std::vector<std::string>{"homeassistant/device/wyze_AA02/config", "wyze/AA02/conn_state",
                                                     "wyze/AA02/ip", "wyze/AA02/firmware", "wyze/AA02/attributes"});
  CHECK(messages[2].payload == "10.0.0.3");

  // And the other way round: published, then gone before it was sent: only the clearing goes out.
  state.update({camera("AA01", "10.0.0.9"), camera("AA02", "10.0.0.3")});
  state.update({camera("AA02", "10.0.0.3")});
  CHECK(topics(state.take_queued()) ==
        std::vector<std::string>{"wyze/AA01/conn_state <cleared>", "wyze/AA01/ip <cleared>",
                                 "wyze/AA01/firmware <cleared>", "wyze/AA01/attributes <cleared>",
                                 "homeassistant/device/wyze_AA01/config <cleared>"});
}

TEST_CASE("a poll with no change publishes nothing") {
  bridge::retained_state state(settings());
  poll(state, {camera("AA01", "10.0.0.1")});
  CHECK(poll(state, {camera("AA01", "10.0.0.1")}).empty());
}

TEST_CASE("a changed value publishes only the topics whose payload changed") {
  bridge::retained_state state(settings());
  poll(state, {camera("AA01", "10.0.0.1"), camera("AA02", "10.0.0.2")});
  auto moved = camera("AA02", "10.0.0.9");
  auto messages = poll(state, {camera("AA01", "10.0.0.1"), moved});
  CHECK(topics(messages) == std::vector<std::string>{"wyze/AA02/ip", "wyze/AA02/attributes"});
  CHECK(messages[0].payload == "10.0.0.9");

  moved.firmware_ver = "4.37.0";  // firmware is in the device block too
  CHECK(
      topics(poll(state, {camera("AA01", "10.0.0.1"), moved})) ==
      std::vector<std::string>{"homeassistant/device/wyze_AA02/config", "wyze/AA02/firmware", "wyze/AA02/attributes"});
}

TEST_CASE("a camera that left the account is cleared: states, then discovery") {
  bridge::retained_state state(settings());
  poll(state, {camera("AA01", "10.0.0.1"), camera("AA02", "10.0.0.2")});
  auto messages = poll(state, {camera("AA01", "10.0.0.1")});
  CHECK(topics(messages) == std::vector<std::string>{"wyze/AA02/conn_state <cleared>", "wyze/AA02/ip <cleared>",
                                                     "wyze/AA02/firmware <cleared>", "wyze/AA02/attributes <cleared>",
                                                     "homeassistant/device/wyze_AA02/config <cleared>"});
  for (const auto& m : messages) CHECK(m.retain);
  CHECK(state.size() == 1);
}

TEST_CASE("a value the cloud stops reporting clears its topic") {
  bridge::retained_state state(settings());
  poll(state, {camera("AA01", "10.0.0.1")});
  auto unknown = camera("AA01", "10.0.0.1");
  unknown.online.reset();
  auto messages = poll(state, {unknown});
  CHECK(topics(messages) == std::vector<std::string>{"wyze/AA01/attributes", "wyze/AA01/conn_state <cleared>"});
}

TEST_CASE("everything republishes the bridge device, then each camera's discovery and states") {
  bridge::retained_state state(settings());
  poll(state, {camera("AA01", "10.0.0.1")});
  CHECK(topics(everything(state)) == std::vector<std::string>{"homeassistant/device/wyze_mqtt_bridge_wyze/config",
                                                              "homeassistant/device/wyze_AA01/config",
                                                              "wyze/AA01/conn_state", "wyze/AA01/ip",
                                                              "wyze/AA01/firmware", "wyze/AA01/attributes"});
}

TEST_CASE("with discovery off only states are published") {
  auto s = settings();
  s.discovery = false;
  bridge::retained_state state(s);
  CHECK(topics(poll(state, {camera("AA01", "10.0.0.1")})) ==
        std::vector<std::string>{"wyze/AA01/conn_state", "wyze/AA01/ip", "wyze/AA01/firmware", "wyze/AA01/attributes"});
  CHECK(everything(state).size() == 4);
}

TEST_CASE("at start, what earlier runs left for cameras that are gone is cleared, and only that") {
  bridge::retained_state earlier(settings());
  std::set<std::string> read_back;
  auto remember = [&](const bridge::retained_state& state, const std::vector<broker::message>& messages) {
    for (const auto& m : messages)
      if (state.is_ours(m.topic, m.payload)) read_back.insert(m.topic);
  };
  remember(earlier, poll(earlier, {camera("AA01", "10.0.0.1"), camera("AA02", "10.0.0.2")}));
  remember(earlier, everything(earlier));

  // Another instance of the bridge (other base topic) on the same broker.
  auto other_settings = settings();
  other_settings.base_topic = other_settings.discovery_settings.base = "garage";
  bridge::retained_state other(other_settings);
  remember(earlier, poll(other, {camera("BB01", "10.0.1.1")}));
  remember(earlier, everything(other));

  bridge::retained_state now(settings());
  poll(now, {camera("AA01", "10.0.0.1")});
  CHECK(topics(now.stale(read_back)) ==
        std::vector<std::string>{
            "wyze/AA02/conn_state <cleared>", "wyze/AA02/ip <cleared>", "wyze/AA02/firmware <cleared>",
            "wyze/AA02/battery <cleared>", "wyze/AA02/charging <cleared>", "wyze/AA02/signal <cleared>",
            "wyze/AA02/sd_card <cleared>", "wyze/AA02/power <cleared>", "wyze/AA02/notifications <cleared>",
            "wyze/AA02/motion_detection <cleared>", "wyze/AA02/siren <cleared>", "wyze/AA02/light <cleared>",
            "wyze/AA02/garage_door <cleared>", "wyze/AA02/attributes <cleared>",
            "homeassistant/device/wyze_AA02/config <cleared>"});
}

TEST_CASE("a switch of discovery mode clears the configs of the old mode") {
  bridge::retained_state earlier(settings());
  std::set<std::string> read_back;
  for (const auto& m : poll(earlier, {camera("AA01", "10.0.0.1")}))
    if (earlier.is_ours(m.topic, m.payload)) read_back.insert(m.topic);
  auto components = settings();
  components.discovery_settings.mode = broker::discovery_mode::components;
  bridge::retained_state now(components);
  poll(now, {camera("AA01", "10.0.0.1")});
  CHECK(topics(now.stale(read_back)) == std::vector<std::string>{"homeassistant/device/wyze_AA01/config <cleared>"});
}

TEST_CASE("read back ignores configs of other integrations and malformed payloads") {
  bridge::retained_state state(settings());
  CHECK_FALSE(state.is_ours("homeassistant/device/zigbee_1/config", R"({"dev":{"ids":["zigbee_1"]}})"));
  CHECK_FALSE(state.is_ours("homeassistant/device/x/config", "not json"));
  CHECK_FALSE(state.is_ours("homeassistant/device/x/config", ""));
  CHECK_FALSE(state.is_ours("wyze/bridge/attributes", "{}"));
  CHECK(state.is_ours("wyze/AA09/attributes", "{}"));
  // The bridge makes upper-case ids only: a lower-case one is another tool's and is never cleared.
  CHECK_FALSE(state.is_ours("wyze/aa09/attributes", "{}"));
  CHECK_FALSE(state.is_ours("wyze/Porch-Cam/attributes", "{}"));
  // An id the bridge could not have made is someone else's (found by fuzzing: wildcards were cleared).
  CHECK_FALSE(state.is_ours("wyze/+?#/attributes", "{}"));
  CHECK_FALSE(state.is_ours("wyze/front door/attributes", "{}"));
  CHECK_FALSE(state.is_ours("homeassistant/device/wyze_AA+1/config",
                            R"({"dev":{"ids":["wyze_AA1"],"via_device":"wyze_mqtt_bridge_wyze"}})"));
  CHECK(state.readback_filters() ==
        std::vector<std::string>{"homeassistant/device/+/config", "homeassistant/+/+/+/config", "wyze/+/power",
                                 "wyze/+/notifications", "wyze/+/motion_detection", "wyze/+/siren", "wyze/+/light",
                                 "wyze/+/garage_door", "wyze/+/attributes"});
  // The controls' states are read back as ours too, with the same rules for the id.
  CHECK(state.is_ours("wyze/AA09/power", "off"));
  CHECK_FALSE(state.is_ours("wyze/aa09/power", "off"));
  CHECK_FALSE(state.is_ours("wyze/AA09/power/set", "off"));
}

TEST_CASE("at start, a siren's state an earlier run left stays until the property read gives it again") {
  auto siren_camera = [](bool with_state) {
    auto cam = camera("AA01", "10.0.0.1");
    cam.product_model = "WYZE_CAKP2JFUS";
    if (with_state) cam.siren = true;
    return cam;
  };
  bridge::retained_state earlier(settings());
  std::set<std::string> read_back;
  for (const auto& m : poll(earlier, {siren_camera(true)}))
    if (earlier.is_ours(m.topic, m.payload)) read_back.insert(m.topic);
  REQUIRE(read_back.count("wyze/AA01/siren"));
  // The new run's first device list carries no siren state: the retained one is not cleared.
  bridge::retained_state now(settings());
  poll(now, {siren_camera(false)});
  CHECK(topics(now.stale(read_back)).empty());
  // A camera that no longer has the entity (commands off) has it cleared.
  auto off = settings();
  off.discovery_settings.features.commands = false;
  bridge::retained_state quiet(off);
  poll(quiet, {siren_camera(false)});
  auto cleared = topics(quiet.stale(read_back));
  CHECK(std::find(cleared.begin(), cleared.end(), "wyze/AA01/siren <cleared>") != cleared.end());
}

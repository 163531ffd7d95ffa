#include "bridge/retained_state.hpp"

#include <doctest/doctest.h>

namespace {

bridge::publish_settings settings() {
  bridge::publish_settings s;
  s.discovery_settings = {"homeassistant", "wyze", broker::discovery_mode::device, "1.0.0", "https://example.com"};
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
  for (const auto& m : messages) out.push_back(m.topic + (m.payload.empty() ? " <cleared>" : ""));
  return out;
}

}  // namespace

TEST_CASE("new cameras are published discovery first, then their states") {
  bridge::retained_state state(settings());
  auto messages = state.update({camera("AA01", "10.0.0.1"), camera("AA02", "10.0.0.2")});
  CHECK(topics(messages) ==
        std::vector<std::string>{"homeassistant/device/wyze_AA01/config", "homeassistant/device/wyze_AA02/config",
                                 "wyze/AA01/conn_state", "wyze/AA01/ip", "wyze/AA01/firmware", "wyze/AA01/attributes",
                                 "wyze/AA02/conn_state", "wyze/AA02/ip", "wyze/AA02/firmware", "wyze/AA02/attributes"});
  CHECK(state.size() == 2);
}

TEST_CASE("a poll with no change publishes nothing") {
  bridge::retained_state state(settings());
  state.update({camera("AA01", "10.0.0.1")});
  CHECK(state.update({camera("AA01", "10.0.0.1")}).empty());
}

TEST_CASE("a changed value publishes only the topics whose payload changed") {
  bridge::retained_state state(settings());
  state.update({camera("AA01", "10.0.0.1"), camera("AA02", "10.0.0.2")});
  auto moved = camera("AA02", "10.0.0.9");
  auto messages = state.update({camera("AA01", "10.0.0.1"), moved});
  CHECK(topics(messages) == std::vector<std::string>{"wyze/AA02/ip", "wyze/AA02/attributes"});
  CHECK(messages[0].payload == "10.0.0.9");

  moved.firmware_ver = "4.37.0";  // firmware is in the device block too
  CHECK(
      topics(state.update({camera("AA01", "10.0.0.1"), moved})) ==
      std::vector<std::string>{"homeassistant/device/wyze_AA02/config", "wyze/AA02/firmware", "wyze/AA02/attributes"});
}

TEST_CASE("a camera that left the account is cleared: states, then discovery") {
  bridge::retained_state state(settings());
  state.update({camera("AA01", "10.0.0.1"), camera("AA02", "10.0.0.2")});
  auto messages = state.update({camera("AA01", "10.0.0.1")});
  CHECK(topics(messages) == std::vector<std::string>{"wyze/AA02/conn_state <cleared>", "wyze/AA02/ip <cleared>",
                                                     "wyze/AA02/firmware <cleared>", "wyze/AA02/attributes <cleared>",
                                                     "homeassistant/device/wyze_AA02/config <cleared>"});
  for (const auto& m : messages) CHECK(m.retain);
  CHECK(state.size() == 1);
}

TEST_CASE("a value the cloud stops reporting clears its topic") {
  bridge::retained_state state(settings());
  state.update({camera("AA01", "10.0.0.1")});
  auto unknown = camera("AA01", "10.0.0.1");
  unknown.online.reset();
  auto messages = state.update({unknown});
  CHECK(topics(messages) == std::vector<std::string>{"wyze/AA01/attributes", "wyze/AA01/conn_state <cleared>"});
}

TEST_CASE("everything republishes the bridge device, every camera's discovery, then every state") {
  bridge::retained_state state(settings());
  state.update({camera("AA01", "10.0.0.1")});
  CHECK(topics(state.everything()) == std::vector<std::string>{"homeassistant/device/wyze_mqtt_bridge_wyze/config",
                                                               "homeassistant/device/wyze_AA01/config",
                                                               "wyze/AA01/conn_state", "wyze/AA01/ip",
                                                               "wyze/AA01/firmware", "wyze/AA01/attributes"});
}

TEST_CASE("with discovery off only states are published") {
  auto s = settings();
  s.discovery = false;
  bridge::retained_state state(s);
  CHECK(topics(state.update({camera("AA01", "10.0.0.1")})) ==
        std::vector<std::string>{"wyze/AA01/conn_state", "wyze/AA01/ip", "wyze/AA01/firmware", "wyze/AA01/attributes"});
  CHECK(state.everything().size() == 4);
}

TEST_CASE("at start, what earlier runs left for cameras that are gone is cleared, and only that") {
  bridge::retained_state earlier(settings());
  std::set<std::string> read_back;
  auto remember = [&](const bridge::retained_state& state, const std::vector<broker::message>& messages) {
    for (const auto& m : messages)
      if (state.is_ours(m.topic, m.payload)) read_back.insert(m.topic);
  };
  remember(earlier, earlier.update({camera("AA01", "10.0.0.1"), camera("AA02", "10.0.0.2")}));
  remember(earlier, earlier.everything());

  // Another instance of the bridge (other base topic) on the same broker.
  auto other_settings = settings();
  other_settings.base_topic = other_settings.discovery_settings.base = "garage";
  bridge::retained_state other(other_settings);
  remember(earlier, other.update({camera("BB01", "10.0.1.1")}));
  remember(earlier, other.everything());

  bridge::retained_state now(settings());
  now.update({camera("AA01", "10.0.0.1")});
  CHECK(topics(now.stale(read_back)) ==
        std::vector<std::string>{"wyze/AA02/conn_state <cleared>", "wyze/AA02/ip <cleared>",
                                 "wyze/AA02/firmware <cleared>", "wyze/AA02/attributes <cleared>",
                                 "homeassistant/device/wyze_AA02/config <cleared>"});
}

TEST_CASE("a switch of discovery mode clears the configs of the old mode") {
  bridge::retained_state earlier(settings());
  std::set<std::string> read_back;
  for (const auto& m : earlier.update({camera("AA01", "10.0.0.1")}))
    if (earlier.is_ours(m.topic, m.payload)) read_back.insert(m.topic);
  auto components = settings();
  components.discovery_settings.mode = broker::discovery_mode::components;
  bridge::retained_state now(components);
  now.update({camera("AA01", "10.0.0.1")});
  CHECK(topics(now.stale(read_back)) == std::vector<std::string>{"homeassistant/device/wyze_AA01/config <cleared>"});
}

TEST_CASE("read back ignores configs of other integrations and malformed payloads") {
  bridge::retained_state state(settings());
  CHECK_FALSE(state.is_ours("homeassistant/device/zigbee_1/config", R"({"dev":{"ids":["zigbee_1"]}})"));
  CHECK_FALSE(state.is_ours("homeassistant/device/x/config", "not json"));
  CHECK_FALSE(state.is_ours("homeassistant/device/x/config", ""));
  CHECK_FALSE(state.is_ours("wyze/bridge/attributes", "{}"));
  CHECK(state.is_ours("wyze/AA09/attributes", "{}"));
  CHECK(state.readback_filters() ==
        std::vector<std::string>{"homeassistant/device/+/config", "homeassistant/+/+/+/config", "wyze/+/attributes"});
}

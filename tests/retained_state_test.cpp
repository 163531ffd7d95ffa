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

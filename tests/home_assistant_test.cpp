// What Home Assistant users see across restarts: no ghosts, exclusions honoured, and a bridge
// that stays reachable after its broker restarts.
#include "tests/harness.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

namespace json = boost::json;
using namespace harness;

namespace {

std::size_t count_prefix(const std::map<std::string, std::string>& topics, const std::string& prefix) {
  std::size_t n = 0;
  for (const auto& [topic, payload] : topics) n += topic.starts_with(prefix);
  return n;
}

}  // namespace

TEST_CASE("a camera that left the account while the bridge was down is cleared at the next start") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 3);
  auto config = write_config(dir, sim, mqtt);
  run_once(dir, config);
  REQUIRE(count_prefix(retained(mqtt.port()), "wyze/2CAA8E000002/") == 8);

  // Another instance of the bridge, with its own base topic, shares the broker.
  subscriber other(mqtt.port(), "none");
  other.publish("garage/2CAA8E0000FF/attributes", R"({"mac":"2CAA8E0000FF"})", true);
  other.publish(
      "homeassistant/device/wyze_2CAA8E0000FF/config",
      R"({"dev":{"ids":["wyze_2CAA8E0000FF"],"via_device":"wyze_mqtt_bridge_garage"},"o":{"name":"x"},"cmps":{}})",
      true);

  sim.control("DELETE", "/sim/cameras/2CAA8E000002");
  auto second = run_once(dir, config);
  auto topics = retained(mqtt.port());
  CHECK(count_prefix(topics, "wyze/2CAA8E000002/") == 0);
  CHECK(topics.count("homeassistant/device/wyze_2CAA8E000002/config") == 0);
  CHECK(count_prefix(topics, "wyze/2CAA8E000001/") == 8);
  CHECK(topics.count("homeassistant/device/wyze_2CAA8E000003/config") == 1);
  CHECK(topics.count("garage/2CAA8E0000FF/attributes") == 1);
  CHECK(topics.count("homeassistant/device/wyze_2CAA8E0000FF/config") == 1);
  // Its 8 (the siren's state too), every other state a camera may have, and its config.
  CHECK(second->output().find("clearing 15 retained topics") != std::string::npos);
}

TEST_CASE("an excluded camera is never published, and cleared when it was") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 3);
  run_once(dir, write_config(dir, sim, mqtt));
  REQUIRE(count_prefix(retained(mqtt.port()), "wyze/2CAA8E000002/") == 8);

  run_once(dir, write_config(dir, sim, mqtt, "  poll_interval: 1h\n  exclude: [\"Camera 2\"]\n"));
  auto topics = retained(mqtt.port());
  CHECK(count_prefix(topics, "wyze/2CAA8E000002/") == 0);
  CHECK(topics.count("homeassistant/device/wyze_2CAA8E000002/config") == 0);
  CHECK(json::parse(topics["wyze/bridge/info"]).at("cameras") == 2);

  run_once(dir, write_config(dir, sim, mqtt, "  poll_interval: 1h\n  include: [\"2c:aa:8e:00:00:03\"]\n"));
  topics = retained(mqtt.port());
  CHECK(count_prefix(topics, "wyze/2CAA8E000001/") == 0);
  CHECK(count_prefix(topics, "wyze/2CAA8E000003/") == 8);
}

TEST_CASE("switching discovery mode leaves no configs of the old mode behind") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 1);
  run_once(dir, write_config(dir, sim, mqtt));
  REQUIRE(retained(mqtt.port(), "homeassistant/#").count("homeassistant/device/wyze_2CAA8E000001/config") == 1);
  run_once(dir,
           write_config(dir, sim, mqtt, "  poll_interval: 1h\n", "homeassistant:\n  discovery_mode: components\n"));
  auto topics = retained(mqtt.port(), "homeassistant/#");
  CHECK(topics.count("homeassistant/device/wyze_2CAA8E000001/config") == 0);
  CHECK(topics.count("homeassistant/device/wyze_mqtt_bridge_wyze/config") == 0);
  CHECK(topics.count("homeassistant/sensor/wyze_2CAA8E000001/ip/config") == 1);
  CHECK(topics.size() == 8 + 8);  // eight camera entities (a Cam v3, its siren too), eight of the bridge
}

TEST_CASE("after a broker restart the bridge resubscribes: poll requests and HA birth work again") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 1);
  auto bridge = start_bridge(dir, {"--config", write_config(dir, sim, mqtt)});
  {
    subscriber watch(mqtt.port(), "wyze/bridge/state");
    REQUIRE(watch.wait_for("wyze/bridge/state", "online"));
  }
  mqtt.restart();
  subscriber watch(mqtt.port(), "#");
  REQUIRE_MESSAGE(watch.wait_for("wyze/bridge/state", "online", 20s), bridge->output());
  REQUIRE(watch.wait_for("wyze/2CAA8E000001/ip", "192.168.1.2"));
  std::this_thread::sleep_for(500ms);  // the bridge's subscriptions follow its online message
  sim.control("POST", "/sim/cameras/2CAA8E000001", R"({"ip":"192.168.1.99"})");
  watch.publish("wyze/bridge/request/poll", "");
  CHECK(watch.wait_for("wyze/2CAA8E000001/ip", "192.168.1.99"));
  CHECK(watch.wait_until([](const auto& last) { return last.count("wyze/bridge/response/poll") > 0; }));
}

// Running it like a service: metrics and health scraped from a live bridge, and a full run whose
// every log line and message is searched for the secrets the cloud handed out.
#include "tests/harness.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>
#include <signal.h>

namespace json = boost::json;
using namespace harness;

TEST_CASE("/metrics and /healthz of a running bridge tell what it does") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 3);
  sim.control("POST", "/sim/cameras/2CAA8E000001", R"({"conn_state":0})");
  auto port = free_port();
  auto config = write_config(dir, sim, mqtt, "  poll_interval: 1h\n",
                             "metrics:\n  listen: 127.0.0.1:" + std::to_string(port) + "\n");
  auto bridge = start_bridge(dir, {"--config", config});
  REQUIRE_MESSAGE(eventually([&] { return http_get(port, "/healthz").status == 200; }, 10s), bridge->output());
  CHECK(http_get(port, "/healthz").body == "ok\n");

  auto metrics = http_get(port, "/metrics");
  CHECK(metrics.status == 200);
  for (const char* line : {"wyze_bridge_polls_total{result=\"ok\"} 1\n", "wyze_bridge_polls_total{result=\"error\"} 0\n",
                           "wyze_bridge_cameras 3\n", "wyze_bridge_cameras_online 2\n",
                           "wyze_bridge_mqtt_connected 1\n", "wyze_bridge_logins_total 1\n",
                           "wyze_bridge_poll_duration_seconds_count 1\n", "wyze_bridge_build_info{version="})
    CHECK_MESSAGE(metrics.body.find(line) != std::string::npos, std::string(line));
  CHECK(metrics.body.find("wyze_bridge_messages_published_total 0\n") == std::string::npos);
  CHECK(http_get(port, "/nothing").status == 404);

  mqtt.kill_hard();
  CHECK(eventually([&] { return http_get(port, "/healthz").status == 503; }, 10s));
  CHECK(http_get(port, "/healthz").body == "mqtt: disconnected\n");
  CHECK(http_get(port, "/metrics").body.find("wyze_bridge_mqtt_connected 0\n") != std::string::npos);
}

TEST_CASE("a metrics.listen port already in use is a clear start-up error") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 1);
  auto config = write_config(dir, sim, mqtt, "  poll_interval: 1h\n",
                             "metrics:\n  listen: 127.0.0.1:" + std::to_string(mqtt.port()) + "\n");
  auto bridge = start_bridge(dir, {"--config", config});
  REQUIRE(bridge->wait_exit(10s) == 1);
  CHECK(bridge->output().find("metrics.listen: cannot listen on 127.0.0.1:" + std::to_string(mqtt.port())) !=
        std::string::npos);
}

TEST_CASE("no secret the cloud handed out appears in any log line or MQTT message of a full run") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 3);
  auto config = write_config(dir, sim, mqtt, "  poll_interval: 1h\n", "log:\n  level: trace\n");
  subscriber everything(mqtt.port(), "#");
  auto bridge = start_bridge(dir, {"--config", config});
  REQUIRE(everything.wait_for("wyze/bridge/cloud", "online"));
  // Logins, a refresh, a refused refresh and a failure: every path that handles tokens.
  for (const char* expire : {"{}", R"({"refresh":true})"}) {
    sim.control("POST", "/sim/tokens/expire", expire);
    everything.publish("wyze/bridge/request/poll", "");
    REQUIRE(eventually([&] { return sim.stat("device_list_calls") >= (expire[1] == '}' ? 3 : 5); }, 10s));
  }
  sim.control("POST", "/sim/fault", R"({"kind":"garbage","count":1})");
  everything.publish("wyze/bridge/request/poll", "");
  REQUIRE(everything.wait_until([](const auto& last) {
    auto it = last.find("wyze/bridge/response/poll");
    return it != last.end() && it->second.payload.find("error") != std::string::npos;
  }));
  bridge->signal(SIGTERM);
  REQUIRE(bridge->wait_exit(10s) == 0);
  CHECK(sim.stat("logins") == 2);
  CHECK(sim.stat("refreshes") == 2);

  std::string seen = bridge->output();
  for (const auto& [topic, m] : everything.snapshot()) seen += topic + " " + m.payload + "\n";
  auto secrets = json::parse(sim.control("GET", "/sim/secrets").body).as_array();
  CHECK(secrets.size() >= 4 + 3 * 3 + 3);
  for (const auto& secret : secrets) CHECK_MESSAGE(seen.find(secret.as_string()) == std::string::npos, secret);
}

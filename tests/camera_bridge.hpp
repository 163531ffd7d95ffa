#pragma once
// What the camera-entity integration tests share (tests/accessories_integration_test.cpp,
// tests/devicemgmt_integration_test.cpp): the bridge on a simulated account with a real broker,
// a subscriber on `#` and /metrics, and the helpers that read what it published and sent.
#include "tests/harness.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include <signal.h>

namespace harness {

/// The bridge on the simulator's account of `cameras` cameras (started with `sim_options`);
/// `wyze_extra` goes into the wyze section, what `extra` makes of the simulator after it (a
/// metrics listener is added). Not started: the test's fixture calls start() once it knows what
/// to wait for.
struct camera_bridge {
  camera_bridge(int cameras, std::vector<std::string> sim_options, const std::string& wyze_extra,
                const std::function<std::string(const cloud&)>& extra)
      : mqtt(dir),
        sim(dir, cameras, std::move(sim_options)),
        metrics_port(free_port()),
        config(write_config(dir, sim, mqtt, wyze_extra,
                            extra(sim) + "metrics:\n  listen: 127.0.0.1:" + std::to_string(metrics_port) + "\n")),
        watch(mqtt.port(), "#") {}

  /// Starts the bridge and waits until its first poll succeeded.
  void start() {
    bridge = start_bridge(dir, {"--config", config, "--log-level", "debug"});
    REQUIRE_MESSAGE(watch.wait_for("wyze/bridge/cloud", "online"), bridge->output());
  }

  void stop() {
    bridge->signal(SIGTERM);
    REQUIRE(bridge->wait_exit(10s) == 0);
  }

  /// Publishes a command as Home Assistant does and returns the bridge's answer.
  boost::json::object command(const std::string& camera, const std::string& entity, const std::string& payload) {
    auto answer = watch.command("wyze/" + camera + "/" + entity + "/set", payload);
    REQUIRE_MESSAGE(!answer.empty(), bridge->output());
    return boost::json::parse(answer).as_object();
  }

  /// The components of a camera's device config, by entity key.
  boost::json::object components(const std::string& camera) {
    const std::string topic = "homeassistant/device/wyze_" + camera + "/config";
    REQUIRE_MESSAGE(watch.wait_until([&](const auto& last) { return last.count(topic) > 0; }), bridge->output());
    return boost::json::parse(watch.last(topic)->payload).at("cmps").as_object();
  }

  std::string metrics() { return http_get(metrics_port, "/metrics").body; }

  temp_dir dir;
  broker mqtt;
  cloud sim;
  std::uint16_t metrics_port;
  std::string config;
  subscriber watch;
  std::unique_ptr<process> bridge;
};

/// The control calls the simulator received, oldest first (GET /sim/commands).
inline boost::json::array sent_commands(cloud& sim) {
  return boost::json::parse(sim.control("GET", "/sim/commands").body).as_array();
}

/// The keys of a device config's components.
inline std::set<std::string> keys(const boost::json::object& components) {
  std::set<std::string> out;
  for (const auto& entry : components) out.emplace(entry.key());
  return out;
}

inline bool has_line(const std::string& text, const std::string& line) { return text.find(line) != std::string::npos; }

}  // namespace harness

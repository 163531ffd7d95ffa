// Camera commands end to end (SPEC §7): Home Assistant's way of publishing to <base>/<id>/<entity>/set
// on a real mosquitto, the bridge, and the simulated cloud's control API, over real sockets.
#include "tests/camera_bridge.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <functional>

#include <signal.h>

namespace json = boost::json;
using namespace harness;

namespace {

const std::string cam1 = "2CAA8E000001";  // the simulator's first camera: a Cam v3, online

// A bridge with metrics, its broker, simulator and a subscriber on everything. `before_start` runs
// once the broker and simulator are up and the bridge is not yet started.
struct commanded_bridge : camera_bridge {
  explicit commanded_bridge(int cameras = 3, const std::string& extra = "",
                            const std::function<void(commanded_bridge&)>& before_start = {})
      : camera_bridge(cameras, {}, "  poll_interval: 1h\n", [&](const cloud&) { return extra; }) {
    if (before_start) before_start(*this);
    start();
    REQUIRE_MESSAGE(watch.wait_until([](const auto& last) { return last.count("wyze/" + cam1 + "/attributes") > 0; }),
                    bridge->output());
  }
};

}  // namespace

TEST_CASE("Home Assistant switches a camera off: one cloud call, the state follows, the next device list agrees") {
  commanded_bridge b;
  REQUIRE(b.watch.wait_for("wyze/" + cam1 + "/power", "on"));
  auto discovery = b.watch.last("homeassistant/device/wyze_" + cam1 + "/config")->payload;
  auto power = json::parse(discovery).at("cmps").at("power");
  CHECK(power.at("cmd_t").as_string() == "wyze/" + cam1 + "/power/set");

  auto answer = b.command(cam1, "power", "off");
  CHECK(answer == json::object{{"status", "ok"}, {"camera", cam1}, {"entity", "power"}, {"value", "off"}});
  CHECK(b.watch.wait_for("wyze/" + cam1 + "/power", "off"));
  CHECK(b.sim.stat("run_action_calls") == 1);
  auto sent = sent_commands(b.sim);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].at("what") == "power_off");
  CHECK(sent[0].at("mac").as_string() == cam1);

  // The next device list reports the camera off too: nothing flips back.
  CHECK(b.watch.request_poll() == R"({"status":"ok","data":{"cameras":3},"cameras":3})");
  CHECK(retained(b.mqtt.port(), "wyze/" + cam1 + "/power")["wyze/" + cam1 + "/power"] == "off");
  CHECK(json::parse(retained(b.mqtt.port())["wyze/" + cam1 + "/attributes"]).at("power") == "off");
  // Commands are never left retained on the broker.
  CHECK(retained(b.mqtt.port(), "wyze/+/+/set").empty());

  auto metrics = b.metrics();
  CHECK(has_line(metrics, "wyze_bridge_commands_total{entity=\"power\",result=\"ok\"} 1\n"));
  CHECK(has_line(metrics, "wyze_bridge_cloud_requests_total{endpoint=\"run_action\"} 1\n"));

  // Notifications and motion detection are set_property calls with their pids.
  CHECK(b.command(cam1, "notifications", "OFF").at("status") == "ok");
  CHECK(b.watch.wait_for("wyze/" + cam1 + "/notifications", "off"));
  CHECK(b.command(cam1, "motion_detection", "0").at("status") == "ok");
  CHECK(b.watch.wait_for("wyze/" + cam1 + "/motion_detection", "off"));
  sent = sent_commands(b.sim);
  REQUIRE(sent.size() == 4);
  CHECK(sent[1].at("what") == "P1");
  CHECK(sent[1].at("value") == "0");
  CHECK(sent[2].at("what") == "P1047");
  CHECK(sent[3].at("what") == "P1001");
}

TEST_CASE("a Cam Outdoor (battery) powers off through run_action, and has no restart button") {
  commanded_bridge b;
  // The simulator's first camera becomes a Cam Outdoor, as the Wyze app would show it.
  b.sim.control("POST", "/sim/cameras/" + cam1, R"({"product_model":"WVOD1"})");
  REQUIRE(b.watch.request_poll().find("\"ok\"") != std::string::npos);
  REQUIRE(b.watch.wait_until([&](const auto& last) {
    auto it = last.find("homeassistant/device/wyze_" + cam1 + "/config");
    return it != last.end() && it->second.payload.find("Cam Outdoor") != std::string::npos;
  }));
  auto components = json::parse(b.watch.last("homeassistant/device/wyze_" + cam1 + "/config")->payload).at("cmps");
  CHECK(components.as_object().contains("power"));
  CHECK_FALSE(components.as_object().contains("restart"));
  CHECK(b.command(cam1, "power", "off").at("status") == "ok");
  CHECK(b.watch.wait_for("wyze/" + cam1 + "/power", "off"));
  auto sent = sent_commands(b.sim);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].at("endpoint") == "run_action");
  CHECK(sent[0].at("what") == "power_off");
  CHECK(sent[0].at("mac").as_string() == cam1);
}

TEST_CASE("the restart button restarts the camera through run_action") {
  commanded_bridge b;
  CHECK(b.command(cam1, "restart", "PRESS") ==
        json::object{{"status", "ok"}, {"camera", cam1}, {"entity", "restart"}, {"value", "press"}});
  CHECK(b.sim.stat("restarts") == 1);
  CHECK(sent_commands(b.sim).at(0).at("what") == "restart");
}

TEST_CASE("refused commands: a model without the control, an offline camera, a bad payload") {
  commanded_bridge b(4);  // the fourth camera is a Cam OG (GW_GC1)
  const std::string og = "2CAA8E000004";
  REQUIRE(
      b.watch.wait_until([&](const auto& last) { return last.count("homeassistant/device/wyze_" + og + "/config"); }));
  // The OG's toggles are refused by the cloud (InvalidSignature2): it has no notifications switch.
  auto og_config = json::parse(b.watch.last("homeassistant/device/wyze_" + og + "/config")->payload);
  CHECK_FALSE(og_config.at("cmps").as_object().contains("notifications"));
  auto refused = b.command(og, "notifications", "off");
  CHECK(refused.at("status") == "error");
  CHECK(refused.at("error") ==
        "Cam OG cameras have no notifications control the Wyze cloud carries out (see the README's table of models)");

  CHECK(b.command(cam1, "power", "maybe").at("error") == "send on or off (also 1/0, true/false) to power");
  CHECK(b.sim.stat("run_action_calls") == 0);

  // A cloud that fails the call (HTTP 500): an error answer, the state unchanged.
  b.sim.control("POST", "/sim/fault", R"({"kind":"http500","count":1})");
  auto failed = b.command(cam1, "power", "off");
  CHECK(failed.at("error") == "run_action: HTTP 500");
  CHECK(b.watch.last("wyze/" + cam1 + "/power")->payload == "on");

  // The cloud refuses a camera that went offline since the last poll: the switch snaps back.
  b.sim.control("POST", "/sim/cameras/" + cam1, R"({"conn_state":0})");
  auto offline = b.command(cam1, "power", "off");
  CHECK(offline.at("status") == "error");
  CHECK(offline.at("error") == "run_action: the device is offline (code 3019)");
  CHECK(b.sim.stat("run_action_calls") == 1);
  CHECK(b.watch.last("wyze/" + cam1 + "/power")->payload == "on");
  CHECK(has_line(b.bridge->output(), "power off failed: run_action: the device is offline (code 3019)"));
  CHECK(has_line(b.metrics(), "wyze_bridge_commands_total{entity=\"power\",result=\"error\"} 2\n"));
}

TEST_CASE("the access token expiring between two commands is refreshed once, without a new login") {
  commanded_bridge b;
  CHECK(b.command(cam1, "notifications", "off").at("status") == "ok");
  b.sim.control("POST", "/sim/tokens/expire", "{}");
  CHECK(b.command(cam1, "notifications", "on").at("status") == "ok");
  CHECK(b.watch.wait_for("wyze/" + cam1 + "/notifications", "on"));
  CHECK(b.sim.stat("refreshes") == 1);
  CHECK(b.sim.stat("logins") == 1);
  CHECK(b.sim.stat("set_property_calls") == 3);  // the second was refused with 2001 once, then retried
}

TEST_CASE("while Wyze's rate limit pauses the account, commands are answered with an error and make no call") {
  commanded_bridge b;
  b.sim.control("POST", "/sim/ratelimit", R"({"remaining":3,"reset_in_s":600})");
  b.watch.request_poll();  // its answer carries the header: the bridge pauses
  auto answer = b.command(cam1, "power", "off");
  CHECK(answer.at("status") == "error");
  CHECK(answer.at("error").as_string().starts_with("waiting for Wyze's rate limit until "));
  CHECK(b.sim.stat("run_action_calls") == 0);
  CHECK(b.watch.last("wyze/" + cam1 + "/power")->payload == "on");
}

TEST_CASE("a retained power/set off left on the broker does not power the camera off when the bridge starts") {
  commanded_bridge b(3, "", [](commanded_bridge& fixture) {
    fixture.watch.publish("wyze/" + cam1 + "/power/set", "off", true);
    REQUIRE(retained(fixture.mqtt.port(), "wyze/+/+/set").size() == 1);
  });
  CHECK(eventually([&] { return retained(b.mqtt.port(), "wyze/+/+/set").empty(); }, 10s));
  CHECK(b.watch.request_poll() == R"({"status":"ok","data":{"cameras":3},"cameras":3})");
  CHECK(b.sim.stat("run_action_calls") == 0);
  CHECK(b.watch.last("wyze/" + cam1 + "/power")->payload == "on");
  CHECK(has_line(b.bridge->output(), "ignored the retained command \"off\" on wyze/" + cam1 + "/power/set"));
}

TEST_CASE("mqtt.commands: false removes the controls, also those an earlier run left, and listens to no command") {
  commanded_bridge b;
  REQUIRE(b.watch.wait_for("wyze/" + cam1 + "/power", "on"));
  b.bridge->signal(SIGTERM);
  REQUIRE(b.bridge->wait_exit(10s) == 0);
  // The same broker and account, now with commands off.
  auto config = write_config(b.dir, b.sim, b.mqtt, "  poll_interval: 1h\n", "  commands: false\n");
  subscriber watch(b.mqtt.port(), "#");
  auto bridge = start_bridge(b.dir, {"--config", config});
  REQUIRE_MESSAGE(watch.wait_for("wyze/" + cam1 + "/power", ""), bridge->output());  // cleared
  CHECK(watch.wait_until([&](const auto& last) {
    auto it = last.find("homeassistant/device/wyze_" + cam1 + "/config");
    return it != last.end() && !it->second.payload.empty() &&
           !json::parse(it->second.payload).at("cmps").as_object().contains("power");
  }));
  for (const char* key : {"power", "notifications", "motion_detection"})
    CHECK(retained(b.mqtt.port(), "wyze/" + cam1 + "/" + key).empty());
  // A command is not even looked at: no answer, no call (the poll request after it is answered first
  // and in order, so the command was received before).
  watch.publish("wyze/" + cam1 + "/power/set", "off");
  CHECK(watch.request_poll() == R"({"status":"ok","data":{"cameras":3},"cameras":3})");
  CHECK_FALSE(watch.last("wyze/bridge/response/command").has_value());
  CHECK(b.sim.stat("run_action_calls") == 0);
}

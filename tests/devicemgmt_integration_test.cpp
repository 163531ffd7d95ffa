// Wyze's current cameras end to end (SPEC §11): the simulator's `--newer-models` account (a Cam v3
// beside a Cam OG, a Cam Pan v4, a Floodlight Pro and a Battery Cam Pro), the bridge, a real
// mosquitto and Home Assistant's way of commanding, over real sockets.
#include "tests/camera_bridge.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <set>
#include <thread>

#include <signal.h>

namespace json = boost::json;
using namespace harness;

namespace {

const std::string v3 = "2CAA8E000001";           // Cam v3: the /app API
const std::string og = "GW_GC1_7C78B2A1B2C3";    // Cam OG
const std::string pan = "HL_PAN4_80482C5A1B2C";  // Cam Pan v4
const std::string flood_pro = "D03F27A1B2C4";    // Floodlight Pro
const std::string battery_pro = "D03F27A1B2C5";  // Battery Cam Pro (64 %, charging)

// The bridge on that account with a 2 s property interval; `extra` goes after the wyze section.
struct newer_bridge : camera_bridge {
  explicit newer_bridge(const std::string& extra = "")
      : camera_bridge(1, {"--newer-models"}, "  poll_interval: 1h\n  property_interval: 2s\n",
                      [&](const cloud&) { return extra; }) {
    start();
    // The first get_iot_prop of each has answered.
    for (const auto* id : {&og, &pan, &flood_pro, &battery_pro})
      REQUIRE_MESSAGE(watch.wait_for("wyze/" + *id + "/power", "on"), bridge->output());
  }
};

}  // namespace

TEST_CASE("the device-management models get the v3's entities their cloud carries out, with their states") {
  newer_bridge b;
  const std::set<std::string> common{"conn_state", "ip", "firmware", "power", "siren", "signal"};
  auto with = [&](std::initializer_list<const char*> more) {
    auto all = common;
    for (const auto* key : more) all.insert(key);
    return all;
  };
  // The OG: no notifications or motion switch (its toggles answer InvalidSignature2), no light.
  CHECK(keys(b.components(og)) == with({"sd_card"}));
  CHECK(keys(b.components(pan)) == with({"notifications", "motion_detection", "light"}));
  CHECK(keys(b.components(flood_pro)) == with({"notifications", "motion_detection", "light", "sd_card"}));
  CHECK(keys(b.components(battery_pro)) ==
        with({"notifications", "motion_detection", "light", "battery", "charging", "sd_card"}));
  // None has a restart: no peer shows a device-management call for it.
  CHECK(keys(b.components(v3)).count("restart") == 1);

  CHECK(b.components(pan).at("light").at("name") == "Spotlight");
  CHECK(b.components(flood_pro).at("light").at("name") == "Floodlight");
  auto card = b.components(og).at("sd_card").as_object();
  CHECK(card.at("ent_cat") == "diagnostic");
  CHECK(card.at("val_tpl") == "{{ value_json.state }}");
  CHECK(card.at("json_attr_t").as_string() == "wyze/" + og + "/sd_card");
  // The OG's id keeps its MAC for `connections`; the Pan v4's gives a MAC too.
  auto og_device = json::parse(b.watch.last("homeassistant/device/wyze_" + og + "/config")->payload).at("dev");
  CHECK(og_device.at("cns") == json::parse(R"([["mac","7c:78:b2:a1:b2:c3"]])"));

  CHECK(b.watch.wait_for("wyze/" + og + "/signal", "-57"));
  CHECK(b.watch.wait_for("wyze/" + og + "/siren", "off"));
  CHECK(b.watch.wait_for("wyze/" + pan + "/notifications", "on"));
  CHECK(b.watch.wait_for("wyze/" + pan + "/motion_detection", "on"));
  CHECK(b.watch.wait_for("wyze/" + pan + "/light", "off"));
  CHECK(b.watch.wait_for("wyze/" + battery_pro + "/battery", "64"));
  CHECK(b.watch.wait_for("wyze/" + battery_pro + "/charging", "on"));
  auto sd = json::parse(b.watch.last("wyze/" + og + "/sd_card")->payload).as_object();
  CHECK(sd == json::parse(R"({"state":"inserted","total_mb":30436,"used_mb":5120,"free_mb":25316,"status":1})"));
  auto metrics = b.metrics();
  CHECK(has_line(metrics, "wyze_bridge_cloud_requests_total{endpoint=\"get_iot_prop\"} "));
  // The v3 alone needs the batched read of the /app API (its siren).
  CHECK(b.sim.stat("device_list_property_calls") >= 1);
  CHECK(b.sim.stat("secret_props_asked") == 0);
}

TEST_CASE("the same entities pass in components mode") {
  newer_bridge b("homeassistant:\n  discovery_mode: components\n");
  auto snapshot = b.watch.snapshot();
  CHECK(snapshot.count("homeassistant/switch/wyze_" + pan + "/notifications/config"));
  CHECK(snapshot.count("homeassistant/sensor/wyze_" + og + "/sd_card/config"));
  CHECK(snapshot.count("homeassistant/light/wyze_" + battery_pro + "/light/config"));
  CHECK_FALSE(snapshot.count("homeassistant/switch/wyze_" + og + "/notifications/config"));
  CHECK_FALSE(snapshot.count("homeassistant/button/wyze_" + og + "/restart/config"));
}

TEST_CASE("an OG's power off is one device-management action and its state, and a v3 beside it keeps run_action") {
  newer_bridge b;
  auto answer = b.command(og, "power", "off");
  CHECK_MESSAGE(answer.at("status") == "ok", answer);
  CHECK(b.watch.wait_for("wyze/" + og + "/power", "off"));
  auto v3_answer = b.command(v3, "power", "off");
  CHECK(v3_answer.at("status") == "ok");
  CHECK(b.watch.wait_for("wyze/" + v3 + "/power", "off"));
  auto sent = sent_commands(b.sim);
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].at("endpoint") == "devicemgmt_run_action");
  CHECK(sent[0].at("mac").as_string() == og);
  CHECK(sent[0].at("what") == "iot-device");
  CHECK(sent[0].at("value") == "sleep");
  CHECK(sent[1].at("endpoint") == "run_action");
  CHECK(sent[1].at("what") == "power_off");
  // The state stays off through the next reads: the cloud says so too now.
  std::this_thread::sleep_for(3s);
  CHECK(b.watch.last("wyze/" + og + "/power")->payload == "off");
  CHECK(has_line(b.metrics(), "wyze_bridge_cloud_requests_total{endpoint=\"devicemgmt_run_action\"} 1"));
}

TEST_CASE("notifications and motion detection of a Pan v4 are one signed toggle call each, which the cloud accepts") {
  newer_bridge b;
  CHECK(b.command(pan, "notifications", "off").at("status") == "ok");
  CHECK(b.watch.wait_for("wyze/" + pan + "/notifications", "off"));
  CHECK(b.command(pan, "motion_detection", "off").at("status") == "ok");
  CHECK(b.watch.wait_for("wyze/" + pan + "/motion_detection", "off"));
  CHECK(b.sim.stat("toggle_calls") == 2);
  CHECK(b.sim.stat("toggle_bad_signatures") == 0);
  auto sent = sent_commands(b.sim);
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].at("endpoint") == "toggle");
  CHECK(sent[0].at("what") == "ge.push_switch");
  CHECK(sent[0].at("value") == "0");
  CHECK(sent[1].at("what") == "ge.motion_detect_recording");
  // The OG has no such switch: refused without a call.
  auto og_answer = b.command(og, "notifications", "off");
  CHECK(og_answer.at("status") == "error");
  CHECK(sent_commands(b.sim).size() == 2);
}

TEST_CASE("siren and light round trips on the device-management models") {
  newer_bridge b;
  CHECK(b.command(og, "siren", "ON").at("status") == "ok");
  CHECK(b.watch.wait_for("wyze/" + og + "/siren", "on"));
  CHECK(b.command(og, "siren", "OFF").at("status") == "ok");
  CHECK(b.watch.wait_for("wyze/" + og + "/siren", "off"));
  CHECK(b.command(flood_pro, "light", "ON").at("status") == "ok");
  CHECK(b.watch.wait_for("wyze/" + flood_pro + "/light", "on"));
  CHECK(b.command(battery_pro, "light", "ON").at("status") == "ok");
  CHECK(b.watch.wait_for("wyze/" + battery_pro + "/light", "on"));
  auto sent = sent_commands(b.sim);
  REQUIRE(sent.size() == 4);
  CHECK(sent[0].at("what") == "siren");
  CHECK(sent[0].at("value") == "siren-on");
  CHECK(sent[2].at("what") == "floodlight.on");
  CHECK(sent[2].at("value") == "1");
  CHECK(sent[3].at("what") == "spotlight.on");
  // What the reads say afterwards agrees.
  std::this_thread::sleep_for(3s);
  CHECK(b.watch.last("wyze/" + flood_pro + "/light")->payload == "on");
}

TEST_CASE("a state changed in the Wyze app appears within one property interval") {
  newer_bridge b;
  b.sim.control("POST", "/sim/cameras/" + og,
                R"({"properties":{"iot-device.iot-power":"0","siren.state":"1","wifi.signal-strength":"-70"}})");
  b.sim.control("POST", "/sim/cameras/" + battery_pro,
                R"({"properties":{"battery.battery-level":"31","memory-card-management.storage-used-space":"30000"}})");
  CHECK_MESSAGE(b.watch.wait_for("wyze/" + og + "/power", "off", 5s), b.bridge->output());
  CHECK(b.watch.wait_for("wyze/" + og + "/siren", "on", 5s));
  CHECK(b.watch.wait_for("wyze/" + og + "/signal", "-70", 5s));
  CHECK(b.watch.wait_for("wyze/" + battery_pro + "/battery", "31", 5s));
  CHECK(eventually(
      [&] {
        auto m = b.watch.last("wyze/" + battery_pro + "/sd_card");
        return m && json::parse(m->payload).at("free_mb") == 436;
      },
      5s));
}

TEST_CASE("a refused or failed device-management call snaps the switch back with its reason") {
  newer_bridge b;
  b.sim.control("POST", "/sim/fault",
                R"({"kind":"code","code":"3019","msg":"DeviceIsOffline","count":1,"endpoint":"/device-management/"})");
  auto offline = b.command(og, "power", "off");
  CHECK(offline.at("status") == "error");
  CHECK(std::string(offline.at("error").as_string()).find("offline") != std::string::npos);
  CHECK(b.watch.last("wyze/" + og + "/power")->payload == "on");
  b.sim.control("POST", "/sim/fault",
                R"({"kind":"http500","count":1,"endpoint":"/v4/subscription-service/toggle-management"})");
  auto failed = b.command(pan, "notifications", "off");
  CHECK(failed.at("status") == "error");
  CHECK(std::string(failed.at("error").as_string()).find("toggle-management") != std::string::npos);
  CHECK(b.watch.last("wyze/" + pan + "/notifications")->payload == "on");
}

TEST_CASE("1011 on the device-management API pauses only it: the v3 and the polls go on") {
  newer_bridge b;
  b.sim.control("POST", "/sim/fault", R"({"kind":"ratelimit","count":1,"endpoint":"/device-management/"})");
  auto limited = b.command(og, "siren", "ON");
  CHECK(limited.at("status") == "error");
  CHECK(std::string(limited.at("error").as_string()).find("device-management") != std::string::npos);
  CHECK(b.watch.last("wyze/" + og + "/siren")->payload == "off");
  // (The 1011 met the command, or a property read just before it.) The paused calls are kept from
  // leaving, reads and commands alike; the /app API's are not.
  auto sent = b.sim.stat("devicemgmt_action_calls") + b.sim.stat("iot_prop_calls");
  auto paused = b.command(og, "siren", "ON");
  CHECK(std::string(paused.at("error").as_string()).find("waiting for the device-management API") != std::string::npos);
  CHECK(b.command(v3, "siren", "ON").at("status") == "ok");
  CHECK(b.watch.wait_for("wyze/" + v3 + "/siren", "on"));
  CHECK(json::parse(b.watch.request_poll()).at("status") == "ok");
  CHECK(eventually([&] { return has_line(b.metrics(), "wyze_bridge_property_reads_total{result=\"paused\"}"); }, 10s));
  CHECK(b.sim.stat("devicemgmt_action_calls") + b.sim.stat("iot_prop_calls") == sent);
  CHECK(b.watch.last("wyze/" + og + "/power")->payload == "on");  // the last states stay
}

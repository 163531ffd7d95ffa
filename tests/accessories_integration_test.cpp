// The accessories and sensors end to end (SPEC 8b, §10): the simulator's demo account (a Cam v3, a v3
// with the garage door controller, a Floodlight v2, a Cam Outdoor v2 on its battery and a Video
// Doorbell), the bridge, a real mosquitto and Home Assistant's way of commanding, over real sockets.
#include "tests/camera_bridge.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <functional>
#include <set>
#include <thread>

#include <signal.h>

namespace json = boost::json;
using namespace harness;

namespace {

// The simulator's `--cameras 1 --accessories` account, in order.
const std::string v3 = "2CAA8E000001";          // Cam v3: a siren
const std::string garage = "2CAA8E000002";      // Cam v3 + HL_CGDC: a siren and the garage door
const std::string floodlight = "2CAA8E000003";  // Floodlight v2: a siren and a light
const std::string patio = "2CAA8E000004";       // Cam Outdoor v2: battery, charging, signal, siren
const std::string doorbell = "2CAA8E000005";    // Video Doorbell: signal, presses

// The bridge on that account with a 2 s property interval; `extra` goes after the wyze section;
// `events`: events on, every second.
struct accessory_bridge : camera_bridge {
  explicit accessory_bridge(const std::string& extra = "", bool events = false)
      : camera_bridge(1, {"--accessories"}, "  poll_interval: 1h\n  property_interval: 2s\n", [&](const cloud& sim) {
          return extra +
                 (events ? "events:\n  enabled: true\n  interval: 1s\n  api_url: " + sim.url() + "\n" : std::string());
        }) {
    start();
  }

  void start() {
    camera_bridge::start();
    // The first property read has answered: the garage door's state is known.
    REQUIRE_MESSAGE(watch.wait_for("wyze/" + garage + "/garage_door", "closed"), bridge->output());
  }
};

}  // namespace

TEST_CASE("each accessory and sensor is an entity of exactly the cameras that have it, with its state") {
  accessory_bridge b;
  const std::set<std::string> base{"conn_state",      "ip", "firmware", "power", "restart", "notifications",
                                   "motion_detection"};
  auto with = [&](std::initializer_list<const char*> more) {
    auto all = base;
    for (const auto* key : more) all.insert(key);
    return all;
  };
  CHECK(keys(b.components(v3)) == with({"siren"}));
  CHECK(keys(b.components(garage)) == with({"siren", "garage_door", "signal"}));
  CHECK(keys(b.components(floodlight)) == with({"siren", "light", "signal"}));
  // The Cam Outdoor v2: no restart; battery, charging and signal from the device list.
  CHECK(keys(b.components(patio)) == std::set<std::string>{"conn_state", "ip", "firmware", "power", "notifications",
                                                           "motion_detection", "battery", "charging", "signal",
                                                           "siren"});
  // The doorbell has no siren, and no presses while events are off.
  CHECK(keys(b.components(doorbell)) == with({"signal"}));

  auto light = b.components(floodlight).at("light").as_object();
  CHECK(light.at("p") == "light");
  CHECK(light.at("name") == "Floodlight");
  CHECK(light.at("cmd_t").as_string() == "wyze/" + floodlight + "/light/set");
  auto cover = b.components(garage).at("garage_door").as_object();
  CHECK(cover.at("p") == "cover");
  CHECK(cover.at("dev_cla") == "garage");
  CHECK(cover.at("pl_open") == "OPEN");
  CHECK(cover.at("pl_stop").is_null());
  auto siren = b.components(v3).at("siren").as_object();
  CHECK(siren.at("p") == "siren");
  CHECK(siren.at("sup_dur") == false);
  auto charging = b.components(patio).at("charging").as_object();
  CHECK(charging.at("dev_cla") == "battery_charging");
  CHECK(charging.at("ent_cat") == "diagnostic");
  auto signal = b.components(patio).at("signal").as_object();
  CHECK(signal.at("dev_cla") == "signal_strength");
  CHECK(signal.at("unit_of_meas") == "dBm");

  // The states: from the device list (battery, charging, signal) and the property read.
  CHECK(b.watch.wait_for("wyze/" + patio + "/battery", "76"));
  CHECK(b.watch.wait_for("wyze/" + patio + "/charging", "off"));
  CHECK(b.watch.wait_for("wyze/" + patio + "/signal", "-71"));
  CHECK(b.watch.wait_for("wyze/" + floodlight + "/light", "off"));
  CHECK(b.watch.wait_for("wyze/" + v3 + "/siren", "off"));
  CHECK_FALSE(b.watch.last("wyze/" + v3 + "/light"));
  CHECK_FALSE(b.watch.last("wyze/" + doorbell + "/siren"));
  CHECK_FALSE(b.watch.last("wyze/" + v3 + "/signal"));  // not in its device list: no entity, no topic
  // bridge/devices names them too.
  auto devices = json::parse(b.watch.last("wyze/bridge/devices")->payload).as_array();
  for (const auto& d : devices)
    if (d.at("id").as_string() == floodlight) CHECK(d.at("entities").as_array().size() == 10);
}

TEST_CASE("the same entities pass in components mode, each on its own platform's topic") {
  accessory_bridge b("homeassistant:\n  discovery_mode: components\n");
  CHECK(b.watch.wait_until([&](const auto& last) {
    return last.count("homeassistant/cover/wyze_" + garage + "/garage_door/config") &&
           last.count("homeassistant/light/wyze_" + floodlight + "/light/config") &&
           last.count("homeassistant/siren/wyze_" + v3 + "/siren/config") &&
           last.count("homeassistant/binary_sensor/wyze_" + patio + "/charging/config") &&
           last.count("homeassistant/sensor/wyze_" + doorbell + "/signal/config");
  }));
  auto snapshot = b.watch.snapshot();
  CHECK_FALSE(snapshot.count("homeassistant/light/wyze_" + v3 + "/light/config"));
  CHECK_FALSE(snapshot.count("homeassistant/cover/wyze_" + floodlight + "/garage_door/config"));
  CHECK_FALSE(snapshot.count("homeassistant/siren/wyze_" + doorbell + "/siren/config"));
  auto cover = json::parse(snapshot.at("homeassistant/cover/wyze_" + garage + "/garage_door/config").payload);
  CHECK(cover.at("stat_t").as_string() == "wyze/" + garage + "/garage_door");
  CHECK(cover.at("stat_clsd") == "closed");
}

TEST_CASE("the accessories' states are read in one batched call per interval, and the app's changes follow") {
  accessory_bridge b;
  // Changed in the Wyze app: the floodlight on, the door open, the siren sounding.
  b.sim.control("POST", "/sim/cameras/" + floodlight, R"({"properties":{"P1056":"1"}})");
  b.sim.control("POST", "/sim/cameras/" + garage, R"({"properties":{"P1056":"1"}})");
  b.sim.control("POST", "/sim/cameras/" + v3, R"({"properties":{"P1049":"1"}})");
  CHECK(b.watch.wait_for("wyze/" + floodlight + "/light", "on", 5s));
  CHECK(b.watch.wait_for("wyze/" + garage + "/garage_door", "open", 5s));
  CHECK(b.watch.wait_for("wyze/" + v3 + "/siren", "on", 5s));
  // One call for the whole account each interval, naming the four cameras with such states (not
  // the doorbell), through the one session (no second login).
  auto calls_before = b.sim.stat("device_list_property_calls");
  std::this_thread::sleep_for(5s);
  auto calls = b.sim.stat("device_list_property_calls");
  CHECK(calls - calls_before >= 2);
  CHECK(calls - calls_before <= 3);
  CHECK(b.sim.stat("device_list_property_devices") == 4 * calls);
  CHECK(b.sim.stat("get_property_list_calls") == 0);  // never one call per camera
  CHECK(b.sim.stat("logins") == 1);
  CHECK(b.sim.stat("device_list_calls") == 1);  // the device list keeps its own interval
  auto metrics = b.metrics();
  CHECK(has_line(metrics, "wyze_bridge_cloud_requests_total{endpoint=\"get_property_list\"} "));
  CHECK(has_line(metrics, "wyze_bridge_property_reads_total{result=\"ok\"} "));
  // The budget counts them as properties.
  auto budget = json::parse(b.watch.last("wyze/bridge/budget")->payload);
  CHECK(budget.at("by_kind").as_object().contains("properties"));
}

TEST_CASE("a failed property read keeps the last states and is said once, then reads again") {
  accessory_bridge b;
  REQUIRE(b.watch.wait_for("wyze/" + floodlight + "/light", "off"));
  b.sim.control("POST", "/sim/fault",
                R"({"kind":"http500","count":2,"endpoint":"/app/v2/device_list/get_property_list"})");
  REQUIRE(eventually([&] { return has_line(b.bridge->output(), "reading the accessories' states failed"); }, 10s));
  CHECK(b.watch.last("wyze/" + floodlight + "/light")->payload == "off");
  b.sim.control("POST", "/sim/cameras/" + floodlight, R"({"properties":{"P1056":"1"}})");
  CHECK_MESSAGE(b.watch.wait_for("wyze/" + floodlight + "/light", "on", 10s), b.bridge->output());
  CHECK(has_line(b.bridge->output(), "the accessories' states are read again"));
  auto output = b.bridge->output();
  auto first = output.find("reading the accessories' states failed");
  CHECK(output.find("reading the accessories' states failed", first + 1) == std::string::npos);
  CHECK(has_line(b.metrics(), "wyze_bridge_property_reads_total{result=\"error\"} 2"));
}

TEST_CASE("an account without such states makes no property call at all") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 0);
  // A Cam v2 (no siren, no accessory) and a Cam OG (the device-management API, not read here).
  REQUIRE(sim.control("POST", "/sim/cameras", R"({"product_model":"WYZEC1-JZ"})").status == 200);
  REQUIRE(sim.control("POST", "/sim/cameras", R"({"product_model":"GW_GC1"})").status == 200);
  subscriber watch(mqtt.port(), "#");
  auto config = write_config(dir, sim, mqtt, "  poll_interval: 1s\n  property_interval: 1s\n");
  auto bridge = start_bridge(dir, {"--config", config});
  REQUIRE_MESSAGE(watch.wait_for("wyze/2CAA8E000001/conn_state", "online"), bridge->output());
  REQUIRE(eventually([&] { return sim.stat("device_list_calls") >= 4; }, 10s));
  CHECK(sim.stat("device_list_property_calls") == 0);
  CHECK(sim.stat("get_property_list_calls") == 0);
}

TEST_CASE("siren, light and garage door commands: one cloud call of the right shape each, the state follows") {
  accessory_bridge b;
  auto answer = b.command(v3, "siren", "ON");
  CHECK(answer == json::object{{"status", "ok"}, {"camera", v3}, {"entity", "siren"}, {"value", "on"}});
  CHECK(b.watch.wait_for("wyze/" + v3 + "/siren", "on"));
  auto sent = sent_commands(b.sim);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].at("endpoint") == "run_action");
  CHECK(sent[0].at("what") == "siren_on");

  answer = b.command(floodlight, "light", "ON");
  CHECK(answer.at("status") == "ok");
  CHECK(b.watch.wait_for("wyze/" + floodlight + "/light", "on"));
  sent = sent_commands(b.sim);
  REQUIRE(sent.size() == 2);
  CHECK(sent[1].at("endpoint") == "set_property");
  CHECK(sent[1].at("what") == "P1056");
  CHECK(sent[1].at("value") == "1");
  b.command(floodlight, "light", "OFF");
  CHECK(sent_commands(b.sim).at(2).at("value") == "2");  // 2 is off for an accessory

  // The door is closed: OPEN triggers it once; OPEN again sends nothing; CLOSE triggers it again.
  answer = b.command(garage, "garage_door", "OPEN");
  CHECK(answer == json::object{{"status", "ok"}, {"camera", garage}, {"entity", "garage_door"}, {"value", "open"}});
  CHECK(b.watch.wait_for("wyze/" + garage + "/garage_door", "open"));
  CHECK(b.sim.stat("garage_triggers") == 1);
  answer = b.command(garage, "garage_door", "OPEN");
  CHECK(answer.at("status") == "ok");
  CHECK(b.sim.stat("garage_triggers") == 1);
  CHECK(has_line(b.bridge->output(), "garage_door is open already; nothing sent"));
  b.command(garage, "garage_door", "CLOSE");
  CHECK(b.watch.wait_for("wyze/" + garage + "/garage_door", "closed"));
  CHECK(b.sim.stat("garage_triggers") == 2);
  // The property reads that follow agree: nothing flips back.
  std::this_thread::sleep_for(3s);
  CHECK(b.watch.last("wyze/" + garage + "/garage_door")->payload == "closed");
  CHECK(b.watch.last("wyze/" + v3 + "/siren")->payload == "on");
  auto metrics = b.metrics();
  CHECK(has_line(metrics, "wyze_bridge_commands_total{entity=\"garage_door\",result=\"ok\"} 2"));
  CHECK(has_line(metrics, "wyze_bridge_commands_total{entity=\"garage_door\",result=\"unchanged\"} 1"));
}

TEST_CASE("accessory commands the cloud refuses, or a camera lacks, snap back or are refused without a call") {
  accessory_bridge b;
  // A doorbell has no siren; a v3 without accessory no light; words a cover does not take.
  auto no_siren = b.command(doorbell, "siren", "ON");
  CHECK(no_siren.at("status") == "error");
  CHECK(no_siren.at("error") ==
        "Video Doorbell cameras have no siren control the Wyze cloud carries out (see the README's table of models)");
  CHECK(b.command(v3, "light", "ON").at("status") == "error");
  auto stop = b.command(garage, "garage_door", "STOP");
  CHECK(stop.at("error") == "send OPEN or CLOSE to garage_door");
  CHECK(sent_commands(b.sim).empty());
  // Offline (3019): the siren snaps back, the reason answered.
  b.sim.control("POST", "/sim/fault", R"({"kind":"code","code":"3019","msg":"DeviceIsOffline","count":1})");
  auto offline = b.command(v3, "siren", "ON");
  CHECK(offline.at("status") == "error");
  CHECK(std::string(offline.at("error").as_string()).find("3019") != std::string::npos);
  CHECK(b.watch.last("wyze/" + v3 + "/siren")->payload == "off");
  // A retained /set left on the broker is never carried out: a door must not open at a restart.
  b.stop();
  b.watch.publish("wyze/" + garage + "/garage_door/set", "OPEN", true);
  b.start();
  REQUIRE(eventually([&] { return has_line(b.bridge->output(), "ignored the retained command \"OPEN\""); }, 10s));
  CHECK(b.sim.stat("garage_triggers") == 0);
  CHECK(retained(b.mqtt.port(), "wyze/+/garage_door/set").empty());
}

TEST_CASE("the Outdoor camera's motion switch goes through set_property_list with P1029") {
  accessory_bridge b;
  auto answer = b.command(patio, "motion_detection", "off");
  CHECK_MESSAGE(answer.at("status") == "ok", answer);
  CHECK(b.watch.wait_for("wyze/" + patio + "/motion_detection", "off"));
  auto sent = sent_commands(b.sim);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].at("endpoint") == "set_property_list");
  CHECK(sent[0].at("what") == "P1029");
  CHECK(sent[0].at("value") == "0");
  CHECK(b.sim.stat("set_property_calls") == 0);
}

TEST_CASE("a doorbell press is one doorbell message, never repeated after a restart, never for a stale press") {
  accessory_bridge b("", true);
  auto press = b.components(doorbell).at("doorbell").as_object();
  CHECK(press.at("p") == "event");
  CHECK(press.at("dev_cla") == "doorbell");
  CHECK(press.at("event_types") == json::array{"press"});
  CHECK_FALSE(b.components(v3).contains("doorbell"));
  REQUIRE(eventually([&] { return b.sim.stat("event_list_calls") >= 1; }, 10s));

  auto created = json::parse(b.sim.control("POST", "/sim/events", R"({"mac":")" + doorbell + R"(","value":10})").body);
  std::string id(created.at("events").at(0).at("event_id").as_string());
  REQUIRE_MESSAGE(eventually([&] { return b.watch.history("wyze/" + doorbell + "/doorbell").size() == 1; }, 10s),
                  b.bridge->output());
  auto message = b.watch.history("wyze/" + doorbell + "/doorbell").at(0);
  CHECK_FALSE(message.retained);
  auto payload = json::parse(message.payload).as_object();
  CHECK(payload.at("event_type") == "press");
  CHECK(payload.at("event_id").as_string() == id);
  CHECK(payload.size() == 3);
  // The press is an event like any other too: the event entity and last_event have it.
  CHECK(b.watch.wait_until([&](const auto& last) {
    auto it = last.find("wyze/" + doorbell + "/event");
    return it != last.end() && it->second.payload.find(id) != std::string::npos;
  }));
  // A motion event of the doorbell is no press.
  b.sim.control("POST", "/sim/events", R"({"mac":")" + doorbell + R"(","value":1})");
  REQUIRE(eventually([&] { return b.watch.history("wyze/" + doorbell + "/event").size() == 2; }, 10s));
  CHECK(b.watch.history("wyze/" + doorbell + "/doorbell").size() == 1);
  CHECK(has_line(b.metrics(), "wyze_bridge_events_total{type=\"doorbell\"} 1"));

  // After a restart the press is not announced again; a press older than 5 minutes never is.
  b.stop();
  b.sim.control("POST", "/sim/events", R"({"mac":")" + doorbell + R"(","value":10,"age_s":600})");
  b.start();
  REQUIRE(eventually([&] { return b.sim.stat("event_list_calls") >= 4; }, 10s));
  std::this_thread::sleep_for(2s);
  CHECK(b.watch.history("wyze/" + doorbell + "/doorbell").size() == 1);
}

TEST_CASE("a rate limit met by the property read pauses the account's calls, and the reads wait too") {
  accessory_bridge b;
  b.sim.control("POST", "/sim/fault",
                R"({"kind":"ratelimit","count":1,"endpoint":"/app/v2/device_list/get_property_list"})");
  REQUIRE_MESSAGE(
      eventually([&] { return has_line(b.metrics(), "wyze_bridge_property_reads_total{result=\"rate_limited\"} 1"); },
                 10s),
      b.bridge->output());
  // The next reads are kept from leaving (they cost the account nothing), and so is a poll.
  auto calls = b.sim.stat("device_list_property_calls");
  bool paused =
      eventually([&] { return has_line(b.metrics(), "wyze_bridge_property_reads_total{result=\"paused\"} 2"); }, 10s);
  INFO(b.metrics());
  INFO(b.bridge->output());
  CHECK(paused);
  CHECK(b.sim.stat("device_list_property_calls") == calls);
  auto poll = json::parse(b.watch.request_poll()).as_object();
  CHECK(poll.at("status") == "error");
  CHECK(b.watch.last("wyze/" + floodlight + "/light")->payload == "off");  // the last state stays
}

// Camera events and pictures end to end (SPEC §8): the simulated cloud creates events, the bridge
// polls the signed v4 event list and publishes motion, event, last_event and the picture on a real
// mosquitto, over real sockets.
#include "tests/camera_bridge.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <set>

#include <signal.h>

namespace json = boost::json;
using namespace harness;

namespace {

const std::string cam1 = "2CAA8E000001";
const std::string cam2 = "2CAA8E000002";

// A bridge with events on (a 1 s interval, motion off after 5 s), metrics, and a subscriber on
// everything. `events_extra` is added to the events section.
struct evented_bridge : camera_bridge {
  explicit evented_bridge(const std::string& events_extra = "", int cameras = 2)
      : camera_bridge(cameras, {}, "  poll_interval: 1h\n", [&](const cloud& sim) {
          return "events:\n  enabled: true\n  interval: 1s\n  motion_off_after: 5s\n  api_url: " + sim.url() + "\n" +
                 events_extra;
        }) {
    start();
  }

  void start() {
    camera_bridge::start();
    REQUIRE_MESSAGE(watch.wait_for("wyze/" + cam1 + "/motion", "off"), bridge->output());
    // The first event poll has happened: events created from now on come with the next one.
    REQUIRE_MESSAGE(eventually([&] { return sim.stat("event_list_calls") >= 1; }, 10s), bridge->output());
  }

  // Creates events on the simulator; returns their ids.
  std::vector<std::string> create(const std::string& body) {
    auto answer = sim.control("POST", "/sim/events", body);
    REQUIRE_MESSAGE(answer.status == 200, answer.body);
    std::vector<std::string> ids;
    auto created = json::parse(answer.body);
    for (const auto& e : created.at("events").as_array()) ids.emplace_back(e.at("event_id").as_string());
    return ids;
  }

  std::vector<std::string> event_ids(const std::string& camera) {
    std::vector<std::string> ids;
    for (const auto& m : watch.history("wyze/" + camera + "/event"))
      ids.emplace_back(json::parse(m.payload).at("event_id").as_string());
    return ids;
  }
};

}  // namespace

TEST_CASE("an event turns motion on, announces the event with its time, and motion turns off again") {
  evented_bridge b;
  auto ids = b.create(R"({"mac":")" + cam1 + R"(","value":1})");
  REQUIRE_MESSAGE(b.watch.wait_for("wyze/" + cam1 + "/motion", "on"), b.bridge->output());
  auto on_at = std::chrono::steady_clock::now();
  REQUIRE(b.watch.wait_until([&](const auto& last) { return last.count("wyze/" + cam1 + "/event") > 0; }));
  auto event = json::parse(b.watch.last("wyze/" + cam1 + "/event")->payload).as_object();
  CHECK(event.at("event_type") == "motion");
  CHECK(event.at("event_id").as_string() == ids[0]);
  CHECK(event.at("tags").as_array().empty());
  CHECK_FALSE(b.watch.last("wyze/" + cam1 + "/event")->retained);
  // last_event is the event's time, retained, in the form the other timestamps have.
  std::string time(event.at("time").as_string());
  CHECK(time.size() == 20);
  CHECK(b.watch.wait_for("wyze/" + cam1 + "/last_event", time));
  // The other camera saw nothing.
  CHECK(b.watch.last("wyze/" + cam2 + "/motion")->payload == "off");
  REQUIRE_MESSAGE(b.watch.wait_for("wyze/" + cam1 + "/motion", "off", 15s), b.bridge->output());
  CHECK(std::chrono::steady_clock::now() - on_at >= 4s);
  auto text = b.metrics();
  CHECK(text.find("wyze_bridge_events_total{type=\"motion\"} 1") != std::string::npos);
  CHECK(text.find("wyze_bridge_event_calls_total{result=\"ok\"}") != std::string::npos);
  // Retained: a subscriber that comes later sees the state.
  auto kept = retained(b.mqtt.port(), "wyze/" + cam1 + "/+");
  CHECK(kept["wyze/" + cam1 + "/motion"] == "off");
  CHECK(kept["wyze/" + cam1 + "/last_event"] == time);
  CHECK(kept.count("wyze/" + cam1 + "/event") == 0);
}

TEST_CASE("a person event gives event_type person, and the event entity is announced with its types") {
  evented_bridge b;
  b.create(R"({"mac":")" + cam2 + R"(","value":1,"tags":[101]})");
  REQUIRE(b.watch.wait_until([&](const auto& last) { return last.count("wyze/" + cam2 + "/event") > 0; }));
  auto event = json::parse(b.watch.last("wyze/" + cam2 + "/event")->payload).as_object();
  CHECK(event.at("event_type") == "person");
  REQUIRE(event.at("tags").as_array().size() == 1);
  CHECK(event.at("tags").as_array()[0].as_int64() == 101);
  CHECK(b.watch.wait_for("wyze/" + cam2 + "/motion", "on"));
  auto config = json::parse(b.watch.last("homeassistant/device/wyze_" + cam2 + "/config")->payload);
  const auto& cmps = config.at("cmps").as_object();
  CHECK(cmps.at("event").at("p") == "event");
  CHECK(cmps.at("event").at("stat_t").as_string() == "wyze/" + cam2 + "/event");
  std::set<std::string> types;
  for (const auto& t : cmps.at("event").at("event_types").as_array()) types.emplace(t.as_string());
  for (const char* type : {"motion", "person", "vehicle", "pet", "package", "sound", "face", "doorbell"})
    CHECK_MESSAGE(types.count(type), type);
  CHECK(cmps.at("motion").at("dev_cla") == "motion");
  CHECK(cmps.at("last_event").at("dev_cla") == "timestamp");
  CHECK(cmps.at("picture").at("p") == "image");
  CHECK(cmps.at("picture").at("image_topic").as_string() == "wyze/" + cam2 + "/picture");
  CHECK(cmps.at("picture").at("content_type") == "image/jpeg");
}

TEST_CASE("the picture on the broker is byte for byte what the picture host served, and no signed URL leaks") {
  evented_bridge b;
  auto ids = b.create(R"({"mac":")" + cam1 + R"(","value":1,"picture_size":50000})");
  auto served = b.sim.control("GET", "/sim/pictures/" + ids[0]);
  REQUIRE(served.status == 200);
  REQUIRE(served.body.size() >= 50000);
  REQUIRE_MESSAGE(b.watch.wait_for("wyze/" + cam1 + "/picture", served.body), b.bridge->output());
  CHECK(retained(b.mqtt.port(), "wyze/" + cam1 + "/picture")["wyze/" + cam1 + "/picture"] == served.body);
  CHECK(b.sim.stat("picture_downloads") == 1);
  CHECK(b.metrics().find("wyze_bridge_pictures_total{result=\"ok\"} 1") != std::string::npos);
  b.stop();
  std::string seen = b.bridge->output() + b.metrics();
  for (const auto& [topic, m] : b.watch.snapshot()) seen += topic + " " + m.payload + "\n";
  CHECK(seen.find("X-Amz-Signature") == std::string::npos);
  auto secrets = json::parse(b.sim.control("GET", "/sim/secrets").body);
  for (const auto& secret : secrets.as_array())
    CHECK_MESSAGE(seen.find(secret.as_string()) == std::string::npos, secret);
}

TEST_CASE("a 2 MiB picture is refused with a clear log line, and the event still comes") {
  evented_bridge b;
  b.create(R"({"mac":")" + cam1 + R"(","value":1,"picture_size":2097152})");
  REQUIRE(b.watch.wait_for("wyze/" + cam1 + "/motion", "on"));
  REQUIRE_MESSAGE(
      eventually([&] { return b.bridge->output().find("larger than events.max_picture") != std::string::npos; }, 10s),
      b.bridge->output());
  CHECK(b.bridge->output().find("the picture of camera " + cam1 +
                                " was refused: it is larger than events.max_picture (1 MiB); the previous picture "
                                "stays") != std::string::npos);
  CHECK_FALSE(b.watch.last("wyze/" + cam1 + "/picture"));
  CHECK(b.metrics().find("wyze_bridge_pictures_total{result=\"too_large\"} 1") != std::string::npos);
  // Not tried again: it would be refused again.
  CHECK(b.sim.stat("picture_downloads") == 1);
}

TEST_CASE("a burst of 45 events in one interval arrives complete and in order") {
  evented_bridge b;
  auto ids = b.create(R"({"mac":")" + cam1 + R"(","value":1,"count":45,"picture":false})");
  REQUIRE(ids.size() == 45);
  REQUIRE_MESSAGE(eventually([&] { return b.event_ids(cam1).size() >= 45; }, 15s), b.bridge->output());
  std::this_thread::sleep_for(2500ms);  // two more intervals: nothing repeats
  CHECK(b.event_ids(cam1) == ids);
  // 20 + 20 + 5: three calls for the burst, at once.
  CHECK(b.metrics().find("wyze_bridge_events_total{type=\"motion\"} 45") != std::string::npos);
}

TEST_CASE("1011 on the event list pauses only the event poll, and the device list is polled as before") {
  evented_bridge b;
  b.sim.control("POST", "/sim/fault", R"({"kind":"ratelimit","count":1,"endpoint":"/app/v4/device/get_event_list"})");
  REQUIRE_MESSAGE(eventually(
                      [&] {
                        return b.bridge->output().find("event list") != std::string::npos &&
                               b.bridge->output().find("1011") != std::string::npos;
                      },
                      10s),
                  b.bridge->output());
  auto calls = b.sim.stat("event_list_calls");
  b.sim.control("POST", "/sim/cameras/" + cam1, R"({"ip":"192.168.1.77"})");
  CHECK(b.watch.request_poll().find("\"ok\"") != std::string::npos);
  CHECK(b.watch.wait_for("wyze/" + cam1 + "/ip", "192.168.1.77"));
  CHECK(b.watch.last("wyze/bridge/cloud")->payload == "online");
  std::this_thread::sleep_for(3s);  // three intervals: no event call while paused
  CHECK(b.sim.stat("event_list_calls") == calls);
  CHECK(b.metrics().find("wyze_bridge_event_calls_total{result=\"rate_limited\"} 1") != std::string::npos);
  CHECK(b.bridge->output().find("no event-list calls before") != std::string::npos);
}

TEST_CASE("a restart neither repeats nor loses events, and motion left on by a stop is turned off") {
  evented_bridge b;
  auto first = b.create(R"({"mac":")" + cam1 + R"(","value":1,"count":2,"picture":false})");
  REQUIRE_MESSAGE(eventually([&] { return b.event_ids(cam1).size() >= 2; }, 10s), b.bridge->output());
  REQUIRE(b.watch.wait_for("wyze/" + cam1 + "/motion", "on"));
  b.stop();  // while motion is on
  CHECK(retained(b.mqtt.port(), "wyze/" + cam1 + "/motion")["wyze/" + cam1 + "/motion"] == "on");
  auto while_down = b.create(R"({"mac":")" + cam1 + R"(","value":2,"count":3,"picture":false})");
  subscriber after(b.mqtt.port(), "wyze/" + cam1 + "/#");
  b.start();
  REQUIRE_MESSAGE(eventually([&] { return after.history("wyze/" + cam1 + "/event").size() >= 3; }, 10s),
                  b.bridge->output());
  std::this_thread::sleep_for(2500ms);
  std::vector<std::string> seen;
  for (const auto& m : after.history("wyze/" + cam1 + "/event"))
    seen.emplace_back(json::parse(m.payload).at("event_id").as_string());
  CHECK(seen == while_down);
  // The motion the stop left on is off at the next start (the sound events do not turn it on).
  auto motion = after.history("wyze/" + cam1 + "/motion");
  REQUIRE_FALSE(motion.empty());
  CHECK(motion.back().payload == "off");
}

TEST_CASE("with events off, the picture follows the device list's thumbnail: one download per new picture") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 1);
  auto config = write_config(dir, sim, mqtt, "  poll_interval: 1h\n", "events:\n  pictures: true\n");
  subscriber watch(mqtt.port(), "#");
  auto bridge = start_bridge(dir, {"--config", config});
  auto first = sim.control("GET", "/sim/pictures/thumbnail/" + cam1);
  REQUIRE_MESSAGE(watch.wait_for("wyze/" + cam1 + "/picture", first.body), bridge->output());
  CHECK(sim.stat("picture_downloads") == 1);
  CHECK(sim.stat("event_list_calls") == 0);
  CHECK_FALSE(watch.last("wyze/" + cam1 + "/motion"));
  // A poll with the same thumbnail downloads nothing.
  CHECK(watch.request_poll().find("\"ok\"") != std::string::npos);
  std::this_thread::sleep_for(500ms);
  CHECK(sim.stat("picture_downloads") == 1);
  // A new event gives the camera a new thumbnail: the next poll brings it.
  auto answer = sim.control("POST", "/sim/events", R"({"mac":")" + cam1 + R"(","picture_size":20000})");
  auto id = std::string(json::parse(answer.body).at("events").at(0).at("event_id").as_string());
  auto second = sim.control("GET", "/sim/pictures/" + id);
  REQUIRE(second.body != first.body);
  CHECK(watch.request_poll().find("\"ok\"") != std::string::npos);
  CHECK_MESSAGE(watch.wait_for("wyze/" + cam1 + "/picture", second.body), bridge->output());
  CHECK(sim.stat("picture_downloads") == 2);
  // A restart downloads nothing again: the picture's time is kept in the state directory.
  bridge->signal(SIGTERM);
  REQUIRE(bridge->wait_exit(10s) == 0);
  REQUIRE(watch.wait_for("wyze/bridge/state", "offline"));
  bridge = start_bridge(dir, {"--config", config});
  REQUIRE(watch.wait_for("wyze/bridge/state", "online"));
  std::this_thread::sleep_for(500ms);  // its subscriptions follow the online message
  REQUIRE(watch.request_poll().find("\"ok\"") != std::string::npos);
  std::this_thread::sleep_for(500ms);
  CHECK(sim.stat("picture_downloads") == 2);
  // Turned off: the picture and its entity are cleared.
  bridge->signal(SIGTERM);
  REQUIRE(bridge->wait_exit(10s) == 0);
  run_once(dir, write_config(dir, sim, mqtt, "  poll_interval: 1h\n", "events:\n  pictures: false\n"));
  auto kept = retained(mqtt.port());
  CHECK(kept.count("wyze/" + cam1 + "/picture") == 0);
  CHECK(json::parse(kept["homeassistant/device/wyze_" + cam1 + "/config"]).at("cmps").as_object().count("picture") ==
        0);
}

// The fault suite of issue #7 that needs more than one failing call: the cloud's answers cut off,
// reset or trickled (slow-loris), a broker that is not there for the first minute, a host that
// takes the connection and never answers, and a broker frozen past the keepalive. Real processes,
// every wait bounded.
#include "tests/harness.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <boost/json.hpp>

#include <thread>

using namespace harness;
namespace json = boost::json;

namespace {

// The retained picture of `cameras` cameras is complete: every state and discovery config.
bool complete(std::uint16_t port, int cameras) {
  auto topics = retained(port);
  int found = 0;
  for (const auto& [topic, payload] : topics)
    if (topic.starts_with("wyze/2CAA8E") || topic.starts_with("homeassistant/device/wyze_2CAA8E")) ++found;
  // 8 states (conn_state, ip, firmware, power, notifications, motion_detection, the siren (these
  // are a Cam v3, v4 and Pan v3), attributes) and a config.
  return found == cameras * 9 && topics["wyze/bridge/state"] == "online" && topics["wyze/bridge/cloud"] == "online";
}

}  // namespace

TEST_CASE("a cut-off answer, a connection reset and a slow-loris answer are each a failed poll, then it recovers") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 3);
  auto config = write_config(dir, sim, mqtt, "  poll_interval: 1h\n  timeout: 2s\n");
  subscriber watch(mqtt.port(), "#");
  auto bridge = start_bridge(dir, {"--config", config});
  REQUIRE_MESSAGE(eventually([&] { return complete(mqtt.port(), 3); }, 15s), bridge->output());
  auto before = retained(mqtt.port(), "wyze/2CAA8E000001/#");
  REQUIRE(before.size() == 8);

  // A reset before any byte of the answer is retried once on a fresh connection (the server may
  // just have closed a kept-alive one): one reset costs nothing, two are a failed poll.
  sim.control("POST", "/sim/fault", R"({"kind":"reset","count":1})");
  CHECK(json::parse(watch.request_poll()).as_object().at("status") == "ok");
  for (const auto& fault : {std::pair{"truncated", 1}, {"reset", 2}, {"slowloris", 1}}) {
    const auto& [kind, count] = fault;
    CAPTURE(fault.first);
    sim.control("POST", "/sim/fault", json::serialize(json::object{{"kind", kind}, {"count", count}}));
    auto started = std::chrono::steady_clock::now();
    auto failed = json::parse(watch.request_poll()).as_object();
    CHECK(failed.at("status") == "error");
    CHECK_FALSE(failed.at("error").as_string().empty());
    // Bounded by wyze.timeout (2 s), not by how long the cloud keeps trickling.
    CHECK(std::chrono::steady_clock::now() - started < 8s);
    CHECK(json::parse(watch.request_poll()).as_object().at("status") == "ok");
  }
  CHECK(bridge->running());
  // No wrong state was published: the camera's topics are what they were.
  auto after = retained(mqtt.port(), "wyze/2CAA8E000001/#");
  CHECK(after.size() == 8);
  for (const auto& retained : before) CHECK_MESSAGE(after[retained.first] == retained.second, retained.first);

  // Three in a row and the cloud is reported offline; the next success brings it back.
  sim.control("POST", "/sim/fault", R"({"kind":"truncated","count":3})");
  for (int i = 0; i < 3; ++i) watch.request_poll();
  CHECK(watch.wait_for("wyze/bridge/cloud", "offline"));
  CHECK(json::parse(watch.request_poll()).as_object().at("status") == "ok");
  CHECK(watch.wait_for("wyze/bridge/cloud", "online"));
}

TEST_CASE("a broker that is not there for the first minute: the bridge waits, then publishes everything") {
  temp_dir dir;
  broker mqtt(dir, "", false);  // nothing listens yet
  cloud sim(dir, 2);
  auto config = write_config(dir, sim, mqtt);
  auto bridge = start_bridge(dir, {"--config", config});
  std::this_thread::sleep_for(60s);
  CHECK(bridge->running());
  CHECK(bridge->output().find("cannot connect") != std::string::npos);
  mqtt.start();
  // The retry backoff tops out at 60 s: the next attempt comes within it.
  CHECK_MESSAGE(eventually([&] { return complete(mqtt.port(), 2); }, 70s), bridge->output());
}

TEST_CASE(
    "a host that takes the connection and never answers: the bridge says so, and connects once a broker answers") {
  temp_dir dir;
  broker mqtt(dir, "", false);  // its port, with nothing behind it yet
  cloud sim(dir, 2);
  auto config = write_config(dir, sim, mqtt);
  auto silent = std::make_unique<silent_listener>(mqtt.port());
  auto bridge = start_bridge(dir, {"--config", config});
  auto said = [&] { return bridge->output().find(" did not answer within 10 s") != std::string::npos; };
  REQUIRE_MESSAGE(eventually(said, 20s), bridge->output());
  CHECK(bridge->output().find("cannot connect: " + mqtt.url() + " did not answer within 10 s") != std::string::npos);
  CHECK(bridge->running());
  silent.reset();
  mqtt.start();
  // The next attempt comes after the backoff (1 or 2 s by now) and is answered.
  CHECK_MESSAGE(eventually([&] { return complete(mqtt.port(), 2); }, 30s), bridge->output());
}

TEST_CASE("a broker frozen past the keepalive, then resumed: the bridge reconnects and the picture is whole") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 2);
  auto config = write_config(dir, sim, mqtt, "  poll_interval: 1h\n", "  keepalive: 5s\n");
  auto bridge = start_bridge(dir, {"--config", config});
  REQUIRE_MESSAGE(eventually([&] { return complete(mqtt.port(), 2); }, 15s), bridge->output());
  mqtt.signal(SIGSTOP);
  // Paho gives up on a PINGRESP after the keepalive; a new CONNECT then waits on the frozen broker.
  CHECK(eventually([&] { return bridge->output().find("connection to the broker lost") != std::string::npos; }, 20s));
  mqtt.signal(SIGCONT);
  // Resumed, the broker also ends the old connection, whose Last Will says offline: the picture,
  // bridge/state included, must still end up online and complete.
  CHECK_MESSAGE(eventually([&] { return complete(mqtt.port(), 2); }, 40s), bridge->output());
  std::this_thread::sleep_for(12s);  // past the broker's own keepalive check of the old connection
  CHECK_MESSAGE(complete(mqtt.port(), 2), bridge->output());
  CHECK(bridge->running());
}

TEST_CASE("an interim 100 Continue, a stale answer behind the real one and a 16 MiB chunk-size line") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 2);
  auto config = write_config(dir, sim, mqtt);
  subscriber watch(mqtt.port(), "#");
  auto bridge = start_bridge(dir, {"--config", config});
  REQUIRE_MESSAGE(eventually([&] { return complete(mqtt.port(), 2); }, 15s), bridge->output());

  // 100 Continue is skipped: the real answer that follows it is the poll's.
  sim.control("POST", "/sim/fault", R"({"kind":"interim","count":1})");
  CHECK(watch.request_poll() == R"({"status":"ok","data":{"cameras":2},"cameras":2})");

  // An empty device list sent, unasked, right behind a real answer on a kept-alive connection:
  // the next poll must not take it for its own (it would clear every camera).
  sim.control("POST", "/sim/fault", R"({"kind":"stale-follows","count":1})");
  CHECK(watch.request_poll() == R"({"status":"ok","data":{"cameras":2},"cameras":2})");
  CHECK(watch.request_poll() == R"({"status":"ok","data":{"cameras":2},"cameras":2})");
  CHECK(complete(mqtt.port(), 2));

  // A chunk-size line of 16 MiB is a failed poll with a reason, read no further than 256 KiB.
  sim.control("POST", "/sim/fault", R"({"kind":"huge-chunk-line","count":1})");
  auto failed = json::parse(watch.request_poll()).as_object();
  CHECK(failed.at("status") == "error");
  CHECK(std::string(failed.at("error").as_string()).find("chunk framing are larger than any real answer") !=
        std::string::npos);
  CHECK(watch.request_poll() == R"({"status":"ok","data":{"cameras":2},"cameras":2})");
  CHECK(complete(mqtt.port(), 2));
}

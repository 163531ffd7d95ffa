// The built bridge against wyze-cloud-sim and a real mosquitto, over real sockets on 127.0.0.1.
#include "tests/harness.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <boost/json.hpp>

#include <fstream>
#include <sstream>
#include <thread>

namespace json = boost::json;
using namespace harness;

namespace {

// Rewrites a file in place with `edit`.
void edit_file(const std::string& path, const std::function<void(std::string&)>& edit) {
  std::string text;
  {
    std::ifstream in(path);
    std::ostringstream all;
    all << in.rdbuf();
    text = all.str();
  }
  edit(text);
  std::ofstream(path) << text;
}

// The camera of the simulator's generated account at `index` (see sim/account.cpp).
std::string sim_mac(int index) {
  char mac[16];
  std::snprintf(mac, sizeof mac, "2CAA8E%06X", index + 1);
  return mac;
}

// A running bridge with its broker, simulator and a subscriber on everything.
struct running_bridge {
  /// `logged_in_before`: a --once run first leaves a saved session whose login is long past, so
  /// the running bridge starts without logging in and may log in again at once.
  explicit running_bridge(int cameras = 3, const std::string& wyze_extra = "  poll_interval: 1h\n",
                          const std::string& extra = "", std::string base_topic = "wyze", bool logged_in_before = false)
      : base(std::move(base_topic)),
        mqtt(dir),
        sim(dir, cameras),
        config(write_config(dir, sim, mqtt, wyze_extra, extra)),
        watch(mqtt.port(), "#") {
    if (logged_in_before) {
      auto once = run_once(dir, config);
      forget_last_login(dir);
    }
    bridge = start_bridge(dir, {"--config", config, "--log-level", "debug"});
    REQUIRE_MESSAGE(watch.wait_for(base + "/bridge/state", "online"), bridge->output());
    REQUIRE_MESSAGE(watch.wait_for(base + "/bridge/cloud", "online"), bridge->output());
  }

  // Asks for a poll on the request topic and returns the response.
  json::object poll() {
    std::string answer = watch.request_poll(base);
    REQUIRE_MESSAGE(!answer.empty(), bridge->output());
    return json::parse(answer).as_object();
  }

  std::string base;

  temp_dir dir;
  broker mqtt;
  cloud sim;
  std::string config;
  subscriber watch;
  std::unique_ptr<process> bridge;
};

}  // namespace

TEST_CASE("--once publishes every camera with its discovery, then exits 0") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 3);
  auto bridge = run_once(dir, write_config(dir, sim, mqtt));

  auto topics = retained(mqtt.port());
  CHECK(topics["wyze/2CAA8E000001/conn_state"] == "online");
  CHECK(topics["wyze/2CAA8E000001/ip"] == "192.168.1.2");
  CHECK(topics["wyze/2CAA8E000001/firmware"] == "4.36.11.7000");
  CHECK(topics["wyze/2CAA8E000002/ip"] == "192.168.1.3");
  CHECK(topics["wyze/2CAA8E000003/firmware"] == "4.36.11.7002");
  auto attributes = json::parse(topics["wyze/2CAA8E000001/attributes"]).as_object();
  CHECK(attributes.at("nickname") == "Camera 1");
  CHECK(attributes.at("model_name") == "Cam v3");
  for (int i = 0; i < 3; ++i) {
    auto config = json::parse(topics["homeassistant/device/wyze_" + sim_mac(i) + "/config"]).as_object();
    CHECK(config.at("dev").at("name") == json::value("Camera " + std::to_string(i + 1)));
    // conn_state, ip, firmware, and the controls of these models (a Cam v3, v4 and Pan v3), siren included
    CHECK(config.at("cmps").as_object().size() == 8);
    // --once reads the sirens' states too, before it finishes (one batched call).
    CHECK(topics["wyze/" + sim_mac(i) + "/siren"] == "off");
  }
  CHECK(sim.stat("device_list_property_calls") == 1);
  CHECK(topics.count("homeassistant/device/wyze_mqtt_bridge_wyze/config") == 1);
  // The plug and the lamp of the account are not cameras.
  CHECK(topics.count("wyze/7C78B2000001/ip") == 0);
  CHECK(topics["wyze/bridge/cloud"] == "online");
  CHECK(topics["wyze/bridge/state"] == "offline");  // the bridge is not running any more
  auto info = json::parse(topics["wyze/bridge/info"]).as_object();
  CHECK(info.at("cameras") == 3);
  CHECK(info.at("last_error").is_null());
  CHECK(info.at("last_success").is_string());
  CHECK(sim.stat("logins") == 1);
  CHECK(sim.control("GET", "/sim/stats").body.find("\"user_agent\":\"wyze-mqtt-bridge/") != std::string::npos);

  SUBCASE("no secret the cloud sent is published or logged") {
    std::string everything = bridge->output();
    for (const auto& [topic, payload] : topics) everything += topic + " " + payload + "\n";
    for (const char* secret : {"lvtx.", "X-Amz-Signature", "\"enr\"", "p2p_id", "P2P", "dtls", "demo-password",
                               "demo-api-key", "demo-key-id"})
      CHECK_MESSAGE(everything.find(secret) == std::string::npos, secret);
  }
}

TEST_CASE("the bridge's connection to the broker writes without Nagle's delay (TCP_NODELAY)") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 1);
  auto bridge = start_bridge(dir, {"--config", write_config(dir, sim, mqtt), "--once", "--log-level", "debug"});
  REQUIRE(bridge->wait_exit(30s) == 0);
  CHECK_MESSAGE(bridge->output().find("TCP_NODELAY set on 1 socket(s) to the broker's port") != std::string::npos,
                bridge->output());
}

TEST_CASE("a battery camera's level is a sensor, and a wired camera that reports one gets none") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 8);  // camera 8 is a Battery Cam Pro (AN_RSCW); camera 1, a Cam v3, reports 100 too
  auto bridge = run_once(dir, write_config(dir, sim, mqtt));
  auto topics = retained(mqtt.port());
  CHECK(topics["wyze/" + sim_mac(7) + "/battery"] == "93");
  auto config = json::parse(topics["homeassistant/device/wyze_" + sim_mac(7) + "/config"]).as_object();
  const auto& battery = config.at("cmps").at("battery").as_object();
  CHECK(battery.at("dev_cla") == "battery");
  CHECK(battery.at("unit_of_meas") == "%");
  CHECK(topics.count("wyze/" + sim_mac(0) + "/battery") == 0);
  CHECK_FALSE(json::parse(topics["homeassistant/device/wyze_" + sim_mac(0) + "/config"])
                  .at("cmps")
                  .as_object()
                  .contains("battery"));
}

TEST_CASE("the legacy login of the original protocol notes works too") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 2);
  auto bridge = run_once(dir, write_config(dir, sim, mqtt, "  auth: legacy\n  poll_interval: 1h\n"));
  auto topics = retained(mqtt.port(), "wyze/#");
  CHECK(topics["wyze/2CAA8E000002/ip"] == "192.168.1.3");
  CHECK(sim.stat("logins") == 1);
}

TEST_CASE("wrong credentials fail --once with exit 1 and say what to check") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 1);
  auto bridge = start_bridge(dir, {"--once", "--config", write_config(dir, sim, mqtt)}, {"WYZE_PASSWORD=wrong"});
  REQUIRE(bridge->wait_exit(30s) == 1);
  CHECK(bridge->output().find("Invalid credentials") != std::string::npos);
  CHECK(bridge->output().find("check wyze.email, wyze.password") != std::string::npos);
  CHECK(bridge->output().find("wrong") == std::string::npos);
  CHECK(retained(mqtt.port(), "wyze/+/ip").empty());
}

TEST_CASE("an answer larger than wyze.max_response is a failed poll with a clear reason") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 3);
  auto config = write_config(dir, sim, mqtt, "  poll_interval: 1h\n  max_response: 2KiB\n");
  auto bridge = start_bridge(dir, {"--once", "--config", config});
  REQUIRE(bridge->wait_exit(30s) == 1);
  CHECK(bridge->output().find("get_object_list: reading the answer failed: the answer is larger than "
                              "wyze.max_response") != std::string::npos);
  CHECK(retained(mqtt.port(), "wyze/+/ip").empty());
}

TEST_CASE("a cloud whose certificate is not trusted is refused") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 1);
  std::string config = write_config(dir, sim, mqtt);
  // Same config without the simulator's CA: the system store does not know it.
  edit_file(config, [](std::string& text) {
    auto at = text.find("  ca_file: ");
    text.erase(at, text.find('\n', at) - at + 1);
  });
  auto bridge = start_bridge(dir, {"--once", "--config", config});
  REQUIRE(bridge->wait_exit(30s) == 1);
  CHECK(bridge->output().find("TLS") != std::string::npos);
  CHECK(sim.stat("logins") == 0);
}

TEST_CASE("a cloud whose certificate does not name the host connected to is refused") {
  temp_dir dir;
  broker mqtt(dir);
  // 127.0.0.2 is loopback too, but the simulator's certificate names only localhost, 127.0.0.1 and ::1.
  cloud sim(dir, 1, {"--listen", "127.0.0.2"});
  std::string config = write_config(dir, sim, mqtt);
  edit_file(config, [&](std::string& text) {
    const std::string cloud_address = "127.0.0.1:" + sim.url().substr(sim.url().rfind(':') + 1);
    for (auto at = text.find(cloud_address); at != std::string::npos; at = text.find(cloud_address))
      text.replace(at, 9, "127.0.0.2");
  });
  auto bridge = start_bridge(dir, {"--once", "--config", config});
  REQUIRE(bridge->wait_exit(30s) == 1);
  CHECK_MESSAGE(bridge->output().find("TLS") != std::string::npos, bridge->output());
  CHECK(bridge->output().find("127.0.0.2") != std::string::npos);
}

TEST_CASE("a running bridge publishes what changed, adds and clears cameras, and answers poll requests") {
  running_bridge b;
  REQUIRE(b.watch.wait_for("wyze/2CAA8E000001/conn_state", "online"));
  CHECK(b.poll() == json::object{{"status", "ok"}, {"data", {{"cameras", 3}}}, {"cameras", 3}});

  b.sim.control("POST", "/sim/cameras/2CAA8E000001", R"({"conn_state":0,"ip":"192.168.7.7"})");
  CHECK(b.poll().at("status") == "ok");
  CHECK(b.watch.wait_for("wyze/2CAA8E000001/conn_state", "offline"));
  CHECK(b.watch.wait_for("wyze/2CAA8E000001/ip", "192.168.7.7"));

  b.sim.control("DELETE", "/sim/cameras/2CAA8E000002");
  b.sim.control("POST", "/sim/cameras", R"({"mac":"2CAA8E0000AA","nickname":"Garage"})");
  CHECK(b.poll() == json::object{{"status", "ok"}, {"data", {{"cameras", 3}}}, {"cameras", 3}});
  CHECK(b.watch.wait_for("wyze/2CAA8E000002/ip", ""));
  CHECK(b.watch.wait_for("homeassistant/device/wyze_2CAA8E000002/config", ""));
  CHECK(b.watch.wait_until([](const auto& last) {
    auto it = last.find("homeassistant/device/wyze_2CAA8E0000AA/config");
    return it != last.end() && it->second.payload.find("\"Garage\"") != std::string::npos;
  }));

  auto topics = retained(b.mqtt.port());
  CHECK(topics.count("wyze/2CAA8E000002/attributes") == 0);
  CHECK(topics.count("homeassistant/device/wyze_2CAA8E000002/config") == 0);
  CHECK(topics["wyze/2CAA8E000001/ip"] == "192.168.7.7");
  CHECK(topics["wyze/2CAA8E0000AA/firmware"] != "");
}

TEST_CASE("a steady poll with no change publishes nothing but bridge/info and bridge/budget") {
  running_bridge b;
  REQUIRE(b.watch.wait_until([](const auto& last) { return last.count("wyze/2CAA8E000003/attributes") > 0; }));
  REQUIRE(b.watch.wait_for("wyze/2CAA8E000003/siren", "off"));  // the property read has answered too
  // A second subscriber sees the retained picture first; anything live after it is a republish.
  subscriber counter(b.mqtt.port(), "#");
  // 3 cameras of 8 states and a config each, and the bridge's state, cloud, info, budget and config.
  REQUIRE(counter.wait_until([](const auto& last) { return last.size() >= 24 + 3 + 5; }));
  std::this_thread::sleep_for(300ms);
  b.poll();
  REQUIRE(counter.wait_until([](const auto& last) {
    auto it = last.find("wyze/bridge/info");
    return it != last.end() && !it->second.retained;
  }));
  std::this_thread::sleep_for(300ms);
  std::vector<std::string> republished;
  for (const auto& [topic, m] : counter.snapshot())
    if (!m.retained && topic != "wyze/bridge/info" && topic != "wyze/bridge/budget" &&
        !topic.starts_with("wyze/bridge/re"))
      republished.push_back(topic);
  CHECK_MESSAGE(republished.empty(), republished.size(),
                " republished, the first: ", republished.empty() ? "" : republished.front());
}

TEST_CASE("expired tokens are refreshed, a refused refresh leads to one new login") {
  running_bridge b(3, "  poll_interval: 1h\n", "", "wyze", true);
  CHECK(b.sim.stat("logins") == 1);
  b.sim.control("POST", "/sim/tokens/expire", "{}");
  CHECK(b.poll().at("status") == "ok");
  CHECK(b.sim.stat("refreshes") == 1);
  CHECK(b.sim.stat("logins") == 1);
  b.sim.control("POST", "/sim/tokens/expire", R"({"refresh":true})");
  CHECK(b.poll().at("status") == "ok");
  CHECK(b.sim.stat("refreshes") == 2);
  CHECK(b.sim.stat("logins") == 2);
}

TEST_CASE("three failed polls in a row turn bridge/cloud offline and the next success brings it back") {
  running_bridge b;
  b.sim.control("POST", "/sim/fault", R"({"kind":"http500","count":2})");
  auto first = b.poll();
  CHECK(first.at("status") == "error");
  CHECK(std::string(first.at("error").as_string()).find("HTTP 500") != std::string::npos);
  CHECK(b.poll().at("status") == "error");
  CHECK(b.watch.last("wyze/bridge/cloud")->payload == "online");
  b.sim.control("POST", "/sim/fault", R"({"kind":"garbage","count":1})");
  CHECK(b.poll().at("status") == "error");
  CHECK(b.watch.wait_for("wyze/bridge/cloud", "offline"));
  auto info = json::parse(b.watch.last("wyze/bridge/info")->payload).as_object();
  CHECK(std::string(info.at("last_error").as_string()).find("not JSON") != std::string::npos);
  // Last known states stay; nothing wrong was published.
  CHECK(b.watch.last("wyze/2CAA8E000001/ip")->payload == "192.168.1.2");
  CHECK(b.bridge->running());

  CHECK(b.poll().at("status") == "ok");
  CHECK(b.watch.wait_for("wyze/bridge/cloud", "online"));
  CHECK(json::parse(b.watch.last("wyze/bridge/info")->payload).at("last_error").is_null());
}

TEST_CASE("a slow cloud answer past wyze.timeout is one failed poll, not a hang") {
  running_bridge b(1, "  poll_interval: 1h\n  timeout: 1s\n");
  b.sim.control("POST", "/sim/fault", R"({"kind":"slow","count":1,"delay_ms":3000})");
  auto answer = b.poll();
  CHECK(answer.at("status") == "error");
  CHECK(std::string(answer.at("error").as_string()).find("timed out") != std::string::npos);
  CHECK(b.poll().at("status") == "ok");
}

TEST_CASE("after the broker restarts without persistence the complete retained picture comes back") {
  running_bridge b;
  REQUIRE(b.watch.wait_for("wyze/2CAA8E000003/firmware", "4.36.11.7002"));
  REQUIRE(b.watch.wait_for("wyze/2CAA8E000003/siren", "off"));  // the property read has answered too
  auto before = retained(b.mqtt.port());
  b.mqtt.restart();
  REQUIRE(retained(b.mqtt.port()).empty());
  bool back = eventually([&] { return retained(b.mqtt.port()) == before; }, 20s);
  CHECK_MESSAGE(back, b.bridge->output());
}

TEST_CASE("when Home Assistant starts, discovery and states are published again") {
  running_bridge b;
  const std::string config = "homeassistant/device/wyze_2CAA8E000001/config";
  REQUIRE(b.watch.wait_until([&](const auto& last) { return last.count(config) && !last.at(config).payload.empty(); }));
  b.watch.publish(config, "", true);  // as if HA had lost it
  REQUIRE(b.watch.wait_for(config, ""));
  b.watch.publish("homeassistant/status", "online");
  CHECK(b.watch.wait_until([&](const auto& last) { return !last.at(config).payload.empty(); }, 8s));
}

TEST_CASE("a 1 MiB message to the bridge is dropped unread, and the bridge goes on") {
  running_bridge b;
  b.watch.publish("homeassistant/status", std::string(1 << 20, 'x'));
  CHECK_MESSAGE(eventually(
                    [&] {
                      return b.bridge->output().find("dropped a message of 1048576 bytes on homeassistant/status") !=
                             std::string::npos;
                    },
                    10s),
                b.bridge->output());
  CHECK(b.poll().at("status") == "ok");
}

TEST_CASE("Home Assistant born five times in a row republishes once") {
  running_bridge b;
  const std::string config = "homeassistant/device/wyze_2CAA8E000001/config";
  REQUIRE(b.watch.wait_until([&](const auto& last) { return last.count(config) && !last.at(config).payload.empty(); }));
  b.watch.publish(config, "", true);
  REQUIRE(b.watch.wait_for(config, ""));
  for (int birth = 0; birth < 5; ++birth) {
    b.watch.publish("homeassistant/status", "online");
    std::this_thread::sleep_for(200ms);
  }
  CHECK(b.watch.wait_until([&](const auto& last) { return !last.at(config).payload.empty(); }, 8s));
  std::this_thread::sleep_for(500ms);
  auto log = b.bridge->output();
  std::size_t republishes = 0;
  for (auto at = log.find("republishing discovery and states"); at != std::string::npos;
       at = log.find("republishing discovery and states", at + 1))
    ++republishes;
  CHECK_MESSAGE(republishes == 1, log);
}

TEST_CASE("components mode and another base topic lay the same entities out per component") {
  running_bridge b(1, "  poll_interval: 1h\n",
                   "  base_topic: home/cams\nhomeassistant:\n  discovery_mode: components\n", "home/cams");
  REQUIRE(b.watch.wait_for("home/cams/2CAA8E000001/ip", "192.168.1.2"));
  auto topics = retained(b.mqtt.port(), "homeassistant/#");
  auto conn = json::parse(topics["homeassistant/binary_sensor/wyze_2CAA8E000001/conn_state/config"]).as_object();
  CHECK(conn.at("stat_t") == "home/cams/2CAA8E000001/conn_state");
  CHECK(conn.at("dev").at("via_device") == "wyze_mqtt_bridge_home_cams");
  CHECK(topics.count("homeassistant/sensor/wyze_2CAA8E000001/ip/config") == 1);
  CHECK(topics.count("homeassistant/sensor/wyze_2CAA8E000001/firmware/config") == 1);
  CHECK(topics.count("homeassistant/button/wyze_mqtt_bridge_home_cams/poll/config") == 1);
  CHECK(topics.count("homeassistant/device/wyze_2CAA8E000001/config") == 0);
  CHECK(b.poll().at("status") == "ok");
}

TEST_CASE("SIGTERM publishes offline on bridge/state and exits 0") {
  running_bridge b(1);
  b.bridge->signal(SIGTERM);
  REQUIRE(b.bridge->wait_exit(10s) == 0);
  CHECK(b.watch.wait_for("wyze/bridge/state", "offline"));
  CHECK(retained(b.mqtt.port())["wyze/bridge/state"] == "offline");
}

TEST_CASE("a killed bridge is reported offline by its Last Will") {
  running_bridge b(1, "  poll_interval: 1h\n", "  keepalive: 5s\n");
  b.bridge->signal(SIGKILL);
  CHECK(b.watch.wait_for("wyze/bridge/state", "offline", 15s));
}

TEST_CASE("a bad config is refused with file:line:col and exit status 2") {
  temp_dir dir;
  std::string config = dir.file("config.yaml");
  std::ofstream(config) << "wyze:\n  email: a@b.c\n  pasword: x\n";
  auto bridge = start_bridge(dir, {"--config", config});
  REQUIRE(bridge->wait_exit(10s) == 2);
  CHECK(bridge->output().find(config + ":3:3: unknown key wyze.pasword (did you mean wyze.password?)") !=
        std::string::npos);
  auto check = start_bridge(dir, {"--check-config", "--config", config});
  CHECK(check->wait_exit(10s) == 2);
}

TEST_CASE("an account of 10,000 cameras arrives whole: every state and discovery config is retained") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 10000);
  // A 10,000-camera list is about 12 MiB: within the default wyze.max_response, parsed as it is read.
  // The property read of 5,000 sirens is answered while 78,000 messages go out: a sanitizer's build
  // needs more than the harness's 5 s for it (the default wyze.timeout is 15 s).
  auto bridge = run_once(dir, write_config(dir, sim, mqtt, "  poll_interval: 1h\n  timeout: 30s\n"), 90s);
  CHECK(bridge->output().find("cannot publish") == std::string::npos);
  auto topics = retained(mqtt.port());
  std::size_t states = 0, configs = 0;
  for (const auto& [topic, payload] : topics) {
    if (topic.starts_with("wyze/2CAA8E")) ++states;
    if (topic.starts_with("homeassistant/device/wyze_2CAA8E")) ++configs;
  }
  CHECK(states == sim_state_topics(10000));
  CHECK(configs == 10000);
  CHECK(topics["wyze/2CAA8E002710/firmware"] == "4.36.11.7099");
}

// Operating the bridge (SPEC §6, §9): its MQTT API, logs that cannot be forged in either format,
// journald priorities, the systemd watchdog fed from the event loop, and the clean-up of cameras
// removed while it was stopped whatever the broker gives back — the real binaries over loopback.
#include "tests/harness.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <boost/json.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace json = boost::json;
using namespace harness;
using namespace std::chrono_literals;

namespace {

// Sends a request on <base>/bridge/request/<name> and returns its answer.
json::object request(subscriber& watch, const std::string& name, const std::string& payload) {
  const std::string response = "wyze/bridge/response/" + name;
  watch.publish(response, "");  // so the next answer is recognisable
  REQUIRE(watch.wait_for(response, ""));
  watch.publish("wyze/bridge/request/" + name, payload);
  REQUIRE(watch.wait_until([&](const auto& last) {
    auto it = last.find(response);
    return it != last.end() && !it->second.payload.empty();
  }));
  return json::parse(watch.last(response)->payload).as_object();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A datagram socket standing in for systemd's NOTIFY_SOCKET.
struct fake_systemd {
  explicit fake_systemd(const temp_dir& dir) : path(dir.file("notify.sock")) {
    fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    timeval timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~fake_systemd() { ::close(fd); }

  // The next message, "" after 10 s without one.
  std::string receive() {
    char buffer[512] = {};
    auto n = ::recv(fd, buffer, sizeof buffer - 1, 0);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
  }

  std::string path;
  int fd = -1;
};

}  // namespace

TEST_CASE("the log level changes at runtime over MQTT, answered with the request's transaction") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 2);
  subscriber watch(mqtt.port(), "wyze/bridge/#");
  auto bridge = start_bridge(dir, {"--config", write_config(dir, sim, mqtt)});
  REQUIRE_MESSAGE(watch.wait_for("wyze/bridge/cloud", "online"), bridge->output());
  REQUIRE(watch.wait_until([](const auto& last) { return last.count("wyze/bridge/info") > 0; }));
  CHECK(json::parse(watch.last("wyze/bridge/info")->payload).at("log_level") == "info");
  CHECK(bridge->output().find(" DEBUG ") == std::string::npos);

  auto answer = request(watch, "options", R"({"log_level":"debug","transaction":"t-1"})");
  CHECK(answer == json::object{{"status", "ok"}, {"data", {{"log_level", "debug"}}}, {"transaction", "t-1"}});
  CHECK(watch.wait_until([](const auto& last) {
    auto it = last.find("wyze/bridge/info");
    return it != last.end() && json::parse(it->second.payload).at("log_level") == "debug";
  }));
  watch.request_poll();
  CHECK(bridge->output().find(" DEBUG wyze: POST /app/v2/home_page/get_object_list") != std::string::npos);

  auto refused = request(watch, "options", R"({"log_level":"chatty","transaction":2})");
  CHECK(refused.at("status") == "error");
  CHECK(refused.at("transaction") == 2);
  CHECK(request(watch, "nonsense", "{").at("error") ==
        "unknown request \"nonsense\": the requests are poll and options");
  CHECK(bridge->running());
}

TEST_CASE("bridge/devices follows additions, changes and removals") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 2);
  subscriber watch(mqtt.port(), "wyze/bridge/#");
  auto bridge = start_bridge(dir, {"--config", write_config(dir, sim, mqtt)});
  auto devices = [&] {
    return json::parse(retained(mqtt.port(), "wyze/bridge/devices")["wyze/bridge/devices"]).as_array();
  };
  REQUIRE_MESSAGE(watch.wait_for("wyze/bridge/cloud", "online"), bridge->output());
  REQUIRE(eventually([&] { return retained(mqtt.port(), "wyze/bridge/devices").size() == 1; }, 10s));
  auto first = devices();
  REQUIRE(first.size() == 2);
  CHECK(first[0].at("id") == "2CAA8E000001");
  CHECK(first[0].at("model_name") == "Cam v3");
  CHECK(first[0].at("entities").as_array().size() == 8);  // the siren too

  sim.control("POST", "/sim/cameras", R"({"mac":"2CAA8E0000AA","nickname":"Garage"})");
  sim.control("POST", "/sim/cameras/2CAA8E000001", R"({"nickname":"Porch","conn_state":0})");
  sim.control("DELETE", "/sim/cameras/2CAA8E000002");
  watch.request_poll();
  auto now = devices();
  REQUIRE(now.size() == 2);
  CHECK(now[0].at("nickname") == "Porch");
  CHECK(now[0].at("online") == false);
  CHECK(now[1].at("id") == "2CAA8E0000AA");
  CHECK(now[1].at("nickname") == "Garage");
}

TEST_CASE("a forged log line in a nickname or a cloud message stays one line, in the text and the JSON format") {
  for (const std::string format : {"text", "json"}) {
    CAPTURE(format);
    temp_dir dir;
    broker mqtt(dir);
    cloud sim(dir, 1);
    const std::string forged = "x\n2026-11-30T00:00:00.000Z ERROR wyze: forged\r\x1b[2J\xe2\x80\xa8";
    // A camera without a MAC is logged with its nickname; a cloud error is logged with its message.
    sim.control("POST", "/sim/cameras", json::serialize(json::object{{"mac", ""}, {"nickname", forged}}));
    auto config = write_config(dir, sim, mqtt, "  poll_interval: 1h\n", "log:\n  format: " + format + "\n");
    subscriber watch(mqtt.port(), "wyze/bridge/#");
    auto bridge = start_bridge(dir, {"--config", config});
    REQUIRE_MESSAGE(watch.wait_for("wyze/bridge/cloud", "online"), bridge->output());
    sim.control("POST", "/sim/fault",
                json::serialize(json::object{{"kind", "code"}, {"code", "4242"}, {"msg", forged}}));
    watch.request_poll();
    REQUIRE(eventually([&] { return bridge->output().find("4242") != std::string::npos; }, 10s));
    bridge->signal(SIGTERM);
    REQUIRE(bridge->wait_exit(10s) == 0);

    auto lines = lines_of(bridge->output());
    int carrying = 0;
    for (const auto& line : lines) {
      CAPTURE(line);
      CHECK(line.find("forged") == line.rfind("forged"));
      if (format == "text") {
        CHECK(std::regex_search(
            line, std::regex(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (TRACE|DEBUG|INFO |WARN |ERROR) )")));
        CHECK(line.find('\r') == std::string::npos);
        CHECK(line.find('\x1b') == std::string::npos);
      } else {
        json::error_code ec;
        auto object = json::parse(line, ec);
        REQUIRE_FALSE(ec);
        CHECK(object.at("time").is_string());
        CHECK(object.at("level").is_string());
        CHECK(object.at("component").is_string());
        // The message keeps the text exactly; only its encoding escapes it.
        if (object.at("message").as_string().find("forged") != std::string::npos)
          CHECK(std::string(object.at("message").as_string()).find(forged) != std::string::npos);
      }
      carrying += line.find("forged") != std::string::npos;
    }
    CHECK(carrying == 2);  // the nickname's line and the cloud message's line, each whole
    CHECK(std::none_of(lines.begin(), lines.end(), [](const std::string& l) {
      return l.starts_with("2026-11-30T00:00:00.000Z ERROR wyze: forged");
    }));
  }
}

TEST_CASE("with stderr in the journal every line starts with its priority, so journalctl -p warning works") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 1);
  std::string log = dir.file("bridge.log");
  std::ofstream(log).close();
  struct stat st {};
  REQUIRE(::stat(log.c_str(), &st) == 0);
  std::string stream = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  auto journal = start_bridge(dir, {"--config", write_config(dir, sim, mqtt), "--once"}, {"JOURNAL_STREAM=" + stream});
  REQUIRE(journal->wait_exit(30s) == 0);
  auto lines = lines_of(journal->output());
  REQUIRE_FALSE(lines.empty());
  std::size_t prefixed = 0;
  for (const auto& line : lines)
    if (std::regex_search(line, std::regex(R"(^<[3467]>\d{4}-)"))) ++prefixed;
  CHECK(prefixed > 0);
  CHECK(prefixed == lines.size());
  CHECK(std::any_of(lines.begin(), lines.end(), [](const std::string& l) { return l.starts_with("<6>"); }));
}

TEST_CASE(
    "the systemd watchdog is fed from the event loop: a stalled loop stops the pings, STATUS tells the last poll") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 1);
  fake_systemd systemd(dir);
  auto bridge =
      start_bridge(dir, {"--config", write_config(dir, sim, mqtt)},
                   {"NOTIFY_SOCKET=" + systemd.path, "WATCHDOG_USEC=400000", "WYZE_BRIDGE_TEST_STALL_LOOP_S=3"});
  using clock = std::chrono::steady_clock;
  std::vector<clock::time_point> pings;
  std::string status;
  auto until = clock::now() + 7s;
  while (clock::now() < until) {
    auto message = systemd.receive();
    if (message == "WATCHDOG=1") pings.push_back(clock::now());
    if (message.starts_with("STATUS=")) status = message;
    if (message.empty()) break;
  }
  REQUIRE(pings.size() >= 4);
  clock::duration longest{};
  for (std::size_t i = 1; i < pings.size(); ++i) longest = std::max(longest, pings[i] - pings[i - 1]);
  // Every 200 ms, except while the loop was stalled for 3 s (the broker client's thread went on).
  CHECK(longest >= 2500ms);
  CHECK(clock::now() - pings.back() < 1s);  // and it pings again afterwards
  CHECK(status == "STATUS=1 cameras; last poll ok at " + status.substr(status.size() - 20));
  CHECK(bridge->running());
  bridge->signal(SIGTERM);
  CHECK(bridge->wait_exit(10s) == 0);
}

TEST_CASE("a camera removed while the bridge was stopped is cleared even when the broker gives back nothing of it") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 3);
  auto config = write_config(dir, sim, mqtt);
  run_once(dir, config);
  const std::string gone = "2CAA8E000002";
  REQUIRE(retained(mqtt.port(), "wyze/" + gone + "/#").size() == 8);  // with its siren's state
  // What makes the read-back find a camera (its attributes and its discovery config) is not there
  // any more — as with a broker that returns no retained messages on wildcard subscriptions.
  subscriber other(mqtt.port(), "none");
  other.publish("wyze/" + gone + "/attributes", "", true);
  other.publish("homeassistant/device/wyze_" + gone + "/config", "", true);
  sim.control("DELETE", "/sim/cameras/" + gone);
  auto second = run_once(dir, config);
  CHECK(retained(mqtt.port(), "wyze/" + gone + "/#").empty());
  CHECK(retained(mqtt.port(), "wyze/2CAA8E000001/#").size() == 8);
  std::ifstream in(dir.file("state") + "/published.json");
  std::stringstream text;
  text << in.rdbuf();
  CHECK(json::parse(text.str()).at("ids") == json::array{"2CAA8E000001", "2CAA8E000003"});
}

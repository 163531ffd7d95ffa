// Running it like a service: metrics and health scraped from a live bridge, and a full run whose
// every log line and message is searched for the secrets the cloud handed out.
#include "tests/harness.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <boost/json.hpp>

#include <netinet/in.h>
#include <sys/resource.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

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
  for (const char* line :
       {"wyze_bridge_polls_total{result=\"ok\"} 1\n", "wyze_bridge_polls_total{result=\"error\"} 0\n",
        "wyze_bridge_cameras 3\n", "wyze_bridge_cameras_online 2\n", "wyze_bridge_mqtt_connected 1\n",
        "wyze_bridge_logins_total 1\n", "wyze_bridge_poll_duration_seconds_count 1\n",
        "wyze_bridge_build_info{version=", "wyze_bridge_last_success_timestamp_seconds 17",
        "process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ",
        "process_start_time_seconds 17", "wyze_bridge_cloud_requests_total{endpoint=\"get_object_list\"} 1\n"})
    CHECK_MESSAGE(metrics.body.find(line) != std::string::npos, std::string(line));
  // The process's own numbers are real: some resident memory, a few descriptors.
  auto value_of = [&](const std::string& name) {
    auto at = metrics.body.find("\n" + name + " ");
    return at == std::string::npos ? -1.0 : std::stod(metrics.body.substr(at + name.size() + 2));
  };
  CHECK(value_of("process_resident_memory_bytes") > 1e6);
  CHECK(value_of("process_open_fds") >= 3);
  CHECK(value_of("process_open_fds") < 200);
  CHECK(metrics.body.find("wyze_bridge_messages_published_total 0\n") == std::string::npos);
  CHECK(http_get(port, "/nothing").status == 404);

  sim.control("POST", "/sim/fault", R"({"kind":"ratelimit","count":1})");
  subscriber requester(mqtt.port(), "wyze/bridge/response/poll");
  requester.publish("wyze/bridge/request/poll", "");
  REQUIRE(requester.wait_until([](const auto& last) { return !last.empty(); }));
  CHECK(requester.last("wyze/bridge/response/poll")->payload.find("rate limit") != std::string::npos);
  auto after = http_get(port, "/metrics").body;
  CHECK(after.find("wyze_bridge_rate_limited_total 1\n") != std::string::npos);
  CHECK(after.find("wyze_bridge_polls_total{result=\"error\"} 1\n") != std::string::npos);

  mqtt.kill_hard();
  CHECK(eventually([&] { return http_get(port, "/healthz").status == 503; }, 10s));
  CHECK(http_get(port, "/healthz").body == "mqtt: disconnected\n");
  CHECK(http_get(port, "/metrics").body.find("wyze_bridge_mqtt_connected 0\n") != std::string::npos);
}

namespace {

std::size_t open_fds(pid_t pid) {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
    ++count;
  return count;
}

// User and system CPU time of `pid` in clock ticks (/proc/PID/stat fields 14 and 15).
long cpu_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return utime + stime;
}

// Idle TCP connections to 127.0.0.1:port, held until destroyed.
struct idle_connections {
  std::vector<int> fds;
  idle_connections(std::uint16_t port, int count) {
    for (int i = 0; i < count; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port);
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
        fds.push_back(fd);
      else
        ::close(fd);
    }
  }
  ~idle_connections() {
    for (int fd : fds) ::close(fd);
  }
  idle_connections(const idle_connections&) = delete;
  idle_connections& operator=(const idle_connections&) = delete;
};

}  // namespace

TEST_CASE("hundreds of idle connections to the metrics port cannot take the file descriptors the bridge needs") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 1);
  auto port = free_port();
  auto config = write_config(dir, sim, mqtt, "  poll_interval: 1h\n",
                             "metrics:\n  listen: 127.0.0.1:" + std::to_string(port) + "\n");
  auto bridge = start_bridge(dir, {"--config", config});
  REQUIRE_MESSAGE(eventually([&] { return http_get(port, "/healthz").status == 200; }, 10s), bridge->output());
  subscriber watch(mqtt.port(), "wyze/bridge/#");
  auto base = open_fds(bridge->pid());
  {
    idle_connections flood(port, 300);
    CHECK(flood.fds.size() > 100);
    std::this_thread::sleep_for(500ms);
    CHECK(open_fds(bridge->pid()) <= base + 16 + 2);  // 16 scrapes at most; the rest closed at once
    CHECK(watch.request_poll() ==
          R"({"status":"ok","data":{"cameras":1},"cameras":1})");  // the cloud and the broker still work
  }
  CHECK(eventually([&] { return http_get(port, "/healthz").status == 200; }, 10s));

  // No descriptor left (EMFILE): the accept loop backs off instead of spinning.
  rlimit low{static_cast<rlim_t>(open_fds(bridge->pid()) + 1), 0};
  rlimit before{};
  REQUIRE(::prlimit(bridge->pid(), RLIMIT_NOFILE, nullptr, &before) == 0);
  low.rlim_max = before.rlim_max;
  REQUIRE(::prlimit(bridge->pid(), RLIMIT_NOFILE, &low, nullptr) == 0);
  {
    idle_connections pending(port, 20);
    std::this_thread::sleep_for(500ms);
    long start = cpu_ticks(bridge->pid());
    std::this_thread::sleep_for(2s);
    long spent = cpu_ticks(bridge->pid()) - start;
    CHECK_MESSAGE(spent < ::sysconf(_SC_CLK_TCK) / 2, "CPU ticks in 2 s: ", spent);  // a spinning loop: ~2 s
    CHECK(bridge->output().find("metrics.listen: cannot accept a connection") != std::string::npos);
  }
  REQUIRE(::prlimit(bridge->pid(), RLIMIT_NOFILE, &before, nullptr) == 0);
  CHECK(eventually([&] { return http_get(port, "/healthz").status == 200; }, 10s));
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
  auto once = run_once(dir, config);
  forget_last_login(dir);  // so the refused refresh below may log in again at once
  auto bridge = start_bridge(dir, {"--config", config});
  // The --once run left `offline`: `online` now means this bridge is connected and subscribed.
  REQUIRE(everything.wait_for("wyze/bridge/state", "online"));
  // The first poll may still be running (a slow machine): a request made now is answered by it,
  // and a token expired now might be found by it or not. Once answered, each poll below is new.
  REQUIRE(!everything.request_poll().empty());
  auto calls = sim.stat("device_list_calls");
  // Logins, a refresh, a refused refresh and a failure: every path that handles tokens.
  for (const char* expire : {"{}", R"({"refresh":true})"}) {
    sim.control("POST", "/sim/tokens/expire", expire);
    CHECK(everything.request_poll() == R"({"status":"ok","data":{"cameras":3},"cameras":3})");
    calls += 2;  // refused with 2001, then again with the new token
    CHECK(sim.stat("device_list_calls") == calls);
  }
  sim.control("POST", "/sim/fault", R"({"kind":"garbage","count":1})");
  CHECK(everything.request_poll().find("\"status\":\"error\"") != std::string::npos);
  bridge->signal(SIGTERM);
  REQUIRE(bridge->wait_exit(10s) == 0);
  CHECK(sim.stat("logins") == 2);
  CHECK(sim.stat("refreshes") == 2);

  std::string seen = once->output() + bridge->output();
  for (const auto& [topic, m] : everything.snapshot()) seen += topic + " " + m.payload + "\n";
  auto secrets = json::parse(sim.control("GET", "/sim/secrets").body).as_array();
  CHECK(secrets.size() >= 4 + 3 * 3 + 3);
  for (const auto& secret : secrets) CHECK_MESSAGE(seen.find(secret.as_string()) == std::string::npos, secret);
}

TEST_CASE("under systemd (Type=notify) the bridge reports READY=1, and STOPPING=1 on SIGTERM") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 1);
  std::string socket_path = dir.file("notify.sock");
  int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  auto receive = [&] {
    char buffer[256] = {};
    auto n = ::recv(fd, buffer, sizeof buffer - 1, 0);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
  };
  auto bridge = start_bridge(dir, {"--config", write_config(dir, sim, mqtt)}, {"NOTIFY_SOCKET=" + socket_path});
  CHECK(receive() == "READY=1");
  CHECK(receive().starts_with("STATUS=1 cameras; last poll ok at "));
  bridge->signal(SIGTERM);
  CHECK(receive() == "STOPPING=1");
  CHECK(bridge->wait_exit(10s) == 0);
  ::close(fd);
}

TEST_CASE("--check-config prints the effective config with secrets masked and exits 0") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 1);
  auto check = start_bridge(dir, {"--check-config", "--config", write_config(dir, sim, mqtt)},
                            {"MQTT_PASSWORD=mqtt-secret-from-env"});
  REQUIRE(check->wait_exit(10s) == 0);
  auto out = check->output();
  CHECK(out.find("email: demo@example.com") != std::string::npos);
  CHECK(out.find("password: \"***\"") != std::string::npos);
  for (const char* secret : {"demo-password", "demo-key-id", "demo-api-key", "mqtt-secret-from-env"})
    CHECK_MESSAGE(out.find(secret) == std::string::npos, std::string(secret));
  CHECK(out.find("poll_interval: 3600s") != std::string::npos);
  CHECK(sim.stat("requests") == 1);  // only this test's own stats call: nothing was contacted
}

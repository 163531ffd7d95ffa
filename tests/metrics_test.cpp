#include "bridge/metrics.hpp"
#include "bridge/config.hpp"
#include "bridge/metrics_server.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

using namespace std::chrono_literals;

TEST_CASE("/metrics carries every series of SPEC §2 in Prometheus text format") {
  bridge::metrics m;
  m.polls_ok = 7;
  m.polls_error = 2;
  m.cameras = 3;
  m.cameras_online = 2;
  m.mqtt_connected = true;
  m.logins = 1;
  m.token_refreshes = 4;
  m.messages_published = 120;
  m.poll_duration.observe(0.2s);
  m.poll_duration.observe(3s);
  m.cloud_calls_last_hour[static_cast<std::size_t>(wyze::call_kind::device_list)] = 60;
  std::string text = bridge::render_prometheus(m, "1.2.3");
  for (const char* line :
       {"wyze_bridge_polls_total{result=\"ok\"} 7\n", "wyze_bridge_polls_total{result=\"error\"} 2\n",
        "wyze_bridge_cameras 3\n", "wyze_bridge_cameras_online 2\n", "wyze_bridge_mqtt_connected 1\n",
        "wyze_bridge_logins_total 1\n", "wyze_bridge_token_refreshes_total 4\n",
        "wyze_bridge_messages_published_total 120\n", "wyze_bridge_build_info{version=\"1.2.3\"} 1\n",
        "# TYPE wyze_bridge_poll_duration_seconds histogram\n",
        "wyze_bridge_poll_duration_seconds_bucket{le=\"0.1\"} 0\n",
        "wyze_bridge_poll_duration_seconds_bucket{le=\"0.25\"} 1\n",
        "wyze_bridge_poll_duration_seconds_bucket{le=\"5\"} 2\n",
        "wyze_bridge_poll_duration_seconds_bucket{le=\"+Inf\"} 2\n", "wyze_bridge_poll_duration_seconds_sum 3.2\n",
        "wyze_bridge_poll_duration_seconds_count 2\n", "wyze_bridge_cloud_calls_last_hour{kind=\"device_list\"} 60\n",
        "wyze_bridge_cloud_calls_last_hour{kind=\"pictures\"} 0\n"})
    CHECK_MESSAGE(text.find(line) != std::string::npos, line);
  CHECK(text.find("E0") == std::string::npos);
}

TEST_CASE("/healthz: healthy only while the broker is connected and a poll succeeded within 3 intervals") {
  bridge::metrics m;
  m.poll_interval = 60s;
  auto now = std::chrono::system_clock::now();
  CHECK(bridge::check_health(m, now).reason == "mqtt: disconnected");
  m.mqtt_connected = true;
  CHECK(bridge::check_health(m, now).reason == "wyze: no successful poll yet");
  m.last_success = now - 170s;
  CHECK(bridge::check_health(m, now).ok);
  CHECK(bridge::check_health(m, now).reason == "ok");
  m.last_success = now - 181s;
  auto stale = bridge::check_health(m, now);
  CHECK_FALSE(stale.ok);
  CHECK(stale.reason == "wyze: last successful poll 181 s ago (more than 3 intervals)");
}

TEST_CASE("metrics.listen takes address:port") {
  auto v4 = bridge::parse_listen("127.0.0.1:9105");
  REQUIRE(v4);
  CHECK(v4->address == "127.0.0.1");
  CHECK(v4->port == 9105);
  auto v6 = bridge::parse_listen("[::1]:9105");
  REQUIRE(v6);
  CHECK(v6->address == "::1");
  CHECK_FALSE(bridge::parse_listen("localhost:9105"));
  CHECK_FALSE(bridge::parse_listen("127.0.0.1"));
  CHECK_FALSE(bridge::parse_listen("127.0.0.1:99999"));
  std::vector<std::string> problems;
  try {
    bridge::parse_config("wyze:\n  email: a\n  password: b\n  key_id: c\n  api_key: d\nmetrics:\n  listen: 9105\n",
                         "config.yaml", [](const std::string&) { return std::nullopt; });
  } catch (const bridge::config_error& e) {
    problems = e.problems();
  }
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].starts_with("config.yaml:7:11: metrics.listen: \"9105\" is not address:port"));
}

TEST_CASE("a config file holding secrets that others can read is warned about") {
  const std::string path = "metrics_test_config.yaml";
  auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  std::ofstream(path) << "wyze:\n  email: a@b.c\n  password: secret\n  key_id: k\n  api_key: a\n";
  ::chmod(path.c_str(), 0644);
  auto open = bridge::load_config(path, no_env);
  REQUIRE(open.warnings.size() == 1);
  CHECK(open.warnings[0].find("chmod 600") != std::string::npos);
  ::chmod(path.c_str(), 0600);
  CHECK(bridge::load_config(path, no_env).warnings.empty());
  // No inline secret, no warning, whatever the mode.
  std::ofstream(path) << "mqtt:\n  base_topic: wyze\n";
  ::chmod(path.c_str(), 0644);
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "WYZE_EMAIL" || name == "WYZE_PASSWORD" || name == "WYZE_KEY_ID" || name == "WYZE_API_KEY")
      return std::string("x");
    return std::nullopt;
  };
  CHECK(bridge::load_config(path, env).warnings.empty());
  std::remove(path.c_str());
}

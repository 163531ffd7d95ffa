// The Wyze session across real processes: saved tokens, token expiry storms and MFA.
#include "tests/harness.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <thread>

using namespace harness;

TEST_CASE("a restart with valid saved tokens performs zero logins") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 2);
  auto config = write_config(dir, sim, mqtt);
  for (int run = 0; run < 3; ++run) {
    auto bridge = run_once(dir, config);
    if (run > 0) CHECK(bridge->output().find("reusing the saved tokens") != std::string::npos);
  }
  CHECK(sim.stat("logins") == 1);
  CHECK(sim.stat("device_list_calls") == 3);
  struct stat info {};
  REQUIRE(::stat((dir.file("state") + "/tokens.json").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
}

TEST_CASE("20 polls with access tokens expiring every 4 polls: one login and one refresh per expiry") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 2, {"--access-token-calls", "4"});
  subscriber watch(mqtt.port(), "wyze/bridge/#");
  auto bridge = start_bridge(dir, {"--config", write_config(dir, sim, mqtt)});
  REQUIRE(watch.wait_for("wyze/bridge/state", "online"));
  // One request at a time, each answered before the next: a request made during a poll is
  // answered by that poll rather than starting another.
  // (Requested polls are at least 1 s apart against the simulator: 20 polls take about 20 s.)
  for (int poll = 1; poll < 20; ++poll) {
    CAPTURE(poll);
    REQUIRE_MESSAGE(watch.request_poll() == R"({"status":"ok","data":{"cameras":2},"cameras":2})", bridge->output());
  }
  // 5 tokens of 4 calls each serve the 20 polls; each expiry costs one refused call and a refresh.
  CHECK(sim.stat("logins") == 1);
  CHECK(sim.stat("refreshes") == 4);
  CHECK(sim.stat("device_list_calls") == 20 + 4);
}

TEST_CASE("a broker client asking for a poll every 50 ms gets at most one device-list call a second") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 1);
  subscriber watch(mqtt.port(), "wyze/bridge/#");
  auto bridge = start_bridge(dir, {"--config", write_config(dir, sim, mqtt)});
  REQUIRE(watch.wait_for("wyze/bridge/cloud", "online"));
  auto before = sim.stat("device_list_calls");
  auto started = std::chrono::steady_clock::now();
  for (int request = 0; request < 100; ++request) {  // 5 s of requests; unthrottled this made ~100 calls
    watch.publish("wyze/bridge/request/poll", "");
    std::this_thread::sleep_for(50ms);
  }
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  // The requests still waiting share one more poll, whose answer comes.
  REQUIRE(watch.wait_until([](const auto& last) {
    auto it = last.find("wyze/bridge/response/poll");
    return it != last.end() && it->second.payload == R"({"status":"ok","data":{"cameras":1},"cameras":1})";
  }));
  auto calls = sim.stat("device_list_calls") - before;
  CAPTURE(seconds);
  CHECK(calls >= 3);
  CHECK(calls <= static_cast<std::int64_t>(seconds) + 2);
  CHECK(bridge->output().find("poll failed") == std::string::npos);
}

TEST_CASE("an account with MFA logs in with the TOTP code of wyze.totp_key") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 1, {"--totp-key", "JBSWY3DPEHPK3PXP"});
  SUBCASE("with the key") {
    auto config = write_config(dir, sim, mqtt, "  poll_interval: 1h\n  totp_key: JBSWY3DPEHPK3PXP\n");
    auto bridge = run_once(dir, config);
    CHECK(sim.stat("totp_logins") == 1);
    CHECK(bridge->output().find("JBSWY3DPEHPK3PXP") == std::string::npos);
  }
  SUBCASE("without it, the log says what to configure") {
    auto bridge = start_bridge(dir, {"--once", "--config", write_config(dir, sim, mqtt)});
    REQUIRE(bridge->wait_exit(30s) == 1);
    CHECK(bridge->output().find("set wyze.totp_key") != std::string::npos);
  }
}

TEST_CASE("one kept-alive connection serves every poll, and a connection the cloud closed is replaced") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 1);
  subscriber watch(mqtt.port(), "wyze/bridge/#");
  auto bridge = start_bridge(dir, {"--config", write_config(dir, sim, mqtt)});
  REQUIRE(watch.wait_for("wyze/bridge/state", "online"));
  for (int i = 0; i < 4; ++i) CHECK(watch.request_poll() == R"({"status":"ok","data":{"cameras":1},"cameras":1})");
  // Login and five device lists on one connection (the other one is this test's own).
  CHECK(sim.stat("connections") == 1 + 1);

  sim.control("POST", "/sim/fault", R"({"kind":"drop-connection","count":1})");
  CHECK(watch.request_poll() ==
        R"({"status":"ok","data":{"cameras":1},"cameras":1})");  // answered, then the cloud closes
  CHECK(watch.request_poll() ==
        R"({"status":"ok","data":{"cameras":1},"cameras":1})");  // a new connection, no failed poll
  CHECK(sim.stat("connections") == 2 + 1);
  CHECK(bridge->output().find("poll failed") == std::string::npos);
}

TEST_CASE("refused credentials are not tried again by a restart loop") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 1);
  auto config = write_config(dir, sim, mqtt);
  auto first = start_bridge(dir, {"--once", "--config", config}, {"WYZE_PASSWORD=wrong"});
  auto status = first->wait_exit(30s);
  REQUIRE_MESSAGE(status == 1, status.value_or(999), first->output());
  CHECK(first->output().find("Invalid credentials") != std::string::npos);
  for (int restart = 0; restart < 3; ++restart) {
    auto again = start_bridge(dir, {"--once", "--config", config}, {"WYZE_PASSWORD=wrong"});
    REQUIRE_MESSAGE(again->wait_exit(30s) == 1, again->output());
    CHECK(again->output().find("not logging in before") != std::string::npos);
  }
  CHECK(sim.stat("logins") == 1);
}

TEST_CASE("Wyze's rate limit pauses the calls, also across a restart") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 1);
  auto config = write_config(dir, sim, mqtt);
  auto first = run_once(dir, config);
  sim.control("POST", "/sim/fault", R"({"kind":"ratelimit","count":1})");
  auto limited = start_bridge(dir, {"--once", "--config", config});
  REQUIRE(limited->wait_exit(30s) == 1);
  CHECK(limited->output().find("rate limit was hit (code 1011)") != std::string::npos);
  auto calls = sim.stat("device_list_calls");
  auto restarted = start_bridge(dir, {"--once", "--config", config});
  REQUIRE(restarted->wait_exit(30s) == 1);
  CHECK(restarted->output().find("waiting for Wyze's rate limit until") != std::string::npos);
  CHECK(sim.stat("device_list_calls") == calls);
}

TEST_CASE("a cloud host that does not resolve is a failed poll that names it") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 1);
  std::string config = dir.file("config.yaml");
  std::ofstream(config) << "wyze:\n  email: a@b.c\n  password: p\n  key_id: k\n  api_key: a\n"
                        << "  auth_url: https://wyze-bridge-test.invalid\n  api_url: https://wyze-bridge-test.invalid\n"
                        << "  poll_interval: 1h\n  timeout: 3s\n  state_dir: " << dir.file("state") << "\n"
                        << "mqtt:\n  url: " << mqtt.url() << "\n";
  auto bridge = start_bridge(dir, {"--once", "--config", config});
  REQUIRE(bridge->wait_exit(30s) == 1);
  CHECK(bridge->output().find("login: cannot resolve wyze-bridge-test.invalid") != std::string::npos);
}

TEST_CASE(
    "access tokens living 6 s are refreshed ahead of their exp: a minute of polls, commands and events, "
    "and no call meets an expired token") {
  temp_dir dir;
  broker mqtt(dir);
  // JWTs as Wyze issues them, with a life of 6 s instead of 6,000 s.
  cloud sim(dir, 2, {"--access-token-seconds", "6"});
  subscriber watch(mqtt.port(), "wyze/#");
  auto config = write_config(dir, sim, mqtt, "  poll_interval: 1s\n",
                             "events:\n  enabled: true\n  interval: 1s\n  api_url: " + sim.url() + "\n");
  auto bridge = start_bridge(dir, {"--config", config});
  REQUIRE_MESSAGE(watch.wait_for("wyze/bridge/cloud", "online"), bridge->output());
  const std::string response = "wyze/bridge/response/command";
  auto started = std::chrono::steady_clock::now();
  int commands = 0;
  while (std::chrono::steady_clock::now() - started < 60s) {
    watch.publish(response, "");
    REQUIRE(watch.wait_for(response, ""));
    watch.publish("wyze/2CAA8E000001/notifications/set", commands % 2 ? "on" : "off");
    REQUIRE_MESSAGE(watch.wait_until([&](const auto& last) {
      auto it = last.find(response);
      return it != last.end() && !it->second.payload.empty();
    }),
                    bridge->output());
    CHECK(watch.last(response)->payload.find(R"("status":"ok")") != std::string::npos);
    ++commands;
    std::this_thread::sleep_for(1500ms);
  }
  // About 10 tokens served the minute: each refreshed before it expired, none by a refused call.
  CHECK(sim.stat("expired_token_answers") == 0);
  CHECK(sim.stat("logins") == 1);
  CHECK(sim.stat("refreshes") >= 8);
  CHECK(sim.stat("device_list_calls") >= 30);
  CHECK(sim.stat("event_list_calls") >= 30);
  CHECK(commands >= 20);
  CHECK(bridge->output().find("expired") == std::string::npos);
  CHECK(bridge->output().find("refreshing it ahead of that") != std::string::npos);
}

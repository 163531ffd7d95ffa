// The Wyze session across real processes: saved tokens, token expiry storms and MFA.
#include "tests/harness.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <boost/json.hpp>

#include <chrono>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>

using namespace harness;
namespace json = boost::json;

namespace {

// Switches the first camera's notifications through the broker as Home Assistant does, and
// returns the bridge's answer on bridge/response/command ("" when none came within 10 s).
std::string command_notifications(subscriber& watch, bool on) {
  const std::string response = "wyze/bridge/response/command";
  watch.publish(response, "");  // so the next answer is recognisable
  if (!watch.wait_for(response, "")) return {};
  watch.publish("wyze/2CAA8E000001/notifications/set", on ? "on" : "off");
  if (!watch.wait_until([&](const auto& last) {
        auto it = last.find(response);
        return it != last.end() && !it->second.payload.empty();
      }))
    return {};
  return watch.last(response)->payload;
}

}  // namespace

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
  auto started = std::chrono::steady_clock::now();
  int commands = 0;
  while (std::chrono::steady_clock::now() - started < 60s) {
    auto answer = command_notifications(watch, commands % 2 != 0);
    REQUIRE_MESSAGE(!answer.empty(), bridge->output());
    CHECK(answer.find(R"("status":"ok")") != std::string::npos);
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

namespace {

// The simulator's own count of the calls that reached it: the total, or one kind of call.
std::int64_t sim_calls(cloud& sim, const std::string& kind = "") {
  return sim.stat(kind.empty() ? "cloud_calls" : "calls_" + kind);
}

const std::string budget_topic = "wyze/bridge/budget";

// The last bridge/budget, if any.
std::string last_budget(subscriber& watch) {
  auto last = watch.last(budget_topic);
  return last ? last->payload : std::string();
}

// The first bridge/budget that is not `seen` (each one differs from the one before) and for which
// `wanted` holds.
std::optional<json::object> next_budget(
    subscriber& watch, const std::string& seen,
    const std::function<bool(const json::object&)>& wanted = [](const json::object&) { return true; },
    std::chrono::milliseconds timeout = 15s) {
  std::optional<json::object> found;
  watch.wait_until(
      [&](const auto& last) {
        auto it = last.find(budget_topic);
        if (it == last.end() || it->second.payload == seen) return false;
        auto budget = json::parse(it->second.payload).as_object();
        if (!wanted(budget)) return false;
        found = std::move(budget);
        return true;
      },
      timeout);
  return found;
}

}  // namespace

TEST_CASE("bridge/budget counts what the simulator counts, through polls, commands, events, pictures and a pause") {
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 2);
  subscriber watch(mqtt.port(), "wyze/#");
  // Wyze's headers from the first answer on: 500 calls left.
  sim.control("POST", "/sim/ratelimit", R"({"remaining":500,"reset_in_s":3600})");
  auto config =
      write_config(dir, sim, mqtt, "  poll_interval: 1s\n",
                   "events:\n  enabled: true\n  pictures: true\n  interval: 1s\n  api_url: " + sim.url() + "\n");
  auto bridge = start_bridge(dir, {"--config", config});
  REQUIRE_MESSAGE(watch.wait_for("wyze/bridge/cloud", "online"), bridge->output());
  auto first = next_budget(watch, "");
  REQUIRE_MESSAGE(first, bridge->output());
  CHECK(first->at("rate_limit_remaining") == 500);
  CHECK(first->at("paused_until").is_null());
  CHECK(first->at("last_rate_limit").is_null());
  CHECK(first->at("by_kind").at("login") == 1);

  // Commands, and events with pictures to download.
  for (int i = 0; i < 4; ++i)
    REQUIRE(command_notifications(watch, i % 2 != 0).find(R"("status":"ok")") != std::string::npos);
  sim.control("POST", "/sim/events", R"({"mac":"2CAA8E000001","count":2})");
  REQUIRE_MESSAGE(watch.wait_until([&](const auto& last) { return last.count("wyze/2CAA8E000001/picture") > 0; }),
                  bridge->output());

  // Wyze's rate limit almost used up: the account pauses until Reset-By (3 s from now).
  sim.control("POST", "/sim/ratelimit", R"({"remaining":5,"reset_in_s":3})");
  auto found = next_budget(watch, "", [](const json::object& b) { return !b.at("paused_until").is_null(); });
  REQUIRE_MESSAGE(found, bridge->output());
  const auto& paused = *found;
  CHECK(paused.at("rate_limit_remaining") == 5);
  CHECK_FALSE(paused.at("last_rate_limit").is_null());
  CHECK(std::string(paused.at("paused_until").as_string()) > std::string(paused.at("last_rate_limit").as_string()));
  sim.control("POST", "/sim/ratelimit", R"({"remaining":400,"reset_in_s":3600})");
  // After the pause the polls go on, and the budget says so.
  REQUIRE_MESSAGE(
      next_budget(
          watch, "",
          [](const json::object& b) { return b.at("paused_until").is_null() && b.at("rate_limit_remaining") == 400; },
          20s),
      bridge->output());

  // A budget counted after the simulator counted `before` (the second to come: the first may have
  // been counted just before) is within one poll's calls of what the simulator counts.
  std::map<std::string, std::int64_t> before;
  for (auto kind : {"login", "refresh", "device_list", "events", "commands", "properties", "pictures"})
    before[kind] = sim_calls(sim, kind);
  std::int64_t total_before = sim_calls(sim);
  auto passing = next_budget(watch, last_budget(watch));
  REQUIRE(passing);
  auto budget = next_budget(watch, last_budget(watch));
  REQUIRE(budget);
  std::int64_t total_after = sim_calls(sim);
  auto published = budget->at("calls_last_hour").to_number<std::int64_t>();
  CHECK(published >= total_before);
  CHECK(published <= total_after + 2);
  for (const auto& counted : before) {
    const std::string& kind = counted.first;
    auto shown = budget->at("by_kind").at(kind).to_number<std::int64_t>();
    CHECK_MESSAGE(shown >= counted.second, kind);
    CHECK_MESSAGE(shown <= sim_calls(sim, kind) + 2, kind);
  }
  CHECK(budget->at("by_kind").at("commands") == 4);
  CHECK(budget->at("by_kind").at("pictures").to_number<std::int64_t>() >= 1);
  CHECK(budget->at("by_kind").at("events").to_number<std::int64_t>() >= 3);
  CHECK(budget->at("by_kind").at("device_list").to_number<std::int64_t>() >= 5);
  CHECK_FALSE(budget->at("last_rate_limit").is_null());
  // The property read of the sirens' states is counted as properties (one at start, at the default
  // 5 min interval); a picture download reaches the picture host only, no other kind.
  CHECK(before.at("properties") == 1);
  CHECK(sim_calls(sim, "properties") == 1);
}

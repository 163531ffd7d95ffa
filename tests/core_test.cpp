// The bridge's decisions, driven event by event with no sockets, clocks or threads: each test scripts
// what happens (polls, the broker, messages, timers, stop) and checks what the bridge would do.
#include "bridge/core.hpp"
#include "tests/core_helpers.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <algorithm>
#include <iterator>
#include <map>

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

using core_helpers::all_of;
using core_helpers::listing;
using core_helpers::published_to;

constexpr std::int64_t t0 = 1795687200000;  // 2026-11-26T10:00:00Z

bridge::core_settings settings(bool once = false) {
  bridge::core_settings s;
  s.publishing = {
      "wyze", true, {"homeassistant", "wyze", broker::discovery_mode::device, "1.0.0", "https://example.com", {}}};
  s.poll_interval = 60s;
  s.once = once;
  s.version = "1.0.0";
  s.broker_url = "mqtt://127.0.0.1:1883";
  return s;
}

// random() for the core: 42 (the read-back marker), then 0 (a birth delay of exactly 1 s).
std::function<std::uint64_t()> fixed_random() {
  return [n = 0]() mutable -> std::uint64_t { return n++ == 0 ? 42 : 0; };
}

wyze::Camera camera(std::string mac, std::string ip = "10.0.0.1") {
  wyze::Camera cam{.mac = std::move(mac)};
  cam.nickname = "cam " + cam.mac;
  cam.ip = std::move(ip);
  cam.online = true;
  cam.firmware_ver = "4.36.1";
  return cam;
}

wyze::result<wyze::device_list> failure(std::string message = "the Wyze cloud answered HTTP 500") {
  return wyze::error{wyze::failure::http_status, std::move(message)};
}

template <class T>
bool has(const bridge::actions& actions) {
  return !all_of<T>(actions).empty();
}

// The messages published directly (not through the retained queue), as "topic payload".
std::vector<std::string> published(const bridge::actions& actions) {
  std::vector<std::string> out;
  for (const auto& p : all_of<bridge::act::publish>(actions))
    out.push_back(p.message.topic + " " + (p.message.payload.empty() ? "<cleared>" : p.message.payload));
  return out;
}

std::vector<std::string> log_lines(const bridge::actions& actions) {
  std::vector<std::string> out;
  for (const auto& l : all_of<bridge::act::log>(actions)) out.push_back(l.component + ": " + l.text);
  return out;
}

// Everything the retained queue gives now (what act::flush would publish), as topics.
std::vector<std::string> drained(bridge::core& core) {
  std::vector<std::string> out;
  for (auto& m : core_helpers::window(core)) out.push_back(m.topic + (m.payload.empty() ? " <cleared>" : ""));
  return out;
}

bool contains(const std::vector<std::string>& lines, const std::string& text) {
  return std::find(lines.begin(), lines.end(), text) != lines.end();
}

}  // namespace

TEST_CASE("start subscribes to Home Assistant's birth and poll requests and polls at once") {
  bridge::core core(settings(), fixed_random());
  auto actions = core.on(bridge::ev::started{}, t0);
  CHECK(all_of<bridge::act::subscribe>(actions) ==
        std::vector<bridge::act::subscribe>{{"homeassistant/status"}, {"wyze/bridge/request/+"}, {"wyze/+/+/set"}});
  CHECK(all_of<bridge::act::fetch>(actions).size() == 1);
  CHECK_FALSE(has<bridge::act::start_timer>(actions));  // no --once broker deadline
}

TEST_CASE("the life cycle: starting, running once the broker is up, away while it is lost, stopped at stop") {
  bridge::core core(settings(), fixed_random());
  CHECK(core.current_phase() == bridge::phase::starting);
  CHECK(core_helpers::printed(core.on(bridge::ev::started{}, t0)) ==
        std::vector<std::string>{"subscribe homeassistant/status", "subscribe wyze/bridge/request/+",
                                 "subscribe wyze/+/+/set", "cancel_timer poll", "fetch"});
  CHECK(core.current_phase() == bridge::phase::starting);
  auto up = core_helpers::printed(core.on(bridge::ev::broker_up{}, t0 + 10));
  CHECK(core.current_phase() == bridge::phase::running);
  // The read-back first (what earlier runs may have left, the marker, its deadline), then online and
  // the bridge's own topics; the cameras wait for the read-back's end, bridge/devices for a poll.
  const std::string info = R"(publish wyze/bridge/info {"version":"1.0.0","started_at":"2026-11-26T10:00:00Z",)"
                           R"("last_poll":"2026-11-26T10:00:00Z","last_success":null,"poll_interval_s":60,"cameras":0,)"
                           R"("last_error":null,"log_level":"info"})";
  CHECK(up == std::vector<std::string>{
                  "subscribe homeassistant/device/+/config", "subscribe homeassistant/+/+/+/config",
                  "subscribe wyze/+/power", "subscribe wyze/+/notifications", "subscribe wyze/+/motion_detection",
                  "subscribe wyze/+/siren", "subscribe wyze/+/light", "subscribe wyze/+/garage_door",
                  "subscribe wyze/+/attributes", "subscribe wyze/bridge/readback", "publish wyze/bridge/readback 42",
                  "start_timer readback 3000 ms", "publish wyze/bridge/state online", "flush", info});
  CHECK(core_helpers::window(core).empty());  // reading back: nothing goes out
  core.on(bridge::ev::broker_down{}, t0 + 20);
  CHECK(core.current_phase() == bridge::phase::broker_away);
  core.on(bridge::ev::broker_up{}, t0 + 30);
  CHECK(core.current_phase() == bridge::phase::running);
  core.on(bridge::ev::stop{}, t0 + 40);
  CHECK(core.current_phase() == bridge::phase::stopped);
  CHECK(core.on(bridge::ev::broker_up{}, t0 + 50).empty());
}

TEST_CASE("--once drains: once everything is published it waits for the broker's acknowledgements, then exits") {
  bridge::core core(settings(true), fixed_random());
  core.on(bridge::ev::started{}, t0);
  core.on(bridge::ev::broker_up{}, t0);
  core.on(bridge::ev::poll_done{listing({camera("AA01")})}, t0 + 100);
  auto read = core_helpers::printed(core.on(bridge::ev::message{"wyze/bridge/readback", "42"}, t0 + 200));
  CHECK(read.back() == "when_delivered");
  CHECK(core.current_phase() == bridge::phase::draining);
  auto delivered = core_helpers::printed(core.on(bridge::ev::delivered{}, t0 + 300));
  CHECK(delivered == std::vector<std::string>{"cancel_timer poll", "cancel_timer birth", "cancel_timer once",
                                              "cancel_timer readback", "cancel_timer events", "cancel_timer motion",
                                              "exit 0"});
  CHECK(core.current_phase() == bridge::phase::stopped);
}

TEST_CASE("--once that loses the broker while draining publishes everything again once reconnected, then exits 0") {
  bridge::core core(settings(true), fixed_random());
  core.on(bridge::ev::started{}, t0);
  core.on(bridge::ev::broker_up{}, t0);
  core.on(bridge::ev::poll_done{listing({camera("AA01")})}, t0 + 100);
  core.on(bridge::ev::message{"wyze/bridge/readback", "42"}, t0 + 200);
  CHECK(core.current_phase() == bridge::phase::draining);
  // The connection dropped before the broker acknowledged everything: not done, and said so.
  auto dropped = core_helpers::printed(core.on(bridge::ev::delivered{false}, t0 + 300));
  CHECK(dropped.size() == 1);
  CHECK(dropped.front().find("dropped before everything was acknowledged") != std::string::npos);
  CHECK(core.current_phase() == bridge::phase::broker_away);
  core.on(bridge::ev::broker_down{}, t0 + 300);
  // Back: the camera's states go out again, and the drain starts anew.
  auto again = core_helpers::printed(core.on(bridge::ev::broker_up{}, t0 + 400));
  CHECK(again.back() == "when_delivered");
  CHECK(core.current_phase() == bridge::phase::draining);
  auto republished = core_helpers::window(core);
  CHECK(std::any_of(republished.begin(), republished.end(),
                    [](const broker::message& m) { return m.topic == "wyze/AA01/conn_state"; }));
  auto delivered = core_helpers::printed(core.on(bridge::ev::delivered{}, t0 + 500));
  CHECK(delivered.back() == "exit 0");
}

TEST_CASE("bridge/budget: published at the end of a poll when it changed, and again after a reconnect") {
  bridge::core core(settings(), fixed_random());
  core.on(bridge::ev::started{}, t0);
  core.on(bridge::ev::broker_up{}, t0);
  core.on(bridge::ev::message{"wyze/bridge/readback", "42"}, t0);
  wyze::cloud_budget budget;
  budget.last_hour[static_cast<std::size_t>(wyze::call_kind::login)] = 1;
  budget.last_hour[static_cast<std::size_t>(wyze::call_kind::device_list)] = 1;
  budget.rate_limit_remaining = 298;
  auto first =
      published_to(core.on(bridge::ev::poll_done{listing({camera("AA01")}), budget}, t0 + 500), "wyze/bridge/budget");
  CHECK(first == std::vector<std::string>{
                     R"({"calls_last_hour":2,"by_kind":{"login":1,"refresh":0,"device_list":1,"events":0,)"
                     R"("commands":0,"properties":0,"pictures":0},"rate_limit_remaining":298,"paused_until":null,)"
                     R"("last_rate_limit":null})"});
  // The same budget again (a poll during a pause makes no call): nothing new to say.
  CHECK(published_to(core.on(bridge::ev::poll_done{failure(), budget}, t0 + 60'500), "wyze/bridge/budget").empty());
  budget.paused_until_ms = t0 + 600'000;
  budget.last_rate_limit_ms = t0 + 60'000;
  auto paused = published_to(core.on(bridge::ev::poll_done{failure(), budget}, t0 + 120'500), "wyze/bridge/budget");
  REQUIRE(paused.size() == 1);
  auto shown = json::parse(paused[0]).as_object();
  CHECK(shown.at("paused_until") == "2026-11-26T10:10:00Z");
  CHECK(shown.at("last_rate_limit") == "2026-11-26T10:01:00Z");
  // A broker that lost its retained messages gets the last one again.
  core.on(bridge::ev::broker_down{}, t0 + 130'000);
  CHECK(published_to(core.on(bridge::ev::broker_up{}, t0 + 131'000), "wyze/bridge/budget") == paused);
}

TEST_CASE("the publish window gets at most the messages it has room for, and is asked for again when full") {
  bridge::core core(settings(), fixed_random());
  core.on(bridge::ev::started{}, t0);
  core.on(bridge::ev::broker_up{}, t0);
  core.on(bridge::ev::message{"wyze/bridge/readback", "42"}, t0);
  core.on(bridge::ev::poll_done{listing({camera("AA01"), camera("AA02")})}, t0 + 500);
  auto first = core_helpers::printed(core.on(bridge::ev::publish_window{4}, t0 + 600));
  auto topic_of = [](const std::string& line) { return line.substr(0, line.find(' ', sizeof "publish")); };
  std::vector<std::string> topics;
  std::transform(first.begin(), first.end(), std::back_inserter(topics), topic_of);
  // The bridge's device, then camera by camera: its config, then its states.
  CHECK(topics == std::vector<std::string>{"publish homeassistant/device/wyze_mqtt_bridge_wyze/config",
                                           "publish homeassistant/device/wyze_AA01/config",
                                           "publish wyze/AA01/conn_state", "publish wyze/AA01/ip", "flush"});
  auto rest = core_helpers::printed(core.on(bridge::ev::publish_window{100}, t0 + 700));
  topics.clear();
  std::transform(rest.begin(), rest.end(), std::back_inserter(topics), topic_of);
  // The rest, and no flush: nothing is left.
  CHECK(topics == std::vector<std::string>{"publish wyze/AA01/firmware", "publish wyze/AA01/attributes",
                                           "publish homeassistant/device/wyze_AA02/config",
                                           "publish wyze/AA02/conn_state", "publish wyze/AA02/ip",
                                           "publish wyze/AA02/firmware", "publish wyze/AA02/attributes"});
  CHECK(core.on(bridge::ev::publish_window{100}, t0 + 800).empty());
}

TEST_CASE("a poll publishes the selected cameras, then only what changed, and schedules the next poll") {
  auto s = settings();
  s.exclude = {"cam AA03"};
  bridge::core core(s, fixed_random());
  core.on(bridge::ev::started{}, t0);
  auto first = core.on(bridge::ev::poll_done{listing({camera("AA01"), camera("AA02"), camera("AA03")})}, t0 + 500);
  CHECK(has<bridge::act::flush>(first));
  CHECK(all_of<bridge::act::start_timer>(first) == std::vector<bridge::act::start_timer>{{bridge::timer::poll, 60s}});
  auto topics = drained(core);
  CHECK(topics.size() == 10);  // 2 cameras × (config + conn_state, ip, firmware, attributes)
  CHECK(std::none_of(topics.begin(), topics.end(), [](const auto& t) { return t.find("AA03") != std::string::npos; }));
  CHECK(contains(log_lines(first), "bridge: poll: 2 cameras, 10 changed topics"));
  auto info = json::parse(published_to(first, "wyze/bridge/info").at(0)).as_object();
  CHECK(info.at("cameras") == 2);
  CHECK(info.at("last_success") == "2026-11-26T10:00:00Z");

  CHECK(has<bridge::act::fetch>(core.on(bridge::ev::timer_fired{bridge::timer::poll}, t0 + 60'000)));
  core.on(bridge::ev::poll_done{listing({camera("AA01"), camera("AA02"), camera("AA03")})}, t0 + 60'500);
  CHECK(drained(core).empty());  // nothing changed

  core.on(bridge::ev::timer_fired{bridge::timer::poll}, t0 + 120'000);
  core.on(bridge::ev::poll_done{listing({camera("AA01"), camera("AA02", "10.0.0.9"), camera("AA03", "10.0.0.9")})},
          t0 + 120'500);
  CHECK(drained(core) == std::vector<std::string>{"wyze/AA02/ip", "wyze/AA02/attributes"});
}

TEST_CASE("the cloud goes offline after 3 failed polls in a row and online again after a success") {
  bridge::core core(settings(), fixed_random());
  core.on(bridge::ev::started{}, t0);
  CHECK(published_to(core.on(bridge::ev::poll_done{listing({camera("AA01")})}, t0), "wyze/bridge/cloud") ==
        std::vector<std::string>{"online"});
  for (int failed = 1; failed <= 2; ++failed) {
    auto actions = core.on(bridge::ev::poll_done{failure()}, t0 + failed * std::int64_t{60'000});
    CHECK(published_to(actions, "wyze/bridge/cloud").empty());
  }
  auto third = core.on(bridge::ev::poll_done{failure()}, t0 + 180'000);
  CHECK(published_to(third, "wyze/bridge/cloud") == std::vector<std::string>{"offline"});
  CHECK(contains(log_lines(third), "bridge: Wyze cloud is unreachable (3 failed polls in a row)"));
  CHECK(published_to(core.on(bridge::ev::poll_done{failure()}, t0 + 240'000), "wyze/bridge/cloud").empty());
  auto back = core.on(bridge::ev::poll_done{listing({camera("AA01")})}, t0 + 300'000);
  CHECK(published_to(back, "wyze/bridge/cloud") == std::vector<std::string>{"online"});
  CHECK(contains(log_lines(back), "bridge: Wyze cloud is reachable"));
}

TEST_CASE("the same poll failure is logged once as an error, then quietly until it changes") {
  bridge::core core(settings(), fixed_random());
  core.on(bridge::ev::started{}, t0);
  CHECK(contains(log_lines(core.on(bridge::ev::poll_done{failure("A")}, t0)), "wyze: poll failed: A"));
  CHECK(contains(log_lines(core.on(bridge::ev::poll_done{failure("A")}, t0)), "wyze: poll failed again: A"));
  CHECK(all_of<bridge::act::log>(core.on(bridge::ev::poll_done{failure("A")}, t0)).front().level ==
        common::logging::level::debug);
  CHECK(contains(log_lines(core.on(bridge::ev::poll_done{failure("B")}, t0)), "wyze: poll failed: B"));
}

TEST_CASE("the read-back holds cameras back until the marker returns, then clears only what is no longer ours") {
  bridge::core core(settings(), fixed_random());
  core.on(bridge::ev::started{}, t0);
  auto connected = core.on(bridge::ev::broker_up{}, t0);
  CHECK(all_of<bridge::act::subscribe>(connected) ==
        std::vector<bridge::act::subscribe>{{"homeassistant/device/+/config", 0},
                                            {"homeassistant/+/+/+/config", 0},
                                            {"wyze/+/power", 0},
                                            {"wyze/+/notifications", 0},
                                            {"wyze/+/motion_detection", 0},
                                            {"wyze/+/siren", 0},
                                            {"wyze/+/light", 0},
                                            {"wyze/+/garage_door", 0},
                                            {"wyze/+/attributes", 0},
                                            {"wyze/bridge/readback", 0}});
  CHECK(contains(published(connected), "wyze/bridge/readback 42"));
  CHECK(contains(published(connected), "wyze/bridge/state online"));
  CHECK(all_of<bridge::act::start_timer>(connected) ==
        std::vector<bridge::act::start_timer>{{bridge::timer::readback, 3s}});

  // What an earlier run left: a camera that is still there and one that is gone.
  core.on(bridge::ev::message{"wyze/AA01/attributes", "{}"}, t0);
  core.on(bridge::ev::message{"wyze/GONE/attributes", "{}"}, t0);
  core.on(bridge::ev::message{"homeassistant/device/wyze_GONE/config",
                              R"({"dev":{"ids":["wyze_GONE"],"via_device":"wyze_mqtt_bridge_wyze"}})"},
          t0);
  core.on(bridge::ev::message{"homeassistant/device/zigbee_1/config", R"({"dev":{"ids":["zigbee_1"]}})"}, t0);
  CHECK(core.on(bridge::ev::poll_done{listing({camera("AA01")})}, t0).size() > 0);
  CHECK(drained(core).empty());  // still reading back: no camera goes out yet

  auto marker = core.on(bridge::ev::message{"wyze/bridge/readback", "42"}, t0);
  CHECK(all_of<bridge::act::cancel_timer>(marker) == std::vector<bridge::act::cancel_timer>{{bridge::timer::readback}});
  CHECK(all_of<bridge::act::unsubscribe>(marker).size() == 10);
  CHECK(published(marker) ==
        std::vector<std::string>{
            "wyze/GONE/conn_state <cleared>", "wyze/GONE/ip <cleared>", "wyze/GONE/firmware <cleared>",
            "wyze/GONE/battery <cleared>", "wyze/GONE/charging <cleared>", "wyze/GONE/signal <cleared>",
            "wyze/GONE/sd_card <cleared>", "wyze/GONE/power <cleared>", "wyze/GONE/notifications <cleared>",
            "wyze/GONE/motion_detection <cleared>", "wyze/GONE/siren <cleared>", "wyze/GONE/light <cleared>",
            "wyze/GONE/garage_door <cleared>", "wyze/GONE/attributes <cleared>",
            "homeassistant/device/wyze_GONE/config <cleared>"});
  CHECK(contains(log_lines(marker), "bridge: clearing 15 retained topics of cameras that are gone"));
  CHECK(drained(core).size() == 6);  // the bridge device, then AA01's config and states
  // Messages after the read-back are not taken as ours.
  core.on(bridge::ev::message{"wyze/LATE/attributes", "{}"}, t0);
  CHECK(published(core.on(bridge::ev::poll_done{listing({camera("AA01")})}, t0)).size() == 1);  // bridge/info only
}

TEST_CASE("nothing is cleared while no poll has succeeded: the account's cameras are not known yet") {
  bridge::core core(settings(), fixed_random());
  core.on(bridge::ev::started{}, t0);
  core.on(bridge::ev::broker_up{}, t0);
  core.on(bridge::ev::message{"wyze/GONE/attributes", "{}"}, t0);
  auto window_over = core.on(bridge::ev::timer_fired{bridge::timer::readback}, t0 + 3000);  // the marker never came
  CHECK(all_of<bridge::act::unsubscribe>(window_over).size() == 10);
  CHECK(published(window_over).empty());
  for (int i = 0; i < 3; ++i)
    for (const auto& line : published(core.on(bridge::ev::poll_done{failure()}, t0)))
      CHECK(line.find("<cleared>") == std::string::npos);
  auto success = core.on(bridge::ev::poll_done{listing({camera("AA01")})}, t0);
  CHECK(contains(published(success), "wyze/GONE/attributes <cleared>"));
}

TEST_CASE("Home Assistant's birth republishes everything once, after the delay, however often it repeats") {
  bridge::core core(settings(), fixed_random());
  core.on(bridge::ev::started{}, t0);
  core.on(bridge::ev::broker_up{}, t0);
  core.on(bridge::ev::message{"wyze/bridge/readback", "42"}, t0);
  core.on(bridge::ev::poll_done{listing({camera("AA01")})}, t0);
  drained(core);

  auto birth = core.on(bridge::ev::message{"homeassistant/status", "online"}, t0);
  CHECK(all_of<bridge::act::start_timer>(birth) == std::vector<bridge::act::start_timer>{{bridge::timer::birth, 1s}});
  CHECK(contains(log_lines(birth), "bridge: Home Assistant started; republishing discovery and states in 1000 ms"));
  CHECK_FALSE(has<bridge::act::flush>(birth));
  // A second birth while the republish is scheduled shares it.
  CHECK_FALSE(has<bridge::act::start_timer>(core.on(bridge::ev::message{"homeassistant/status", "online"}, t0 + 500)));
  CHECK(core.on(bridge::ev::message{"homeassistant/status", "offline"}, t0 + 600).empty());

  auto republish = core.on(bridge::ev::timer_fired{bridge::timer::birth}, t0 + 1500);
  CHECK(has<bridge::act::flush>(republish));
  auto again = published(republish);
  REQUIRE(again.size() == 4);  // cloud, info, budget and devices
  CHECK(again[0] == "wyze/bridge/cloud online");
  CHECK(again[1].starts_with("wyze/bridge/info {"));
  CHECK(again[2].starts_with("wyze/bridge/budget {\"calls_last_hour\":0,"));
  CHECK(again[3].starts_with("wyze/bridge/devices [{\"id\":\"AA01\""));
  CHECK(drained(core).size() == 6);  // the bridge device, AA01's config and its 4 states
}

TEST_CASE("poll requests during a poll share it, and each gets an answer") {
  bridge::core core(settings(), fixed_random());
  core.on(bridge::ev::started{}, t0);  // a poll is running
  CHECK_FALSE(has<bridge::act::fetch>(core.on(bridge::ev::message{"wyze/bridge/request/poll", ""}, t0)));
  CHECK_FALSE(has<bridge::act::fetch>(core.on(bridge::ev::message{"wyze/bridge/request/poll", "x"}, t0)));
  auto done = core.on(bridge::ev::poll_done{listing({camera("AA01"), camera("AA02")})}, t0);
  CHECK(published_to(done, "wyze/bridge/response/poll") ==
        std::vector<std::string>{R"({"status":"ok","data":{"cameras":2},"cameras":2})",
                                 R"({"status":"ok","data":{"cameras":2},"cameras":2})"});
  for (const auto& p : all_of<bridge::act::publish>(done))
    if (p.message.topic == "wyze/bridge/response/poll") CHECK_FALSE(p.message.retain);

  // Idle: a request polls at once, and a failure is answered with its reason.
  auto request = core.on(bridge::ev::message{"wyze/bridge/request/poll", ""}, t0 + 1000);
  CHECK(has<bridge::act::fetch>(request));
  CHECK(has<bridge::act::cancel_timer>(request));  // the scheduled poll is replaced
  CHECK(published_to(core.on(bridge::ev::poll_done{failure("HTTP 500")}, t0 + 2000), "wyze/bridge/response/poll") ==
        std::vector<std::string>{R"({"status":"error","error":"HTTP 500"})"});
  // No request, no answer.
  CHECK(published_to(core.on(bridge::ev::poll_done{listing({})}, t0), "wyze/bridge/response/poll").empty());
}

TEST_CASE("--once exits 0 once the poll and the clean-up are acknowledged by the broker") {
  bridge::core core(settings(true), fixed_random());
  auto start = core.on(bridge::ev::started{}, t0);
  CHECK(all_of<bridge::act::start_timer>(start) == std::vector<bridge::act::start_timer>{{bridge::timer::once, 30s}});
  core.on(bridge::ev::broker_up{}, t0);
  auto polled = core.on(bridge::ev::poll_done{listing({camera("AA01")})}, t0);
  CHECK_FALSE(has<bridge::act::start_timer>(polled));     // no next poll
  CHECK_FALSE(has<bridge::act::when_delivered>(polled));  // the read-back is not over yet
  auto read = core.on(bridge::ev::message{"wyze/bridge/readback", "42"}, t0);
  CHECK(has<bridge::act::when_delivered>(read));
  auto delivered = core.on(bridge::ev::delivered{}, 0);
  CHECK(all_of<bridge::act::exit>(delivered) == std::vector<bridge::act::exit>{{0, {"wyze/bridge/state", "offline"}}});
  CHECK(all_of<bridge::act::cancel_timer>(delivered).size() == 6);
}

TEST_CASE("--once waits for a broker that was lost until it is back") {
  bridge::core core(settings(true), fixed_random());
  core.on(bridge::ev::started{}, t0);
  core.on(bridge::ev::broker_up{}, t0);
  core.on(bridge::ev::message{"wyze/bridge/readback", "42"}, t0);
  core.on(bridge::ev::broker_down{}, 0);
  CHECK_FALSE(has<bridge::act::when_delivered>(core.on(bridge::ev::poll_done{listing({camera("AA01")})}, t0)));
  CHECK(has<bridge::act::when_delivered>(core.on(bridge::ev::broker_up{}, t0 + 1000)));
}

TEST_CASE("--once exits 1 when the poll fails, or when the broker does not connect in time") {
  bridge::core failing(settings(true), fixed_random());
  failing.on(bridge::ev::started{}, t0);
  CHECK(all_of<bridge::act::exit>(failing.on(bridge::ev::poll_done{failure()}, t0)).at(0).code == 1);

  bridge::core no_broker(settings(true), fixed_random());
  no_broker.on(bridge::ev::started{}, t0);
  no_broker.on(bridge::ev::poll_done{listing({camera("AA01")})}, t0);
  auto timeout = no_broker.on(bridge::ev::timer_fired{bridge::timer::once}, t0 + 30'000);
  CHECK(all_of<bridge::act::exit>(timeout).at(0).code == 1);
  CHECK(contains(log_lines(timeout),
                 "bridge: the broker at mqtt://127.0.0.1:1883 did not accept the connection within 30 s"));
}

TEST_CASE("a stop during a poll exits at once, and the poll's late answer changes nothing") {
  bridge::core core(settings(), fixed_random());
  core.on(bridge::ev::started{}, t0);
  auto stop = core.on(bridge::ev::stop{}, 0);
  CHECK(all_of<bridge::act::exit>(stop) == std::vector<bridge::act::exit>{{0, {"wyze/bridge/state", "offline"}}});
  CHECK(all_of<bridge::act::cancel_timer>(stop).size() == 6);
  CHECK(contains(log_lines(stop), "bridge: stopping: publishing offline and disconnecting"));
  CHECK(core.on(bridge::ev::stop{}, 0).empty());
  CHECK(core.on(bridge::ev::poll_done{listing({camera("AA01")})}, t0).empty());
  CHECK(drained(core).empty());
  CHECK(core.on(bridge::ev::timer_fired{bridge::timer::poll}, t0).empty());
  CHECK(core.on(bridge::ev::message{"wyze/bridge/request/poll", ""}, t0).empty());
}

namespace {

// Plays the shell for the tests below: keeps the core's timers and fires them as time passes, and
// answers every fetch after `poll_takes` with the same camera list.
struct shell {
  bridge::core core;
  std::int64_t now = t0;
  std::map<bridge::timer, std::int64_t> due;
  std::optional<std::int64_t> poll_done_at;
  int fetches = 0;
  std::vector<std::string> answers, logs;
  static constexpr std::int64_t poll_takes = 500;

  explicit shell(bridge::core_settings s) : core(std::move(s), fixed_random()) {
    run(core.on(bridge::ev::started{}, now));
  }

  void run(const bridge::actions& actions) {
    for (const auto& a : actions) {
      if (const auto* t = std::get_if<bridge::act::start_timer>(&a)) due[t->which] = now + t->after.count();
      if (const auto* t = std::get_if<bridge::act::cancel_timer>(&a)) due.erase(t->which);
      if (std::holds_alternative<bridge::act::fetch>(a)) ++fetches, poll_done_at = now + poll_takes;
      if (const auto* l = std::get_if<bridge::act::log>(&a)) logs.push_back(l->text);
    }
    for (const auto& answer : published_to(actions, "wyze/bridge/response/poll")) answers.push_back(answer);
  }

  // Moves the clock to `until`, firing what falls due on the way.
  void advance(std::int64_t until) {
    for (;;) {
      std::optional<std::pair<std::int64_t, bridge::timer>> next;
      for (const auto& [which, at] : due)
        if (!next || at < next->first) next = std::pair{at, which};
      bool poll_first = poll_done_at && (!next || *poll_done_at <= next->first);
      std::int64_t at = poll_first ? *poll_done_at : next ? next->first : until + 1;
      if (at > until) break;
      now = at;
      if (poll_first) {
        poll_done_at.reset();
        run(core.on(bridge::ev::poll_done{listing({camera("AA01")})}, now));
      } else {
        due.erase(next->second);
        run(core.on(bridge::ev::timer_fired{next->second}, now));
      }
    }
    now = until;
  }
};

}  // namespace

TEST_CASE("a flood of poll requests against Wyze's hosts costs one device-list call per 10 s, and is answered") {
  auto s = settings();
  s.min_poll_spacing = 10s;
  shell bridge(s);
  bridge.advance(t0 + 1000);
  REQUIRE(bridge.fetches == 1);
  // A request every 50 ms for 10 s (what an automation pressing the Poll button in a loop does).
  int requests = 0;
  for (std::int64_t t = t0 + 1000; t < t0 + 11'000; t += 50, ++requests) {
    bridge.advance(t);
    bridge.run(bridge.core.on(bridge::ev::message{"wyze/bridge/request/poll", ""}, t));
  }
  CHECK(requests == 200);
  CHECK(bridge.fetches == 2);  // the first poll, then one at 10 s after it
  bridge.advance(t0 + 25'000);
  CHECK(bridge.fetches == 3);  // the requests after the second poll started share a third
  // Every answer says what the poll found; 100 at most per poll, the rest are said in the log.
  CHECK(bridge.answers.size() == 100 + 10);
  for (const auto& answer : bridge.answers) CHECK(answer == R"({"status":"ok","data":{"cameras":1},"cameras":1})");
  CHECK(std::any_of(bridge.logs.begin(), bridge.logs.end(), [](const std::string& l) {
    return l.starts_with("90 more poll requests than 100 shared this poll unanswered");
  }));
}

TEST_CASE("a poll request long after the last poll polls at once, and elsewhere than Wyze 1 s apart is enough") {
  shell bridge(settings());  // min_poll_spacing 1 s
  bridge.advance(t0 + 30'000);
  bridge.run(bridge.core.on(bridge::ev::message{"wyze/bridge/request/poll", ""}, bridge.now));
  CHECK(bridge.fetches == 2);
  bridge.advance(t0 + 30'600);
  bridge.run(bridge.core.on(bridge::ev::message{"wyze/bridge/request/poll", ""}, bridge.now));
  CHECK(bridge.fetches == 2);
  bridge.advance(t0 + 31'000);
  CHECK(bridge.fetches == 3);
  bridge.advance(t0 + 31'600);
  CHECK(bridge.answers.size() == 2);
}

TEST_CASE("Home Assistant born every 5 s for 3 minutes republishes once a minute, and the last birth is covered") {
  shell bridge(settings());
  bridge.advance(t0 + 1000);
  bridge.run(bridge.core.on(bridge::ev::broker_up{}, bridge.now));
  bridge.run(bridge.core.on(bridge::ev::message{"wyze/bridge/readback", "42"}, bridge.now));
  for (std::int64_t t = t0 + 2000; t <= t0 + 182'000; t += 5000) {
    bridge.advance(t);
    bridge.run(bridge.core.on(bridge::ev::message{"homeassistant/status", "online"}, t));
  }
  auto scheduled = std::count_if(bridge.logs.begin(), bridge.logs.end(), [](const std::string& l) {
    return l.starts_with("Home Assistant started; republishing");
  });
  CHECK(scheduled == 4);  // at 3 s, then a minute after each republish: 63 s, 123 s, 183 s
  REQUIRE(bridge.due.count(bridge::timer::birth));
  CHECK(bridge.due.at(bridge::timer::birth) >= t0 + 182'000);  // the last birth gets its republish
}

// ---- camera commands (SPEC §7) ----

namespace {

wyze::Camera controllable(std::string mac, std::string model = "WYZE_CAKP2JFUS") {
  auto cam = camera(std::move(mac));
  cam.product_model = std::move(model);
  cam.power = true;
  cam.notifications = true;
  cam.motion_detection = true;
  return cam;
}

// A core past start, read-back and a first poll of `cameras`, with nothing left to publish.
bridge::core ready_core(std::initializer_list<wyze::Camera> cameras, bridge::core_settings s = settings()) {
  bridge::core core(std::move(s), fixed_random());
  core.on(bridge::ev::started{}, t0);
  core.on(bridge::ev::broker_up{}, t0);
  core.on(bridge::ev::message{"wyze/bridge/readback", "42"}, t0);
  core.on(bridge::ev::poll_done{listing(cameras)}, t0);
  drained(core);
  return core;
}

// What the retained queue gives now, as "topic payload".
std::vector<std::string> drained_payloads(bridge::core& core) {
  std::vector<std::string> out;
  for (auto& m : core_helpers::window(core)) out.push_back(m.topic + " " + m.payload);
  return out;
}

std::vector<json::object> answers(const bridge::actions& actions) {
  std::vector<json::object> out;
  for (const auto& payload : published_to(actions, "wyze/bridge/response/command"))
    out.push_back(json::parse(payload).as_object());
  return out;
}

const wyze::result<wyze::done> accepted = wyze::done{};

}  // namespace

TEST_CASE("a switch command is one cloud call, and its state and answer follow the cloud's answer") {
  auto core = ready_core({controllable("AA01")});
  auto sent = core.on(bridge::ev::message{"wyze/AA01/power/set", "OFF"}, t0 + 1000);
  auto commands = all_of<bridge::act::command>(sent);
  REQUIRE(commands.size() == 1);
  CHECK(commands[0].camera == "AA01");
  CHECK(commands[0].call == wyze::camera_command{"AA01", "WYZE_CAKP2JFUS", "power_off", {}});
  CHECK(drained_payloads(core).empty());  // nothing changes before the cloud answers

  auto done = core.on(bridge::ev::command_done{"AA01", accepted}, t0 + 1500);
  // The flush that publishes the new state comes before the answer.
  auto lines = core_helpers::printed(done);
  auto flush = std::find(lines.begin(), lines.end(), "flush");
  auto answer = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
    return l.starts_with("publish wyze/bridge/response/command");
  });
  REQUIRE(flush != lines.end());
  REQUIRE(answer != lines.end());
  CHECK(flush < answer);
  CHECK(contains(drained_payloads(core), "wyze/AA01/power off"));
  CHECK(answers(done) ==
        std::vector<json::object>{{{"status", "ok"}, {"camera", "AA01"}, {"entity", "power"}, {"value", "off"}}});
  CHECK(core.stats().commands.at({"power", "ok"}) == 1);
}

TEST_CASE("command payloads: on/off in any case, 1/0, true/false, and anything else is refused without a call") {
  for (std::string payload : {"on", "ON", "On", "1", "true", "TRUE", " on\n", "off", "OFF", "0", "false", "False"}) {
    CAPTURE(payload);
    auto core = ready_core({controllable("AA01")});
    auto commands =
        all_of<bridge::act::command>(core.on(bridge::ev::message{"wyze/AA01/notifications/set", payload}, t0));
    REQUIRE(commands.size() == 1);
    bool on = payload.find('n') != std::string::npos || payload.find('N') != std::string::npos || payload == "1" ||
              payload == "true" || payload == "TRUE";
    CHECK(commands[0].call.properties == std::vector<std::pair<std::string, std::string>>{{"P1", on ? "1" : "0"}});
  }
  for (const std::string& payload :
       std::vector<std::string>{"toggle", "2", "onn", "yes", "{\"state\":\"off\"}", std::string(300'000, 'x'),
                                std::string("o\0ff", 4), "\x1b[2Joff"}) {
    CAPTURE(payload.substr(0, 20));
    auto core = ready_core({controllable("AA01")});
    auto refused = core.on(bridge::ev::message{"wyze/AA01/power/set", payload}, t0);
    CHECK_FALSE(has<bridge::act::command>(refused));
    auto replies = answers(refused);
    REQUIRE(replies.size() == 1);
    CHECK(replies[0].at("status") == "error");
    CHECK(replies[0].at("error") == "send on or off (also 1/0, true/false) to power");
    CHECK(replies[0].at("value").as_string().size() <= 67);  // clipped, never the whole payload
    CHECK(core.stats().commands.at({"power", "refused"}) == 1);
  }
  // A button takes anything.
  auto core = ready_core({controllable("AA01")});
  auto pressed = all_of<bridge::act::command>(core.on(bridge::ev::message{"wyze/AA01/restart/set", "whatever"}, t0));
  REQUIRE(pressed.size() == 1);
  CHECK(pressed[0].call.action == "restart");
}

TEST_CASE("a retained command is never carried out: it is logged and cleared") {
  auto core = ready_core({controllable("AA01")});
  auto actions = core.on(bridge::ev::message{"wyze/AA01/power/set", "off", true}, t0);
  CHECK_FALSE(has<bridge::act::command>(actions));
  CHECK(all_of<bridge::act::publish>(actions) ==
        std::vector<bridge::act::publish>{{{"wyze/AA01/power/set", "", true}}});
  CHECK(all_of<bridge::act::log>(actions).at(0).level == common::logging::level::warn);
  CHECK(core.stats().commands.at({"power", "ignored"}) == 1);
  // The broker echoes the clearing as an empty message: nothing happens, nothing is answered.
  auto echo = core.on(bridge::ev::message{"wyze/AA01/power/set", ""}, t0);
  CHECK_FALSE(has<bridge::act::command>(echo));
  CHECK_FALSE(has<bridge::act::publish>(echo));
  // Also before the first poll (the subscription delivers retained commands at once).
  bridge::core fresh(settings(), fixed_random());
  fresh.on(bridge::ev::started{}, t0);
  CHECK(published(fresh.on(bridge::ev::message{"wyze/AA01/power/set", "off", true}, t0)) ==
        std::vector<std::string>{"wyze/AA01/power/set <cleared>"});
}

TEST_CASE("a burst of commands for one camera is at most two cloud calls, and the last word wins") {
  auto core = ready_core({controllable("AA01")});
  std::size_t calls = 0, replaced = 0;
  bridge::actions last;
  for (int i = 0; i < 100; ++i) {
    auto actions = core.on(bridge::ev::message{"wyze/AA01/power/set", i % 2 ? "on" : "off"}, t0 + std::int64_t{i} * 10);
    calls += all_of<bridge::act::command>(actions).size();
    for (const auto& a : answers(actions)) replaced += a.at("status") == "error";
  }
  CHECK(calls == 1);  // power_off in flight; the rest waits, each replacing the one before
  CHECK(replaced == 98);
  auto first = core.on(bridge::ev::command_done{"AA01", accepted}, t0 + 2000);
  auto second = all_of<bridge::act::command>(first);
  REQUIRE(second.size() == 1);
  CHECK(second[0].call.action == "power_on");  // the last of the burst
  CHECK(all_of<bridge::act::command>(core.on(bridge::ev::command_done{"AA01", accepted}, t0 + 2500)).empty());
  CHECK(contains(drained_payloads(core), "wyze/AA01/power on"));
  // Other cameras are not held up by AA01's queue; other entities of AA01 queue beside power.
  auto core2 = ready_core({controllable("AA01"), controllable("AA02")});
  CHECK(all_of<bridge::act::command>(core2.on(bridge::ev::message{"wyze/AA01/power/set", "off"}, t0)).size() == 1);
  CHECK(all_of<bridge::act::command>(core2.on(bridge::ev::message{"wyze/AA02/power/set", "off"}, t0)).size() == 1);
  CHECK(
      all_of<bridge::act::command>(core2.on(bridge::ev::message{"wyze/AA01/motion_detection/set", "off"}, t0)).empty());
  auto next = all_of<bridge::act::command>(core2.on(bridge::ev::command_done{"AA01", accepted}, t0 + 100));
  REQUIRE(next.size() == 1);
  CHECK(next[0].call.properties == std::vector<std::pair<std::string, std::string>>{{"P1047", "0"}, {"P1001", "0"}});
}

TEST_CASE("a refused command publishes the unchanged state again, so Home Assistant's switch snaps back") {
  auto core = ready_core({controllable("AA01")});
  core.on(bridge::ev::message{"wyze/AA01/power/set", "off"}, t0);
  auto refused = core.on(bridge::ev::command_done{"AA01", wyze::error{wyze::failure::rejected,
                                                                      "run_action: the device is offline (code 3019)"}},
                         t0 + 500);
  CHECK(drained_payloads(core) == std::vector<std::string>{"wyze/AA01/power on"});
  CHECK(answers(refused) == std::vector<json::object>{{{"status", "error"},
                                                       {"camera", "AA01"},
                                                       {"entity", "power"},
                                                       {"value", "off"},
                                                       {"error", "run_action: the device is offline (code 3019)"}}});
  CHECK(
      contains(log_lines(refused), "wyze: cam AA01: power off failed: run_action: the device is offline (code 3019)"));
  CHECK(core.stats().commands.at({"power", "error"}) == 1);
  // The next poll agrees with what is shown: nothing to publish.
  core.on(bridge::ev::poll_done{listing({controllable("AA01")})}, t0 + 60'000);
  CHECK(drained_payloads(core).empty());
}

TEST_CASE("the capability table decides per model, and unknown cameras and entities are refused without a call") {
  auto core = ready_core({controllable("AA01", "ME_WCO3"), controllable("AA02", "WVOD1"), controllable("AA03"),
                          controllable("AA04", "GW_GC1")});
  auto solar = core.on(bridge::ev::message{"wyze/AA01/power/set", "off"}, t0);
  CHECK_FALSE(has<bridge::act::command>(solar));
  CHECK(answers(solar).at(0).at("error") ==
        "Solar Cam Pan cameras have no power control the Wyze cloud carries out (see the README's table of models)");
  // The Cam OG's power is a device-management action (SPEC §11); it has no restart.
  auto og = all_of<bridge::act::command>(core.on(bridge::ev::message{"wyze/AA04/power/set", "off"}, t0));
  REQUIRE(og.size() == 1);
  CHECK(og[0].call.via == wyze::api::devicemgmt);
  CHECK(og[0].call.capability == "power");
  CHECK(og[0].call.action == "sleep");
  core.on(bridge::ev::command_done{"AA04", accepted}, t0 + 5);
  CHECK_FALSE(has<bridge::act::command>(core.on(bridge::ev::message{"wyze/AA04/restart/set", "PRESS"}, t0 + 6)));
  // The battery-powered Cam Outdoor has power (run_action), but no restart.
  auto power = all_of<bridge::act::command>(core.on(bridge::ev::message{"wyze/AA02/power/set", "off"}, t0));
  REQUIRE(power.size() == 1);
  CHECK(power[0].call == wyze::camera_command{"AA02", "WVOD1", "power_off", {}});
  core.on(bridge::ev::command_done{"AA02", accepted}, t0 + 10);
  CHECK_FALSE(has<bridge::act::command>(core.on(bridge::ev::message{"wyze/AA02/restart/set", "PRESS"}, t0 + 20)));
  auto outdoor = all_of<bridge::act::command>(core.on(bridge::ev::message{"wyze/AA02/motion_detection/set", "on"}, t0));
  REQUIRE(outdoor.size() == 1);
  CHECK(outdoor[0].call.properties == std::vector<std::pair<std::string, std::string>>{{"P1029", "1"}});
  CHECK(outdoor[0].call.as_list);  // one set_property_list call (wyzeapy), not set_property
  auto unknown = core.on(bridge::ev::message{"wyze/NOPE/power/set", "off"}, t0);
  CHECK(answers(unknown).at(0).at("error") == "no camera \"NOPE\" is published (not in the account, or excluded)");
  auto entity = core.on(bridge::ev::message{"wyze/AA03/laser/set", "on"}, t0);
  CHECK(answers(entity).at(0).at("error") ==
        "\"laser\" is not a camera command; a camera takes power, restart, notifications, motion_detection, siren, "
        "light and garage_door");
  CHECK(core.stats().commands.at({"unknown", "refused"}) == 1);  // no label from the topic
  for (const auto* topic : {"wyze/AA03/set", "wyze/AA03/power/x/set", "wyze/bridge/request/set"})
    CHECK_FALSE(has<bridge::act::command>(core.on(bridge::ev::message{topic, "on"}, t0)));
  // Before the first poll the cameras are not known.
  bridge::core fresh(settings(), fixed_random());
  fresh.on(bridge::ev::started{}, t0);
  CHECK(answers(fresh.on(bridge::ev::message{"wyze/AA03/power/set", "off"}, t0)).at(0).at("error") ==
        "the account's cameras are not known yet; try again after the first poll");
}

TEST_CASE("after a command, a device list that still shows the old value is not believed for a while") {
  auto core = ready_core({controllable("AA01")});
  core.on(bridge::ev::message{"wyze/AA01/power/set", "off"}, t0);
  core.on(bridge::ev::command_done{"AA01", accepted}, t0 + 500);
  drained(core);
  core.on(bridge::ev::poll_done{listing({controllable("AA01")})}, t0 + 30'000);  // Wyze's list lags: still on
  CHECK(drained_payloads(core).empty());
  auto off = controllable("AA01");
  off.power = false;
  core.on(bridge::ev::poll_done{listing({off})}, t0 + 60'000);  // it agrees now
  CHECK(drained_payloads(core).empty());
  core.on(bridge::ev::poll_done{listing({controllable("AA01")})}, t0 + 90'000);  // switched on in the Wyze app
  CHECK(contains(drained_payloads(core), "wyze/AA01/power on"));
  // A list that never agrees wins once command_settle is over.
  core.on(bridge::ev::message{"wyze/AA01/power/set", "off"}, t0 + 100'000);
  core.on(bridge::ev::command_done{"AA01", accepted}, t0 + 100'500);
  drained(core);
  core.on(bridge::ev::poll_done{listing({controllable("AA01")})}, t0 + 100'500 + 119'000);
  CHECK(drained_payloads(core).empty());
  core.on(bridge::ev::poll_done{listing({controllable("AA01")})}, t0 + 100'500 + 121'000);
  CHECK(contains(drained_payloads(core), "wyze/AA01/power on"));
}

TEST_CASE("with mqtt.commands off nothing is subscribed and command topics are ignored") {
  auto s = settings();
  s.publishing.discovery_settings.features.commands = false;
  bridge::core core(s, fixed_random());
  auto start = core.on(bridge::ev::started{}, t0);
  for (const auto& sub : all_of<bridge::act::subscribe>(start)) CHECK(sub.filter.find("/set") == std::string::npos);
  auto ready = ready_core({controllable("AA01")}, s);
  CHECK(ready.on(bridge::ev::message{"wyze/AA01/power/set", "off"}, t0).empty());
}

TEST_CASE("commands on with an anonymous broker login: a warning at start names the risk and the fix") {
  auto s = settings();
  s.anonymous_broker = true;
  bridge::core core(s, fixed_random());
  auto lines = log_lines(core.on(bridge::ev::started{}, t0));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("anyone who can publish to mqtt://127.0.0.1:1883 can power the cameras off") !=
        std::string::npos);
  CHECK(lines[0].find("wyze/+/+/set") != std::string::npos);
}

TEST_CASE("a command answered after stop is dropped, and the button restarts and publishes no state") {
  auto core = ready_core({controllable("AA01")});
  auto pressed = all_of<bridge::act::command>(core.on(bridge::ev::message{"wyze/AA01/restart/set", "PRESS"}, t0));
  REQUIRE(pressed.size() == 1);
  auto done = core.on(bridge::ev::command_done{"AA01", accepted}, t0 + 100);
  CHECK(answers(done).at(0).at("status") == "ok");
  CHECK(drained_payloads(core).empty());
  core.on(bridge::ev::message{"wyze/AA01/power/set", "off"}, t0);
  core.on(bridge::ev::stop{}, 0);
  CHECK(core.on(bridge::ev::command_done{"AA01", accepted}, t0 + 200).empty());
  CHECK(core.on(bridge::ev::command_done{"NOT_IN_FLIGHT", accepted}, t0 + 200).empty());
}

// ---- the bridge API (SPEC §9) ----

TEST_CASE("bridge/request/options changes the log level at once, answered with the request's transaction") {
  auto core = ready_core({controllable("AA01")});
  auto changed = core.on(
      bridge::ev::message{"wyze/bridge/request/options", R"({"log_level":"debug","transaction":{"id":7}})"}, t0);
  CHECK(all_of<bridge::act::set_log_level>(changed) ==
        std::vector<bridge::act::set_log_level>{{common::logging::level::debug}});
  CHECK(published_to(changed, "wyze/bridge/response/options") ==
        std::vector<std::string>{R"({"status":"ok","data":{"log_level":"debug"},"transaction":{"id":7}})"});
  auto info = json::parse(published_to(changed, "wyze/bridge/info").at(0)).as_object();
  CHECK(info.at("log_level") == "debug");
  // Refusals change nothing and say what to send; the transaction comes back with them too.
  for (const auto& refusal : std::vector<std::pair<std::string, std::string>>{
           {"debug", "the request is not a JSON object: send {\"log_level\":\"debug\"}"},
           {R"({"log_level":"loud","transaction":"t"})", "log_level must be trace, debug, info, warn or error"},
           {R"({"log_level":5})", "log_level must be trace, debug, info, warn or error"},
           {R"({"log_level":"warn","colour":"red"})", "unknown option \"colour\": the options are log_level"},
           {R"({"transaction":1})", "no option given: send {\"log_level\":\"debug\"}"},
           {std::string(100'000, '{'), "the request is not a JSON object: send {\"log_level\":\"debug\"}"}}) {
    // (No structured binding: clang 14 cannot capture one in CAPTURE.)
    const std::string& payload = refusal.first;
    const std::string& error = refusal.second;
    CAPTURE(payload.substr(0, 40));
    auto refused = core.on(bridge::ev::message{"wyze/bridge/request/options", payload}, t0);
    CHECK_FALSE(has<bridge::act::set_log_level>(refused));
    auto answer = json::parse(published_to(refused, "wyze/bridge/response/options").at(0)).as_object();
    CHECK(answer.at("status") == "error");
    CHECK(answer.at("error").as_string() == error);
    if (payload.find("transaction") != std::string::npos) CHECK(answer.contains("transaction"));
  }
  // A name cut inside a character still answers valid UTF-8 (Boost.JSON's parser checks it).
  auto cut = core.on(bridge::ev::message{"wyze/bridge/request/" + std::string(63, 'a') + "\xc3\xa9", ""}, t0);
  json::error_code ec;
  json::parse(all_of<bridge::act::publish>(cut).at(0).message.payload, ec);
  CHECK_FALSE(ec);
  // A "topic" with a wildcard is no topic name: nothing is answered (no publication to a filter).
  CHECK(core.on(bridge::ev::message{"wyze/bridge/request/p+ll", "now"}, t0).empty());
  CHECK(core.on(bridge::ev::message{"wyze/bridge/request/#", "now"}, t0).empty());
  auto unknown = core.on(bridge::ev::message{"wyze/bridge/request/restart", R"({"transaction":"x"})"}, t0);
  CHECK(
      published_to(unknown, "wyze/bridge/response/restart") ==
      std::vector<std::string>{
          R"({"status":"error","error":"unknown request \"restart\": the requests are poll and options","transaction":"x"})"});
}

TEST_CASE("poll requests that share one poll each get their own transaction back") {
  auto core = ready_core({controllable("AA01")});
  core.on(bridge::ev::message{"wyze/bridge/request/poll", R"({"transaction":1})"}, t0 + 20'000);
  core.on(bridge::ev::message{"wyze/bridge/request/poll", "now please"}, t0 + 20'001);
  core.on(bridge::ev::message{"wyze/bridge/request/poll", R"({"transaction":"b"})"}, t0 + 20'002);
  auto done = core.on(bridge::ev::poll_done{listing({controllable("AA01")})}, t0 + 21'000);
  CHECK(published_to(done, "wyze/bridge/response/poll") ==
        std::vector<std::string>{R"({"status":"ok","data":{"cameras":1},"cameras":1,"transaction":1})",
                                 R"({"status":"ok","data":{"cameras":1},"cameras":1})",
                                 R"({"status":"ok","data":{"cameras":1},"cameras":1,"transaction":"b"})"});
  CHECK(all_of<bridge::act::status>(done).at(0).text == "1 cameras; last poll ok at 2026-11-26T10:00:21Z");
}

TEST_CASE("bridge/devices lists the published cameras and follows additions, changes and removals") {
  bridge::core core(settings(), fixed_random());
  core.on(bridge::ev::started{}, t0);
  core.on(bridge::ev::broker_up{}, t0);
  core.on(bridge::ev::message{"wyze/bridge/readback", "42"}, t0);
  auto first = core.on(bridge::ev::poll_done{listing({controllable("AA01"), controllable("AA02", "GW_GC1")})}, t0);
  auto devices = json::parse(published_to(first, "wyze/bridge/devices").at(0)).as_array();
  REQUIRE(devices.size() == 2);
  CHECK(devices[0] == json::object{{"id", "AA01"},
                                   {"mac", "AA01"},
                                   {"nickname", "cam AA01"},
                                   {"model", "WYZE_CAKP2JFUS"},
                                   {"model_name", "Cam v3"},
                                   {"firmware", "4.36.1"},
                                   {"online", true},
                                   {"entities", json::array{"conn_state", "ip", "firmware", "power", "restart",
                                                            "notifications", "motion_detection", "siren"}}});
  // A Cam OG: power and siren through the device-management API (its sensors once read).
  CHECK(devices[1].at("entities") == json::array{"conn_state", "ip", "firmware", "power", "siren"});
  CHECK(all_of<bridge::act::publish>(first).at(0).message.retain);
  // Nothing changed: not published again.
  CHECK(
      published_to(core.on(bridge::ev::poll_done{listing({controllable("AA01"), controllable("AA02", "GW_GC1")})}, t0),
                   "wyze/bridge/devices")
          .empty());
  auto renamed = controllable("AA01");
  renamed.nickname = "Porch";
  auto change = core.on(bridge::ev::poll_done{listing({renamed})}, t0);
  devices = json::parse(published_to(change, "wyze/bridge/devices").at(0)).as_array();
  REQUIRE(devices.size() == 1);
  CHECK(devices[0].at("nickname") == "Porch");
  // Every (re)connect and Home Assistant birth publishes it again.
  CHECK(published_to(core.on(bridge::ev::broker_up{}, t0), "wyze/bridge/devices").size() == 1);
}

TEST_CASE("the ids of the published cameras are recorded, and recorded ids that are gone are cleared at start") {
  auto s = settings();
  s.recorded_ids = {"AA01", "GONE", "not/ours"};
  bridge::core core(s, fixed_random());
  core.on(bridge::ev::started{}, t0);
  core.on(bridge::ev::broker_up{}, t0);
  core.on(bridge::ev::message{"wyze/bridge/readback", "42"}, t0);  // the broker gave nothing back
  auto polled = core.on(bridge::ev::poll_done{listing({controllable("AA01"), controllable("AA02")})}, t0);
  CHECK(all_of<bridge::act::record>(polled) == std::vector<bridge::act::record>{{{"AA01", "AA02"}}});
  auto cleared = published(polled);
  for (const char* topic : {"wyze/GONE/conn_state <cleared>", "wyze/GONE/power <cleared>",
                            "wyze/GONE/attributes <cleared>", "homeassistant/device/wyze_GONE/config <cleared>"})
    CHECK_MESSAGE(contains(cleared, topic), topic);
  CHECK(std::count_if(cleared.begin(), cleared.end(), [](const std::string& l) { return l.ends_with("<cleared>"); }) ==
        15);  // 14 states and the device's config: nothing else
  for (const auto& line : cleared) {
    if (!line.ends_with("<cleared>")) continue;
    CHECK(line.find("AA01") == std::string::npos);
    CHECK(line.find("not/ours") == std::string::npos);
  }
  CHECK_FALSE(has<bridge::act::record>(
      core.on(bridge::ev::poll_done{listing({controllable("AA01"), controllable("AA02")})}, t0)));
  CHECK(all_of<bridge::act::record>(core.on(bridge::ev::poll_done{listing({controllable("AA02")})}, t0)) ==
        std::vector<bridge::act::record>{{{"AA02"}}});
}

// The accessories (SPEC §10): the batched property read through the core's sequences.
namespace {

wyze::result<wyze::property_values> read_back_values(wyze::property_values values) { return values; }

bridge::actions poll(bridge::core& core, std::initializer_list<wyze::Camera> cameras, std::int64_t now) {
  return core.on(bridge::ev::poll_done{listing(cameras)}, now);
}

wyze::Camera with_accessory(std::string mac, std::string model, std::string dongle = "") {
  auto cam = controllable(std::move(mac), std::move(model));
  if (!dongle.empty()) cam.accessory = std::move(dongle);
  return cam;
}

}  // namespace

TEST_CASE(
    "one batched property read for the cameras that need one, its values are states, and the next an interval on") {
  bridge::core core(settings(), fixed_random());
  core.on(bridge::ev::started{}, t0);
  core.on(bridge::ev::broker_up{}, t0);
  core.on(bridge::ev::message{"wyze/bridge/readback", "42"}, t0);
  auto cams = {controllable("AA01"), with_accessory("AA02", "HL_CFL2"), controllable("AA03", "WYZEC1-JZ")};
  auto first = core.on(bridge::ev::poll_done{listing(cams)}, t0);
  auto reads = all_of<bridge::act::read_properties>(first);
  REQUIRE(reads.size() == 1);
  // The v3 has a siren, the Floodlight v2 a siren and a light; the Cam v2 neither: not named.
  CHECK(reads[0].devices == std::vector<wyze::property_target>{{"AA01", "WYZE_CAKP2JFUS"}, {"AA02", "HL_CFL2"}});
  CHECK(reads[0].pids == std::vector<std::string>{"P1049", "P1056"});
  drained(core);
  // No second read while one is in flight, whatever polls come.
  CHECK_FALSE(has<bridge::act::read_properties>(core.on(bridge::ev::poll_done{listing(cams)}, t0 + 1000)));

  auto answered = core.on(bridge::ev::properties_done{read_back_values(
                              {{"AA01", {{"P1049", "1"}}}, {"AA02", {{"P1049", "0"}, {"P1056", "1"}}}})},
                          t0 + 2000);
  CHECK(all_of<bridge::act::start_timer>(answered) ==
        std::vector<bridge::act::start_timer>{{bridge::timer::properties, 300s}});
  auto states = drained_payloads(core);
  std::sort(states.begin(), states.end());
  CHECK(states == std::vector<std::string>{"wyze/AA01/siren on", "wyze/AA02/light on", "wyze/AA02/siren off"});
  // The next device list does not carry them: they stay.
  poll(core, cams, t0 + 60'000);
  CHECK(drained_payloads(core).empty());
  // Nor does a poll start a read while the timer runs; the timer does.
  CHECK_FALSE(has<bridge::act::read_properties>(poll(core, cams, t0 + 120'000)));
  CHECK(has<bridge::act::read_properties>(core.on(bridge::ev::timer_fired{bridge::timer::properties}, t0 + 302'000)));
  // A value that is no state (not 0, 1 or 2), or a camera not selected, changes nothing.
  core.on(bridge::ev::properties_done{read_back_values({{"AA01", {{"P1049", "7"}}}, {"ZZ99", {{"P1049", "0"}}}})},
          t0 + 303'000);
  CHECK(drained_payloads(core).empty());
}

TEST_CASE("a failed property read keeps the states, is said once, and the next read comes an interval later") {
  auto core = ready_core({controllable("AA01")});
  core.on(bridge::ev::properties_done{read_back_values({{"AA01", {{"P1049", "1"}}}})}, t0 + 10);
  drained(core);
  const wyze::error failed{wyze::failure::http_status, "the Wyze cloud answered HTTP 500"};
  core.on(bridge::ev::timer_fired{bridge::timer::properties}, t0 + 300'010);
  auto first = core.on(bridge::ev::properties_done{failed}, t0 + 300'020);
  CHECK(contains(log_lines(first),
                 "wyze: reading the accessories' states failed (they keep their last value): the Wyze cloud answered "
                 "HTTP 500"));
  CHECK(has<bridge::act::start_timer>(first));
  core.on(bridge::ev::timer_fired{bridge::timer::properties}, t0 + 600'020);
  auto again = core.on(bridge::ev::properties_done{failed}, t0 + 600'030);
  CHECK_FALSE(contains(log_lines(again),
                       "wyze: reading the accessories' states failed (they keep their last value): the Wyze cloud "
                       "answered HTTP 500"));
  CHECK(drained_payloads(core).empty());  // the siren still shows on
  CHECK(core.stats().property_reads.at("error") == 2);
  CHECK(core.stats().property_reads.at("ok") == 1);
}

TEST_CASE("no camera with a property-only state: no property read and no timer for one") {
  bridge::core core(settings(), fixed_random());
  core.on(bridge::ev::started{}, t0);
  core.on(bridge::ev::broker_up{}, t0);
  core.on(bridge::ev::message{"wyze/bridge/readback", "42"}, t0);
  auto polled =
      core.on(bridge::ev::poll_done{listing({controllable("AA01", "WYZEC1-JZ"), controllable("AA02", "ME_WCO3")})}, t0);
  CHECK_FALSE(has<bridge::act::read_properties>(polled));
  for (const auto& t : all_of<bridge::act::start_timer>(polled)) CHECK(t.which != bridge::timer::properties);
  // With commands off the siren is no entity either: nothing to read.
  auto off = settings();
  off.publishing.discovery_settings.features.commands = false;
  bridge::core quiet(off, fixed_random());
  quiet.on(bridge::ev::started{}, t0);
  CHECK_FALSE(has<bridge::act::read_properties>(quiet.on(bridge::ev::poll_done{listing({controllable("AA01")})}, t0)));
}

TEST_CASE("the garage door's trigger is sent only when it changes the door, and only once its state is known") {
  auto core = ready_core({with_accessory("AA01", "WYZE_CAKP2JFUS", "HL_CGDC")});
  auto unknown = core.on(bridge::ev::message{"wyze/AA01/garage_door/set", "OPEN"}, t0 + 10);
  CHECK_FALSE(has<bridge::act::command>(unknown));
  CHECK(answers(unknown).at(0).at("error") ==
        "the state of garage_door is not known yet (it is read every wyze.property_interval); try again after the "
        "next read");
  core.on(bridge::ev::properties_done{read_back_values({{"AA01", {{"P1056", "2"}, {"P1049", "0"}}}})}, t0 + 20);
  CHECK(drained_payloads(core) == std::vector<std::string>{"wyze/AA01/siren off", "wyze/AA01/garage_door closed"});
  auto closing = core.on(bridge::ev::message{"wyze/AA01/garage_door/set", "close"}, t0 + 30);
  CHECK_FALSE(has<bridge::act::command>(closing));
  CHECK(answers(closing).at(0) ==
        json::object{{"status", "ok"}, {"camera", "AA01"}, {"entity", "garage_door"}, {"value", "close"}});
  CHECK(drained_payloads(core) == std::vector<std::string>{"wyze/AA01/garage_door closed"});  // HA's cover settles
  auto opening =
      all_of<bridge::act::command>(core.on(bridge::ev::message{"wyze/AA01/garage_door/set", "OPEN"}, t0 + 40));
  REQUIRE(opening.size() == 1);
  CHECK(opening[0].call == wyze::camera_command{"AA01", "WYZE_CAKP2JFUS", "garage_door_trigger", {}});
  // A second OPEN while the first is in flight waits; once the door is open it is not sent.
  CHECK_FALSE(has<bridge::act::command>(core.on(bridge::ev::message{"wyze/AA01/garage_door/set", "OPEN"}, t0 + 50)));
  auto done = core.on(bridge::ev::command_done{"AA01", accepted}, t0 + 60);
  CHECK_FALSE(has<bridge::act::command>(done));
  CHECK(answers(done).size() == 2);
  CHECK(core.stats().commands.at({"garage_door", "unchanged"}) == 2);
  CHECK(core.stats().commands.at({"garage_door", "ok"}) == 1);
  CHECK(contains(drained_payloads(core), "wyze/AA01/garage_door open"));
  // A read that still shows it closed is not believed while the cloud catches up.
  core.on(bridge::ev::properties_done{read_back_values({{"AA01", {{"P1056", "2"}}}})}, t0 + 70);
  CHECK(drained_payloads(core).empty());
  // Anything but OPEN and CLOSE is refused.
  auto stop = core.on(bridge::ev::message{"wyze/AA01/garage_door/set", "STOP"}, t0 + 80);
  CHECK(answers(stop).at(0).at("error") == "send OPEN or CLOSE to garage_door");
}

TEST_CASE("a light is named after its accessory and switched with the accessory's values") {
  auto core = ready_core({with_accessory("AA01", "WYZE_CAKP2JFUS", "HL_CAM3SS"), with_accessory("AA02", "HL_BC"),
                          with_accessory("AA03", "WYZE_CAKP2JFUS", "HL_CFL")});
  auto lamp = all_of<bridge::act::command>(core.on(bridge::ev::message{"wyze/AA01/light/set", "off"}, t0 + 10));
  REQUIRE(lamp.size() == 1);
  CHECK(lamp[0].call.properties == std::vector<std::pair<std::string, std::string>>{{"P1056", "2"}});
  auto bulb = all_of<bridge::act::command>(core.on(bridge::ev::message{"wyze/AA02/light/set", "on"}, t0 + 10));
  REQUIRE(bulb.size() == 1);
  CHECK(bulb[0].call.action == "floodlight_on");
  wyze::Camera lamp_cam = with_accessory("AA01", "WYZE_CAKP2JFUS", "HL_CAM3SS");
  CHECK(wyze::light_kind(lamp_cam) == "Lamp");
  CHECK(wyze::light_kind(with_accessory("AA03", "WYZE_CAKP2JFUS", "HL_CFL")) == "Floodlight");
  CHECK(wyze::light_kind(with_accessory("AA02", "HL_BC")) == "Light");
  CHECK(wyze::light_kind(with_accessory("AA04", "HL_CAM3P", "HL_CFL")).empty());  // not a pairing a peer shows
}

TEST_CASE("--once reads the accessories' states once and finishes after their answer") {
  bridge::core core(settings(true), fixed_random());
  core.on(bridge::ev::started{}, t0);
  core.on(bridge::ev::broker_up{}, t0);
  core.on(bridge::ev::message{"wyze/bridge/readback", "42"}, t0);
  auto polled = core.on(bridge::ev::poll_done{listing({controllable("AA01")})}, t0);
  CHECK(has<bridge::act::read_properties>(polled));
  CHECK_FALSE(has<bridge::act::when_delivered>(polled));  // not before the read answered
  auto answered = core.on(bridge::ev::properties_done{read_back_values({{"AA01", {{"P1049", "0"}}}})}, t0 + 10);
  CHECK(has<bridge::act::when_delivered>(answered));
  for (const auto& t : all_of<bridge::act::start_timer>(answered)) CHECK(t.which != bridge::timer::properties);
  CHECK(contains(drained_payloads(core), "wyze/AA01/siren off"));
}

TEST_CASE("--once gives the broker 30 s to connect, then 30 s for the acknowledgements once all is sent") {
  bridge::core core(settings(true), fixed_random());
  auto started = core.on(bridge::ev::started{}, t0);
  auto once_timers = [](const bridge::actions& out) {
    std::vector<std::string> seen;
    for (const auto& t : all_of<bridge::act::start_timer>(out))
      if (t.which == bridge::timer::once) seen.push_back("start " + std::to_string(t.after.count()));
    for (const auto& t : all_of<bridge::act::cancel_timer>(out))
      if (t.which == bridge::timer::once) seen.push_back("cancel");
    return seen;
  };
  CHECK(once_timers(started) == std::vector<std::string>{"start 30000"});
  // Connected: no deadline while the poll and the property reads run (each bounded by its timeout).
  CHECK(once_timers(core.on(bridge::ev::broker_up{}, t0 + 100)) == std::vector<std::string>{"cancel"});
  core.on(bridge::ev::message{"wyze/bridge/readback", "42"}, t0 + 200);
  // A broker lost before all is sent has 30 s to come back.
  CHECK(once_timers(core.on(bridge::ev::broker_down{}, t0 + 300)) == std::vector<std::string>{"start 30000"});
  CHECK(once_timers(core.on(bridge::ev::broker_up{}, t0 + 400)) == std::vector<std::string>{"cancel"});
  // Everything sent, 40 s after start: the acknowledgements' 30 s start now.
  auto polled = core.on(bridge::ev::poll_done{listing({controllable("AA01", "WYZEC1-JZ")})}, t0 + 40'000);
  REQUIRE(has<bridge::act::when_delivered>(polled));
  CHECK(once_timers(polled) == std::vector<std::string>{"start 30000"});
}

TEST_CASE("a property read whose answer names none of the cameras asked for is said once") {
  auto core = ready_core({controllable("AA01")});
  auto odd = core.on(bridge::ev::properties_done{read_back_values({{"SOMETHING-ELSE", {{"P1049", "1"}}}})}, t0 + 10);
  CHECK(contains(log_lines(odd),
                 "wyze: the property read's answer named none of the 1 cameras asked for (1 entries): the siren, "
                 "light and garage door states stay unknown; please report this with a debug log"));
  CHECK(drained_payloads(core).empty());
  core.on(bridge::ev::timer_fired{bridge::timer::properties}, t0 + 300'010);
  auto again = core.on(bridge::ev::properties_done{read_back_values({})}, t0 + 300'020);
  CHECK(all_of<bridge::act::log>(again).size() == 1);  // the debug line only
}

TEST_CASE(
    "a device-management camera's states come from get_iot_prop, carry over to the next device list, and a read "
    "lagging behind a command is not believed") {
  wyze::Camera og = camera("AA04");
  og.product_model = "GW_GC1";
  auto core = ready_core({og});
  auto read = [&](bool power, std::int64_t at) {
    wyze::iot_state s;
    s.power = power;
    s.signal = -60;
    s.sd_card = wyze::sd_card_state{100, 10, 1};
    core.on(bridge::ev::properties_done{wyze::property_values{}, {{"AA04", s}}}, at);
    return drained_payloads(core);
  };
  auto first = read(true, t0 + 100);
  CHECK(contains(first, "wyze/AA04/power on"));
  CHECK(contains(first, "wyze/AA04/signal -60"));
  CHECK(
      contains(first, R"(wyze/AA04/sd_card {"state":"inserted","total_mb":100,"used_mb":10,"free_mb":90,"status":1})"));
  // The next device list says nothing of them: they stay as read.
  core.on(bridge::ev::poll_done{listing({og})}, t0 + 60'000);
  CHECK(drained_payloads(core).empty());
  REQUIRE(core.stats().property_reads.at("ok") == 1);
  // A command carried out; a read still showing the old value is not believed for 2 minutes.
  auto sent = all_of<bridge::act::command>(core.on(bridge::ev::message{"wyze/AA04/power/set", "off"}, t0 + 61'000));
  REQUIRE(sent.size() == 1);
  core.on(bridge::ev::command_done{"AA04", accepted}, t0 + 61'100);
  CHECK(contains(drained_payloads(core), "wyze/AA04/power off"));
  CHECK(read(true, t0 + 62'000).empty());
  CHECK(contains(read(true, t0 + 200'000), "wyze/AA04/power on"));
}

// The cloud client's decisions over time, against the simulator's account logic through an
// in-process transport and a clock the test moves: no sockets, no waiting.
#include "wyze/cloud_client.hpp"
#include "sim/account.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <cctype>
#include <deque>
#include <functional>
#include <memory>

namespace json = boost::json;

namespace {

constexpr std::int64_t second = 1000;
constexpr std::int64_t hour = 3600 * second;

// Answers each request with sim::account, synchronously, as the HTTPS client would on the loop.
class in_process_transport final : public wyze::http_transport {
 public:
  explicit in_process_transport(sim::account& account) : account_(account) {}
  void send(wyze::http_request request, wyze::http_handler done) override {
    if (deferred) {
      // Answered later, by deliver(): requests can be outstanding together, as on the real loop.
      pending.push_back([this, request = std::move(request), done = std::move(done)] { answer(request, done); });
      return;
    }
    answer(request, done);
  }

  /// Answers outstanding requests, oldest first, until none is left.
  void deliver() {
    while (!pending.empty()) {
      auto next = std::move(pending.front());
      pending.pop_front();
      next();
    }
  }

  bool deferred = false;
  std::deque<std::function<void()>> pending;

 private:
  void answer(const wyze::http_request& request, const wyze::http_handler& done) {
    auto path_at = request.url.find('/', 8);
    sim::request req{request.method, request.url.substr(path_at), {}, request.body};
    req.headers["host"] = request.url.substr(8, path_at - 8);  // as the HTTPS client sends it
    for (auto& [name, value] : request.headers) {
      std::string lower = name;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[lower] = value;
    }
    auto answer = account_.handle(req);
    wyze::http_response response{answer.status, {}, {}, {}};
    if (request.sink) {
      request.sink->write(answer.body);
      request.sink->finish();
    } else {
      response.body = answer.body;
    }
    for (auto& [name, value] : answer.headers) {
      if (name == "X-RateLimit-Remaining") response.rate_limit_remaining = value;
      if (name == "X-RateLimit-Reset-By") response.rate_limit_reset_by = value;
    }
    done(std::move(response));
  }

  sim::account& account_;
};

struct fixture {
  explicit fixture(const sim::behaviour& how = {}) : account({}, 3, 1, how), transport(account) {
    start(settings(), {});
  }

  /// A new client, as a new process would make it: these settings, this saved session.
  void start(const wyze::account_settings& with, wyze::session initial,
             wyze::cloud_client::now_ms_function clock = nullptr) {
    if (!clock) clock = [this] { return now; };
    client = std::make_unique<wyze::cloud_client>(transport, with, clock, with_phone_id(std::move(initial)),
                                                  [this](const wyze::session& s) { saved = s; });
  }

  static wyze::account_settings settings() {
    wyze::account_settings s;
    s.email = "demo@example.com";
    s.password = "demo-password";
    s.key_id = "demo-key-id";
    s.api_key = "demo-api-key";
    s.auth_url = s.api_url = s.events_url = s.devicemgmt_url = s.toggle_url = "https://sim";
    return s;
  }
  static wyze::session with_phone_id(wyze::session s) {
    if (s.phone_id.empty()) s.phone_id = "phone";
    return s;
  }

  // One poll; the error message, or "" on success.
  std::string poll() {
    std::string error = "no answer";
    client->fetch_cameras([&](const wyze::result<wyze::device_list>& r) { error = r ? "" : r.error().message; });
    return error;
  }

  std::int64_t stat(const std::string& name) {
    auto stats = json::parse(account.handle({"GET", "/sim/stats", {}, ""}).body).as_object();
    auto* v = stats.if_contains(name);
    return v ? v->as_int64() : 0;
  }

  void control(const std::string& method, const std::string& path, const std::string& body) {
    account.handle({method, path, {}, body});
  }

  std::int64_t now = 1795687200000;  // 2026-11-26T10:00:00Z
  sim::account account;
  in_process_transport transport;
  std::unique_ptr<wyze::cloud_client> client;
  std::optional<wyze::session> saved;
};

}  // namespace

TEST_CASE("the first poll logs in and later polls reuse the token") {
  fixture f;
  CHECK(f.poll() == "");
  CHECK(f.poll() == "");
  CHECK(f.stat("logins") == 1);
  REQUIRE(f.saved);
  CHECK(f.saved->current);
  CHECK(f.saved->tokens_issued_ms == f.now);
}

TEST_CASE("a saved session is reused: no login at all") {
  fixture f;
  REQUIRE(f.poll() == "");
  f.start(fixture::settings(), *f.saved);  // a restart
  CHECK(f.poll() == "");
  CHECK(f.stat("logins") == 1);  // only the first process's
  CHECK(f.client->logins() == 0);
}

TEST_CASE("200 polls with access tokens expiring every 10 calls: one login, one refresh per expiry") {
  fixture f({.access_token_calls = 10, .totp_key = ""});
  for (int i = 0; i < 200; ++i) {
    REQUIRE(f.poll() == "");
    f.now += 60 * second;
  }
  CHECK(f.stat("logins") == 1);
  // Each token serves 10 polls: 20 tokens, the first from the login, 19 from refreshes.
  CHECK(f.stat("refreshes") == 19);
  CHECK(f.client->refreshes() == 19);
}

TEST_CASE("an access token older than 36 h is refreshed before it is used") {
  fixture f;
  REQUIRE(f.poll() == "");
  f.now += 37 * hour;
  CHECK(f.poll() == "");
  CHECK(f.stat("refreshes") == 1);
  CHECK(f.stat("device_list_calls") == 2);  // no failed call first
}

TEST_CASE("a refused refresh leads to one login, spaced 30 s from the last") {
  fixture f;
  REQUIRE(f.poll() == "");
  f.control("POST", "/sim/tokens/expire", R"({"refresh":true})");
  f.now += 10 * second;
  auto early = f.poll();
  CHECK(early.find("not logging in before 10:00:30 UTC") != std::string::npos);
  CHECK(f.stat("logins") == 1);
  f.now += 20 * second;
  CHECK(f.poll() == "");
  CHECK(f.stat("logins") == 2);
}

TEST_CASE("refused credentials are retried at most hourly, also across restarts") {
  fixture f;
  auto wrong = fixture::settings();
  wrong.password = "wrong";
  f.start(wrong, {});
  CHECK(f.poll().find("Invalid credentials") != std::string::npos);
  f.now += std::int64_t{30} * 60 * second;
  CHECK(f.poll().find("not logging in before 11:00:00 UTC: the last login was refused") != std::string::npos);
  CHECK(f.stat("logins") == 1);
  REQUIRE(f.saved);
  CHECK(f.saved->credentials_refused);
  // A restart with the saved session does not log in either.
  f.start(wrong, *f.saved);
  CHECK(f.poll().find("not logging in before") != std::string::npos);
  CHECK(f.stat("logins") == 1);
  // Fixed credentials are tried (30 s after the last attempt, long past here).
  f.start(fixture::settings(), *f.saved);
  CHECK(f.poll() == "");
  CHECK(f.stat("logins") == 2);
}

TEST_CASE("failed logins back off, doubling to 5 minutes") {
  fixture f;
  f.control("POST", "/sim/fault", R"({"kind":"http500","count":100})");
  std::vector<std::int64_t> attempts;
  for (int i = 0; i < 40 * 60; ++i, f.now += second) {
    auto before = f.stat("requests");
    f.poll();
    if (f.stat("requests") > before + 1) attempts.push_back(f.now);
  }
  REQUIRE(attempts.size() >= 6);
  std::vector<std::int64_t> gaps;
  for (std::size_t i = 1; i < 6; ++i) gaps.push_back((attempts[i] - attempts[i - 1]) / second);
  CHECK(gaps == std::vector<std::int64_t>{60, 120, 240, 300, 300});
}

TEST_CASE("code 1011 pauses every call for 5 minutes, and the pause is saved") {
  fixture f;
  REQUIRE(f.poll() == "");
  f.control("POST", "/sim/fault", R"({"kind":"ratelimit","count":1})");
  CHECK(f.poll().find("rate limit was hit") != std::string::npos);
  auto calls = f.stat("requests");
  f.now += std::int64_t{4} * 60 * second;
  CHECK(f.poll().find("waiting for Wyze's rate limit until 10:05:00 UTC") != std::string::npos);
  CHECK(f.stat("requests") == calls + 1);  // only the stats call above
  REQUIRE(f.saved);
  CHECK(f.saved->paused_until_ms == 1795687200000 + std::int64_t{5} * 60 * second);
  f.now += 61 * second;
  CHECK(f.poll() == "");
}

TEST_CASE("X-RateLimit-Remaining at 10 or less pauses until X-RateLimit-Reset-By") {
  fixture f;
  REQUIRE(f.poll() == "");
  f.control("POST", "/sim/ratelimit", R"({"remaining":4,"reset_in_s":120})");
  CHECK(f.poll() == "");  // this answer is good; the next calls wait
  f.control("POST", "/sim/ratelimit", "{}");
  auto waiting = f.poll();
  CHECK(waiting.find("waiting for Wyze's rate limit") != std::string::npos);
  CHECK(waiting.find("4 calls left") != std::string::npos);
}

TEST_CASE("an X-RateLimit-Reset-By in the year 9999 pauses 24 h at most") {
  fixture f;
  REQUIRE(f.poll() == "");
  f.control("POST", "/sim/ratelimit", R"({"remaining":4,"reset_in_s":250000000000})");
  CHECK(f.poll() == "");
  f.control("POST", "/sim/ratelimit", "{}");
  CHECK(f.poll().find("waiting for Wyze's rate limit") != std::string::npos);
  REQUIRE(f.saved);
  CHECK(f.saved->paused_until_ms == f.now + std::int64_t{24} * 3600 * second);
  CHECK(f.saved->pause_reason.find("24 h at most") != std::string::npos);
  f.now += std::int64_t{24} * 3600 * second;
  CHECK(f.poll() == "");
}

TEST_CASE("saved times far in the future (a clock that was ahead) are discarded at start") {
  fixture f;
  wyze::session saved;
  saved.paused_until_ms = f.now + std::int64_t{3650} * 24 * 3600 * second;
  saved.pause_reason = "Wyze's rate limit was hit";
  saved.last_login_ms = f.now + std::int64_t{3650} * 24 * 3600 * second;
  saved.login_failures = 1;
  f.start(fixture::settings(), saved);
  // No pause; the login waits only the usual spacing from now, not ten years.
  auto first = f.poll();
  CHECK(first.find("waiting for Wyze's rate limit") == std::string::npos);
  CHECK(first.find("not logging in before 10:01:00 UTC") != std::string::npos);
  f.now += 60 * second;
  CHECK(f.poll() == "");
  CHECK(f.stat("logins") == 1);
}

TEST_CASE("HTTP 429 at login pauses instead of retrying") {
  fixture f;
  f.control("POST", "/sim/fault", R"({"kind":"http429","count":1})");
  CHECK(f.poll().find("HTTP 429") != std::string::npos);
  f.now += 60 * second;
  CHECK(f.poll().find("waiting for Wyze's rate limit") != std::string::npos);
  CHECK(f.stat("logins") == 0);
}

TEST_CASE("an MFA challenge is answered with the TOTP code of wyze.totp_key") {
  const std::string key = "JBSWY3DPEHPK3PXP";
  SUBCASE("with the key") {
    fixture f({.access_token_calls = 0, .totp_key = key});
    auto settings = fixture::settings();
    settings.totp_key = key;
    // The simulator checks codes against the real clock, so this client uses it too.
    f.start(settings, {}, [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
    });
    CHECK(f.poll() == "");
    CHECK(f.stat("totp_logins") == 1);
  }
  SUBCASE("with a wrong key: the TOTP step is refused, and the sentence says which setting") {
    fixture f({.access_token_calls = 0, .totp_key = key});
    auto settings = fixture::settings();
    settings.totp_key = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    f.start(settings, {});
    CHECK(f.poll() == "login: the TOTP code was refused: check wyze.totp_key and this machine's clock");
    CHECK(f.stat("mfa_logins") == 1);
    CHECK(f.stat("totp_logins") == 0);
  }
  SUBCASE("without it") {
    fixture f({.access_token_calls = 0, .totp_key = key});
    auto error = f.poll();
    CHECK(error.find("set wyze.totp_key") != std::string::npos);
  }
}

// ---- camera commands ----

namespace {

std::string run(fixture& f, wyze::camera_command command) {
  std::string error = "no answer";
  f.client->run_command(std::move(command),
                        [&](const wyze::result<wyze::done>& r) { error = r ? "" : r.error().message; });
  return error;
}

// P3 (power) of a camera as the simulator's get_property_list reports it.
std::string power_property(fixture& f, const std::string& mac) {
  json::object body{{"access_token", f.client->state().current->access_token}, {"device_mac", mac}};
  auto answer =
      json::parse(f.account.handle({"POST", "/app/v2/device/get_property_list", {}, json::serialize(body)}).body);
  for (const auto& p : answer.at("data").at("property_list").as_array())
    if (p.at("pid") == "P3") return std::string(p.at("value").as_string());
  return "?";
}

}  // namespace

TEST_CASE("a command logs in when needed, carries its calls out in order, and the property list shows it") {
  fixture f;
  const std::string mac = sim::account::generated_mac(0);
  CHECK(run(f, {mac, "WYZE_CAKP2JFUS", "power_off", {}}) == "");
  CHECK(f.stat("logins") == 1);
  CHECK(power_property(f, mac) == "0");
  CHECK(run(f, {mac, "WYZE_CAKP2JFUS", "", {{"P1047", "0"}, {"P1001", "0"}}}) == "");
  CHECK(f.stat("set_property_calls") == 2);
  CHECK(f.client->requests().at("run_action") == 1);
  CHECK(f.client->requests().at("set_property") == 2);
  // The first refused call ends the command: the second property is not sent.
  CHECK(run(f, {mac, "WYZE_CAKP2JFUS", "", {{"P1", "7"}, {"P1", "1"}}}) ==
        "set_property: the cloud rejected the request's parameters (code 1001, pvalue is not valid for P1); Wyze may "
        "have changed its API: please report this with the log");
  CHECK(f.stat("set_property_calls") == 3);
}

TEST_CASE("the cloud's refusals of a command are sentences: a Cam OG ignoring it, an offline camera") {
  fixture f;
  f.control("POST", "/sim/cameras", R"({"mac":"2CAA8E0000C1","product_model":"GW_GC1","conn_state":1})");
  CHECK(run(f, {"2CAA8E0000C1", "GW_GC1", "power_off", {}}) ==
        "run_action: the cloud accepted the call but the camera did not carry it out (result 3): this model may "
        "not support it");
  f.control("POST", "/sim/cameras/" + sim::account::generated_mac(0), R"({"conn_state":0})");
  CHECK(run(f, {sim::account::generated_mac(0), "WYZE_CAKP2JFUS", "restart", {}}) ==
        "run_action: the device is offline (code 3019)");
  CHECK(f.stat("restarts") == 0);
}

TEST_CASE(
    "a command during a rate-limit pause fails at once without a call, and a poll and commands share one token "
    "renewal") {
  fixture f;
  const std::string mac = sim::account::generated_mac(0);
  REQUIRE(f.poll() == "");
  f.control("POST", "/sim/fault", R"({"kind":"ratelimit","count":1})");
  CHECK(f.poll().find("code 1011") != std::string::npos);
  CHECK(run(f, {mac, "WYZE_CAKP2JFUS", "power_off", {}}).starts_with("waiting for Wyze's rate limit until "));
  CHECK(f.stat("run_action_calls") == 0);
  f.now += std::int64_t{6} * 60 * second;  // the 5-minute pause is over

  // The token expires; a poll and a command sent together renew it once between them (were both
  // sent at once, both would refresh, and the second refresh, with a spent token, would log in).
  f.control("POST", "/sim/tokens/expire", "{}");
  f.transport.deferred = true;
  std::string poll_error = "no answer", command_error = "no answer";
  f.client->fetch_cameras([&](const wyze::result<wyze::device_list>& r) { poll_error = r ? "" : r.error().message; });
  f.client->run_command({mac, "WYZE_CAKP2JFUS", "power_off", {}},
                        [&](const wyze::result<wyze::done>& r) { command_error = r ? "" : r.error().message; });
  CHECK(f.transport.pending.size() == 1);  // the command waits for the poll
  f.transport.deliver();
  CHECK(poll_error == "");
  CHECK(command_error == "");
  CHECK(f.stat("refreshes") == 1);
  CHECK(f.stat("logins") == 1);
}

namespace {

// Every event of the account, whenever it happened (the simulator's clock is the real one).
wyze::event_query all_events() {
  wyze::event_query q;
  q.macs = {"2CAA8E000001", "2CAA8E000002"};
  q.begin_ms = 0;
  q.end_ms = std::int64_t{1} << 50;
  return q;
}

// One event-list call; the events, or the error.
wyze::result<wyze::event_list> events(fixture& f) {
  std::optional<wyze::result<wyze::event_list>> out;
  f.client->fetch_events(all_events(), [&](wyze::result<wyze::event_list> r) { out = std::move(r); });
  REQUIRE(out);
  return std::move(*out);
}

}  // namespace

TEST_CASE("the simulator refuses a v4 event list with a wrong signature or an unsorted body") {
  fixture f;
  REQUIRE(f.poll() == "");  // logged in
  f.control("POST", "/sim/events", R"({"mac":"2CAA8E000001","value":1,"tags":[101]})");
  auto listed = events(f);
  REQUIRE(listed);
  REQUIRE(listed.value().events.size() == 1);
  CHECK(listed.value().events[0].mac == "2CAA8E000001");
  CHECK(wyze::event_type_of(listed.value().events[0]) == "person");
  CHECK(f.stat("signature_refusals") == 0);

  // The same request by hand: signed right it is answered; a wrong signature, or the same keys in
  // another order signed right, is refused as the cloud refuses it.
  const std::string token = f.saved->current->access_token;
  auto ask = [&](const std::string& body, const std::string& signature) {
    sim::request req{"POST", std::string(wyze::paths::event_list_v4), {}, body};
    req.headers = {{"access_token", token}, {"appid", std::string(wyze::event_app_id)}, {"signature2", signature}};
    return json::parse(f.account.handle(req).body).as_object();
  };
  std::string body = wyze::event_list_body(all_events());
  CHECK(ask(body, wyze::event_signature(token, body)).at("code") == "1");
  auto wrong = ask(body, wyze::event_signature("another token", body));
  CHECK(wrong.at("code") == "1001");
  CHECK(wrong.at("msg") == "InvalidSignature2");
  auto parsed = json::parse(body).as_object();
  json::object reordered;
  reordered["order_by"] = parsed["order_by"];
  for (const auto& [key, value] : parsed)
    if (key != "order_by") reordered[key] = value;
  std::string unsorted = json::serialize(reordered);
  CHECK(ask(unsorted, wyze::event_signature(token, unsorted)).at("code") == "1001");
  CHECK(f.stat("signature_refusals") == 2);
}

TEST_CASE("an expired token on the event list is renewed and the call retried once") {
  fixture f;
  REQUIRE(f.poll() == "");
  f.control("POST", "/sim/tokens/expire", "{}");
  auto listed = events(f);
  CHECK(listed);
  CHECK(f.stat("refreshes") == 1);
  CHECK(f.stat("event_list_calls") == 2);
}

TEST_CASE("1011 on the event list pauses only the event list, and a paused event call sends nothing") {
  fixture f;
  REQUIRE(f.poll() == "");
  f.control("POST", "/sim/fault", R"({"kind":"ratelimit","count":1,"endpoint":"/app/v4/device/get_event_list"})");
  auto limited = events(f);
  REQUIRE_FALSE(limited);
  CHECK(limited.error().kind == wyze::failure::rate_limited);
  CHECK(limited.error().message.find("raise events.interval") != std::string::npos);
  REQUIRE(f.saved);
  CHECK(f.saved->events_paused_until_ms == f.now + 300 * second);
  CHECK(f.saved->paused_until_ms == 0);
  auto requests = f.stat("requests");
  auto paused = events(f);
  REQUIRE_FALSE(paused);
  CHECK(paused.error().not_sent);
  CHECK(f.stat("requests") == requests + 1);  // the stats call alone
  CHECK(f.poll() == "");                      // the device list is not paused
  f.now += 300 * second;
  CHECK(events(f));
}

TEST_CASE("an event call does not wait behind a device-list fetch that is still running") {
  fixture f;
  REQUIRE(f.poll() == "");
  f.transport.deferred = true;
  std::optional<bool> polled, listed;
  f.client->fetch_cameras([&](const wyze::result<wyze::device_list>& r) { polled = bool(r); });
  f.client->fetch_events(all_events(), [&](const wyze::result<wyze::event_list>& r) { listed = bool(r); });
  CHECK(f.transport.pending.size() == 2);  // both requests are out
  f.transport.deliver();
  CHECK(polled == true);
  CHECK(listed == true);
}

TEST_CASE("a picture is downloaded with its own limit and checked to be an image by its first bytes") {
  fixture f;
  f.control("POST", "/sim/events", R"({"mac":"2CAA8E000002","picture_size":5000})");
  REQUIRE(f.poll() == "");
  auto listed = events(f);
  REQUIRE(listed);
  REQUIRE(listed.value().events.size() == 1);
  const auto url = listed.value().events[0].picture_url;
  REQUIRE(url.starts_with("https://sim/sim-s3/"));
  auto download = [&](std::string from, std::size_t limit) {
    std::optional<wyze::result<wyze::picture>> out;
    f.client->download_picture(std::move(from), limit, [&](wyze::result<wyze::picture> r) { out = std::move(r); });
    REQUIRE(out);
    return std::move(*out);
  };
  auto got = download(url, 1u << 20);
  REQUIRE(got);
  CHECK(got.value().content_type == "image/jpeg");
  CHECK(got.value().bytes.size() >= 5000);
  CHECK(wyze::image_type("\x89PNG\r\n\x1A\nrest") == "image/png");
  CHECK(wyze::image_type("<html>") == "");
  // A URL whose signature is wrong: the picture host's 403, said without the URL.
  auto forged = download(url.substr(0, url.size() - 4) + "0000", 1u << 20);
  REQUIRE_FALSE(forged);
  CHECK(forged.error().message.find("HTTP 403") != std::string::npos);
  CHECK(forged.error().message.find("X-Amz") == std::string::npos);
}

namespace {

// The device-management models as the simulator's --newer-models adds them (SPEC §11).
void add_newer_models(fixture& f) {
  f.control("POST", "/sim/cameras", R"({"mac":"GW_GC1_7C78B2A1B2C3","product_model":"GW_GC1","conn_state":1})");
  f.control("POST", "/sim/cameras", R"({"mac":"HL_PAN4_80482C5A1B2C","product_model":"HL_PAN4","conn_state":1})");
}

wyze::camera_command devicemgmt(std::string mac, std::string model, std::string capability, std::string action) {
  wyze::camera_command c{std::move(mac), std::move(model), std::move(action), {}, false};
  c.via = wyze::api::devicemgmt;
  c.capability = std::move(capability);
  return c;
}

wyze::camera_command toggle(std::string mac, std::string model, std::string capability, std::string status) {
  auto c = devicemgmt(std::move(mac), std::move(model), std::move(capability), std::move(status));
  c.via = wyze::api::toggle;
  return c;
}

wyze::result<wyze::iot_state> read_iot(fixture& f, std::string mac, std::string model) {
  wyze::result<wyze::iot_state> out = wyze::error{wyze::failure::transport, "no answer"};
  f.client->read_iot_properties({std::move(mac), std::move(model)},
                                [&](wyze::result<wyze::iot_state> r) { out = std::move(r); });
  return out;
}

json::array sent(fixture& f) { return json::parse(f.account.handle({"GET", "/sim/commands", {}, ""}).body).as_array(); }

}  // namespace

TEST_CASE("an OG's power goes through one device-management action with the access token, and get_iot_prop shows it") {
  fixture f;
  add_newer_models(f);
  auto before = read_iot(f, "GW_GC1_7C78B2A1B2C3", "GW_GC1");  // logs in first
  REQUIRE(before);
  CHECK(before.value().power == true);
  CHECK(before.value().signal == -57);
  REQUIRE(before.value().sd_card);
  CHECK(before.value().sd_card->total_mb == 30436);
  CHECK(run(f, devicemgmt("GW_GC1_7C78B2A1B2C3", "GW_GC1", "power", "sleep")) == "");
  auto calls = sent(f);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].at("endpoint") == "devicemgmt_run_action");
  CHECK(calls[0].at("what") == "iot-device");
  CHECK(calls[0].at("value") == "sleep");
  CHECK(read_iot(f, "GW_GC1_7C78B2A1B2C3", "GW_GC1").value().power == false);
  CHECK(f.stat("run_action_calls") == 0);
  CHECK(f.client->requests().at("devicemgmt_run_action") == 1);
  CHECK(f.client->requests().at("get_iot_prop") == 2);
  CHECK(f.client->budget(f.now).last_hour[static_cast<std::size_t>(wyze::call_kind::properties)] == 2);
  // Offline, and an action the model does not have: the cloud's sentences.
  f.control("POST", "/sim/cameras/GW_GC1_7C78B2A1B2C3", R"({"conn_state":0})");
  CHECK(run(f, devicemgmt("GW_GC1_7C78B2A1B2C3", "GW_GC1", "power", "wakeup")) ==
        "devicemgmt_run_action: the device is offline (code 3019)");
}

TEST_CASE("a toggle is signed as wyzeapy signs it: the simulator accepts it, and refuses a wrong signature") {
  fixture f;
  add_newer_models(f);
  REQUIRE(f.poll() == "");
  CHECK(run(f, toggle("HL_PAN4_80482C5A1B2C", "HL_PAN4", "notifications", "0")) == "");
  CHECK(f.stat("toggle_calls") == 1);
  CHECK(f.stat("toggle_bad_signatures") == 0);
  CHECK(read_iot(f, "HL_PAN4_80482C5A1B2C", "HL_PAN4").value().notifications == false);
  CHECK(run(f, toggle("HL_PAN4_80482C5A1B2C", "HL_PAN4", "motion_detection", "0")) == "");
  CHECK(read_iot(f, "HL_PAN4_80482C5A1B2C", "HL_PAN4").value().motion_detection == false);

  // By hand: the same body signed with another token is refused as Wyze refuses it.
  const std::string token = f.saved->current->access_token;
  wyze::toggle_request r{"HL_PAN4_80482C5A1B2C", "HL_PAN4", "notifications", "1", f.now};
  auto put = [&](const std::string& signature) {
    sim::request req{"PUT", std::string(wyze::paths::toggle), {}, wyze::toggle_body(r)};
    req.headers = {{"access_token", token}, {"appid", std::string(wyze::event_app_id)}, {"signature2", signature}};
    return f.account.handle(req);
  };
  auto wrong = put(wyze::toggle_signature("another token", r));
  CHECK(wrong.status == 400);
  CHECK(json::parse(wrong.body).at("response").at("errors").at(0).at("message") == "InvalidSignature2");
  CHECK(put(wyze::toggle_signature(token, r)).status == 200);
  CHECK(f.stat("toggle_bad_signatures") == 1);
  // The OG answers its toggles InvalidSignature2 (ha-wyzeapi #686): the bridge gives it none.
  auto og = run(f, toggle("GW_GC1_7C78B2A1B2C3", "GW_GC1", "notifications", "0"));
  CHECK(og.find("InvalidSignature2") != std::string::npos);
}

TEST_CASE("an expired token on the device-management API is renewed and the call retried once") {
  fixture f;
  add_newer_models(f);
  REQUIRE(f.poll() == "");
  f.control("POST", "/sim/tokens/expire", "{}");
  CHECK(read_iot(f, "HL_PAN4_80482C5A1B2C", "HL_PAN4"));
  CHECK(f.stat("refreshes") == 1);
  CHECK(f.stat("iot_prop_calls") == 2);
  f.control("POST", "/sim/tokens/expire", "{}");
  CHECK(run(f, toggle("HL_PAN4_80482C5A1B2C", "HL_PAN4", "notifications", "0")) == "");
  CHECK(f.stat("refreshes") == 2);
  CHECK(f.stat("toggle_calls") == 2);
}

TEST_CASE("1011 on the device-management API pauses only that API, and a paused call sends nothing") {
  fixture f;
  add_newer_models(f);
  REQUIRE(f.poll() == "");
  f.control("POST", "/sim/fault", R"({"kind":"ratelimit","count":1,"endpoint":"/device-management/"})");
  auto limited = read_iot(f, "GW_GC1_7C78B2A1B2C3", "GW_GC1");
  REQUIRE_FALSE(limited);
  CHECK(limited.error().kind == wyze::failure::rate_limited);
  CHECK(limited.error().message.find("device-management API") != std::string::npos);
  REQUIRE(f.saved);
  CHECK(f.saved->devicemgmt_paused_until_ms == f.now + 300 * second);
  CHECK(f.saved->paused_until_ms == 0);
  CHECK(f.saved->events_paused_until_ms == 0);
  auto requests = f.stat("requests");
  auto paused = run(f, devicemgmt("GW_GC1_7C78B2A1B2C3", "GW_GC1", "siren", "siren-on"));
  CHECK(paused.find("waiting for the device-management API's rate limit") != std::string::npos);
  CHECK_FALSE(read_iot(f, "GW_GC1_7C78B2A1B2C3", "GW_GC1"));
  CHECK(f.stat("requests") == requests + 1);  // the stats call alone
  CHECK(f.poll() == "");                      // the account's calls are not paused
  CHECK(run(f, {sim::account::generated_mac(0), "WYZE_CAKP2JFUS", "power_off", {}}) == "");
  // Saved and read back: a restart keeps the pause.
  auto reread = wyze::parse_session(wyze::serialize(*f.saved));
  REQUIRE(reread);
  CHECK(reread->devicemgmt_paused_until_ms == f.saved->devicemgmt_paused_until_ms);
  f.now += 300 * second;
  CHECK(read_iot(f, "GW_GC1_7C78B2A1B2C3", "GW_GC1"));
}

// The cloud client's decisions over time, against the simulator's account logic through an
// in-process transport and a clock the test moves: no sockets, no waiting.
#include "wyze/cloud_client.hpp"
#include "sim/account.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <cctype>
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
    sim::request req{request.method, request.url.substr(request.url.find('/', 8)), {}, request.body};
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

 private:
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
    s.auth_url = s.api_url = "https://sim";
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
  SUBCASE("without it") {
    fixture f({.access_token_calls = 0, .totp_key = key});
    auto error = f.poll();
    CHECK(error.find("set wyze.totp_key") != std::string::npos);
  }
}

// The cloud session's rules alone (wyze/session_machine): each decision and the exact lines it
// logs, at times the test sets. No transport, no simulator: the answers are the ones a peer's code
// shows the cloud sends (codes 2001, 2002, 1011, the rate-limit headers).
#include "wyze/session_machine.hpp"
#include "common/hex.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using wyze::error;
using wyze::failure;
using wyze::gate;
using wyze::lane;

constexpr std::int64_t second = 1000;
constexpr std::int64_t minute = 60 * second;
constexpr std::int64_t hour = 60 * minute;
constexpr std::int64_t day = 24 * hour;
constexpr std::int64_t t0 = 1795687200000;  // 2026-11-26T10:00:00Z

std::string printed(const gate& g) {
  switch (g.next) {
    case gate::step::go:
      return "go";
    case gate::step::log_in:
      return "log in";
    case gate::step::refresh:
      return "refresh";
    case gate::step::wait:
      return "wait in line";
    case gate::step::fail:
      return "fail: " + g.why.message;
  }
  return "?";
}

wyze::tokens tokens_named(const std::string& access) { return {access, "refresh-" + access}; }

struct fixture {
  explicit fixture(wyze::session initial = {}, std::string credentials = "fp-A", std::int64_t now = t0)
      : fingerprint(std::move(credentials)),
        machine(
            std::move(initial), now, wyze::auth_mode::api_key,
            [this](std::string_view) {
              ++fingerprints;
              return fingerprint;
            },
            [this](const wyze::session& s) {
              saved = s;
              ++saves;
            },
            [this](common::logging::level lvl, std::string_view component, std::string_view text) {
              lines.push_back(std::string(common::logging::level_name(lvl)) + " " + std::string(component) + ": " +
                              std::string(text));
            }) {}

  /// The lines logged since the last call.
  std::vector<std::string> take_lines() { return std::exchange(lines, {}); }

  /// Logs in at `now` with a token named `access`.
  void logged_in(std::int64_t now, const std::string& access = "a1") {
    REQUIRE_FALSE(machine.start_login(now));
    REQUIRE(machine.login_answered(tokens_named(access), now));
    lines.clear();
  }

  // Made before the machine, which logs from its constructor.
  std::string fingerprint;
  std::vector<std::string> lines;
  std::optional<wyze::session> saved;
  int saves = 0;
  int fingerprints = 0;
  wyze::session_machine machine;
};

using lines = std::vector<std::string>;

}  // namespace

TEST_CASE("session machine: without tokens an operation logs in, once logged in it goes") {
  fixture f;
  CHECK(printed(f.machine.ready(t0)) == "log in");
  CHECK_FALSE(f.machine.start_login(t0));
  CHECK(f.take_lines() == lines{"info wyze: logging in to the Wyze cloud (API key login)"});
  REQUIRE(f.saved);
  CHECK(f.saved->last_login_ms == t0);  // saved before the login leaves: a crash cannot skip the spacing
  CHECK(f.machine.login_answered(tokens_named("a1"), t0 + 300));
  CHECK(f.take_lines() == lines{"info wyze: logged in"});
  CHECK(f.saved->current->access_token == "a1");
  CHECK(f.saved->tokens_issued_ms == t0 + 300);
  CHECK(printed(f.machine.ready(t0 + second)) == "go");
  CHECK(f.machine.logins() == 1);
  CHECK(f.machine.context(t0).access_token == "a1");
  CHECK(f.take_lines().empty());
}

TEST_CASE("session machine: logins are spaced 30 s apart, doubling after failures up to 5 min") {
  fixture f;
  REQUIRE_FALSE(f.machine.start_login(t0));
  CHECK_FALSE(f.machine.login_answered(error{failure::transport, "api_key_login: connection refused"}, t0));
  f.take_lines();
  auto early = f.machine.start_login(t0 + 10 * second);
  REQUIRE(early);
  CHECK(early->kind == failure::login_postponed);
  // One failure: 60 s.
  CHECK(early->message == "not logging in before 10:01:00 UTC: logins are spaced out so the account is never locked");
  CHECK(f.machine.logins() == 1);
  CHECK(f.take_lines().empty());
  CHECK_FALSE(f.machine.start_login(t0 + 60 * second));
  CHECK(f.machine.logins() == 2);
  CHECK(f.saved->login_failures == 1);
}

TEST_CASE("session machine: refused credentials wait an hour, fixed ones 30 s, and the fingerprint is made only then") {
  fixture f;
  REQUIRE_FALSE(f.machine.start_login(t0));
  CHECK(f.fingerprints == 0);  // slow on purpose: not needed for a login that works
  CHECK_FALSE(f.machine.login_answered(error{failure::credentials, "api_key_login: Invalid credentials"}, t0));
  REQUIRE(f.saved);
  CHECK(f.saved->credentials_refused);
  CHECK(f.saved->credentials_fingerprint == "fp-A");
  auto later = f.machine.start_login(t0 + 30 * minute);
  REQUIRE(later);
  CHECK(later->message ==
        "not logging in before 11:00:00 UTC: the last login was refused for its credentials; fixed credentials are "
        "tried within 30 s");
  CHECK(f.fingerprints == 1);  // made once, then reused
  // A restart with other credentials and the saved session: 30 s spacing only.
  fixture fixed(*f.saved, "fp-B");
  CHECK_FALSE(fixed.machine.start_login(t0 + 30 * second));
}

TEST_CASE("session machine: tokens older than 36 h are refreshed first, older than 29 days replaced by a login") {
  fixture f;
  f.logged_in(t0);
  CHECK(printed(f.machine.ready(t0 + 36 * hour - second)) == "go");
  CHECK(printed(f.machine.ready(t0 + 37 * hour)) == "refresh");
  CHECK(f.take_lines() == lines{"info wyze: the access token is older than 36 h; refreshing it before it expires"});
  f.machine.start_refresh();
  CHECK(printed(f.machine.refresh_answered(tokens_named("a2"), t0 + 37 * hour)) == "go");
  CHECK(f.take_lines() == lines{"info wyze: access token refreshed"});
  CHECK(f.saved->tokens_issued_ms == t0 + 37 * hour);
  CHECK(f.machine.refreshes() == 1);
  CHECK(printed(f.machine.ready(t0 + 37 * hour + 30 * day)) == "log in");
  CHECK(f.take_lines() == lines{"info wyze: the saved tokens are too old to refresh; logging in again"});
}

TEST_CASE("session machine: a JWT access token is refreshed ahead of its exp, for the account and the event list") {
  fixture f;
  // As Wyze issues them: a JWT living 6,000 s (shauntarves/wyze-sdk #175).
  std::string claims = R"({"iat":)" + std::to_string(t0 / 1000) + R"(,"exp":)" + std::to_string(t0 / 1000 + 6000) + "}";
  f.logged_in(t0, common::base64url_encode(R"({"alg":"HS256"})") + "." + common::base64url_encode(claims) + ".sig");
  // Its life is 5,999 s as the bridge counts (iat may be rounded down by up to a second).
  CHECK(printed(f.machine.ready(t0 + 5698 * second)) == "go");
  CHECK(printed(f.machine.events_ready(t0 + 5698 * second)) == "go");
  // 5 minutes ahead of that the event list waits in line, where the account's operation refreshes.
  CHECK(printed(f.machine.events_ready(t0 + 5699 * second)) == "wait in line");
  CHECK(printed(f.machine.ready(t0 + 5699 * second)) == "refresh");
  CHECK(f.take_lines() == lines{"info wyze: the access token expires at 11:39:59 UTC; refreshing it ahead of that"});
}

TEST_CASE("session machine: a refused refresh token leads to a login, a failed refresh to the operation's error") {
  fixture f;
  f.logged_in(t0);
  auto refused = f.machine.refresh_answered(
      error{failure::refresh_refused, "refresh_token: refresh token expired or invalid (code 2002)"}, t0 + hour);
  CHECK(printed(refused) == "log in");
  CHECK(f.take_lines() ==
        lines{"warn wyze: refresh_token: refresh token expired or invalid (code 2002); logging in again"});
  CHECK_FALSE(f.saved->current);
  f.logged_in(t0 + hour);
  auto down = f.machine.refresh_answered(error{failure::transport, "refresh_token: timed out"}, t0 + 2 * hour);
  CHECK(printed(down) == "fail: refresh_token: timed out");
  CHECK(f.saved->current);  // the tokens stay for the next try
  CHECK(f.take_lines().empty());
}

TEST_CASE("session machine: a 2001 renews once and is retried, a second one is the operation's error") {
  fixture f;
  f.logged_in(t0);
  error expired{failure::token_expired, "access token expired or invalid (code 2001)"};
  auto [first, then] =
      f.machine.failed(lane::account, "/app/v2/home_page/get_object_list", expired, 200, true, "a1", t0);
  CHECK(then == wyze::renewal::renew);
  CHECK(f.take_lines() == lines{"info wyze: access token expired or invalid (code 2001); renewing the token"});
  CHECK(f.machine.renew_for(failure::token_expired, "a1") == wyze::renew_step::refresh);
  auto [second_time, again] =
      f.machine.failed(lane::account, "/app/v2/home_page/get_object_list", expired, 200, false, "a2", t0);
  CHECK(again == wyze::renewal::none);
  CHECK(second_time.message == "get_object_list: access token expired or invalid (code 2001)");
  CHECK(f.take_lines().empty());
  // A 2002 drops the tokens and logs in.
  CHECK(f.machine.renew_for(failure::refresh_refused, "a1") == wyze::renew_step::log_in);
  CHECK_FALSE(f.machine.state().current);
}

TEST_CASE("session machine: an event-list call whose token was renewed meanwhile is sent again, not renewed again") {
  fixture f;
  f.logged_in(t0, "a2");
  error expired{failure::token_expired, "access token expired or invalid (code 2001)"};
  auto [failed, then] = f.machine.failed(lane::events, "/api/v1/event/list", expired, 200, true, "a1", t0);
  CHECK(then == wyze::renewal::resend);
  CHECK(f.take_lines().empty());
  CHECK(f.machine.renew_for(failure::token_expired, "a1") == wyze::renew_step::resend);
  CHECK(f.machine.renew_for(failure::token_expired, "a2") == wyze::renew_step::refresh);
}

TEST_CASE("session machine: the account's pause stops its operations and not the event list, and the reverse") {
  fixture f;
  f.logged_in(t0);
  f.machine.answered(lane::account, t0, "3", "Thu Nov 26 10:10:00 GMT 2026");
  CHECK(
      f.take_lines() ==
      lines{
          "warn wyze: Wyze's rate limit is almost used up (3 calls left); no calls to the cloud before 10:10:00 UTC"});
  CHECK(printed(f.machine.ready(t0 + second)) ==
        "fail: waiting for Wyze's rate limit until 10:10:00 UTC (Wyze's rate limit is almost used up (3 calls left))");
  CHECK(printed(f.machine.events_ready(t0 + second)) == "go");
  CHECK(printed(f.machine.ready(t0 + 10 * minute)) == "go");
  // 11 left is not close to the limit.
  f.machine.answered(lane::account, t0, "11", "Thu Nov 26 11:00:00 GMT 2026");
  CHECK(f.take_lines().empty());

  fixture e;
  e.logged_in(t0);
  error limited{failure::rate_limited, "rate limited (code 1011)"};
  e.machine.answered(lane::events, t0, "", "");
  auto [failed, then] = e.machine.failed(lane::events, "/api/v1/event/list", limited, 200, true, "a1", t0);
  CHECK(then == wyze::renewal::none);
  CHECK(failed.message ==
        "list: Wyze's rate limit was hit on the event list (code 1011); raise events.interval if this repeats");
  // No Reset-By header: 5 minutes.
  CHECK(e.take_lines() == lines{"warn wyze: Wyze's rate limit was hit on the event list; no event-list calls before "
                                "10:05:00 UTC (the device list is polled as usual)"});
  auto paused = e.machine.events_ready(t0 + second);
  CHECK(
      printed(paused) ==
      "fail: waiting for the event list's rate limit until 10:05:00 UTC (Wyze's rate limit was hit on the event list)");
  CHECK(paused.why.not_sent);
  CHECK(printed(e.machine.ready(t0 + second)) == "go");
}

TEST_CASE(
    "session machine: a 1011 of the account pauses until Reset-By, at most 24 h, and a pause is never shortened") {
  fixture f;
  f.logged_in(t0);
  f.machine.answered(lane::account, t0, "200", "Thu Nov 26 10:30:00 GMT 2026");
  error limited{failure::rate_limited, "rate limited (code 1011)"};
  auto [failed, then] = f.machine.failed(lane::account, "/app/v2/auto/run_action", limited, 200, true, "a1", t0);
  CHECK(failed.message == "run_action: rate limited (code 1011)");
  CHECK(f.take_lines() == lines{"warn wyze: Wyze's rate limit was hit; no calls to the cloud before 10:30:00 UTC"});
  f.machine.answered(lane::account, t0, "2", "Thu Nov 26 10:20:00 GMT 2026");  // earlier: kept at 10:30
  CHECK(f.take_lines().empty());
  CHECK(f.saved->paused_until_ms == t0 + 30 * minute);
  f.machine.answered(lane::account, t0, "0", "Fri Dec 31 23:59:59 GMT 9999");
  CHECK(f.take_lines() == lines{"warn wyze: Wyze's rate limit is almost used up (0 calls left) (Wyze asked for "
                                "longer; 24 h at most); no calls to the cloud before 10:00:00 UTC"});
  CHECK(f.saved->paused_until_ms == t0 + day);
}

TEST_CASE("session machine: the budget's rate-limit facts: the account's last Remaining, and when a limit was met") {
  fixture f;
  f.logged_in(t0);
  CHECK_FALSE(f.machine.rate_limit_remaining());
  CHECK_FALSE(f.machine.last_rate_limit_ms());
  f.machine.answered(lane::account, t0, "250", "Thu Nov 26 11:00:00 GMT 2026");
  CHECK(f.machine.rate_limit_remaining() == 250);
  // The event list's headers and an unreadable one leave the account's number as it was.
  f.machine.answered(lane::events, t0, "40", "");
  f.machine.answered(lane::account, t0, "many", "");
  CHECK(f.machine.rate_limit_remaining() == 250);
  CHECK_FALSE(f.machine.last_rate_limit_ms());
  f.machine.answered(lane::account, t0 + minute, "4", "Thu Nov 26 10:30:00 GMT 2026");
  CHECK(f.machine.rate_limit_remaining() == 4);
  CHECK(f.machine.last_rate_limit_ms() == t0 + minute);
  error limited{failure::rate_limited, "rate limited (code 1011)"};
  (void)f.machine.failed(lane::events, "/app/v4/device/get_event_list", limited, 200, true, "a1", t0 + 2 * minute);
  CHECK(f.machine.last_rate_limit_ms() == t0 + 2 * minute);
}

TEST_CASE("session machine: saved times that cannot be right are corrected at start, with a warning") {
  wyze::session saved;
  saved.paused_until_ms = t0 + 3 * day;
  saved.last_login_ms = t0 + hour;
  fixture f(saved);
  CHECK(f.take_lines() ==
        lines{"warn wyze: a saved rate-limit pause more than 24 h ahead was dropped; a saved login time in the future "
              "was taken as now (was the clock ahead when it was saved?)"});
  CHECK(printed(f.machine.ready(t0)) == "log in");
  CHECK(f.machine.start_login(t0));  // taken as now: 30 s spacing from it
}

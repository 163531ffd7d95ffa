#include "wyze/session.hpp"
#include "common/hex.hpp"
#include "wyze/budget.hpp"
#include "wyze/password.hpp"
#include "wyze/state_file.hpp"
#include "wyze/totp.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

using wyze::session;

namespace {
constexpr std::int64_t s = 1000;
}

TEST_CASE("logins are spaced: 30 s apart, doubling to 5 min after failures, hourly after refused credentials") {
  session state;
  auto fp = wyze::credentials_fingerprint("a@b.c", "pw", "k", "a");
  CHECK(wyze::next_login_allowed_ms(state, fp) == 0);
  state.last_login_ms = 1000 * s;
  CHECK(wyze::next_login_allowed_ms(state, fp) == 1030 * s);
  state.login_failures = 1;
  CHECK(wyze::next_login_allowed_ms(state, fp) == 1060 * s);
  state.login_failures = 3;
  CHECK(wyze::next_login_allowed_ms(state, fp) == 1240 * s);
  state.login_failures = 9;
  CHECK(wyze::next_login_allowed_ms(state, fp) == 1300 * s);
  state.credentials_refused = true;
  state.credentials_fingerprint = fp;
  CHECK(wyze::next_login_allowed_ms(state, fp) == 4600 * s);
  // Fixed credentials may be tried after the usual spacing.
  auto fixed = wyze::credentials_fingerprint("a@b.c", "right", "k", "a");
  CHECK(wyze::next_login_allowed_ms(state, fixed) == 1030 * s);
  CHECK(fp.find("pw") == std::string::npos);
}

TEST_CASE("the credentials fingerprint in tokens.json is salted and slow, so a copy allows no offline guess") {
  auto fp = wyze::credentials_fingerprint("a@b.c", "pw", "", "");
  CHECK(fp.starts_with("pbkdf2-sha256$600000$"));
  // The same credentials with the saved salt match; another salt, or other credentials, do not.
  CHECK(wyze::credentials_fingerprint("a@b.c", "pw", "", "", fp) == fp);
  CHECK(wyze::credentials_fingerprint("a@b.c", "pw", "", "") != fp);
  CHECK(wyze::credentials_fingerprint("a@b.c", "pw2", "", "", fp) != fp);
  // Not the unsalted SHA-256 of earlier versions (e3b0… is that of nothing; this is of "a@b.c\0pw\0\0\0").
  CHECK(fp.find(wyze::md5_hex("a@b.c")) == std::string::npos);
  // An old-style fingerprint (plain hex) gets a fresh salt, so it never matches: one login is allowed.
  auto old_style = std::string(64, 'a');
  CHECK(wyze::credentials_fingerprint("a@b.c", "pw", "", "", old_style).starts_with("pbkdf2-sha256$600000$"));
}

TEST_CASE("the session survives a round trip through tokens.json") {
  session state;
  state.phone_id = "0a1b2c3d-0000-4000-8000-000000000000";
  state.current = wyze::tokens{"lvtx.access", "lvtx.refresh"};
  state.tokens_issued_ms = 1764150000000;
  state.last_login_ms = 1764150000001;
  state.login_failures = 2;
  state.credentials_refused = true;
  state.credentials_fingerprint = "abc";
  state.paused_until_ms = 1764150000999;
  state.pause_reason = "Wyze's rate limit was hit";
  state.events_paused_until_ms = 1764150001999;
  state.events_pause_reason = "the event list's rate limit was hit";
  auto back = wyze::parse_session(wyze::serialize(state));
  REQUIRE(back);
  CHECK(back->phone_id == state.phone_id);
  REQUIRE(back->current);
  CHECK(back->current->access_token == "lvtx.access");
  CHECK(back->current->refresh_token == "lvtx.refresh");
  CHECK(back->tokens_issued_ms == state.tokens_issued_ms);
  CHECK(back->last_login_ms == state.last_login_ms);
  CHECK(back->login_failures == 2);
  CHECK(back->credentials_refused);
  CHECK(back->credentials_fingerprint == "abc");
  CHECK(back->paused_until_ms == state.paused_until_ms);
  CHECK(back->pause_reason == state.pause_reason);
  CHECK(back->events_paused_until_ms == state.events_paused_until_ms);
  CHECK(back->events_pause_reason == state.events_pause_reason);
  // A saved event pause beyond 24 h cannot be right (a clock that was ahead): dropped at start.
  auto ahead = *back;
  CHECK(wyze::correct_saved_times(ahead, 1764150000000 - 2 * wyze::max_pause_ms).find("event-list pause") !=
        std::string::npos);
  CHECK(ahead.events_paused_until_ms == 0);
  CHECK_FALSE(wyze::parse_session("not json"));
  CHECK_FALSE(wyze::parse_session("{}"));
}

TEST_CASE("tokens.json is written atomically, readable by its owner only") {
  auto dir = std::filesystem::temp_directory_path() / "wyze-session-test";
  std::filesystem::remove_all(dir);
  wyze::state_file file((dir / "nested").string());
  auto loaded = file.load();
  REQUIRE(loaded);
  auto fresh = loaded.value();
  CHECK(fresh.phone_id.size() == 36);
  CHECK_FALSE(fresh.current);
  fresh.current = wyze::tokens{"a", "r"};
  CHECK(file.save(fresh));
  struct stat info {};
  REQUIRE(::stat(file.path().c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  // Only tokens.json is left: no temp file.
  CHECK(std::distance(std::filesystem::directory_iterator(dir / "nested"), std::filesystem::directory_iterator()) == 1);
  auto again = file.load();
  REQUIRE(again);
  CHECK(again.value().phone_id == fresh.phone_id);
  CHECK(again.value().current->access_token == "a");
  std::filesystem::remove_all(dir);
}

TEST_CASE("tokens.json: a planted symlink is never written through, a FIFO or a huge file never read") {
  auto dir = std::filesystem::temp_directory_path() / "wyze-session-hostile";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  wyze::state_file file(dir.string());
  auto victim = dir / "victim";
  { std::ofstream(victim) << "precious"; }
  // The temp name of earlier versions, pointing at another file.
  std::filesystem::create_symlink(victim, file.path() + ".tmp");
  auto fresh = file.load();
  REQUIRE(fresh);
  CHECK(file.save(fresh.value()));
  std::ifstream in(victim);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(content == "precious");
  CHECK(std::filesystem::is_regular_file(std::filesystem::symlink_status(file.path())));

  std::filesystem::remove(file.path());
  REQUIRE(::mkfifo(file.path().c_str(), 0600) == 0);
  auto from_fifo = file.load();  // returns at once instead of waiting for a writer
  REQUIRE_FALSE(from_fifo);
  CHECK(from_fifo.error().kind == wyze::failure::file);
  CHECK(from_fifo.error().message == file.path() + " is not a regular file; starting a new session (one login)");

  std::filesystem::remove(file.path());
  { std::ofstream(file.path()) << std::string(std::size_t{100} * 1024, ' ') << "{}"; }
  auto huge = file.load();
  REQUIRE_FALSE(huge);
  CHECK(huge.error().message ==
        file.path() + " is larger than 64 KiB, too large to be ours; starting a new session (one login)");
  std::filesystem::remove_all(dir);
}

namespace {
// A token shaped as Wyze's: header.claims.signature, each part base64url.
std::string jwt(const std::string& claims) {
  return common::base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + common::base64url_encode(claims) + "." +
         common::base64url_encode("signature");
}
session holding(std::string access_token, std::int64_t issued_ms) {
  session state;
  state.current = wyze::tokens{std::move(access_token), "refresh"};
  state.tokens_issued_ms = issued_ms;
  return state;
}
}  // namespace

TEST_CASE("base64url matches RFC 4648's test vectors, unpadded, and refuses other characters") {
  for (auto [bytes, text] : std::vector<std::pair<std::string, std::string>>{{"", ""},
                                                                             {"f", "Zg"},
                                                                             {"fo", "Zm8"},
                                                                             {"foo", "Zm9v"},
                                                                             {"foob", "Zm9vYg"},
                                                                             {"fooba", "Zm9vYmE"},
                                                                             {"foobar", "Zm9vYmFy"},
                                                                             {"\xfb\xff", "-_8"}}) {
    CHECK(common::base64url_encode(bytes) == text);
    CHECK(common::base64url_decode(text) == bytes);
  }
  CHECK_FALSE(common::base64url_decode("Zm9v+g"));
  CHECK_FALSE(common::base64url_decode("Zm9v=="));
  CHECK_FALSE(common::base64url_decode(std::string_view("Zm\0v", 4)));
}

TEST_CASE("a JWT access token says its life, an opaque token or a broken JWT says nothing") {
  auto life = wyze::jwt_life(jwt(R"({"sub":"u","iat":1795687200,"exp":1795693200})"));
  REQUIRE(life);
  CHECK(life->expires_ms == 1795693200000);
  CHECK(life->issued_ms == 1795687200000);
  CHECK_FALSE(wyze::jwt_life(jwt(R"({"exp":1795693200})"))->issued_ms);
  CHECK_FALSE(wyze::jwt_life("lvtx.0123456789abcdef"));
  CHECK_FALSE(wyze::jwt_life(jwt(R"({"iat":1795687200})")));         // no exp
  CHECK_FALSE(wyze::jwt_life(jwt(R"({"exp":"tomorrow"})")));         // not a number
  CHECK_FALSE(wyze::jwt_life(jwt(R"({"exp":-5})")));                 // before 1970
  CHECK_FALSE(wyze::jwt_life(jwt(R"({"exp":99999999999999999})")));  // beyond the year 3000
  CHECK_FALSE(wyze::jwt_life(jwt("not json")));
  CHECK_FALSE(wyze::jwt_life(jwt(R"({"exp":1795693200})") + ".more"));
  CHECK_FALSE(wyze::jwt_life("a.b!c.d"));
}

TEST_CASE("a JWT is refreshed ahead of its own exp, on the cloud's clock, other tokens after 36 h") {
  constexpr std::int64_t minute = 60 * s, hour = 60 * minute;
  // The bridge's clock is an hour behind the cloud's: the life (exp − iat) counts, not the clock.
  std::int64_t got = 1795687200000 - hour;
  auto wyze_token = holding(jwt(R"({"iat":1795687200,"exp":1795693200})"), got);  // 6,000 s
  // (iat and exp are whole seconds, so a second less: the token may be younger than its iat says)
  CHECK(wyze::token_expires_ms(wyze_token) == got + 5999 * s);
  CHECK(wyze::refresh_due_ms(wyze_token) == got + 5999 * s - 5 * minute);
  // A short life: a tenth of it ahead.
  CHECK(wyze::refresh_due_ms(holding(jwt(R"({"iat":1795687200,"exp":1795687206})"), got)) == got + 5 * s - 500);
  // No iat: exp on the bridge's own clock.
  std::int64_t now = 1795687200000;
  CHECK(wyze::refresh_due_ms(holding(jwt(R"({"exp":1795693200})"), now)) == now + 6000 * s - 5 * minute);
  // No iat and already expired by this clock: the fixed rule (a 2001 still renews it).
  CHECK(wyze::refresh_due_ms(holding(jwt(R"({"exp":1795687100})"), now)) == now + 36 * hour);
  CHECK_FALSE(wyze::token_expires_ms(holding(jwt(R"({"exp":1795687100})"), now)));
  // A JWT living 30 days is still refreshed after 36 h; an opaque token after 36 h; none: 0.
  CHECK(wyze::refresh_due_ms(holding(jwt(R"({"iat":1795687200,"exp":1798279200})"), now)) == now + 36 * hour);
  CHECK(wyze::refresh_due_ms(holding("lvtx.0123", now)) == now + 36 * hour);
  CHECK(wyze::refresh_due_ms(session{}) == 0);
}

TEST_CASE("X-RateLimit-Reset-By is read as UTC") {
  CHECK(wyze::parse_reset_by("Thu Nov 26 10:00:00 GMT 2026") == 1795687200000);
  CHECK_FALSE(wyze::parse_reset_by("tomorrow"));
  CHECK_FALSE(wyze::parse_reset_by(""));
}

TEST_CASE("TOTP codes match the RFC 6238 test vectors (SHA-1)") {
  // The RFC's key is the ASCII "12345678901234567890"; in base32:
  auto key = wyze::base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  REQUIRE(key);
  CHECK(std::string(key->begin(), key->end()) == "12345678901234567890");
  CHECK(wyze::totp_code(*key, 59, 8) == "94287082");
  CHECK(wyze::totp_code(*key, 1111111109, 8) == "07081804");
  CHECK(wyze::totp_code(*key, 1111111111, 8) == "14050471");
  CHECK(wyze::totp_code(*key, 1234567890, 8) == "89005924");
  CHECK(wyze::totp_code(*key, 2000000000, 8) == "69279037");
  CHECK(wyze::totp_code(*key, 20000000000, 8) == "65353130");
  CHECK(wyze::totp_code(*key, 59) == "287082");
  CHECK(wyze::base32_decode("jbsw y3dp ehpk 3pxp"));
  CHECK_FALSE(wyze::base32_decode("not base32!"));
}

TEST_CASE("the budget's kinds: both logins, refresh, the device lists, the event lists, reads and commands") {
  using wyze::call_kind;
  CHECK(wyze::kind_of("/api/user/login") == call_kind::login);
  CHECK(wyze::kind_of("/user/login") == call_kind::login);
  CHECK(wyze::kind_of("/app/user/login") == call_kind::login);
  CHECK(wyze::kind_of("/app/user/refresh_token") == call_kind::refresh);
  CHECK(wyze::kind_of("/app/v2/home_page/get_object_list") == call_kind::device_list);
  CHECK(wyze::kind_of("/app/device/get_device_list") == call_kind::device_list);
  CHECK(wyze::kind_of("/app/v4/device/get_event_list") == call_kind::events);
  CHECK(wyze::kind_of("/app/v2/device/get_property_list") == call_kind::properties);
  CHECK(wyze::kind_of("/app/v2/auto/run_action") == call_kind::commands);
  CHECK(wyze::kind_of("/app/v2/device/set_property") == call_kind::commands);
}

TEST_CASE("the budget counts the calls of the last hour by kind, in minutes, and forgets older ones") {
  constexpr std::int64_t t0 = 1795687200000;  // 2026-11-26T10:00:00Z, a whole minute
  constexpr std::int64_t minute = 60'000, day = 1440 * minute;
  wyze::call_counter calls;
  auto at = [&](std::int64_t now) { return calls.last_hour(now); };
  CHECK(at(t0) == std::array<std::uint32_t, wyze::call_kinds>{});
  calls.count(wyze::call_kind::login, t0);
  for (int i = 0; i < 60; ++i) calls.count(wyze::call_kind::device_list, t0 + i * minute);
  calls.count(wyze::call_kind::pictures, t0 + 30 * minute + 59'999);
  auto hour = at(t0 + 59 * minute);
  CHECK(hour[static_cast<std::size_t>(wyze::call_kind::login)] == 1);
  CHECK(hour[static_cast<std::size_t>(wyze::call_kind::device_list)] == 60);
  CHECK(hour[static_cast<std::size_t>(wyze::call_kind::pictures)] == 1);
  // A minute later the first minute (the login and one device list) is out of the hour.
  hour = at(t0 + 60 * minute);
  CHECK(hour[static_cast<std::size_t>(wyze::call_kind::login)] == 0);
  CHECK(hour[static_cast<std::size_t>(wyze::call_kind::device_list)] == 59);
  // A slot is reused for a new minute, not added to.
  calls.count(wyze::call_kind::device_list, t0 + 60 * minute);
  CHECK(at(t0 + 60 * minute)[static_cast<std::size_t>(wyze::call_kind::device_list)] == 60);
  // A day later nothing is left.
  CHECK(at(t0 + day) == std::array<std::uint32_t, wyze::call_kinds>{});
  wyze::cloud_budget budget{.last_hour = at(t0 + 60 * minute)};
  CHECK(budget.calls_last_hour() == 61);  // 60 device lists and the picture
}

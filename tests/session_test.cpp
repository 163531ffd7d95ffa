#include "wyze/session.hpp"
#include "wyze/state_file.hpp"
#include "wyze/totp.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>

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
  CHECK(fp.size() == 64);
  CHECK(fp.find("pw") == std::string::npos);
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
  CHECK_FALSE(wyze::parse_session("not json"));
  CHECK_FALSE(wyze::parse_session("{}"));
}

TEST_CASE("tokens.json is written atomically, readable by its owner only") {
  auto dir = std::filesystem::temp_directory_path() / "wyze-session-test";
  std::filesystem::remove_all(dir);
  wyze::state_file file((dir / "nested").string());
  std::string problem;
  auto fresh = file.load(problem);
  CHECK(problem.empty());
  CHECK(fresh.phone_id.size() == 36);
  CHECK_FALSE(fresh.current);
  fresh.current = wyze::tokens{"a", "r"};
  CHECK(file.save(fresh).empty());
  struct stat info {};
  REQUIRE(::stat(file.path().c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  CHECK_FALSE(std::filesystem::exists(file.path() + ".tmp"));
  auto again = file.load(problem);
  CHECK(again.phone_id == fresh.phone_id);
  CHECK(again.current->access_token == "a");
  std::filesystem::remove_all(dir);
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

#include "wyze/session.hpp"

#include "common/hex.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <boost/json.hpp>

#include <algorithm>
#include <ctime>

namespace json = boost::json;

namespace wyze {

std::int64_t next_login_allowed_ms(const session& s, std::string_view fingerprint) {
  if (s.last_login_ms == 0) return 0;
  constexpr std::int64_t second = 1000;
  std::int64_t delay = 30 * second;
  bool same_credentials = s.credentials_fingerprint == fingerprint;
  if (s.credentials_refused && same_credentials) delay = 3600 * second;
  // Credentials fixed since they were refused: the usual spacing only.
  else if (s.login_failures > 0 && !s.credentials_refused)
    delay = std::min<std::int64_t>(30 * second << std::min(s.login_failures, 4), 300 * second);
  return s.last_login_ms + delay;
}

namespace {

std::optional<std::int64_t> seconds_claim(const json::object& claims, std::string_view name) {
  const auto* v = claims.if_contains(name);
  // A year-3000 limit keeps the ms arithmetic far from overflow.
  constexpr std::int64_t latest = 32503680000;
  if (v && v->is_int64() && v->get_int64() > 0 && v->get_int64() < latest) return v->get_int64() * 1000;
  if (v && v->is_double() && v->get_double() > 0 && v->get_double() < static_cast<double>(latest))
    return static_cast<std::int64_t>(v->get_double()) * 1000;
  return std::nullopt;
}

}  // namespace

std::optional<token_life> jwt_life(std::string_view token) {
  auto first = token.find('.');
  auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
  auto payload = common::base64url_decode(token.substr(first + 1, second - first - 1));
  if (!payload) return std::nullopt;
  json::error_code ec;
  auto claims = json::parse(*payload, ec);
  if (ec || !claims.is_object()) return std::nullopt;
  auto expires = seconds_claim(claims.get_object(), "exp");
  if (!expires) return std::nullopt;
  return token_life{*expires, seconds_claim(claims.get_object(), "iat")};
}

std::optional<std::int64_t> token_expires_ms(const session& s) {
  auto life = s.current ? jwt_life(s.current->access_token) : std::nullopt;
  if (!life) return std::nullopt;
  // iat and exp are whole seconds: a token may have been issued up to a second after its iat.
  constexpr std::int64_t rounding = 1000;
  std::int64_t lasts =
      life->issued_ms ? life->expires_ms - *life->issued_ms - rounding : life->expires_ms - s.tokens_issued_ms;
  if (lasts <= 0) return std::nullopt;
  return s.tokens_issued_ms + lasts;
}

std::int64_t refresh_due_ms(const session& s) {
  if (!s.current) return 0;
  std::int64_t fixed = s.tokens_issued_ms + refresh_after_ms;
  auto expires = token_expires_ms(s);
  if (!expires) return fixed;
  constexpr std::int64_t most_ahead = std::int64_t{5} * 60 * 1000;
  return std::min(fixed, *expires - std::min(most_ahead, (*expires - s.tokens_issued_ms) / 10));
}

std::string correct_saved_times(session& s, std::int64_t now_ms) {
  std::string corrected;
  if (s.paused_until_ms > now_ms + max_pause_ms) {
    corrected = "a saved rate-limit pause more than 24 h ahead was dropped";
    s.paused_until_ms = 0;
    s.pause_reason.clear();
  }
  if (s.events_paused_until_ms > now_ms + max_pause_ms) {
    corrected +=
        std::string(corrected.empty() ? "" : "; ") + "a saved event-list pause more than 24 h ahead was dropped";
    s.events_paused_until_ms = 0;
    s.events_pause_reason.clear();
  }
  if (s.devicemgmt_paused_until_ms > now_ms + max_pause_ms) {
    corrected +=
        std::string(corrected.empty() ? "" : "; ") + "a saved device-management pause more than 24 h ahead was dropped";
    s.devicemgmt_paused_until_ms = 0;
    s.devicemgmt_pause_reason.clear();
  }
  if (s.last_login_ms > now_ms) {
    corrected += std::string(corrected.empty() ? "" : "; ") + "a saved login time in the future was taken as now";
    s.last_login_ms = now_ms;
  }
  return corrected;
}

std::string credentials_fingerprint(std::string_view email, std::string_view password, std::string_view key_id,
                                    std::string_view api_key, std::string_view like) {
  const std::string scheme = "pbkdf2-sha256$" + std::to_string(fingerprint_iterations) + "$";
  std::string salt;
  if (like.starts_with(scheme)) salt = like.substr(scheme.size(), like.find('$', scheme.size()) - scheme.size());
  if (salt.size() != 32) {
    unsigned char fresh[16];
    RAND_bytes(fresh, sizeof fresh);
    salt = common::hex(fresh, sizeof fresh);
  }
  std::string all;
  for (auto part : {email, password, key_id, api_key}) {
    all += part;
    all += '\0';
  }
  unsigned char digest[32];
  PKCS5_PBKDF2_HMAC(all.data(), static_cast<int>(all.size()), reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), fingerprint_iterations, EVP_sha256(), sizeof digest, digest);
  return scheme + salt + "$" + common::hex(digest, sizeof digest);
}

std::string serialize(const session& s) {
  json::object o{{"phone_id", s.phone_id},
                 {"tokens_issued_ms", s.tokens_issued_ms},
                 {"last_login_ms", s.last_login_ms},
                 {"login_failures", s.login_failures},
                 {"credentials_refused", s.credentials_refused},
                 {"credentials_fingerprint", s.credentials_fingerprint},
                 {"paused_until_ms", s.paused_until_ms},
                 {"pause_reason", s.pause_reason},
                 {"events_paused_until_ms", s.events_paused_until_ms},
                 {"events_pause_reason", s.events_pause_reason},
                 {"devicemgmt_paused_until_ms", s.devicemgmt_paused_until_ms},
                 {"devicemgmt_pause_reason", s.devicemgmt_pause_reason}};
  if (s.current) {
    o["access_token"] = s.current->access_token;
    o["refresh_token"] = s.current->refresh_token;
  }
  return json::serialize(o) + "\n";
}

namespace {

std::string text_of(const json::object& o, std::string_view key) {
  if (const auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->get_string());
  return {};
}

std::int64_t number_of(const json::object& o, std::string_view key) {
  if (const auto* v = o.if_contains(key); v && v->is_int64()) return v->get_int64();
  return 0;
}

}  // namespace

std::optional<session> parse_session(std::string_view text) {
  json::error_code ec;
  auto value = json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const auto& o = value.get_object();
  session s;
  s.phone_id = text_of(o, "phone_id");
  if (s.phone_id.empty()) return std::nullopt;
  tokens t{text_of(o, "access_token"), text_of(o, "refresh_token")};
  if (!t.access_token.empty() && !t.refresh_token.empty()) s.current = std::move(t);
  s.tokens_issued_ms = number_of(o, "tokens_issued_ms");
  s.last_login_ms = number_of(o, "last_login_ms");
  s.login_failures = static_cast<int>(std::clamp<std::int64_t>(number_of(o, "login_failures"), 0, 64));
  if (const auto* v = o.if_contains("credentials_refused"); v && v->is_bool()) s.credentials_refused = v->get_bool();
  s.credentials_fingerprint = text_of(o, "credentials_fingerprint");
  s.paused_until_ms = number_of(o, "paused_until_ms");
  s.pause_reason = text_of(o, "pause_reason");
  s.events_paused_until_ms = number_of(o, "events_paused_until_ms");
  s.events_pause_reason = text_of(o, "events_pause_reason");
  s.devicemgmt_paused_until_ms = number_of(o, "devicemgmt_paused_until_ms");
  s.devicemgmt_pause_reason = text_of(o, "devicemgmt_pause_reason");
  return s;
}

std::optional<std::int64_t> parse_reset_by(std::string_view text) {
  std::tm tm{};
  std::string copy(text);
  // %Z only matches the zone name; Wyze sends GMT (and UTC would mean the same).
  const char* end = strptime(copy.c_str(), "%a %b %d %H:%M:%S %Z %Y", &tm);
  if (!end || *end != '\0') return std::nullopt;
  if (copy.find("GMT") == std::string::npos && copy.find("UTC") == std::string::npos) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

std::string random_uuid() {
  unsigned char bytes[16];
  RAND_bytes(bytes, sizeof bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  std::string digits = common::hex(bytes, sizeof bytes);
  // 8-4-4-4-12
  for (std::size_t at : {20u, 16u, 12u, 8u}) digits.insert(at, 1, '-');
  return digits;
}

}  // namespace wyze

#pragma once
// The Wyze cloud protocol as values: request bodies in, parsed responses out. No I/O, no clock.
#include "wyze/camera.hpp"
#include "wyze/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wyze {

/// Which login the account uses: today's developer-key login or the 2018 one.
enum class auth_mode { api_key, legacy };

struct tokens {
  std::string access_token;
  std::string refresh_token;
};

/// What every `/app/...` call carries besides its own fields.
struct app_context {
  std::string access_token;
  std::string phone_id;  ///< any UUID, kept stable
  std::int64_t ts_ms = 0;
};

namespace paths {
inline constexpr std::string_view api_key_login = "/api/user/login";  // on auth_url
/// The TOTP step of a login (wyzeapy wyze_auth_lib.py get_token_with_2fa; wyze-sdk
/// auth_service.py; IDisposable/docker-wyze-bridge internal/wyzeapi/auth.go completeMFA).
inline constexpr std::string_view mfa_login = "/user/login";  // on auth_url
inline constexpr std::string_view legacy_login = "/app/user/login";
inline constexpr std::string_view object_list = "/app/v2/home_page/get_object_list";
inline constexpr std::string_view legacy_device_list = "/app/device/get_device_list";
inline constexpr std::string_view refresh_token = "/app/user/refresh_token";
inline constexpr std::string_view run_action = "/app/v2/auto/run_action";
inline constexpr std::string_view set_property = "/app/v2/device/set_property";
inline constexpr std::string_view set_property_list = "/app/v2/device/set_property_list";
inline constexpr std::string_view device_list_properties = "/app/v2/device_list/get_property_list";
}  // namespace paths

/// What `auth: legacy` users are told at start, and again when the legacy login is refused.
inline constexpr std::string_view legacy_login_notice =
    "the legacy login (email and password only) is refused by Wyze: it has required a developer API key since "
    "2023 and shut the old login APIs down in 2024; create a key at https://developer-api-console.wyze.com, then "
    "set wyze.auth: api_key, wyze.key_id and wyze.api_key";

/// Body of the API-key login; the key headers are added by the caller.
std::string api_key_login_body(std::string_view email, std::string_view hashed_password);
/// Body of the legacy login (envelope with the legacy sc/sv).
std::string legacy_login_body(std::string_view email, std::string_view hashed_password, const app_context& context);
/// Body of get_object_list (api_key) or get_device_list (legacy).
std::string device_list_body(auth_mode mode, const app_context& context);
/// Body of refresh_token.
std::string refresh_body(const app_context& context, std::string_view refresh_token);

/// Body of run_action: `action_key` (power_on, power_off, restart) on the camera `mac`.
std::string run_action_body(const app_context& context, std::string_view mac, std::string_view model,
                            std::string_view action_key);
/// Body of set_property: one property `pid` of the camera `mac` set to `value`.
std::string set_property_body(const app_context& context, std::string_view mac, std::string_view model,
                              std::string_view pid, std::string_view value);

/// Body of set_property_list: every (pid, pvalue) of `properties` on the camera `mac` in one call
/// (SecKatie/wyzeapy services/base_service.py `_set_property_list`).
std::string set_property_list_body(const app_context& context, std::string_view mac, std::string_view model,
                                   const std::vector<std::pair<std::string, std::string>>& properties);

/// One camera of a batched property read.
struct property_target {
  std::string mac;
  std::string model;
  bool operator==(const property_target&) const = default;
};
/// The values a batched property read returned: by the MAC the cloud named, each (pid, value).
using property_values = std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>;

/// Body of the batched property read `/app/v2/device_list/get_property_list`: `device_list` the
/// MACs, `target_pid_list` the pids (shauntarves/wyze-sdk service/api_service.py
/// get_device_list_property_list).
std::string device_list_properties_body(const app_context& context, const std::vector<property_target>& devices,
                                        const std::vector<std::string>& pids);
/// Parses its answer, `data.device_list[{device_mac (or mac), device_property_list[{pid, value}]}]` (the
/// shape SecKatie/wyzeapy's 2021 client.py get_info reads). Entries or values of an unexpected
/// type are skipped; a value is kept as text (a number as its digits).
result<property_values> parse_device_list_properties(unsigned status, std::string_view body);

/// Parses the answer of run_action or set_property: done, or why the cloud did not carry it out
/// (a `data.result` other than 1 means the call was accepted and nothing happened).
result<done> parse_control_answer(unsigned status, std::string_view body);

/// The headers of the TOTP step: the Wyze app's own X-API-Key (a constant of the app, the same
/// in every peer) and the session's Phone-Id, where the first step sends the developer key.
std::vector<std::pair<std::string, std::string>> mfa_login_headers(std::string_view phone_id);

/// The API-key login answering an MFA challenge with a TOTP code.
std::string api_key_mfa_body(std::string_view email, std::string_view hashed_password, std::string_view verification_id,
                             std::string_view code);

/// The verification id of a TOTP challenge in a login answer, if it is one.
std::optional<std::string> totp_challenge(std::string_view body);

/// Parses the API-key login answer: tokens, or why the login was refused.
result<tokens> parse_api_key_login(unsigned status, std::string_view body);
/// Parses an envelope answer carrying tokens (legacy login, refresh).
result<tokens> parse_token_envelope(unsigned status, std::string_view body);
/// Parses the legacy login's answer: a refusal (not a rate limit or a broken answer) says why
/// the legacy login cannot work any more and how to move to an API key.
result<tokens> parse_legacy_login(unsigned status, std::string_view body);
/// Why an HTTP status is not a usable answer of an /app call; nullopt for 200.
std::optional<error> status_failure(unsigned status);

/// The envelope's code: `code`, or `err_no` when there is none — newer endpoints answer
/// `{"ErrNo":2001,…}` without `code` (noelportugal/wyze-node PR #52).
inline std::string_view envelope_code(std::string_view code, std::string_view err_no) {
  return code.empty() ? err_no : code;
}

/// What an envelope's `code` (and `msg`) mean when they are not success; nullopt for success.
std::optional<error> envelope_failure(std::string_view code, std::string_view msg);

/// Parses the envelope of a device list call into cameras (see device_list_stream for the
/// same while reading).
result<device_list> parse_device_list_response(unsigned status, std::string_view body, bool thumbnails = false);

}  // namespace wyze

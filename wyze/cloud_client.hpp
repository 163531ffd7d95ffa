#pragma once
// The Wyze account as the bridge uses it: log in only when needed (and never in a loop), fetch
// the device list, refresh tokens before they expire or when the cloud says so, and honour
// Wyze's rate limits. All on the caller's event loop, through an http_transport.
#include "wyze/capabilities.hpp"
#include "wyze/events.hpp"
#include "wyze/http.hpp"
#include "wyze/protocol.hpp"
#include "wyze/session.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>

namespace wyze {

struct account_settings {
  auth_mode auth = auth_mode::api_key;
  std::string email;
  std::string password;  ///< clear text, or "md5:<hex>" already hashed
  std::string key_id;
  std::string api_key;
  std::string totp_key;  ///< base32, for accounts that get an MFA challenge
  std::string auth_url = "https://auth-prod.api.wyze.com";
  std::string api_url = "https://api.wyzecam.com";
  std::string events_url = "https://app-core.cloud.wyze.com";  ///< host of the v4 event list
  bool thumbnails = false;  ///< read the device list's thumbnails (pictures without events)
};

/// A downloaded picture: its bytes and what its first bytes say it is.
struct picture {
  std::string bytes;
  std::string content_type;  ///< image/jpeg or image/png
};

/// The content type of an image by its first bytes (JPEG or PNG), or empty.
std::string_view image_type(std::string_view bytes);

class cloud_client {
 public:
  using now_ms_function = std::function<std::int64_t()>;
  /// Called whenever the session changed and should be saved.
  using persist_function = std::function<void(const session&)>;

  cloud_client(http_transport& transport, account_settings settings, now_ms_function now_ms, session initial,
               persist_function persist);

  /// Fetches the account's cameras, logging in or refreshing the token first when needed.
  void fetch_cameras(std::function<void(result<device_list>)> done);

  /// Carries out a camera command (its calls in order, stopping at the first failure). Like
  /// fetch_cameras it logs in or renews the token when needed (2001 → refresh → retry once); while
  /// the account waits for Wyze's rate limit it fails at once, without a call.
  void run_command(camera_command command, std::function<void(result<done>)> done);

  /// One call of the signed v4 event list. Its answers have their own rate-limit pause
  /// (session::events_paused_until_ms): a 1011 there stops only the event poll, and a pause of the
  /// device list does not stop it. It does not wait behind a device-list fetch either, unless the
  /// token must be renewed first (renewals are never concurrent).
  void fetch_events(event_query query, std::function<void(result<event_list>)> done);

  /// Downloads a picture from a signed URL (GET over the same verified HTTPS, no redirects): at
  /// most `max_bytes`, a JPEG or a PNG by its first bytes. The URL is never logged.
  void download_picture(std::string url, std::size_t max_bytes, std::function<void(result<picture>)> done);

  /// Requests sent to the cloud since start, by endpoint (the last part of its path).
  const std::map<std::string, std::uint64_t, std::less<>>& requests() const { return requests_; }

  /// Logins attempted since start.
  std::uint64_t logins() const { return logins_; }
  /// Token refreshes attempted since start.
  std::uint64_t refreshes() const { return refreshes_; }
  const session& state() const { return session_; }

 private:
  using step_done = std::function<void(result<done>)>;
  using list_done = std::function<void(result<device_list>)>;

  void login(step_done next);
  void finish_login(result<tokens> outcome, const step_done& next);
  /// The fingerprint of the configured credentials (credentials_fingerprint), computed when needed.
  const std::string& credentials();
  void refresh(step_done next);
  void renew_token(step_done next);
  void renew_after(failure kind, step_done retry);
  error paused_error() const;
  error events_paused_error() const;
  void request_events(event_query query, bool may_renew_token, std::function<void(result<event_list>)> done);
  /// Pauses the event poll only (a rate-limit answer of the event list).
  void pause_events(std::int64_t until_ms, std::string reason);
  using operation = std::function<void(std::function<void()> finished)>;
  /// Runs `op` once every operation queued before it has finished: one cloud operation at a time,
  /// so two of them never renew the token at once (the second refresh would use a spent token).
  void serialized(operation op);
  void start_queued();
  /// Calls `next` once a session exists (logging in or renewing first when needed); `may_renew`
  /// tells whether a 2001 answer may still renew the token and retry.
  void with_session(const std::function<void(result<done>, bool may_renew)>& next);
  void request_list(bool may_renew_token, list_done finished);
  void control_call(std::string_view path, std::function<std::string(const app_context&)> body, bool may_renew_token,
                    std::function<void(result<done>)> finished);
  void run_calls(const std::shared_ptr<camera_command>& command, std::size_t next, bool may_renew_token,
                 std::function<void(result<done>)> finished);
  void post(std::string_view base, std::string_view path, std::string body,
            std::vector<std::pair<std::string, std::string>> headers, http_handler done,
            std::shared_ptr<body_sink> sink = nullptr);
  void watch_rate_limit(const http_response& answer);
  error noted(std::string_view path, error failed);
  void pause(std::int64_t until_ms, std::string reason);
  /// Moves a pause (`paused_until`, `pause_reason` of the session) to `until_ms` (24 h from now at
  /// most) and saves the session; false when the pause already lasts that long.
  bool extend_pause(std::int64_t& paused_until, std::string& pause_reason, std::int64_t until_ms, std::string reason);
  app_context context() const;
  void save() const;

  http_transport& transport_;
  account_settings settings_;
  now_ms_function now_ms_;
  session session_;
  std::string fingerprint_;     ///< credentials(), cached: it is slow on purpose
  std::string fingerprint_of_;  ///< the saved fingerprint whose salt fingerprint_ reuses
  persist_function persist_;
  std::string pending_reset_by_;  ///< X-RateLimit-Reset-By of the last answer
  std::uint64_t logins_ = 0;
  std::uint64_t refreshes_ = 0;
  std::map<std::string, std::uint64_t, std::less<>> requests_;
  std::deque<operation> queue_;
  bool busy_ = false;      ///< an operation runs
  bool starting_ = false;  ///< start_queued is on the stack (an operation finished synchronously)
};

}  // namespace wyze

#pragma once
// The Wyze account as the bridge uses it: every endpoint's requests and answers, carried out on the
// caller's event loop through an http_transport. What the session allows (login spacing, refresh,
// renew-and-retry once, the two rate-limit pauses) is decided by wyze::session_machine; this class
// builds the requests, sends them and runs one account operation at a time.
#include "wyze/budget.hpp"
#include "wyze/capabilities.hpp"
#include "wyze/devicemgmt.hpp"
#include "wyze/events.hpp"
#include "wyze/http.hpp"
#include "wyze/protocol.hpp"
#include "wyze/session.hpp"
#include "wyze/session_machine.hpp"

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
  std::string devicemgmt_url = "https://devicemgmt-service-beta.wyze.com";      ///< SPEC §11
  std::string toggle_url = "https://ai-subscription-service-beta.wyzecam.com";  ///< SPEC §11
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

  /// `log`: where its lines go (a unit test passes its own to read them).
  cloud_client(http_transport& transport, account_settings settings, now_ms_function now_ms, session initial,
               persist_function persist, common::logging::sink log = common::logging::process_log());

  /// Fetches the account's cameras, logging in or refreshing the token first when needed.
  void fetch_cameras(std::function<void(result<device_list>)> done);

  /// Carries out a camera command (its calls in order, stopping at the first failure). Like
  /// fetch_cameras it logs in or renews the token when needed (2001 → refresh → retry once); while
  /// the account waits for Wyze's rate limit it fails at once, without a call.
  void run_command(camera_command command, std::function<void(result<done>)> done);

  /// One batched property read (`/app/v2/device_list/get_property_list`) of `devices` for `pids`
  /// (SPEC §10): an account operation like the device list (the session first, its rate-limit
  /// pause, renew-and-retry once on 2001).
  void read_properties(std::vector<property_target> devices, std::vector<std::string> pids,
                       std::function<void(result<property_values>)> done);

  /// One get_iot_prop of a device-management camera (SPEC §11): in line with the account's
  /// operations (the session first, renew-and-retry once), but obeying the device-management API's
  /// own rate-limit pause, not the account's.
  void read_iot_properties(property_target camera, std::function<void(result<iot_state>)> done);

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

  /// The account's budget as of `now_ms`: every call of the last hour by kind (pictures too), the
  /// last X-RateLimit-Remaining, the rate-limit pause and when a rate limit was last met.
  cloud_budget budget(std::int64_t now_ms) const;
  /// Logins attempted since start.
  std::uint64_t logins() const { return machine_.logins(); }
  /// Token refreshes attempted since start.
  std::uint64_t refreshes() const { return machine_.refreshes(); }
  const session& state() const { return machine_.state(); }

 private:
  using step_done = std::function<void(result<done>)>;
  /// One request of an operation and how its answer is read.
  template <class T>
  struct attempt {
    lane which = lane::account;
    std::string_view path;
    http_request request;
    std::function<result<T>(http_response&)> read;
  };
  /// Makes an operation's request afresh for each sending (the current token, a new nonce, a new
  /// stream).
  template <class T>
  using plan = std::function<attempt<T>()>;

  /// Sends `make`'s request and reads its answer; a 2001/2002 renews the token and sends it once
  /// more when `may_renew`. `in_line`: the call runs as the queue's current operation (a renewal
  /// then runs at once; outside the queue it waits in line).
  template <class T>
  void call(std::shared_ptr<const plan<T>> make, bool may_renew, bool in_line, std::function<void(result<T>)> done);
  void renew(failure kind, const std::string& token_used, step_done next);
  void login(step_done next);
  void refresh(step_done next);
  /// The error an operation answers with when `failed` is not retried.
  error given_up(lane which, std::string_view path, error failed, int status);
  using operation = std::function<void(std::function<void()> finished)>;
  /// Runs `op` once every operation queued before it has finished: one cloud operation at a time,
  /// so two of them never renew the token at once (the second refresh would use a spent token).
  void serialized(operation op);
  void start_queued();
  /// Calls `next` once a session exists (logging in or renewing first when needed); `may_renew`
  /// tells whether a 2001 answer may still renew the token and retry.
  /// `which`: the lane whose pause the operation obeys (the device-management one goes beside the
  /// account's pause while the token is fresh).
  void with_session(lane which, const std::function<void(result<done>, bool may_renew)>& next);
  /// Runs an account operation in line: the session first, then `make`'s call.
  template <class T>
  void in_line(std::shared_ptr<const plan<T>> make, std::function<void(result<T>)> done, lane which = lane::account);
  void run_calls(const std::shared_ptr<camera_command>& command, std::size_t next, bool may_renew_token,
                 std::function<void(result<done>)> finished);
  /// The one call of a device-management action or a toggle.
  attempt<done> newer_api_call(const camera_command& command);
  http_request request_to(std::string_view base, std::string_view path, std::string body,
                          std::vector<std::pair<std::string, std::string>> headers = {}) const;
  void send(lane which, std::string_view path, http_request request, http_handler done);
  void log(common::logging::level lvl, const std::string& text) const;

  http_transport& transport_;
  account_settings settings_;
  now_ms_function now_ms_;
  common::logging::sink log_;
  session_machine machine_;
  std::map<std::string, std::uint64_t, std::less<>> requests_;
  call_counter calls_;
  std::deque<operation> queue_;
  bool busy_ = false;      ///< an operation runs
  bool starting_ = false;  ///< start_queued is on the stack (an operation finished synchronously)
};

}  // namespace wyze

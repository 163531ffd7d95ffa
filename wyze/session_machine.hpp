#pragma once
// The Wyze session's rules as a pure machine: when an operation may go, when the bridge logs in
// (spaced out, never in a loop) or refreshes its token, what a 2001/2002 answer renews and that the
// call is retried once, the two rate-limit pauses (the account's, and the event list's own), the
// sentences every failure carries, and every log line. No sockets, no clock, no globals: the time
// comes in, lines go to an injected sink, the session to an injected save. wyze/cloud_client.cpp
// builds the requests and carries its answers out, for every endpoint.
#include "common/log.hpp"
#include "wyze/protocol.hpp"
#include "wyze/result.hpp"
#include "wyze/session.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace wyze {

/// Which pause an endpoint obeys: the account's (device list, commands, login, refresh), the
/// event list's own (its host answers 1011 on its own; a pause there stops only the event poll), or
/// the device-management and toggle APIs' own (SPEC §11: a pause there stops only their calls).
enum class lane { account, events, devicemgmt };

/// The last part of an endpoint's path: how errors name it and /metrics counts it.
std::string endpoint_name(std::string_view path);

/// What an operation does next.
struct gate {
  enum class step {
    go,       ///< send the call (a session exists)
    log_in,   ///< log in first
    refresh,  ///< refresh the token first
    wait,     ///< (event list) wait in line behind the account's operations, then ask ready()
    fail,     ///< answer the operation with `why`, sending nothing
  };
  step next = step::go;
  error why;
};

/// What follows a failed call.
enum class renewal {
  none,    ///< answer with the error
  resend,  ///< another operation renewed the token since the call left: send it again, once
  renew,   ///< renew the token (renew_for), then send the call again, once
};

/// How the token is renewed after a 2001/2002.
enum class renew_step { resend, refresh, log_in };

class session_machine {
 public:
  using persist_function = std::function<void(const session&)>;
  /// credentials_fingerprint of the configured credentials, reusing the salt of `like`.
  using fingerprint_function = std::function<std::string(std::string_view like)>;

  session_machine(session initial, std::int64_t now_ms, auth_mode auth, fingerprint_function fingerprint,
                  persist_function persist, common::logging::sink log);

  /// Before an account operation (which runs one at a time): fail during the account's pause, log
  /// in without tokens (or with tokens older than 29 days), refresh tokens older than 36 h, or go.
  gate ready(std::int64_t now_ms);
  /// Before an event-list call: fail during the event list's pause, go at once beside a running
  /// account operation while the token is fresh, else wait in line (then ready()).
  gate events_ready(std::int64_t now_ms) const;
  /// Before a device-management or toggle call (which runs in line with the account's operations):
  /// fail during their own pause; go while the token is fresh, whatever the account's pause; else
  /// as ready() (a login or refresh obeys the account's pause).
  gate devicemgmt_ready(std::int64_t now_ms);

  /// A login is about to be sent: the error while logins are spaced out (one per 30 s, doubling
  /// after failures, hourly after refused credentials unless they changed), else nullopt — the
  /// attempt is counted, the old tokens dropped, the session saved and the line logged.
  std::optional<error> start_login(std::int64_t now_ms);
  /// The login's outcome (after its MFA answer, if any). Failures carry their endpoint already.
  result<done> login_answered(result<tokens> outcome, std::int64_t now_ms);

  /// A refresh is about to be sent (counted).
  void start_refresh() { ++refreshes_; }
  /// The refresh's outcome: go with the new tokens, log_in when the refresh token was refused, or
  /// fail.
  gate refresh_answered(result<tokens> outcome, std::int64_t now_ms);

  /// The rate-limit headers of any answer on `which`: close to the limit, that lane pauses.
  void answered(lane which, std::int64_t now_ms, std::string_view remaining, std::string_view reset_by);

  /// A call to `path` failed (status 0: no HTTP answer). Returns the error the operation answers
  /// with (its endpoint named, a rate-limit pause taken) and whether to renew and retry: only for a
  /// 2001/2002, only when `may_renew` (once per operation). `token_used` is the access token the
  /// call carried.
  std::pair<error, renewal> failed(lane which, std::string_view path, error failure, int status, bool may_renew,
                                   std::string_view token_used, std::int64_t now_ms);
  /// How to renew after a 2001/2002 of `kind` for a call sent with `token_used`, now that it is
  /// the renewal's turn: resend when the token changed meanwhile, log in after a 2002, else refresh.
  renew_step renew_for(failure kind, std::string_view token_used);

  /// The request context: the access token (empty without a session), the phone id, the time.
  app_context context(std::int64_t now_ms) const;
  const session& state() const { return session_; }
  std::uint64_t logins() const { return logins_; }
  std::uint64_t refreshes() const { return refreshes_; }
  /// The last X-RateLimit-Remaining of an account-lane answer (nullopt until one carried it).
  std::optional<long> rate_limit_remaining() const { return rate_limit_remaining_; }
  /// When a rate limit (or an answer close to it) was last met, on either lane, since start.
  std::optional<std::int64_t> last_rate_limit_ms() const { return last_rate_limit_ms_; }

  /// Wyze publishes no limits; docker-wyze-bridge pauses at 10 remaining calls, and so do we.
  static constexpr long pause_at_remaining = 10;
  /// A rate-limit answer without a usable X-RateLimit-Reset-By pauses this long.
  static constexpr std::int64_t rate_limit_backoff_ms = std::int64_t{5} * 60 * 1000;

 private:
  /// Moves a pause to `until_ms` (24 h from now at most) and saves the session; false when it
  /// already lasts that long.
  bool extend_pause(lane which, std::int64_t until_ms, std::string reason, std::int64_t now_ms);
  void pause(lane which, std::optional<std::int64_t> reset_by, std::string reason, std::int64_t now_ms);
  std::string& reset_by_of(lane which);
  const std::string& credentials();
  void save() const;
  void log(common::logging::level lvl, const std::string& text) const;

  session session_;
  auth_mode auth_;
  fingerprint_function fingerprint_of_credentials_;
  persist_function persist_;
  common::logging::sink log_;
  std::string fingerprint_;     ///< credentials(), cached: it is slow on purpose
  std::string fingerprint_of_;  ///< the saved fingerprint whose salt fingerprint_ reuses
  /// X-RateLimit-Reset-By of each lane's last answer.
  std::string account_reset_by_, events_reset_by_, devicemgmt_reset_by_;
  std::uint64_t logins_ = 0;
  std::uint64_t refreshes_ = 0;
  std::optional<long> rate_limit_remaining_;
  std::optional<std::int64_t> last_rate_limit_ms_;
};

}  // namespace wyze

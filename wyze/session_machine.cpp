#include "wyze/session_machine.hpp"

#include "common/utc_time.hpp"

#include <charconv>

namespace wyze {
namespace {

using common::logging::level;

std::string clock_time(std::int64_t ms) { return common::format_utc(ms, "%H:%M:%S UTC"); }

bool renewable(failure kind) { return kind == failure::token_expired || kind == failure::refresh_refused; }

}  // namespace

std::string endpoint_name(std::string_view path) {
  // The device-management API has a run_action of its own: counted apart from the /app one.
  std::string name(path.substr(path.rfind('/') + 1));
  return path.starts_with("/device-management/") && name == "run_action" ? "devicemgmt_" + name : name;
}

session_machine::session_machine(session initial, std::int64_t now_ms, auth_mode auth, fingerprint_function fingerprint,
                                 persist_function persist, common::logging::sink log)
    : session_(std::move(initial)),
      auth_(auth),
      fingerprint_of_credentials_(std::move(fingerprint)),
      persist_(std::move(persist)),
      log_(std::move(log)) {
  if (auto corrected = correct_saved_times(session_, now_ms); !corrected.empty())
    this->log(level::warn, corrected + " (was the clock ahead when it was saved?)");
}

void session_machine::log(level lvl, const std::string& text) const {
  if (log_) log_(lvl, "wyze", text);
}

void session_machine::save() const {
  if (persist_) persist_(session_);
}

app_context session_machine::context(std::int64_t now_ms) const {
  return {session_.current ? session_.current->access_token : std::string(), session_.phone_id, now_ms};
}

gate session_machine::ready(std::int64_t now_ms) {
  if (now_ms < session_.paused_until_ms)
    return {gate::step::fail, error{failure::rate_limited,
                                    "waiting for Wyze's rate limit until " + clock_time(session_.paused_until_ms) +
                                        " (" + session_.pause_reason + ")",
                                    true}};
  if (session_.current && now_ms - session_.tokens_issued_ms > tokens_expire_after_ms) {
    log(level::info, "the saved tokens are too old to refresh; logging in again");
    session_.current.reset();
  }
  if (!session_.current) return {gate::step::log_in, {}};
  if (now_ms >= refresh_due_ms(session_)) {
    auto expires = token_expires_ms(session_);
    log(level::info, expires ? "the access token expires at " + clock_time(*expires) + "; refreshing it ahead of that"
                             : std::string("the access token is older than 36 h; refreshing it before it expires"));
    return {gate::step::refresh, {}};
  }
  return {gate::step::go, {}};
}

gate session_machine::events_ready(std::int64_t now_ms) const {
  if (now_ms < session_.events_paused_until_ms)
    return {gate::step::fail,
            error{failure::rate_limited,
                  "waiting for the event list's rate limit until " + clock_time(session_.events_paused_until_ms) +
                      " (" + session_.events_pause_reason + ")",
                  true}};
  if (session_.current && now_ms < refresh_due_ms(session_)) return {gate::step::go, {}};
  return {gate::step::wait, {}};
}

gate session_machine::devicemgmt_ready(std::int64_t now_ms) {
  if (now_ms < session_.devicemgmt_paused_until_ms)
    return {gate::step::fail,
            error{failure::rate_limited,
                  "waiting for the device-management API's rate limit until " +
                      clock_time(session_.devicemgmt_paused_until_ms) + " (" + session_.devicemgmt_pause_reason + ")",
                  true}};
  if (session_.current && now_ms < refresh_due_ms(session_) &&
      now_ms - session_.tokens_issued_ms <= tokens_expire_after_ms)
    return {gate::step::go, {}};
  return ready(now_ms);
}

std::string& session_machine::reset_by_of(lane which) {
  return which == lane::account ? account_reset_by_ : which == lane::events ? events_reset_by_ : devicemgmt_reset_by_;
}

const std::string& session_machine::credentials() {
  // Once per process, or again if the saved fingerprint (whose salt it reuses) changed.
  if (fingerprint_.empty() || fingerprint_of_ != session_.credentials_fingerprint) {
    fingerprint_ =
        fingerprint_of_credentials_ ? fingerprint_of_credentials_(session_.credentials_fingerprint) : std::string();
    fingerprint_of_ = session_.credentials_fingerprint;
  }
  return fingerprint_;
}

std::optional<error> session_machine::start_login(std::int64_t now_ms) {
  // The fingerprint is slow on purpose: it is needed only after refused credentials.
  std::string fingerprint = session_.credentials_refused ? credentials() : std::string();
  if (std::int64_t allowed = next_login_allowed_ms(session_, fingerprint); now_ms < allowed) {
    std::string why = session_.credentials_refused && session_.credentials_fingerprint == fingerprint
                          ? "the last login was refused for its credentials; fixed credentials are tried within 30 s"
                          : "logins are spaced out so the account is never locked";
    return error{failure::login_postponed, "not logging in before " + clock_time(allowed) + ": " + why};
  }
  ++logins_;
  session_.last_login_ms = now_ms;
  session_.current.reset();
  save();
  log(level::info,
      std::string("logging in to the Wyze cloud (") + (auth_ == auth_mode::api_key ? "API key" : "legacy") + " login)");
  return std::nullopt;
}

result<done> session_machine::login_answered(result<tokens> outcome, std::int64_t now_ms) {
  if (!outcome) {
    ++session_.login_failures;
    if (outcome.error().kind == failure::credentials) {
      session_.credentials_refused = true;
      session_.credentials_fingerprint = credentials();
      fingerprint_of_ = session_.credentials_fingerprint;  // its own salt: the same fingerprint
    }
    save();
    return outcome.error();
  }
  session_.current = std::move(outcome.value());
  session_.tokens_issued_ms = now_ms;
  session_.login_failures = 0;
  session_.credentials_refused = false;
  save();
  log(level::info, "logged in");
  return done{};
}

gate session_machine::refresh_answered(result<tokens> outcome, std::int64_t now_ms) {
  if (outcome) {
    session_.current = std::move(outcome.value());
    session_.tokens_issued_ms = now_ms;
    save();
    log(level::info, "access token refreshed");
    return {gate::step::go, {}};
  }
  if (outcome.error().kind != failure::refresh_refused) return {gate::step::fail, outcome.error()};
  // The refresh token was refused too: log in again.
  log(level::warn, outcome.error().message + "; logging in again");
  session_.current.reset();
  save();
  return {gate::step::log_in, {}};
}

bool session_machine::extend_pause(lane which, std::int64_t until_ms, std::string reason, std::int64_t now_ms) {
  auto& paused_until = which == lane::account  ? session_.paused_until_ms
                       : which == lane::events ? session_.events_paused_until_ms
                                               : session_.devicemgmt_paused_until_ms;
  auto& pause_reason = which == lane::account  ? session_.pause_reason
                       : which == lane::events ? session_.events_pause_reason
                                               : session_.devicemgmt_pause_reason;
  // A header far in the future (Reset-By in the year 9999) must not stop the bridge for good.
  if (std::int64_t longest = now_ms + max_pause_ms; until_ms > longest) {
    until_ms = longest;
    reason += " (Wyze asked for longer; 24 h at most)";
  }
  if (until_ms <= paused_until) return false;
  paused_until = until_ms;
  pause_reason = std::move(reason);
  save();
  return true;
}

void session_machine::pause(lane which, std::optional<std::int64_t> reset_by, std::string reason, std::int64_t now_ms) {
  last_rate_limit_ms_ = now_ms;
  if (!extend_pause(which, reset_by.value_or(now_ms + rate_limit_backoff_ms), std::move(reason), now_ms)) return;
  if (which == lane::account)
    log(level::warn, session_.pause_reason + "; no calls to the cloud before " + clock_time(session_.paused_until_ms));
  else if (which == lane::events)
    log(level::warn, session_.events_pause_reason + "; no event-list calls before " +
                         clock_time(session_.events_paused_until_ms) + " (the device list is polled as usual)");
  else
    log(level::warn, session_.devicemgmt_pause_reason + "; no device-management calls before " +
                         clock_time(session_.devicemgmt_paused_until_ms) + " (the other cameras go on as usual)");
}

// X-RateLimit-Remaining close to zero: stop until X-RateLimit-Reset-By.
void session_machine::answered(lane which, std::int64_t now_ms, std::string_view remaining, std::string_view reset_by) {
  reset_by_of(which) = std::string(reset_by);
  long left = 0;
  auto [end, ec] = std::from_chars(remaining.data(), remaining.data() + remaining.size(), left);
  bool number = !remaining.empty() && ec == std::errc{};
  if (number && which == lane::account) rate_limit_remaining_ = left;
  if (!number || left > pause_at_remaining) return;
  std::string what = which == lane::account  ? "Wyze's rate limit"
                     : which == lane::events ? "the event list's rate limit"
                                             : "the device-management API's rate limit";
  pause(which, parse_reset_by(reset_by), what + " is almost used up (" + std::to_string(left) + " calls left)", now_ms);
}

std::pair<error, renewal> session_machine::failed(lane which, std::string_view path, error failure, int status,
                                                  bool may_renew, std::string_view token_used, std::int64_t now_ms) {
  if (failure.kind == failure::rate_limited) {
    if (which == lane::account) {
      pause(which, parse_reset_by(account_reset_by_), "Wyze's rate limit was hit", now_ms);
    } else if (status != 0 && which == lane::events) {
      failure.message = "Wyze's rate limit was hit on the event list (" +
                        std::string(status == 429 ? "HTTP 429" : "code 1011") +
                        "); raise events.interval if this repeats";
      pause(which, parse_reset_by(events_reset_by_), "Wyze's rate limit was hit on the event list", now_ms);
    } else if (status != 0) {
      failure.message = "Wyze's rate limit was hit on the device-management API (" +
                        std::string(status == 429 ? "HTTP 429" : "its answer said so") +
                        "); raise wyze.property_interval if this repeats";
      pause(which, parse_reset_by(devicemgmt_reset_by_), "Wyze's rate limit was hit on the device-management API",
            now_ms);
    }
  }
  if (!renewable(failure.kind) || !may_renew) {
    failure.message = endpoint_name(path) + ": " + failure.message;
    return {std::move(failure), renewal::none};
  }
  if (session_.current && session_.current->access_token != token_used) return {std::move(failure), renewal::resend};
  log(level::info, failure.message + "; renewing the token");
  return {std::move(failure), renewal::renew};
}

renew_step session_machine::renew_for(failure kind, std::string_view token_used) {
  if (session_.current && session_.current->access_token != token_used) return renew_step::resend;
  // After a 2002 (the refresh token refused) the bridge logs in; after a 2001 it refreshes.
  if (kind == failure::refresh_refused) {
    session_.current.reset();
    return renew_step::log_in;
  }
  return renew_step::refresh;
}

}  // namespace wyze

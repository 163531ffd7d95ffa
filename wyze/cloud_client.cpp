#include "wyze/cloud_client.hpp"

#include "common/log.hpp"
#include "common/utc_time.hpp"
#include "wyze/device_list_stream.hpp"
#include "wyze/password.hpp"
#include "wyze/totp.hpp"

#include <charconv>
#include <ctime>

namespace wyze {
namespace {

// Wyze publishes no limits; docker-wyze-bridge pauses at 10 remaining calls, and so do we.
constexpr long pause_at_remaining = 10;
constexpr std::int64_t rate_limit_backoff_ms = std::int64_t{5} * 60 * 1000;

std::string endpoint_name(std::string_view path) { return std::string(path.substr(path.rfind('/') + 1)); }

std::string clock_time(std::int64_t ms) { return common::format_utc(ms, "%H:%M:%S UTC"); }

bool renewable(failure kind) { return kind == failure::token_expired || kind == failure::refresh_refused; }

}  // namespace

cloud_client::cloud_client(http_transport& transport, account_settings settings, now_ms_function now_ms,
                           session initial, persist_function persist)
    : transport_(transport),
      settings_(std::move(settings)),
      now_ms_(std::move(now_ms)),
      session_(std::move(initial)),
      persist_(std::move(persist)) {
  if (auto corrected = correct_saved_times(session_, now_ms_()); !corrected.empty())
    LOG_AT(warn, "wyze", corrected, " (was the clock ahead when it was saved?)");
  while (!settings_.auth_url.empty() && settings_.auth_url.back() == '/') settings_.auth_url.pop_back();
  while (!settings_.api_url.empty() && settings_.api_url.back() == '/') settings_.api_url.pop_back();
  while (!settings_.events_url.empty() && settings_.events_url.back() == '/') settings_.events_url.pop_back();
}

app_context cloud_client::context() const {
  return {session_.current ? session_.current->access_token : std::string(), session_.phone_id, now_ms_()};
}

void cloud_client::save() const {
  if (persist_) persist_(session_);
}

void cloud_client::post(std::string_view base, std::string_view path, std::string body,
                        std::vector<std::pair<std::string, std::string>> headers, http_handler done,
                        std::shared_ptr<body_sink> sink) {
  http_request request;
  request.sink = std::move(sink);
  request.url = std::string(base) + std::string(path);
  request.body = std::move(body);
  request.headers = std::move(headers);
  LOG_AT(debug, "wyze", "POST ", path);
  auto name = endpoint_name(path);
  if (auto counted = requests_.find(name); counted != requests_.end())
    ++counted->second;
  else
    requests_.emplace(std::move(name), 1);
  transport_.send(std::move(request), [this, done = std::move(done)](result<http_response> answer) {
    if (answer) watch_rate_limit(answer.value());
    done(std::move(answer));
  });
}

bool cloud_client::extend_pause(std::int64_t& paused_until, std::string& pause_reason, std::int64_t until_ms,
                                std::string reason) {
  // A header far in the future (Reset-By in the year 9999) must not stop the bridge for good.
  if (std::int64_t longest = now_ms_() + max_pause_ms; until_ms > longest) {
    until_ms = longest;
    reason += " (Wyze asked for longer; 24 h at most)";
  }
  if (until_ms <= paused_until) return false;
  paused_until = until_ms;
  pause_reason = std::move(reason);
  save();
  return true;
}

void cloud_client::pause(std::int64_t until_ms, std::string reason) {
  if (extend_pause(session_.paused_until_ms, session_.pause_reason, until_ms, std::move(reason)))
    LOG_AT(warn, "wyze", session_.pause_reason, "; no calls to the cloud before ",
           clock_time(session_.paused_until_ms));
}

// X-RateLimit-Remaining close to zero: stop until X-RateLimit-Reset-By.
void cloud_client::watch_rate_limit(const http_response& answer) {
  pending_reset_by_ = answer.rate_limit_reset_by;
  long remaining = 0;
  const auto& text = answer.rate_limit_remaining;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), remaining);
  if (text.empty() || ec != std::errc{} || remaining > pause_at_remaining) return;
  auto reset = parse_reset_by(answer.rate_limit_reset_by);
  pause(reset.value_or(now_ms_() + rate_limit_backoff_ms),
        "Wyze's rate limit is almost used up (" + std::to_string(remaining) + " calls left)");
}

// Prefixes an error with the endpoint it came from, and backs off when Wyze asked to.
error cloud_client::noted(std::string_view path, error failed) {
  if (failed.kind == failure::rate_limited) {
    auto reset = parse_reset_by(pending_reset_by_);
    pause(reset.value_or(now_ms_() + rate_limit_backoff_ms), "Wyze's rate limit was hit");
  }
  failed.message = endpoint_name(path) + ": " + failed.message;
  return failed;
}

void cloud_client::serialized(operation op) {
  queue_.push_back(std::move(op));
  if (!busy_ && !starting_) start_queued();
}

// A loop rather than recursion: operations that finish at once (e.g. during a rate-limit pause)
// do not stack up.
void cloud_client::start_queued() {
  starting_ = true;
  while (!busy_ && !queue_.empty()) {
    busy_ = true;
    auto op = std::move(queue_.front());
    queue_.pop_front();
    op([this] {
      busy_ = false;
      if (!starting_) start_queued();
    });
  }
  starting_ = false;
}

error cloud_client::paused_error() const {
  return error{failure::rate_limited, "waiting for Wyze's rate limit until " + clock_time(session_.paused_until_ms) +
                                          " (" + session_.pause_reason + ")"};
}

void cloud_client::with_session(const std::function<void(result<done>, bool may_renew)>& next) {
  std::int64_t now = now_ms_();
  if (now < session_.paused_until_ms) return next(paused_error(), false);
  if (session_.current && now - session_.tokens_issued_ms > tokens_expire_after_ms) {
    LOG_AT(info, "wyze", "the saved tokens are too old to refresh; logging in again");
    session_.current.reset();
  }
  if (!session_.current) return login([next](const result<done>& logged_in) { next(logged_in, false); });
  if (now - session_.tokens_issued_ms > refresh_after_ms) {
    LOG_AT(info, "wyze", "the access token is older than 36 h; refreshing it before it expires");
    return renew_token([next](const result<done>& renewed) { next(renewed, false); });
  }
  next(done{}, true);
}

void cloud_client::fetch_cameras(std::function<void(result<device_list>)> done) {
  serialized([this, done = std::move(done)](std::function<void()> finished) mutable {
    list_done finish = [done = std::move(done), finished = std::move(finished)](result<device_list> list) {
      done(std::move(list));
      finished();
    };
    with_session([this, finish](const result<wyze::done>& ready, bool may_renew) {
      if (!ready) return finish(ready.error());
      request_list(may_renew, finish);
    });
  });
}

void cloud_client::run_command(camera_command command, std::function<void(result<done>)> done) {
  auto shared = std::make_shared<camera_command>(std::move(command));
  serialized([this, shared, done = std::move(done)](std::function<void()> finished) mutable {
    step_done finish = [done = std::move(done), finished = std::move(finished)](result<wyze::done> outcome) {
      done(std::move(outcome));
      finished();
    };
    with_session([this, shared, finish](const result<wyze::done>& ready, bool may_renew) {
      if (!ready) return finish(ready.error());
      run_calls(shared, 0, may_renew, finish);
    });
  });
}

void cloud_client::run_calls(const std::shared_ptr<camera_command>& command, std::size_t next, bool may_renew_token,
                             std::function<void(result<done>)> finished) {
  const auto& c = *command;
  if (!c.action.empty())
    return control_call(
        paths::run_action,
        [command](const app_context& context) {
          return run_action_body(context, command->mac, command->model, command->action);
        },
        may_renew_token, std::move(finished));
  if (next >= c.properties.size()) return finished(done{});
  control_call(
      paths::set_property,
      [command, next](const app_context& context) {
        const auto& [pid, value] = command->properties[next];
        return set_property_body(context, command->mac, command->model, pid, value);
      },
      may_renew_token,
      [this, command, next, may_renew_token, finished = std::move(finished)](result<done> outcome) mutable {
        if (!outcome) return finished(std::move(outcome));
        run_calls(command, next + 1, may_renew_token, std::move(finished));
      });
}

void cloud_client::control_call(std::string_view path, std::function<std::string(const app_context&)> body,
                                bool may_renew_token, std::function<void(result<done>)> finished) {
  // A pause that began with the answer to an earlier call of the same command stops it too.
  if (now_ms_() < session_.paused_until_ms) return finished(paused_error());
  auto text = body(context());
  post(settings_.api_url, path, std::move(text), {},
       [this, path, body = std::move(body), may_renew_token,
        finished = std::move(finished)](result<http_response> answer) mutable {
         if (!answer) return finished(noted(path, answer.error()));
         auto parsed = parse_control_answer(answer.value().status, answer.value().body);
         if (parsed) return finished(std::move(parsed));
         if (!renewable(parsed.error().kind) || !may_renew_token) return finished(noted(path, parsed.error()));
         LOG_AT(info, "wyze", parsed.error().message, "; renewing the token");
         renew_after(parsed.error().kind, [this, path, body, finished](const result<done>& renewed) mutable {
           if (!renewed) return finished(renewed.error());
           control_call(path, std::move(body), false, std::move(finished));
         });
       });
}

void cloud_client::login(step_done next) {
  std::int64_t now = now_ms_();
  bool api_key = settings_.auth == auth_mode::api_key;
  // The fingerprint is slow on purpose: it is needed only after refused credentials.
  std::string fingerprint = session_.credentials_refused ? credentials() : std::string();
  if (std::int64_t allowed = next_login_allowed_ms(session_, fingerprint); now < allowed) {
    std::string why = session_.credentials_refused && session_.credentials_fingerprint == fingerprint
                          ? "the last login was refused for its credentials; fixed credentials are tried within 30 s"
                          : "logins are spaced out so the account is never locked";
    return next(error{failure::login_postponed, "not logging in before " + clock_time(allowed) + ": " + why});
  }
  ++logins_;
  session_.last_login_ms = now;
  session_.current.reset();
  save();
  auto path = api_key ? paths::api_key_login : paths::legacy_login;
  std::string hashed = hash_password(settings_.password, api_key ? api_key_login_rounds : legacy_login_rounds);
  std::string body =
      api_key ? api_key_login_body(settings_.email, hashed) : legacy_login_body(settings_.email, hashed, context());
  std::vector<std::pair<std::string, std::string>> headers;
  if (api_key) headers = {{"Keyid", settings_.key_id}, {"Apikey", settings_.api_key}};
  LOG_AT(info, "wyze", "logging in to the Wyze cloud (", api_key ? "API key" : "legacy", " login)");
  post(api_key ? settings_.auth_url : settings_.api_url, path, std::move(body), headers,
       [this, api_key, path, hashed, headers, next = std::move(next)](result<http_response> answer) mutable {
         if (!answer) return finish_login(noted(path, answer.error()), next);
         auto challenge = api_key ? totp_challenge(answer.value().body) : std::nullopt;
         if (!challenge || settings_.totp_key.empty()) {
           auto parsed = api_key ? parse_api_key_login(answer.value().status, answer.value().body)
                                 : parse_token_envelope(answer.value().status, answer.value().body);
           if (!parsed) return finish_login(noted(path, parsed.error()), next);
           return finish_login(std::move(parsed.value()), next);
         }
         // The account asks for a second factor: answer with the current TOTP code.
         auto key = base32_decode(settings_.totp_key);
         std::string code = key ? totp_code(*key, now_ms_() / 1000) : std::string();
         LOG_AT(info, "wyze", "answering the login's MFA challenge with a TOTP code");
         post(settings_.auth_url, path, api_key_mfa_body(settings_.email, hashed, *challenge, code), headers,
              [this, path, next = std::move(next)](result<http_response> mfa) mutable {
                if (!mfa) return finish_login(noted(path, mfa.error()), next);
                auto parsed = parse_api_key_login(mfa.value().status, mfa.value().body);
                if (!parsed && totp_challenge(mfa.value().body))
                  parsed = error{failure::credentials,
                                 "the TOTP code was refused: check wyze.totp_key and this machine's clock"};
                if (!parsed) return finish_login(noted(path, parsed.error()), next);
                finish_login(std::move(parsed.value()), next);
              });
       });
}

const std::string& cloud_client::credentials() {
  // Once per process, or again if the saved fingerprint (whose salt it reuses) changed.
  if (fingerprint_.empty() || fingerprint_of_ != session_.credentials_fingerprint) {
    bool api_key = settings_.auth == auth_mode::api_key;
    fingerprint_ = credentials_fingerprint(settings_.email, settings_.password, settings_.key_id,
                                           api_key ? settings_.api_key : "", session_.credentials_fingerprint);
    fingerprint_of_ = session_.credentials_fingerprint;
  }
  return fingerprint_;
}

void cloud_client::finish_login(result<tokens> outcome, const step_done& next) {
  if (!outcome) {
    ++session_.login_failures;
    if (outcome.error().kind == failure::credentials) {
      session_.credentials_refused = true;
      session_.credentials_fingerprint = credentials();
    }
    save();
    return next(outcome.error());
  }
  session_.current = std::move(outcome.value());
  session_.tokens_issued_ms = now_ms_();
  session_.login_failures = 0;
  session_.credentials_refused = false;
  save();
  LOG_AT(info, "wyze", "logged in");
  next(wyze::done{});
}

void cloud_client::refresh(step_done next) {
  ++refreshes_;
  std::string body = refresh_body(context(), session_.current ? session_.current->refresh_token : std::string());
  post(settings_.api_url, paths::refresh_token, std::move(body), {},
       [this, next = std::move(next)](result<http_response> answer) {
         if (!answer) return next(noted(paths::refresh_token, answer.error()));
         auto parsed = parse_token_envelope(answer.value().status, answer.value().body);
         if (!parsed) return next(noted(paths::refresh_token, parsed.error()));
         session_.current = std::move(parsed.value());
         session_.tokens_issued_ms = now_ms_();
         save();
         LOG_AT(info, "wyze", "access token refreshed");
         next(wyze::done{});
       });
}

// Refresh the access token; when the refresh token is refused too, log in again.
void cloud_client::renew_token(step_done next) {
  refresh([this, next = std::move(next)](result<done> refreshed) mutable {
    if (refreshed || refreshed.error().kind != failure::refresh_refused) return next(std::move(refreshed));
    LOG_AT(warn, "wyze", refreshed.error().message, "; logging in again");
    session_.current.reset();
    save();
    login(std::move(next));
  });
}

// After a 2001 the token is refreshed; after a 2002 (the refresh token refused) the bridge logs in.
void cloud_client::renew_after(failure kind, step_done retry) {
  if (kind == failure::refresh_refused) {
    session_.current.reset();
    return login(std::move(retry));
  }
  renew_token(std::move(retry));
}

void cloud_client::request_list(bool may_renew_token, list_done finished) {
  auto path = settings_.auth == auth_mode::api_key ? paths::object_list : paths::legacy_device_list;
  // Parsed while it is read: a 10,000-camera list never sits in memory whole.
  auto stream = std::make_shared<device_list_stream>(settings_.thumbnails);
  post(
      settings_.api_url, path, device_list_body(settings_.auth, context()), {},
      [this, path, may_renew_token, stream, finished = std::move(finished)](result<http_response> answer) mutable {
        if (!answer) return finished(noted(path, answer.error()));
        auto list = stream->take(answer.value().status);
        if (list) return finished(std::move(list));
        if (!renewable(list.error().kind) || !may_renew_token) return finished(noted(path, list.error()));
        LOG_AT(info, "wyze", list.error().message, "; renewing the token");
        renew_after(list.error().kind, [this, finished = std::move(finished)](const result<done>& renewed) mutable {
          if (!renewed) return finished(renewed.error());
          request_list(false, std::move(finished));
        });
      },
      stream);
}

std::string_view image_type(std::string_view bytes) {
  if (bytes.starts_with("\xFF\xD8\xFF")) return "image/jpeg";
  if (bytes.starts_with("\x89PNG\r\n\x1A\n")) return "image/png";
  return {};
}

error cloud_client::events_paused_error() const {
  return error{failure::rate_limited,
               "waiting for the event list's rate limit until " + clock_time(session_.events_paused_until_ms) + " (" +
                   session_.events_pause_reason + ")",
               true};
}

void cloud_client::pause_events(std::int64_t until_ms, std::string reason) {
  if (extend_pause(session_.events_paused_until_ms, session_.events_pause_reason, until_ms, std::move(reason)))
    LOG_AT(warn, "wyze", session_.events_pause_reason, "; no event-list calls before ",
           clock_time(session_.events_paused_until_ms), " (the device list is polled as usual)");
}

void cloud_client::fetch_events(event_query query, std::function<void(result<event_list>)> done) {
  std::int64_t now = now_ms_();
  if (now < session_.events_paused_until_ms) return done(events_paused_error());
  // With a usable token the call goes out at once, beside a device-list fetch that may be running.
  if (session_.current && now - session_.tokens_issued_ms <= refresh_after_ms)
    return request_events(std::move(query), true, std::move(done));
  serialized([this, query = std::move(query), done = std::move(done)](std::function<void()> finished) mutable {
    auto finish = [done = std::move(done), finished = std::move(finished)](result<event_list> list) {
      done(std::move(list));
      finished();
    };
    with_session([this, query, finish](const result<wyze::done>& ready, bool may_renew) {
      if (!ready) return finish(ready.error());
      request_events(query, may_renew, finish);
    });
  });
}

void cloud_client::request_events(event_query query, bool may_renew_token,
                                  std::function<void(result<event_list>)> done) {
  const std::string token = session_.current ? session_.current->access_token : std::string();
  query.nonce = now_ms_();
  std::string body = event_list_body(query);
  std::vector<std::pair<std::string, std::string>> headers{{"access_token", token},
                                                           {"appid", std::string(event_app_id)},
                                                           {"appinfo", std::string(event_app_info)},
                                                           {"appversion", std::string(event_app_version)},
                                                           {"phoneid", session_.phone_id},
                                                           {"env", "prod"},
                                                           {"signature2", event_signature(token, body)}};
  auto path = paths::event_list_v4;
  // The event list's rate-limit headers concern its own host: they pause the event poll only.
  http_request request;
  request.url = settings_.events_url + std::string(path);
  request.body = std::move(body);
  request.headers = std::move(headers);
  LOG_AT(debug, "wyze", "POST ", path);
  ++requests_[endpoint_name(path)];
  transport_.send(std::move(request), [this, path, token, query, may_renew_token,
                                       done = std::move(done)](result<http_response> answer) mutable {
    if (!answer) return done(error{answer.error().kind, endpoint_name(path) + ": " + answer.error().message});
    const auto& a = answer.value();
    long remaining = 0;
    auto [end, ec] = std::from_chars(a.rate_limit_remaining.data(),
                                     a.rate_limit_remaining.data() + a.rate_limit_remaining.size(), remaining);
    if (!a.rate_limit_remaining.empty() && ec == std::errc{} && remaining <= pause_at_remaining)
      pause_events(parse_reset_by(a.rate_limit_reset_by).value_or(now_ms_() + rate_limit_backoff_ms),
                   "the event list's rate limit is almost used up (" + std::to_string(remaining) + " calls left)");
    auto list = parse_event_list(a.status, a.body);
    if (list) return done(std::move(list));
    auto failed = list.error();
    if (failed.kind == failure::rate_limited) {
      failed.message = "Wyze's rate limit was hit on the event list (" +
                       std::string(a.status == 429 ? "HTTP 429" : "code 1011") +
                       "); raise events.interval if this repeats";
      pause_events(parse_reset_by(a.rate_limit_reset_by).value_or(now_ms_() + rate_limit_backoff_ms),
                   "Wyze's rate limit was hit on the event list");
    }
    if (!renewable(failed.kind) || !may_renew_token)
      return done(error{failed.kind, endpoint_name(path) + ": " + failed.message});
    // Another operation may have renewed the token since this call left: retry with the new one.
    if (session_.current && session_.current->access_token != token)
      return request_events(std::move(query), false, std::move(done));
    LOG_AT(info, "wyze", failed.message, "; renewing the token");
    serialized([this, kind = failed.kind, token, query = std::move(query),
                done = std::move(done)](std::function<void()> finished) mutable {
      auto finish = [done = std::move(done), finished = std::move(finished)](result<event_list> list) {
        done(std::move(list));
        finished();
      };
      if (session_.current && session_.current->access_token != token)
        return request_events(std::move(query), false, finish);
      renew_after(kind, [this, query, finish](const result<wyze::done>& renewed) {
        if (!renewed) return finish(renewed.error());
        request_events(query, false, finish);
      });
    });
  });
}

void cloud_client::download_picture(std::string url, std::size_t max_bytes, std::function<void(result<picture>)> done) {
  http_request request;
  request.method = "GET";
  request.url = std::move(url);
  request.max_body = max_bytes;
  request.headers = {{"Accept", "image/jpeg, image/png"}};
  LOG_AT(debug, "wyze", "GET a picture (signed URL not shown)");
  transport_.send(std::move(request), [done = std::move(done)](result<http_response> answer) {
    if (!answer) return done(answer.error());
    auto& a = answer.value();
    if (a.status / 100 == 3)
      return done(error{failure::http_status, "the picture server answered HTTP " + std::to_string(a.status) +
                                                  " (a redirect); redirects are not followed"});
    if (a.status != 200)
      return done(error{failure::http_status, "the picture server answered HTTP " + std::to_string(a.status) +
                                                  " (signed picture URLs expire after about 20 minutes)"});
    auto type = image_type(a.body);
    if (type.empty())
      return done(error{failure::bad_response, "the picture is neither a JPEG nor a PNG (by its first bytes, " +
                                                   std::to_string(a.body.size()) + " bytes)"});
    done(picture{std::move(a.body), std::string(type)});
  });
}

}  // namespace wyze

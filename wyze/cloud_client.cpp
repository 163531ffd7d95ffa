#include "wyze/cloud_client.hpp"

#include "wyze/device_list_stream.hpp"
#include "wyze/password.hpp"
#include "wyze/totp.hpp"

namespace wyze {
namespace {

using common::logging::level;

void trim_slashes(std::string& url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
}

}  // namespace

cloud_client::cloud_client(http_transport& transport, account_settings settings, now_ms_function now_ms,
                           session initial, persist_function persist, common::logging::sink log)
    : transport_(transport),
      settings_(std::move(settings)),
      now_ms_(std::move(now_ms)),
      log_(std::move(log)),
      machine_(
          std::move(initial), now_ms_(), settings_.auth,
          [this](std::string_view like) {
            bool api_key = settings_.auth == auth_mode::api_key;
            return credentials_fingerprint(settings_.email, settings_.password, settings_.key_id,
                                           api_key ? settings_.api_key : "", like);
          },
          std::move(persist), log_) {
  trim_slashes(settings_.auth_url);
  trim_slashes(settings_.api_url);
  trim_slashes(settings_.events_url);
  trim_slashes(settings_.devicemgmt_url);
  trim_slashes(settings_.toggle_url);
}

void cloud_client::log(level lvl, const std::string& text) const {
  if (log_) log_(lvl, "wyze", text);
}

http_request cloud_client::request_to(std::string_view base, std::string_view path, std::string body,
                                      std::vector<std::pair<std::string, std::string>> headers) const {
  http_request request;
  request.url = std::string(base) + std::string(path);
  request.body = std::move(body);
  request.headers = std::move(headers);
  return request;
}

// Every request to the cloud: counted by endpoint and in the budget, its rate-limit headers read by
// the session.
void cloud_client::send(lane which, std::string_view path, http_request request, http_handler done) {
  log(level::debug, request.method + " " + std::string(path));
  ++requests_[endpoint_name(path)];
  calls_.count(kind_of(path), now_ms_());
  transport_.send(std::move(request), [this, which, done = std::move(done)](result<http_response> answer) {
    if (answer)
      machine_.answered(which, now_ms_(), answer.value().rate_limit_remaining, answer.value().rate_limit_reset_by);
    done(std::move(answer));
  });
}

cloud_budget cloud_client::budget(std::int64_t now_ms) const {
  cloud_budget out;
  out.last_hour = calls_.last_hour(now_ms);
  out.rate_limit_remaining = machine_.rate_limit_remaining();
  out.last_rate_limit_ms = machine_.last_rate_limit_ms();
  const auto& s = machine_.state();
  if (s.paused_until_ms > now_ms)
    out.paused_until_ms = s.paused_until_ms;
  else if (s.events_paused_until_ms > now_ms)
    out.paused_until_ms = s.events_paused_until_ms;
  else if (s.devicemgmt_paused_until_ms > now_ms)
    out.paused_until_ms = s.devicemgmt_paused_until_ms;
  return out;
}

error cloud_client::given_up(lane which, std::string_view path, error failed, int status) {
  return machine_.failed(which, path, std::move(failed), status, false, {}, now_ms_()).first;
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

void cloud_client::with_session(lane which, const std::function<void(result<done>, bool may_renew)>& next) {
  auto ready = which == lane::devicemgmt ? machine_.devicemgmt_ready(now_ms_()) : machine_.ready(now_ms_());
  switch (ready.next) {
    case gate::step::fail:
      return next(std::move(ready.why), false);
    case gate::step::log_in:
      return login([next](const result<done>& logged_in) { next(logged_in, false); });
    case gate::step::refresh:
      return refresh([next](const result<done>& renewed) { next(renewed, false); });
    case gate::step::go:
    case gate::step::wait:
      break;
  }
  next(done{}, true);
}

template <class T>
void cloud_client::in_line(std::shared_ptr<const plan<T>> make, std::function<void(result<T>)> done, lane which) {
  serialized([this, which, make = std::move(make), done = std::move(done)](std::function<void()> finished) mutable {
    std::function<void(result<T>)> finish = [done = std::move(done),
                                             finished = std::move(finished)](result<T> outcome) {
      done(std::move(outcome));
      finished();
    };
    with_session(which, [this, make, finish](const result<wyze::done>& ready, bool may_renew) {
      if (!ready) return finish(ready.error());
      call<T>(make, may_renew, true, finish);
    });
  });
}

template <class T>
void cloud_client::call(std::shared_ptr<const plan<T>> make, bool may_renew, bool in_line,
                        std::function<void(result<T>)> done) {
  auto sending = (*make)();
  std::string token = machine_.context(0).access_token;
  auto path = sending.path;
  auto which = sending.which;
  send(which, path, std::move(sending.request),
       [this, make, may_renew, in_line, token, path, which, read = std::move(sending.read),
        done = std::move(done)](result<http_response> answer) mutable {
         if (!answer) return done(given_up(which, path, answer.error(), 0));
         auto outcome = read(answer.value());
         if (outcome) return done(std::move(outcome));
         auto kind = outcome.error().kind;
         auto [failed, then] = machine_.failed(which, path, outcome.error(), static_cast<int>(answer.value().status),
                                               may_renew, token, now_ms_());
         if (then == renewal::none) return done(std::move(failed));
         if (then == renewal::resend) return call<T>(make, false, in_line, std::move(done));
         auto renew_and_resend = [this, make, kind, token, done = std::move(done)](bool queued,
                                                                                   std::function<void()> finished) {
           std::function<void(result<T>)> finish = [done, finished = std::move(finished)](result<T> outcome) {
             done(std::move(outcome));
             if (finished) finished();
           };
           renew(kind, token, [this, make, queued, finish](const result<wyze::done>& renewed) {
             if (!renewed) return finish(renewed.error());
             call<T>(make, false, queued, finish);
           });
         };
         // Renewals are never concurrent: outside the queue (the event list) the renewal waits in line.
         if (in_line) return renew_and_resend(true, nullptr);
         serialized([renew_and_resend = std::move(renew_and_resend)](std::function<void()> finished) mutable {
           renew_and_resend(true, std::move(finished));
         });
       });
}

void cloud_client::renew(failure kind, const std::string& token_used, step_done next) {
  switch (machine_.renew_for(kind, token_used)) {
    case renew_step::resend:
      return next(done{});
    case renew_step::log_in:
      return login(std::move(next));
    case renew_step::refresh:
      return refresh(std::move(next));
  }
}

void cloud_client::fetch_cameras(std::function<void(result<device_list>)> done) {
  auto make = std::make_shared<const plan<device_list>>([this] {
    auto path = settings_.auth == auth_mode::api_key ? paths::object_list : paths::legacy_device_list;
    attempt<device_list> sending{
        lane::account,
        path,
        request_to(settings_.api_url, path, device_list_body(settings_.auth, machine_.context(now_ms_()))),
        {}};
    // Parsed while it is read: a 10,000-camera list never sits in memory whole.
    auto stream = std::make_shared<device_list_stream>(settings_.thumbnails);
    sending.request.sink = stream;
    sending.read = [stream](http_response& answer) { return stream->take(answer.status); };
    return sending;
  });
  in_line<device_list>(std::move(make), std::move(done));
}

void cloud_client::run_command(camera_command command, std::function<void(result<done>)> done) {
  auto shared = std::make_shared<camera_command>(std::move(command));
  serialized([this, shared, done = std::move(done)](std::function<void()> finished) mutable {
    step_done finish = [done = std::move(done), finished = std::move(finished)](result<wyze::done> outcome) {
      done(std::move(outcome));
      finished();
    };
    with_session(shared->via == api::app ? lane::account : lane::devicemgmt,
                 [this, shared, finish](const result<wyze::done>& ready, bool may_renew) {
                   if (!ready) return finish(ready.error());
                   run_calls(shared, 0, may_renew, finish);
                 });
  });
}

// A command's calls in order (one run_action, or set_property per pid), stopping at the first
// failure; each may renew the token once.
void cloud_client::run_calls(const std::shared_ptr<camera_command>& command, std::size_t next, bool may_renew_token,
                             std::function<void(result<done>)> finished) {
  const auto& c = *command;
  if (c.via == api::toggle && toggle_body({c.mac, c.model, c.capability, c.action, 0}).empty())
    return finished(error{failure::rejected,
                          "the toggle API cannot be signed for this camera (its MAC or model has "
                          "characters other than letters, digits and _-:.); nothing was sent"});
  if (c.via != api::app)
    return call<done>(std::make_shared<const plan<done>>([this, command] { return newer_api_call(*command); }),
                      may_renew_token, true, std::move(finished));
  if (c.action.empty() && next >= c.properties.size()) return finished(done{});
  auto make = std::make_shared<const plan<done>>([this, command, next] {
    const auto& cmd = *command;
    auto context = machine_.context(now_ms_());
    std::string_view path = !cmd.action.empty() ? paths::run_action
                            : cmd.as_list       ? paths::set_property_list
                                                : paths::set_property;
    std::string body = !cmd.action.empty() ? run_action_body(context, cmd.mac, cmd.model, cmd.action)
                       : cmd.as_list       ? set_property_list_body(context, cmd.mac, cmd.model, cmd.properties)
                                           : set_property_body(context, cmd.mac, cmd.model, cmd.properties[next].first,
                                                               cmd.properties[next].second);
    return attempt<done>{lane::account, path, request_to(settings_.api_url, path, std::move(body)),
                         [](http_response& answer) { return parse_control_answer(answer.status, answer.body); }};
  });
  if (!c.action.empty() || c.as_list) return call<done>(std::move(make), may_renew_token, true, std::move(finished));
  call<done>(std::move(make), may_renew_token, true,
             [this, command, next, may_renew_token, finished = std::move(finished)](result<done> outcome) mutable {
               if (!outcome) return finished(std::move(outcome));
               run_calls(command, next + 1, may_renew_token, std::move(finished));
             });
}

cloud_client::attempt<done> cloud_client::newer_api_call(const camera_command& cmd) {
  auto context = machine_.context(now_ms_());
  if (cmd.via == api::devicemgmt) {
    auto path = paths::devicemgmt_action;
    return {lane::devicemgmt, path,
            request_to(settings_.devicemgmt_url, path,
                       devicemgmt_action_body(cmd.mac, cmd.model, cmd.capability, cmd.action, context.ts_ms),
                       {{"authorization", context.access_token}}),
            [](http_response& answer) { return parse_devicemgmt_answer(answer.status, answer.body); }};
  }
  toggle_request toggle{cmd.mac, cmd.model, cmd.capability, cmd.action, context.ts_ms};
  auto path = paths::toggle;
  auto request = request_to(settings_.toggle_url, path, toggle_body(toggle),
                            {{"access_token", context.access_token},
                             {"timestamp", std::to_string(context.ts_ms)},
                             {"appid", std::string(event_app_id)},
                             {"source", std::string(toggle_source)},
                             {"signature2", toggle_signature(context.access_token, toggle)},
                             {"appplatform", std::string(toggle_platform)},
                             {"appversion", std::string(toggle_app_version)},
                             {"requestid", std::string(toggle_request_id)}});
  request.method = "PUT";
  return {lane::devicemgmt, path, std::move(request),
          [](http_response& answer) { return parse_toggle_answer(answer.status, answer.body); }};
}

void cloud_client::read_iot_properties(property_target camera, std::function<void(result<iot_state>)> done) {
  auto make = std::make_shared<const plan<iot_state>>([this, camera = std::move(camera)] {
    auto context = machine_.context(now_ms_());
    auto path = paths::devicemgmt_properties;
    return attempt<iot_state>{
        lane::devicemgmt, path,
        request_to(settings_.devicemgmt_url, path, iot_properties_body(camera.mac, camera.model, context.ts_ms),
                   {{"authorization", context.access_token}}),
        [](http_response& answer) { return parse_iot_properties(answer.status, answer.body); }};
  });
  in_line<iot_state>(std::move(make), std::move(done), lane::devicemgmt);
}

void cloud_client::read_properties(std::vector<property_target> devices, std::vector<std::string> pids,
                                   std::function<void(result<property_values>)> done) {
  auto make = std::make_shared<const plan<property_values>>([this, devices = std::move(devices),
                                                             pids = std::move(pids)] {
    auto path = paths::device_list_properties;
    return attempt<property_values>{
        lane::account, path,
        request_to(settings_.api_url, path, device_list_properties_body(machine_.context(now_ms_()), devices, pids)),
        [](http_response& answer) { return parse_device_list_properties(answer.status, answer.body); }};
  });
  in_line<property_values>(std::move(make), std::move(done));
}

void cloud_client::login(step_done next) {
  if (auto postponed = machine_.start_login(now_ms_())) return next(std::move(*postponed));
  bool api_key = settings_.auth == auth_mode::api_key;
  auto path = api_key ? paths::api_key_login : paths::legacy_login;
  std::string hashed = hash_password(settings_.password, api_key ? api_key_login_rounds : legacy_login_rounds);
  std::string body = api_key ? api_key_login_body(settings_.email, hashed)
                             : legacy_login_body(settings_.email, hashed, machine_.context(now_ms_()));
  std::vector<std::pair<std::string, std::string>> headers;
  if (api_key) headers = {{"Keyid", settings_.key_id}, {"Apikey", settings_.api_key}};
  auto finish = [this, next = std::move(next)](result<tokens> outcome) {
    next(machine_.login_answered(std::move(outcome), now_ms_()));
  };
  send(lane::account, path,
       request_to(api_key ? settings_.auth_url : settings_.api_url, path, std::move(body), headers),
       [this, api_key, path, hashed, finish = std::move(finish)](result<http_response> answer) mutable {
         if (!answer) return finish(given_up(lane::account, path, answer.error(), 0));
         auto& a = answer.value();
         auto challenge = api_key ? totp_challenge(a.body) : std::nullopt;
         if (!challenge || settings_.totp_key.empty()) {
           auto parsed = api_key ? parse_api_key_login(a.status, a.body) : parse_legacy_login(a.status, a.body);
           if (!parsed) return finish(given_up(lane::account, path, parsed.error(), static_cast<int>(a.status)));
           return finish(std::move(parsed.value()));
         }
         // The account asks for a second factor: answer with the current TOTP code.
         auto key = base32_decode(settings_.totp_key);
         std::string code = key ? totp_code(*key, now_ms_() / 1000) : std::string();
         log(level::info, "answering the login's MFA challenge with a TOTP code");
         auto mfa_path = paths::mfa_login;
         send(lane::account, mfa_path,
              request_to(settings_.auth_url, mfa_path, api_key_mfa_body(settings_.email, hashed, *challenge, code),
                         mfa_login_headers(machine_.state().phone_id)),
              [this, path = mfa_path, finish = std::move(finish)](result<http_response> mfa) mutable {
                if (!mfa) return finish(given_up(lane::account, path, mfa.error(), 0));
                auto parsed = parse_api_key_login(mfa.value().status, mfa.value().body);
                // A refused code comes back as a new challenge, or as a refusal of the credentials.
                if (!parsed && (totp_challenge(mfa.value().body) || parsed.error().kind == failure::credentials))
                  parsed = error{failure::credentials,
                                 "the TOTP code was refused: check wyze.totp_key and this machine's clock"};
                if (!parsed)
                  return finish(given_up(lane::account, path, parsed.error(), static_cast<int>(mfa.value().status)));
                finish(std::move(parsed.value()));
              });
       });
}

// Refresh the access token; when the refresh token is refused too, log in again.
void cloud_client::refresh(step_done next) {
  machine_.start_refresh();
  auto context = machine_.context(now_ms_());
  std::string refresh_token = machine_.state().current ? machine_.state().current->refresh_token : std::string();
  auto path = paths::refresh_token;
  send(lane::account, path, request_to(settings_.api_url, path, refresh_body(context, refresh_token)),
       [this, path, next = std::move(next)](result<http_response> answer) mutable {
         result<tokens> outcome = error{};
         if (!answer)
           outcome = given_up(lane::account, path, answer.error(), 0);
         else if (auto parsed = parse_token_envelope(answer.value().status, answer.value().body); !parsed)
           outcome = given_up(lane::account, path, parsed.error(), static_cast<int>(answer.value().status));
         else
           outcome = std::move(parsed.value());
         auto then = machine_.refresh_answered(std::move(outcome), now_ms_());
         switch (then.next) {
           case gate::step::log_in:
             return login(std::move(next));
           case gate::step::fail:
             return next(std::move(then.why));
           case gate::step::go:
           case gate::step::refresh:
           case gate::step::wait:
             break;
         }
         next(done{});
       });
}

std::string_view image_type(std::string_view bytes) {
  if (bytes.starts_with("\xFF\xD8\xFF")) return "image/jpeg";
  if (bytes.starts_with("\x89PNG\r\n\x1A\n")) return "image/png";
  return {};
}

void cloud_client::fetch_events(event_query query, std::function<void(result<event_list>)> done) {
  auto make = std::make_shared<const plan<event_list>>([this, query = std::move(query)] {
    auto context = machine_.context(now_ms_());
    auto sending_query = query;
    sending_query.nonce = context.ts_ms;
    std::string body = event_list_body(sending_query);
    auto path = paths::event_list_v4;
    std::vector<std::pair<std::string, std::string>> headers{
        {"access_token", context.access_token},
        {"appid", std::string(event_app_id)},
        {"appinfo", std::string(event_app_info)},
        {"appversion", std::string(event_app_version)},
        {"phoneid", context.phone_id},
        {"env", "prod"},
        {"signature2", event_signature(context.access_token, body)}};
    return attempt<event_list>{lane::events, path, request_to(settings_.events_url, path, std::move(body), headers),
                               [](http_response& answer) { return parse_event_list(answer.status, answer.body); }};
  });
  auto ready = machine_.events_ready(now_ms_());
  if (ready.next == gate::step::fail) return done(std::move(ready.why));
  // With a usable token the call goes out at once, beside a device-list fetch that may be running.
  if (ready.next == gate::step::go) return call<event_list>(std::move(make), true, false, std::move(done));
  in_line<event_list>(std::move(make), std::move(done));
}

void cloud_client::download_picture(std::string url, std::size_t max_bytes, std::function<void(result<picture>)> done) {
  http_request request;
  request.method = "GET";
  request.url = std::move(url);
  request.max_body = max_bytes;
  request.headers = {{"Accept", "image/jpeg, image/png"}};
  log(level::debug, "GET a picture (signed URL not shown)");
  calls_.count(call_kind::pictures, now_ms_());
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

#include "wyze/cloud_client.hpp"

#include "bridge/log.hpp"
#include "wyze/password.hpp"

namespace wyze {
namespace {

std::string endpoint_name(std::string_view path) { return std::string(path.substr(path.rfind('/') + 1)); }

// Prefixes an error with the endpoint it came from, so the log line says where it failed.
error at(std::string_view path, error failed) {
  failed.message = endpoint_name(path) + ": " + failed.message;
  return failed;
}

}  // namespace

cloud_client::cloud_client(http_transport& transport, account_settings settings, now_ms_function now_ms)
    : transport_(transport), settings_(std::move(settings)), now_ms_(std::move(now_ms)) {
  while (!settings_.auth_url.empty() && settings_.auth_url.back() == '/') settings_.auth_url.pop_back();
  while (!settings_.api_url.empty() && settings_.api_url.back() == '/') settings_.api_url.pop_back();
}

app_context cloud_client::context() const {
  return {tokens_ ? tokens_->access_token : std::string(), settings_.phone_id, now_ms_()};
}

void cloud_client::post(std::string_view base, std::string_view path, std::string body,
                        std::vector<std::pair<std::string, std::string>> headers, http_handler done) {
  http_request request;
  request.url = std::string(base) + std::string(path);
  request.body = std::move(body);
  request.headers = std::move(headers);
  LOG_AT(debug, "wyze", "POST ", path);
  transport_.send(std::move(request), std::move(done));
}

void cloud_client::fetch_cameras(std::function<void(result<device_list>)> done) {
  if (tokens_) return request_list(true, std::move(done));
  login([this, done = std::move(done)](result<wyze::done> logged_in) mutable {
    if (!logged_in) return done(logged_in.error());
    request_list(false, std::move(done));
  });
}

void cloud_client::login(step_done next) {
  ++logins_;
  tokens_.reset();
  bool api_key = settings_.auth == auth_mode::api_key;
  auto path = api_key ? paths::api_key_login : paths::legacy_login;
  std::string hashed = hash_password(settings_.password, api_key ? api_key_login_rounds : legacy_login_rounds);
  std::string body =
      api_key ? api_key_login_body(settings_.email, hashed) : legacy_login_body(settings_.email, hashed, context());
  std::vector<std::pair<std::string, std::string>> headers;
  if (api_key) headers = {{"Keyid", settings_.key_id}, {"Apikey", settings_.api_key}};
  LOG_AT(info, "wyze", "logging in to the Wyze cloud (", api_key ? "API key" : "legacy", " login)");
  post(api_key ? settings_.auth_url : settings_.api_url, path, std::move(body), std::move(headers),
       [this, api_key, path, next = std::move(next)](result<http_response> answer) {
         if (!answer) return next(at(path, answer.error()));
         auto parsed = api_key ? parse_api_key_login(answer.value().status, answer.value().body)
                               : parse_token_envelope(answer.value().status, answer.value().body);
         if (!parsed) return next(at(path, parsed.error()));
         tokens_ = std::move(parsed.value());
         LOG_AT(info, "wyze", "logged in");
         next(wyze::done{});
       });
}

void cloud_client::refresh(step_done next) {
  ++refreshes_;
  std::string body = refresh_body(context(), tokens_ ? tokens_->refresh_token : std::string());
  post(settings_.api_url, paths::refresh_token, std::move(body), {},
       [this, next = std::move(next)](result<http_response> answer) {
         if (!answer) return next(at(paths::refresh_token, answer.error()));
         auto parsed = parse_token_envelope(answer.value().status, answer.value().body);
         if (!parsed) return next(at(paths::refresh_token, parsed.error()));
         tokens_ = std::move(parsed.value());
         LOG_AT(info, "wyze", "access token refreshed");
         next(wyze::done{});
       });
}

// Refresh the access token; when the refresh token is refused too, log in again.
void cloud_client::renew_token(step_done next) {
  refresh([this, next = std::move(next)](result<done> refreshed) mutable {
    if (refreshed || refreshed.error().kind != failure::refresh_refused) return next(std::move(refreshed));
    LOG_AT(warn, "wyze", refreshed.error().message, "; logging in again");
    login(std::move(next));
  });
}

void cloud_client::request_list(bool may_renew_token, list_done finished) {
  auto path = settings_.auth == auth_mode::api_key ? paths::object_list : paths::legacy_device_list;
  post(settings_.api_url, path, device_list_body(settings_.auth, context()), {},
       [this, path, may_renew_token, finished = std::move(finished)](result<http_response> answer) mutable {
         if (!answer) return finished(at(path, answer.error()));
         auto list = parse_device_list_response(answer.value().status, answer.value().body);
         if (list) return finished(std::move(list));
         auto kind = list.error().kind;
         bool renewable = kind == failure::token_expired || kind == failure::refresh_refused;
         if (!renewable || !may_renew_token) return finished(at(path, list.error()));
         LOG_AT(info, "wyze", list.error().message, "; renewing the token");
         auto retry = [this, finished = std::move(finished)](result<done> renewed) mutable {
           if (!renewed) return finished(renewed.error());
           request_list(false, std::move(finished));
         };
         if (kind == failure::refresh_refused) return login(std::move(retry));
         renew_token(std::move(retry));
       });
}

}  // namespace wyze

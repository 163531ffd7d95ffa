#include "wyze/protocol.hpp"

#include "wyze/device_list_stream.hpp"

#include <boost/json.hpp>

namespace json = boost::json;

namespace wyze {
namespace {

// Values the apps send; the server does not check them strictly (shared/reference/wyze-cloud-api.md).
constexpr std::string_view app_sc = "9f275790cab94a72bd206c8876429f3c";
constexpr std::string_view app_sv = "e1fe392906d54888a9b99b88de4162d7";
constexpr std::string_view legacy_login_sc = "f5609af3fa9541fd82a486df5fd9965a";
constexpr std::string_view legacy_login_sv = "1ee66ee1fe03403b9ded3fe2fa869f2a";
constexpr std::string_view legacy_list_sc = "01dd431d098546f9baf5233724fa2ee2";
constexpr std::string_view legacy_list_sv = "01463873df804629b15694df13126d31";
// docker-wyze-bridge's values for run_action and for set_property (its "set_device_Info").
constexpr std::string_view control_sc = "01dd431d098546f9baf5233724fa2ee2";
constexpr std::string_view run_action_sv = "2c0edc06d4c5465b8c55af207144f0d9";
constexpr std::string_view set_property_sv = "e8e1db44128f4e31a2047a8f5f80b2bd";
// wyzeapy services/base_service.py _set_property_list; wyze-sdk get_device_list_property_list.
constexpr std::string_view set_property_list_sv = "9d74946e652647e9b6c9d59326aef104";
constexpr std::string_view device_list_properties_sv = "be9e90755d3445d0a4a583c8314972b6";

json::object envelope(const app_context& context, std::string_view sc, std::string_view sv) {
  return {{"sc", sc},
          {"sv", sv},
          {"app_ver", "com.hualai.WyzeCam___2.50.6.9"},
          {"app_version", "2.50.6.9"},
          {"app_name", "com.hualai.WyzeCam"},
          {"phone_system_type", "2"},
          {"phone_id", context.phone_id},
          {"ts", context.ts_ms},
          {"access_token", context.access_token}};
}

std::string string_field(const json::object& object, std::string_view key) {
  if (const auto* v = object.if_contains(key))
    if (const auto* s = v->if_string()) return std::string(*s);
  return {};
}

result<json::value> parse_json(std::string_view body) {
  json::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec) return error{failure::bad_response, "the answer is not JSON (" + ec.message() + ")"};
  return value;
}

// A code may be a string or a number.
std::string number_or_text(const json::value* code) {
  if (!code) return {};
  if (const auto* s = code->if_string()) return std::string(*s);
  if (code->is_int64()) return std::to_string(code->get_int64());
  return {};
}

std::string code_of(const json::object& object) {
  return std::string(
      envelope_code(number_or_text(object.if_contains("code")), number_or_text(object.if_contains("ErrNo"))));
}

result<json::value> envelope_data(unsigned status, std::string_view body) {
  if (auto failed = status_failure(status)) return *failed;
  auto parsed = parse_json(body);
  if (!parsed) return parsed.error();
  const auto* object = parsed.value().if_object();
  if (!object) return error{failure::bad_response, "the answer is not a JSON object"};
  std::string code = code_of(*object);
  std::string msg = string_field(*object, "msg");
  if (code == "1" || code == "0") {
    const auto* data = object->if_contains("data");
    if (!data || !data->is_object()) return error{failure::bad_response, "the answer has no data object"};
    return *data;
  }
  return *envelope_failure(code, msg);
}

result<tokens> tokens_from(const json::object& object) {
  tokens t{string_field(object, "access_token"), string_field(object, "refresh_token")};
  if (t.access_token.empty() || t.refresh_token.empty())
    return error{failure::bad_response, "the answer has no access_token or refresh_token"};
  return t;
}

}  // namespace

std::optional<error> status_failure(unsigned status) {
  if (status == 429)
    return error{failure::rate_limited, "HTTP 429: Wyze's rate limit was hit; the bridge tries again at the next poll"};
  if (status != 200) return error{failure::http_status, "HTTP " + std::to_string(status)};
  return std::nullopt;
}

std::optional<error> envelope_failure(std::string_view code_view, std::string_view msg_view) {
  std::string code(code_view), msg(msg_view);
  if (code == "1" || code == "0") return std::nullopt;
  if (code == "2001") return error{failure::token_expired, "access token expired or invalid (code 2001)"};
  if (code == "2002") return error{failure::refresh_refused, "refresh token refused (code 2002)"};
  if (code == "1011")
    return error{failure::rate_limited,
                 "Wyze's rate limit was hit (code 1011); the bridge tries again at the next poll — raise "
                 "wyze.poll_interval if this repeats"};
  // jfarmer08/wyze-api src/index.js `_isRateLimitError` takes 3044 for a rate limit too.
  if (code == "3044")
    return error{failure::rate_limited,
                 "Wyze's rate limit was hit (code 3044); the bridge tries again at the next poll — raise "
                 "wyze.poll_interval if this repeats"};
  if (code.empty()) return error{failure::bad_response, "the answer has no code"};
  if (msg.find("UserNameOrPassword") != std::string::npos || msg.find("UserIsLocked") != std::string::npos)
    return error{failure::credentials, "login refused (" + msg + "): check wyze.email and wyze.password"};
  if (code == "1001" || code == "1004")
    return error{failure::rejected, "the cloud rejected the request's parameters (code " + code +
                                        (msg.empty() ? "" : ", " + msg) +
                                        "); Wyze may have changed its API: please report this with the log"};
  if (code == "3019") return error{failure::rejected, "the device is offline (code 3019)"};
  return error{failure::rejected, "the cloud answered code " + code + (msg.empty() ? "" : " (" + msg + ")")};
}

std::string api_key_login_body(std::string_view email, std::string_view hashed_password) {
  return json::serialize(json::object{{"email", email}, {"password", hashed_password}});
}

std::string legacy_login_body(std::string_view email, std::string_view hashed_password, const app_context& context) {
  json::object body = envelope(context, legacy_login_sc, legacy_login_sv);
  body["app_ver"] = "com.hualai___1.1.52";
  body["access_token"] = "";
  body["user_name"] = email;
  body["password"] = hashed_password;
  return json::serialize(body);
}

std::string device_list_body(auth_mode mode, const app_context& context) {
  if (mode == auth_mode::legacy) return json::serialize(envelope(context, legacy_list_sc, legacy_list_sv));
  return json::serialize(envelope(context, app_sc, app_sv));
}

std::string refresh_body(const app_context& context, std::string_view refresh_token) {
  json::object body = envelope(context, app_sc, app_sv);
  body["refresh_token"] = refresh_token;
  return json::serialize(body);
}

std::string run_action_body(const app_context& context, std::string_view mac, std::string_view model,
                            std::string_view action_key) {
  json::object body = envelope(context, control_sc, run_action_sv);
  body["instance_id"] = mac;
  body["provider_key"] = model;
  body["action_key"] = action_key;
  body["action_params"] = json::object{};
  body["custom_string"] = "";
  return json::serialize(body);
}

std::string set_property_body(const app_context& context, std::string_view mac, std::string_view model,
                              std::string_view pid, std::string_view value) {
  json::object body = envelope(context, control_sc, set_property_sv);
  body["device_mac"] = mac;
  body["device_model"] = model;
  body["pid"] = pid;
  body["pvalue"] = value;
  return json::serialize(body);
}

std::string set_property_list_body(const app_context& context, std::string_view mac, std::string_view model,
                                   const std::vector<std::pair<std::string, std::string>>& properties) {
  json::object body = envelope(context, app_sc, set_property_list_sv);
  json::array list;
  for (const auto& [pid, value] : properties) list.push_back(json::object{{"pid", pid}, {"pvalue", value}});
  body["property_list"] = std::move(list);
  body["device_model"] = model;
  body["device_mac"] = mac;
  return json::serialize(body);
}

std::string device_list_properties_body(const app_context& context, const std::vector<property_target>& devices,
                                        const std::vector<std::string>& pids) {
  json::object body = envelope(context, app_sc, device_list_properties_sv);
  json::array macs, wanted;
  for (const auto& device : devices) macs.push_back(json::string(device.mac));
  for (const auto& pid : pids) wanted.push_back(json::string(pid));
  body["device_list"] = std::move(macs);
  body["target_pid_list"] = std::move(wanted);
  return json::serialize(body);
}

result<property_values> parse_device_list_properties(unsigned status, std::string_view body) {
  auto data = envelope_data(status, body);
  if (!data) return data.error();
  const auto* list = data.value().get_object().if_contains("device_list");
  if (!list || !list->is_array()) return error{failure::bad_response, "the answer has no data.device_list array"};
  constexpr std::size_t longest_value = 64;  // camera pids hold small numbers; a longer value is not one
  property_values values;
  for (const auto& entry : list->get_array()) {
    const auto* device = entry.if_object();
    if (!device) continue;
    // device_mac as the app's device calls name it; mac as the device list does.
    std::string mac = string_field(*device, "device_mac");
    if (mac.empty()) mac = string_field(*device, "mac");
    const auto* properties = device->if_contains("device_property_list");
    if (mac.empty() || mac.size() > max_mac_length || !properties || !properties->is_array()) continue;
    std::vector<std::pair<std::string, std::string>> read;
    for (const auto& p : properties->get_array()) {
      const auto* property = p.if_object();
      if (!property) continue;
      std::string pid = string_field(*property, "pid");
      const auto* value = property->if_contains("value");
      std::string text;
      if (value && value->is_string() && value->get_string().size() <= longest_value)
        text = value->get_string();
      else if (value && value->is_int64())
        text = std::to_string(value->get_int64());
      if (pid.empty() || pid.size() > longest_value || text.empty()) continue;
      read.emplace_back(std::move(pid), std::move(text));
    }
    values.emplace_back(std::move(mac), std::move(read));
  }
  return values;
}

result<done> parse_control_answer(unsigned status, std::string_view body) {
  auto data = envelope_data(status, body);
  if (!data) return data.error();
  const auto* outcome = data.value().get_object().if_contains("result");
  if (!outcome || outcome->is_null()) return done{};
  std::string text = outcome->is_string()  ? std::string(outcome->get_string())
                     : outcome->is_int64() ? std::to_string(outcome->get_int64())
                                           : std::string("?");
  if (text == "1") return done{};
  return error{failure::rejected, "the cloud accepted the call but the camera did not carry it out (result " +
                                      text.substr(0, 20) + "): this model may not support it"};
}

result<tokens> parse_api_key_login(unsigned status, std::string_view body) {
  if (status == 403)
    return error{failure::rejected,
                 "HTTP 403 from Wyze's CDN: the request was blocked; check that auth_url is right and "
                 "try again later"};
  if (status == 429)
    return error{failure::rate_limited, "HTTP 429: too many logins; Wyze asks to wait before trying again"};
  auto parsed = parse_json(body);
  if (!parsed) return error{failure::bad_response, "HTTP " + std::to_string(status) + ", " + parsed.error().message};
  const auto* object = parsed.value().if_object();
  if (!object) return error{failure::bad_response, "the answer is not a JSON object"};
  if (status != 200) {
    std::string description = string_field(*object, "description");
    std::string code;
    if (const auto* c = object->if_contains("errorCode"); c && c->is_int64()) code = std::to_string(c->get_int64());
    std::string hint = code == "1000"   ? "; check wyze.email, wyze.password, wyze.key_id and wyze.api_key"
                       : code == "5000" ? "; wyze.key_id and wyze.api_key are required for auth: api_key"
                                        : "";
    return error{code == "1000" ? failure::credentials : failure::rejected,
                 "login refused: HTTP " + std::to_string(status) + (code.empty() ? "" : ", errorCode " + code) +
                     (description.empty() ? "" : ", \"" + description + "\"") + hint};
  }
  if (string_field(*object, "access_token").empty() && object->contains("mfa_options") &&
      !object->at("mfa_options").is_null())
    return error{failure::rejected,
                 "the account asks for a second factor (MFA); set wyze.totp_key to its base32 secret"};
  return tokens_from(*object);
}

std::string api_key_mfa_body(std::string_view email, std::string_view hashed_password, std::string_view verification_id,
                             std::string_view code) {
  return json::serialize(json::object{{"email", email},
                                      {"password", hashed_password},
                                      {"mfa_type", "TotpVerificationCode"},
                                      {"verification_id", verification_id},
                                      {"verification_code", code}});
}

std::vector<std::pair<std::string, std::string>> mfa_login_headers(std::string_view phone_id) {
  // wyzeapy const.py API_KEY; IDisposable auth.go wyzeAppAPIKey.
  return {{"X-API-Key", "WMXHYf79Nr5gIlt3r0r7p9Tcw5bvs6BB4U8O8nGJ"}, {"Phone-Id", std::string(phone_id)}};
}

std::optional<std::string> totp_challenge(std::string_view body) {
  json::error_code ec;
  auto value = json::parse(body, ec);
  const auto* object = ec ? nullptr : value.if_object();
  if (!object || !string_field(*object, "access_token").empty()) return std::nullopt;
  const auto* options = object->if_contains("mfa_options");
  if (!options || !options->is_array()) return std::nullopt;
  bool totp = false;
  for (const auto& option : options->get_array())
    totp |= option.is_string() && option.get_string() == "TotpVerificationCode";
  if (!totp) return std::nullopt;
  const auto* details = object->if_contains("mfa_details");
  const auto* apps = details && details->is_object() ? details->get_object().if_contains("totp_apps") : nullptr;
  if (!apps || !apps->is_array() || apps->get_array().empty() || !apps->get_array()[0].is_object())
    return std::string();
  return string_field(apps->get_array()[0].get_object(), "app_id");
}

result<tokens> parse_token_envelope(unsigned status, std::string_view body) {
  auto data = envelope_data(status, body);
  if (!data) return data.error();
  return tokens_from(data.value().get_object());
}

result<tokens> parse_legacy_login(unsigned status, std::string_view body) {
  auto parsed = parse_token_envelope(status, body);
  if (parsed || (parsed.error().kind != failure::credentials && parsed.error().kind != failure::rejected &&
                 parsed.error().kind != failure::http_status))
    return parsed;
  return error{parsed.error().kind, parsed.error().message + "; " + std::string(legacy_login_notice)};
}

result<device_list> parse_device_list_response(unsigned status, std::string_view body, bool thumbnails) {
  device_list_stream stream(thumbnails);
  stream.write(body);
  stream.finish();
  return stream.take(status);
}

}  // namespace wyze

#include "sim/account.hpp"

#include "sim/answers.hpp"

#include "common/hex.hpp"
#include "common/utc_time.hpp"
#include "wyze/devicemgmt.hpp"
#include "wyze/events.hpp"
#include "wyze/password.hpp"
#include "wyze/totp.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>

namespace json = boost::json;

namespace sim {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

response json_answer(unsigned status, const json::value& body) { return {status, json::serialize(body)}; }

response envelope(const json::value& data) {
  return json_answer(200, json::object{{"ts", now_ms()}, {"code", "1"}, {"msg", ""}, {"data", data}});
}

response envelope_error(std::string_view code, std::string_view msg) {
  return json_answer(200, json::object{{"ts", now_ms()}, {"code", code}, {"msg", msg}, {"data", json::object{}}});
}

std::string field(const json::object& o, std::string_view key) {
  if (const auto* v = o.if_contains(key))
    if (const auto* s = v->if_string()) return std::string(*s);
  return {};
}

std::int64_t int_field(const json::object& o, std::string_view key, std::int64_t otherwise) {
  if (const auto* v = o.if_contains(key); v && v->is_int64()) return v->get_int64();
  return otherwise;
}

std::string header_of(const request& req, const std::string& name) {
  auto it = req.headers.find(name);
  return it == req.headers.end() ? std::string() : it->second;
}

bool is_camera(const json::object& device) {
  auto type = field(device, "product_type");
  return type == "Camera" || type == "Doorbell";
}

json::object parse_object(const std::string& body) {
  json::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  return v.get_object();
}

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace sim

namespace sim {
namespace {

constexpr const char* models[] = {"WYZE_CAKP2JFUS", "HL_CAM4",   "HL_PAN3", "GW_GC1",  "WYZEDB3",
                                  "HL_CAM3P",       "WYZEC1-JZ", "AN_RSCW", "HL_CFL2", "UNKNOWN_NEW_MODEL"};

// The battery-powered models (ha-wyzeapi sensor.py): the simulator's own list, not the bridge's, so
// a wrong entry in the bridge's table shows in the tests.
bool is_battery_model(const std::string& model) {
  return model == "WVOD1" || model == "HL_WCO2" || model == "AN_RSCW" || model == "GW_BE1";
}

// The simulator's own names for what a call is (the bridge has its own, in wyze/budget.cpp).
std::string call_kind(const std::string& target) {
  if (target.starts_with("/sim-s3/")) return "pictures";
  if (target == "/api/user/login" || target == "/user/login" || target == "/app/user/login") return "login";
  if (target == "/app/user/refresh_token") return "refresh";
  if (target == "/app/v2/home_page/get_object_list" || target == "/app/device/get_device_list") return "device_list";
  if (target == wyze::paths::event_list_v4 || target == "/app/v2/device/get_event_list") return "events";
  if (target == "/app/v2/device/get_property_list" || target == "/app/v2/device_list/get_property_list" ||
      target == wyze::paths::devicemgmt_properties)
    return "properties";
  return "commands";
}

}  // namespace

std::string account::generated_mac(std::size_t index) {
  char mac[16];
  std::snprintf(mac, sizeof mac, "2CAA8E%06zX", (index + 1) & 0xffffff);
  return mac;
}

std::string account::generated_model(std::size_t index) { return models[index % std::size(models)]; }

account::account(credentials creds, std::size_t cameras, std::uint32_t seed, behaviour how)
    : creds_(std::move(creds)), random_(seed), behaviour_(std::move(how)) {
  for (std::size_t i = 0; i < cameras; ++i) devices_.push_back(camera_entry(next_index_++));
  // Devices that are not cameras: the bridge must ignore them.
  devices_.push_back({{"mac", "7C78B2000001"},
                      {"nickname", "Hallway plug"},
                      {"product_model", "WLPP1CFH"},
                      {"product_type", "Plug"},
                      {"conn_state", 1},
                      {"firmware_ver", "1.2.0.105"},
                      {"device_params", json::object{{"switch_state", 1}}}});
  devices_.push_back({{"mac", "7C78B2000002"},
                      {"nickname", "Desk lamp"},
                      {"product_model", "WLPA19C"},
                      {"product_type", "MeshLight"},
                      {"conn_state", 0},
                      {"firmware_ver", nullptr}});
}

std::string account::random_hex(std::size_t length) {
  std::string out;
  for (std::size_t i = 0; i < length; ++i) out += "0123456789abcdef"[random_() % 16];
  return out;
}

// A camera entry with the field set of a real get_object_list answer (wyze-sdk #150), with the
// variations real accounts show: models the bridge does not know, nulls, older cameras.
json::object account::camera_entry(std::size_t index) {
  std::string mac = generated_mac(index);
  std::int64_t ts = 1764150000000 + static_cast<std::int64_t>(index) * 1000;
  json::object params{
      {"p2p_id", "P2P" + random_hex(17)},
      {"p2p_type", 4},
      {"public_ip", "203.0.113." + std::to_string(index % 250 + 1)},
      {"ip", "192.168." + std::to_string(1 + index / 250 % 250) + "." + std::to_string(index % 250 + 2)},
      {"power_switch", 1},
      {"records_event_switch", 1},
      {"motion_alarm_switch", 1},
      {"audio_alarm_switch", 0},
      // Battery models report their level; some wired ones report 100 too (ha-wyzeapi #454).
      {"electricity", is_battery_model(generated_model(index)) ? json::value(100 - static_cast<int>(index % 60))
                      : index % 3 == 0                         ? json::value(100)
                                                               : json::value(nullptr)},
      {"battery_charging_status", nullptr},
      {"power_source", nullptr},
      // A pre-signed S3 URL; the simulator serves it, on the host the client used (sign_thumbnails).
      {"camera_thumbnails",
       json::object{{"thumbnails_url",
                     "/sim-s3/thumbnail/" + mac +
                         ".jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=1200&X-Amz-Signature=" + random_hex(64)},
                    {"thumbnails_ts", ts}}},
      {"dtls", 1},
      {"main_device_dtls", 1},
      {"dongle_switch", 0},
      {"dongle_product_model", ""},
      {"a_field_added_next_year", json::object{{"nested", json::array{1, "two", nullptr}}}}};
  if (index % 7 == 6) params.erase("ip");  // some models report no LAN IP
  secrets_.push_back(std::string(params.at("p2p_id").as_string()));
  std::string url(params.at("camera_thumbnails").at("thumbnails_url").as_string());
  secrets_.push_back(url.substr(url.find("X-Amz-Signature=")));
  std::string enr = random_hex(16);
  secrets_.push_back(enr);
  json::object entry{{"mac", mac},
                     {"enr", enr},
                     {"nickname", "Camera " + std::to_string(index + 1)},
                     {"timezone_name", "America/Los_Angeles"},
                     {"timezone_gmt_offset", -8.0},
                     {"product_model", generated_model(index)},
                     // WYZEDB3 comes as a "Doorbell" (IDisposable/docker-wyze-bridge cameras.go)
                     {"product_type", generated_model(index) == "WYZEDB3" ? "Doorbell" : "Camera"},
                     {"product_model_logo_url", "https://wyze-product-logo.example/" + std::to_string(index)},
                     {"hardware_ver", index % 5 == 4 ? json::value(nullptr) : json::value("0.0.0.0")},
                     {"firmware_ver", "4.36.11." + std::to_string(7000 + index % 100)},
                     {"user_role", 1},
                     {"binding_user_nickname", "demo"},
                     {"conn_state", index % 4 == 3 ? 0 : 1},
                     {"conn_state_ts", ts},
                     {"push_switch", 1},
                     {"event_master_switch", 1},
                     {"is_in_auto", 0},
                     {"parent_device_mac", ""},
                     {"parent_device_enr", ""},
                     {"binding_ts", ts},
                     {"first_activation_ts", ts},
                     {"first_binding_ts", ts},
                     {"device_params", std::move(params)}};
  return entry;
}

bool account::pending_fault(response& out) {
  if (fault_count_ <= 0) return false;
  --fault_count_;
  if (fault_kind_ == "http500") {
    out = {500, "<html><body>Internal Server Error</body></html>", "text/html"};
  } else if (fault_kind_ == "garbage") {
    out = {200, "{\"ts\":1,\"code\":\"1\",\"data\":{\"device_list\":[{\"mac\":"};
  } else if (fault_kind_ == "ratelimit") {
    out = envelope_error("1011", "system limit exceeded, please try again later");
  } else if (fault_kind_ == "code") {
    out = envelope_error(fault_code_, fault_message_);
  } else if (fault_kind_ == "http429") {
    out = {429, "{\"description\":\"Too Many Requests\"}"};
  } else if (fault_kind_ == "drop-connection") {
    out.close_after = true;
    return false;  // answered normally, then the connection is closed
  } else if (fault_kind_ == "slow") {
    out.delay = fault_delay_;
    return false;  // answered normally, late
  } else if (static const std::map<std::string, response::delivery> deliveries{
                 {"truncated", response::delivery::truncated},
                 {"reset", response::delivery::reset},
                 {"slowloris", response::delivery::trickle},
                 {"interim", response::delivery::interim},
                 {"stale-follows", response::delivery::stale_follows},
                 {"huge-chunk-line", response::delivery::huge_chunk_line}};
             deliveries.count(fault_kind_)) {
    out.how = deliveries.at(fault_kind_);
    return false;  // answered normally, delivered badly
  }
  return true;
}

void account::connection_opened() {
  std::lock_guard lock(mutex_);
  ++stats_["connections"];
}

response account::handle(const request& req) {
  std::lock_guard lock(mutex_);
  ++stats_["requests"];
  if (req.target.starts_with("/sim/")) return control(req);
  // Every call that reached the cloud (faults and refusals too), by what it is: the count the
  // bridge's <base>/bridge/budget is checked against.
  ++stats_["cloud_calls"];
  ++stats_["calls_" + call_kind(req.target)];
  if (auto host = req.headers.find("host"); host != req.headers.end()) host_ = host->second;
  if (auto agent = req.headers.find("user-agent"); agent != req.headers.end()) user_agent_ = agent->second;
  // A fault meant for one endpoint waits for it; the picture host (S3 in the real world) gets only
  // the faults meant for it.
  bool s3 = req.target.starts_with("/sim-s3/");
  bool fault_applies = fault_endpoint_.empty() ? !s3 : req.target.starts_with(fault_endpoint_);
  response faulted;
  if (fault_applies && pending_fault(faulted)) return faulted;
  if (s3) {
    response answer = picture(req);
    answer.delay = faulted.delay;
    answer.close_after = faulted.close_after;
    answer.how = faulted.how;
    return answer;
  }
  response answer;
  json::object body = parse_object(req.body);
  if (req.target == wyze::paths::toggle)
    answer = req.method == "PUT" ? toggle(req) : response{405, "{\"description\":\"use PUT\"}"};
  else if (req.method != "POST")
    answer = {405, "{\"description\":\"use POST\"}"};
  else if (req.target == wyze::paths::devicemgmt_action)
    answer = devicemgmt_action(req);
  else if (req.target == wyze::paths::devicemgmt_properties)
    answer = devicemgmt_properties(req);
  else if (req.target == "/api/user/login")
    answer = api_key_login(req);
  else if (req.target == "/user/login")
    answer = mfa_login(req);
  else if (req.target == "/app/user/login")
    answer = legacy_login(req);
  else if (req.target == "/app/user/refresh_token")
    answer = refresh(body);
  else if (req.target == "/app/v2/home_page/get_object_list")
    answer = device_list(body, false);
  else if (req.target == "/app/device/get_device_list")
    answer = device_list(body, true);
  else if (req.target == "/app/v2/auto/run_action")
    answer = run_action(body);
  else if (req.target == "/app/v2/device/set_property")
    answer = set_property(body);
  else if (req.target == "/app/v2/device/set_property_list")
    answer = set_property_list(body);
  else if (req.target == "/app/v2/device_list/get_property_list")
    answer = device_list_properties(body);
  else if (req.target == "/app/v2/device/get_property_list")
    answer = property_list(body);
  else if (req.target == wyze::paths::event_list_v4)
    answer = event_list_v4(req);
  else if (req.target == "/app/v2/device/get_event_list")
    answer = event_list_v2(body);
  else
    answer = {404, "{\"description\":\"no such endpoint\"}"};
  answer.delay = faulted.delay;
  answer.close_after = faulted.close_after;
  answer.how = faulted.how;
  if (rate_limit_remaining_) {
    std::string text = common::format_utc(rate_limit_reset_ms_, "%a %b %d %H:%M:%S GMT %Y");
    answer.headers = {{"X-RateLimit-Remaining", std::to_string(*rate_limit_remaining_)},
                      {"X-RateLimit-Reset-By", text}};
  }
  return answer;
}

// A JWT as the cloud issues them: exp and iat in seconds; the signature is not the bridge's to check.
response account::issue_tokens(bool as_envelope) {
  std::int64_t now = now_ms();
  access_expires_ms_ =
      now + std::chrono::duration_cast<std::chrono::milliseconds>(behaviour_.access_token_life).count();
  json::object claims{
      {"sub", "sim-user"}, {"iat", now / 1000}, {"exp", access_expires_ms_ / 1000}, {"jti", random_hex(16)}};
  access_token_ = common::base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." +
                  common::base64url_encode(json::serialize(claims)) + "." + common::base64url_encode(random_hex(32));
  // exp is in whole seconds: the token dies at the start of that second.
  access_expires_ms_ = access_expires_ms_ / 1000 * 1000;
  refresh_token_ = "lvtx." + random_hex(40);
  token_calls_ = 0;
  secrets_.push_back(access_token_);
  secrets_.push_back(refresh_token_);
  if (as_envelope) return envelope(json::object{{"access_token", access_token_}, {"refresh_token", refresh_token_}});
  return json_answer(200, json::object{{"access_token", access_token_},
                                       {"refresh_token", refresh_token_},
                                       {"user_id", "sim-user"},
                                       {"mfa_options", nullptr},
                                       {"mfa_details", nullptr},
                                       {"sms_session_id", nullptr},
                                       {"email_session_id", nullptr}});
}

response account::api_key_login(const request& req) {
  ++stats_["logins"];
  auto key_id = req.headers.find("keyid");
  auto api_key = req.headers.find("apikey");
  if (key_id == req.headers.end() || api_key == req.headers.end())
    return json_answer(
        400, json::object{
                 {"description", "keyid and apikey are required"}, {"requestId", random_hex(8)}, {"errorCode", 5000}});
  json::object body = parse_object(req.body);
  bool valid = key_id->second == creds_.key_id && api_key->second == creds_.api_key &&
               field(body, "email") == creds_.email &&
               field(body, "password") == wyze::hash_password(creds_.password, wyze::api_key_login_rounds);
  if (!valid)
    return json_answer(
        400, json::object{{"description", "Invalid credentials, please check username, password, keyid or apikey"},
                          {"requestId", random_hex(8)},
                          {"errorCode", 1000}});
  if (!behaviour_.totp_key.empty()) {
    json::array apps{json::object{{"app_id", "sim-totp-app"}, {"app_name", "Authenticator"}}};
    return json_answer(200, json::object{{"access_token", ""},
                                         {"refresh_token", ""},
                                         {"user_id", "sim-user"},
                                         {"mfa_options", json::array{"TotpVerificationCode"}},
                                         {"mfa_details", json::object{{"totp_apps", std::move(apps)}}},
                                         {"sms_session_id", nullptr},
                                         {"email_session_id", nullptr}});
  }
  return issue_tokens(false);
}

// The TOTP step goes to /user/login with the app's X-API-Key and a Phone-Id, not to /api/user/login
// with the developer key (wyzeapy wyze_auth_lib.py get_token_with_2fa; wyze-sdk auth_service.py;
// IDisposable/docker-wyze-bridge auth.go completeMFA).
response account::mfa_login(const request& req) {
  ++stats_["mfa_logins"];
  json::object body = parse_object(req.body);
  if (header_of(req, "x-api-key") != wyze_app_api_key || header_of(req, "phone-id").empty())
    return json_answer(400, json::object{{"description", "X-API-Key and Phone-Id are required"},
                                         {"requestId", random_hex(8)},
                                         {"errorCode", 5000}});
  bool valid = field(body, "email") == creds_.email &&
               field(body, "password") == wyze::hash_password(creds_.password, wyze::api_key_login_rounds);
  if (!valid || behaviour_.totp_key.empty() || !totp_accepted(body))
    return json_answer(
        400, json::object{{"description", "Invalid credentials, please check username, password, keyid or apikey"},
                          {"requestId", random_hex(8)},
                          {"errorCode", 1000}});
  return issue_tokens(false);
}

bool account::access_token_valid(std::string_view token) {
  if (access_token_.empty() || token != access_token_) return false;
  if (now_ms() < access_expires_ms_) return true;
  ++stats_["expired_token_answers"];
  return false;
}

// The code of the current 30 s step, or of the one before or after (clock drift).
bool account::totp_accepted(const json::object& body) {
  if (field(body, "mfa_type") != "TotpVerificationCode" || field(body, "verification_id") != "sim-totp-app")
    return false;
  auto key = wyze::base32_decode(behaviour_.totp_key);
  std::int64_t now = now_ms() / 1000;
  for (std::int64_t step : {-30, 0, 30})
    if (key && field(body, "verification_code") == wyze::totp_code(*key, now + step)) {
      ++stats_["totp_logins"];
      return true;
    }
  return false;
}

response account::legacy_login(const request& req) {
  ++stats_["logins"];
  json::object body = parse_object(req.body);
  if (field(body, "user_name") != creds_.email ||
      field(body, "password") != wyze::hash_password(creds_.password, wyze::legacy_login_rounds))
    return envelope_error("2000", "UserNameOrPasswordError");
  return issue_tokens(true);
}

response account::refresh(const json::object& body) {
  ++stats_["refreshes"];
  if (refresh_token_.empty() || field(body, "refresh_token") != refresh_token_)
    return envelope_error("2002", "RefreshTokenError");
  return issue_tokens(true);
}

response account::device_list(const json::object& body, bool legacy) {
  ++stats_["device_list_calls"];
  if (!access_token_valid(field(body, "access_token"))) return envelope_error("2001", "AccessTokenError");
  if (behaviour_.access_token_calls && ++token_calls_ > behaviour_.access_token_calls) {
    access_token_ = "expired";
    return envelope_error("2001", "AccessTokenError");
  }
  json::array list;
  for (const auto& device : devices_) {
    if (!legacy) {
      list.push_back(device);
      sign_thumbnails(list.back().as_object(), host_);
      continue;
    }
    // The 2018 list is flat: ip, power_switch and p2p_id at the top level.
    json::object flat = device;
    if (auto* params = flat.if_contains("device_params"); params && params->is_object()) {
      auto& p = params->get_object();
      for (std::string_view key : {"ip", "power_switch", "p2p_id", "p2p_type"})
        if (auto* v = p.if_contains(key)) flat[key] = *v;
      flat.erase("device_params");
    }
    list.push_back(std::move(flat));
  }
  std::string key = legacy ? "device_info_list" : "device_list";
  return envelope(
      json::object{{key, std::move(list)}, {"device_group_list", json::array{}}, {"device_sort_list", json::array{}}});
}

namespace {

// Models whose run_action the cloud accepts and ignores (`result: 3`), and whose toggles it
// refuses: they are controlled through the device-management API (wyze-sdk #150, ha-wyzeapi #686).
bool device_management_model(std::string_view model) {
  for (std::string_view m : {"GW_GC1", "GW_GC2", "LD_CFP", "AN_RSCW", "HL_PAN4", "ME_WCO3"})
    if (m == model) return true;
  return false;
}

json::object& params_of(json::object& device) {
  auto& params = device["device_params"];
  if (!params.is_object()) params = json::object{};
  return params.as_object();
}

}  // namespace

void account::record_command(std::string endpoint, const std::string& mac, std::string what, std::string value) {
  if (commands_.size() >= 1000) commands_.erase(commands_.begin());
  commands_.push_back(json::object{{"endpoint", std::move(endpoint)},
                                   {"mac", mac},
                                   {"what", std::move(what)},
                                   {"value", std::move(value)},
                                   {"ts", now_ms()}});
}

json::object* account::control_target(const json::object& body, std::string_view mac_key, response& refusal) {
  if (!access_token_valid(field(body, "access_token"))) {
    refusal = envelope_error("2001", "AccessTokenError");
    return nullptr;
  }
  std::string mac = field(body, mac_key);
  for (auto& device : devices_) {
    if (upper(field(device, "mac")) != upper(mac) || mac.empty()) continue;
    if (int_field(device, "conn_state", 1) != 1) {
      refusal = envelope_error("3019", "DeviceIsOffline");
      return nullptr;
    }
    return &device;
  }
  refusal = envelope_error("1001", "device not found");
  return nullptr;
}

response account::run_action(const json::object& body) {
  ++stats_["run_action_calls"];
  response refusal;
  auto* device = control_target(body, "instance_id", refusal);
  std::string action = field(body, "action_key");
  record_command("run_action", field(body, "instance_id"), action, "");
  if (!device) return refusal;
  if (field(body, "provider_key") != field(*device, "product_model"))
    return envelope_error("1001", "provider_key does not match the device");
  json::object accepted{{"result", 1}, {"session_id", random_hex(32)}};
  if (device_management_model(field(*device, "product_model"))) {
    accepted["result"] = 3;  // accepted, and nothing happens
    return envelope(accepted);
  }
  auto& props = properties_[upper(field(*device, "mac"))];
  std::string model = field(*device, "product_model");
  std::string dongle = field(params_of(*device), "dongle_product_model");
  if (action == "power_on" || action == "power_off") {
    params_of(*device)["power_switch"] = action == "power_on" ? 1 : 0;
  } else if (action == "restart") {
    ++stats_["restarts"];
  } else if (action == "siren_on" || action == "siren_off") {
    // The models without a siren accept the call and do nothing (ha-wyzeapi siren.py leaves them out).
    if (model == "WYZECP1_JEF" || model == "WYZEC1-JZ" || model == "GW_BE1" || model == "WYZEDB3") {
      accepted["result"] = 3;
      return envelope(accepted);
    }
    props["P1049"] = action == "siren_on" ? "1" : "0";
  } else if (action == "floodlight_on" || action == "floodlight_off") {
    if (model != "HL_BC") return envelope_error("1001", "the device has no light to switch with run_action");
    props["P1056"] = action == "floodlight_on" ? "1" : "2";
  } else if (action == "garage_door_trigger") {
    if (dongle != "HL_CGDC") return envelope_error("1001", "no garage door controller on this camera");
    props["P1056"] = props["P1056"] == "1" ? "2" : "1";  // flips the door (wyzeapy: one trigger for both)
    ++stats_["garage_triggers"];
  } else {
    return envelope_error("1001", "unknown action_key");
  }
  return envelope(accepted);
}

std::optional<response> account::set_pid(json::object& device, const std::string& pid, const std::string& value) {
  if (device_management_model(field(device, "product_model"))) return envelope_error("1001", "InvalidSignature2");
  std::string model = field(device, "product_model");
  std::string dongle = field(params_of(device), "dongle_product_model");
  if (pid == "P1056") {
    // The accessory's state: 1 on, 2 off (wyzeapy floodlight_on/off), on the cameras that have one.
    if (model != "HL_CFL2" && dongle != "HL_CFL" && dongle != "HL_CAM3SS")
      return envelope_error("1001", "the device has no accessory for P1056");
    if (value != "1" && value != "2") return envelope_error("1001", "pvalue is not valid for " + pid);
    properties_[upper(field(device, "mac"))][pid] = value;
    return std::nullopt;
  }
  bool binary = value == "0" || value == "1";
  if (!binary && !(pid == "P1" && value == "2")) return envelope_error("1001", "pvalue is not valid for " + pid);
  int number = value[0] - '0';
  if (pid == "P3")
    params_of(device)["power_switch"] = number;
  else if (pid == "P1")
    device["push_switch"] = number;
  else if (pid == "P1047" || pid == "P1001" || pid == "P1029")
    params_of(device)["motion_alarm_switch"] = number;
  else
    properties_[upper(field(device, "mac"))][pid] = value;
  return std::nullopt;
}

response account::set_property(const json::object& body) {
  ++stats_["set_property_calls"];
  response refusal;
  auto* device = control_target(body, "device_mac", refusal);
  std::string pid = field(body, "pid"), value = field(body, "pvalue");
  record_command("set_property", field(body, "device_mac"), pid, value);
  if (!device) return refusal;
  // The Outdoor cameras' motion switch is set through set_property_list only (wyzeapy types.py).
  if (pid == "P1029") return envelope_error("1001", "P1029 is set through set_property_list");
  if (auto refused = set_pid(*device, pid, value)) return *refused;
  return envelope(json::object{});
}

response account::set_property_list(const json::object& body) {
  ++stats_["set_property_list_calls"];
  response refusal;
  auto* device = control_target(body, "device_mac", refusal);
  const auto* list = body.if_contains("property_list");
  std::string what, value;
  if (list && list->is_array())
    for (const auto& entry : list->get_array())
      if (entry.is_object()) {
        what += (what.empty() ? "" : ",") + field(entry.get_object(), "pid");
        value += (value.empty() ? "" : ",") + field(entry.get_object(), "pvalue");
      }
  record_command("set_property_list", field(body, "device_mac"), what, value);
  if (!device) return refusal;
  if (field(body, "device_model") != field(*device, "product_model"))
    return envelope_error("1001", "device_model does not match the device");
  if (!list || !list->is_array() || list->get_array().empty())
    return envelope_error("1001", "property_list must be a non-empty array of {pid, pvalue}");
  for (const auto& entry : list->get_array()) {
    if (!entry.is_object()) return envelope_error("1001", "property_list must be a non-empty array of {pid, pvalue}");
    if (auto refused = set_pid(*device, field(entry.get_object(), "pid"), field(entry.get_object(), "pvalue")))
      return *refused;
  }
  return envelope(json::object{});
}

json::array account::properties_of(json::object& device) {
  auto& params = params_of(device);
  std::int64_t ts = now_ms();
  json::array list;
  auto add = [&](std::string_view pid, std::string value) {
    list.push_back(json::object{{"pid", pid}, {"value", std::move(value)}, {"ts", ts}});
  };
  add("P3", std::to_string(int_field(params, "power_switch", 1)));
  add("P5", std::to_string(int_field(device, "conn_state", 1)));
  add("P1", std::to_string(int_field(device, "push_switch", 1)));
  add("P1047", std::to_string(int_field(params, "motion_alarm_switch", 1)));
  const auto& set = properties_[upper(field(device, "mac"))];
  // The siren is off and an accessory's light off (or its door closed) until something sets them.
  std::string model = field(device, "product_model"), dongle = field(params, "dongle_product_model");
  if (!set.count("P1049")) add("P1049", "0");
  if (!set.count("P1056") && (model == "HL_CFL2" || model == "HL_BC" || !dongle.empty())) add("P1056", "2");
  for (const auto& [pid, value] : set) add(pid, value);
  return list;
}

// The batched read: every named device of the account with the asked pids (all of them when the
// list is empty); devices of other accounts are left out, as the real answer does.
response account::device_list_properties(const json::object& body) {
  ++stats_["device_list_property_calls"];
  if (!access_token_valid(field(body, "access_token"))) return envelope_error("2001", "AccessTokenError");
  const auto* macs = body.if_contains("device_list");
  const auto* pids = body.if_contains("target_pid_list");
  if (!macs || !macs->is_array() || !pids || !pids->is_array())
    return envelope_error("1001", "device_list and target_pid_list must be arrays");
  std::set<std::string> wanted;
  for (const auto& pid : pids->get_array())
    if (pid.is_string()) wanted.insert(std::string(pid.get_string()));
  stats_["device_list_property_devices"] += macs->get_array().size();
  std::map<std::string, json::object*> by_mac;
  for (auto& device : devices_) by_mac[upper(field(device, "mac"))] = &device;
  json::array answer;
  for (const auto& mac : macs->get_array()) {
    auto found = mac.is_string() ? by_mac.find(upper(std::string(mac.get_string()))) : by_mac.end();
    if (found == by_mac.end()) continue;
    auto& device = *found->second;
    json::array values;
    for (auto& value : properties_of(device))
      if (wanted.empty() || wanted.count(field(value.as_object(), "pid"))) values.push_back(std::move(value));
    answer.push_back(json::object{{"device_mac", field(device, "mac")},
                                  {"device_model", field(device, "product_model")},
                                  {"device_property_list", std::move(values)}});
  }
  return envelope(json::object{{"device_list", std::move(answer)}});
}

response account::property_list(const json::object& body) {
  ++stats_["get_property_list_calls"];
  response refusal;
  auto* device = control_target(body, "device_mac", refusal);
  if (!device) return refusal;
  return envelope(json::object{{"property_list", properties_of(*device)}});
}

namespace {
// Sets fields of a device entry; `ip`, the battery, the signal and the accessory live in
// device_params, as in the real answer.
void set_fields(json::object& device, const json::object& fields) {
  static const std::set<std::string_view> in_params{"ip",   "electricity",          "battery_charging_status",
                                                    "rssi", "dongle_product_model", "dongle_switch"};
  for (const auto& [key, value] : fields) {
    if (key == "properties") continue;  // pids: account::change_camera
    if (in_params.count(key) && device.contains("device_params"))
      device["device_params"].as_object()[key] = value;
    else
      device[key] = value;
  }
}
}  // namespace

response account::add_camera(const json::object& fields) {
  json::object entry = camera_entry(next_index_++);
  set_fields(entry, fields);
  std::string mac = upper(field(entry, "mac"));
  if (const auto* pids = fields.if_contains("properties"); pids && pids->is_object())
    for (const auto& [pid, value] : pids->get_object())
      properties_[mac][std::string(pid)] = value.is_string() ? std::string(value.get_string()) : "";
  devices_.push_back(std::move(entry));
  return json_answer(200, json::object{{"mac", mac}});
}

void account::add_accessory_cameras() {
  for (
      const char* camera :
      {R"({"nickname":"Garage","product_model":"WYZE_CAKP2JFUS","conn_state":1,"dongle_product_model":"HL_CGDC",)"
       R"("rssi":-58,"properties":{"P1056":"2","P1049":"0"}})",
       R"({"nickname":"Driveway","product_model":"HL_CFL2","conn_state":1,"rssi":-64,"properties":{"P1056":"2","P1049":"0"}})",
       R"({"nickname":"Patio","product_model":"HL_WCO2","conn_state":1,"electricity":76,"battery_charging_status":0,)"
       R"("rssi":-71,"properties":{"P1049":"0"}})",
       R"({"nickname":"Front door","product_model":"WYZEDB3","conn_state":1,"product_type":"Doorbell","rssi":-62})"})
    handle({"POST", "/sim/cameras", {}, camera});
}

std::string account::demo_camera(unsigned draw) {
  std::lock_guard lock(mutex_);
  std::vector<const json::object*> cameras;
  for (const auto& device : devices_)
    if (is_camera(device)) cameras.push_back(&device);
  return cameras.empty() ? std::string() : field(*cameras[draw % cameras.size()], "mac");
}

int account::demo_event_value(const std::string& mac, unsigned draw) {
  std::lock_guard lock(mutex_);
  for (const auto& device : devices_)
    if (upper(field(device, "mac")) == upper(mac) && field(device, "product_model") == "WYZEDB3" && draw % 2 == 0)
      return 10;  // a press (wyze-sdk EventAlarmType DOORBELL_RANG)
  return 1;
}

response account::change_camera(const std::string& mac, const json::object& fields) {
  for (auto& device : devices_) {
    if (upper(field(device, "mac")) != upper(mac)) continue;
    set_fields(device, fields);
    // {"properties":{"P1056":"1"}}: a state changed as by the Wyze app (read by the property calls).
    if (const auto* pids = fields.if_contains("properties"); pids && pids->is_object())
      for (const auto& [pid, value] : pids->get_object())
        properties_[upper(mac)][std::string(pid)] = value.is_string() ? std::string(value.get_string()) : "";
    return json_answer(200, device);
  }
  return json_answer(404, json::object{{"error", "no device with MAC " + mac}});
}

response account::control(const request& req) {
  json::object body = parse_object(req.body);
  const std::string cameras = "/sim/cameras";
  if (req.target == "/sim/stats") {
    json::object stats;
    for (const auto& [name, value] : stats_) stats[name] = value;
    stats["cameras"] =
        std::count_if(devices_.begin(), devices_.end(), [](const json::object& d) { return is_camera(d); });
    stats["user_agent"] = user_agent_;
    return json_answer(200, stats);
  }
  if (req.target == "/sim/commands") return json_answer(200, commands_);
  if (req.target == "/sim/events" && req.method == "POST") return create_events(body);
  if (req.target.starts_with("/sim/pictures/") && req.method == "GET") {
    // The bytes of a picture as the picture host serves them (tests compare what reached the broker).
    std::string key = req.target.substr(14);
    auto stored = pictures_.find(key);
    if (stored != pictures_.end()) return {200, stored->second.bytes, "image/jpeg"};
    // A camera's thumbnail before any event: the picture the picture host makes for it.
    if (key.starts_with("thumbnail/")) return {200, thumbnail_picture(key.substr(10)), "image/jpeg"};
    return json_answer(404, json::object{{"error", "no such picture"}});
  }
  if (req.target == "/sim/secrets") {
    json::array all;
    for (const auto& secret : secrets_) all.push_back(json::string(secret));
    all.push_back(json::string(creds_.password));
    all.push_back(json::string(creds_.key_id));
    all.push_back(json::string(creds_.api_key));
    return json_answer(200, all);
  }
  if (req.target == cameras && req.method == "POST") return add_camera(body);
  if (req.target.starts_with(cameras + "/")) {
    std::string mac = req.target.substr(cameras.size() + 1);
    if (req.method == "POST") return change_camera(mac, body);
    if (req.method == "DELETE") {
      auto gone = std::erase_if(devices_, [&](const json::object& d) { return upper(field(d, "mac")) == upper(mac); });
      return json_answer(gone ? 200 : 404, json::object{{"removed", gone}});
    }
  }
  if (req.target == "/sim/tokens/expire" && req.method == "POST") {
    access_token_ = "expired";
    if (const auto* r = body.if_contains("refresh"); r && r->is_bool() && r->get_bool()) refresh_token_.clear();
    return json_answer(200, json::object{{"expired", true}});
  }
  if (req.target == "/sim/ratelimit" && req.method == "POST") {
    const auto* remaining = body.if_contains("remaining");
    if (!remaining || !remaining->is_int64()) {
      rate_limit_remaining_.reset();
      return json_answer(200, json::object{{"rate_limit", nullptr}});
    }
    rate_limit_remaining_ = static_cast<long>(remaining->get_int64());
    const auto* reset = body.if_contains("reset_in_s");
    rate_limit_reset_ms_ = now_ms() + (reset && reset->is_int64() ? reset->get_int64() : 60) * 1000;
    return json_answer(200, json::object{{"remaining", *rate_limit_remaining_}});
  }
  if (req.target == "/sim/fault" && req.method == "POST") {
    fault_kind_ = field(body, "kind");
    static const std::set<std::string> kinds{"http500",         "garbage",         "slow",  "ratelimit", "http429",
                                             "drop-connection", "truncated",       "reset", "slowloris", "interim",
                                             "stale-follows",   "huge-chunk-line", "code"};
    if (!kinds.count(fault_kind_))
      return json_answer(400, json::object{{"error",
                                            "kind must be http500, garbage, slow, ratelimit, http429, "
                                            "drop-connection, truncated, reset, slowloris, interim, stale-follows, "
                                            "huge-chunk-line or code (with code and msg: an envelope error)"}});
    // "endpoint": only requests for this path (e.g. /app/v4/device/get_event_list, /sim-s3/) get it.
    fault_endpoint_ = field(body, "endpoint");
    fault_code_ = field(body, "code").empty() ? "9999" : field(body, "code");
    fault_message_ = field(body, "msg");
    const auto* count = body.if_contains("count");
    fault_count_ = count && count->is_int64() ? static_cast<int>(count->get_int64()) : 1;
    const auto* delay = body.if_contains("delay_ms");
    fault_delay_ = std::chrono::milliseconds(delay && delay->is_int64() ? delay->get_int64() : 0);
    return json_answer(200,
                       json::object{{"kind", fault_kind_}, {"count", fault_count_}, {"endpoint", fault_endpoint_}});
  }
  return json_answer(404, json::object{{"error", "unknown control call " + req.method + " " + req.target}});
}

}  // namespace sim

#include "wyze/devicemgmt.hpp"

#include "wyze/events.hpp"
#include "wyze/protocol.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>

namespace wyze {
namespace json = boost::json;
namespace {

json::object target(std::string_view mac, std::string_view model) {
  return {{"id", mac}, {"productModel", model}, {"type", "DEVICE"}};
}

// A capability of get_iot_prop's list: its iid and name as wyzeapy's payload_factory.py gives them
// for the model, and the properties the bridge reads of it.
struct capability_read {
  int iid;
  std::string_view name;
  std::array<std::string_view, 3> properties;
};

constexpr capability_read iot_device{1, "iot-device", {"iot-state", "iot-power", "push-switch"}};
constexpr capability_read recording{2, "camera", {"motion-detect-recording"}};
constexpr std::array<std::string_view, 3> card{"storage-used-space", "storage-total-space", "storage-status"};

// payload_factory.py devicemgmt_get_iot_props_list, less what the bridge does not show.
std::vector<capability_read> capabilities_of(std::string_view model) {
  if (model == "LD_CFP")
    return {iot_device,
            recording,
            {7, "siren", {"state"}},
            {4, "floodlight", {"on"}},
            {5, "wifi", {"signal-strength"}},
            {8, "memory-card-management", card}};
  if (model == "AN_RSCW")
    return {iot_device,
            recording,
            {4, "siren", {"state"}},
            {5, "spotlight", {"on"}},
            {7, "battery", {"battery-level", "charging-status"}},
            {9, "wifi", {"signal-strength"}},
            {6, "memory-card-management", card}};
  if (model == "GW_GC1")
    return {iot_device,
            recording,
            {4, "siren", {"state"}},
            {9, "wifi", {"signal-strength"}},
            {6, "memory-card-management", card}};
  if (model == "HL_PAN4")
    return {iot_device, recording, {4, "siren", {"state"}}, {5, "spotlight", {"on"}}, {9, "wifi", {"signal-strength"}}};
  return {};
}

// A value as a whole number: a JSON integer, an integral real, or a string of digits (and sign).
std::optional<std::int64_t> whole(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(v.get_uint64());
  }
  if (v.is_bool()) return v.get_bool() ? 1 : 0;
  if (v.is_double()) {
    double d = v.get_double();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9e15) return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  if (const auto* s = v.if_string()) {
    std::string_view t(*s);
    if (t.empty() || t.size() > 18) return std::nullopt;
    std::size_t i = t.front() == '-' ? 1 : 0;
    if (i == t.size()) return std::nullopt;
    std::int64_t n = 0;
    for (; i < t.size(); ++i) {
      if (t[i] < '0' || t[i] > '9') return std::nullopt;
      n = n * 10 + (t[i] - '0');
    }
    return t.front() == '-' ? -n : n;
  }
  return std::nullopt;
}

// 1 on, 0 off (as a number, a string or a boolean); anything else is no state.
std::optional<bool> on_off(const json::value* v) {
  if (!v) return std::nullopt;
  auto n = whole(*v);
  if (!n || (*n != 0 && *n != 1)) return std::nullopt;
  return *n == 1;
}

std::optional<std::int64_t> number(const json::value* v) { return v ? whole(*v) : std::nullopt; }

result<json::object> answer_object(unsigned status, std::string_view body) {
  if (auto failed = status_failure(status)) return *failed;
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec) return error{failure::bad_response, "the answer is not JSON (" + ec.message() + ")"};
  if (!parsed.is_object()) return error{failure::bad_response, "the answer is not a JSON object"};
  return std::move(parsed.get_object());
}

std::string text_of(const json::object& o, std::string_view key) {
  if (const auto* v = o.if_contains(key)) {
    if (const auto* s = v->if_string()) return std::string(*s);
    if (auto n = whole(*v)) return std::to_string(*n);
  }
  return {};
}

// The device-management API's code: 1 is success (wyzeapy utils.py check_for_errors_iot), the
// others read as the /app API's codes (2001 expired token, 1011 rate limit, 3019 offline…).
std::optional<error> devicemgmt_failure(const json::object& answer) {
  std::string code = text_of(answer, "code");
  if (code == "1") return std::nullopt;
  std::string msg = text_of(answer, "message");
  if (msg.empty()) msg = text_of(answer, "msg");
  if (msg.size() > 120) msg.resize(120);
  if (code == "0") {
    std::string text = "the device-management API answered code 0";
    if (!msg.empty()) text.append(" (").append(msg).append(")");
    return error{failure::rejected, std::move(text)};
  }
  return envelope_failure(code, msg);
}

// Python's repr of a string made of the characters toggle_body allows: quoted, unchanged.
bool plain(std::string_view s) {
  return !s.empty() && s.size() <= max_mac_length && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == ':' || c == '.';
  });
}

struct toggle_ids {
  std::string_view page, toggle;
};

std::optional<toggle_ids> toggle_of(std::string_view capability) {
  if (capability == "notifications") return toggle_ids{"cam_device_notify", "ge.push_switch"};
  if (capability == "motion_detection") return toggle_ids{"cam_event_recording", "ge.motion_detect_recording"};
  return std::nullopt;
}

bool valid(const toggle_request& r) {
  return toggle_of(r.capability) && plain(r.mac) && plain(r.model) && (r.status == "1" || r.status == "0");
}

}  // namespace

std::string devicemgmt_action_body(std::string_view mac, std::string_view model, std::string_view capability,
                                   std::string_view value, std::int64_t nonce_ms) {
  json::object cap;
  if (capability == "power")
    cap = {{"functions", json::array{json::object{{"in", json::object{{"wakeup-live-view", "1"}}}, {"name", value}}}},
           {"iid", 1},
           {"name", "iot-device"}};
  else if (capability == "siren")
    cap = {{"functions", json::array{json::object{{"in", json::object{}}, {"name", value}}}}, {"name", "siren"}};
  else if (capability == "floodlight" || capability == "spotlight")
    cap = {{"iid", capability == "floodlight" ? 4 : 5},
           {"name", capability},
           {"properties", json::array{json::object{{"prop", "on"}, {"value", value}}}}};
  else
    return {};
  return json::serialize(json::object{{"capabilities", json::array{std::move(cap)}},
                                      {"nonce", nonce_ms},
                                      {"targetInfo", target(mac, model)},
                                      {"transactionId", devicemgmt_transaction_id}});
}

std::string iot_properties_body(std::string_view mac, std::string_view model, std::int64_t nonce_ms) {
  auto caps = capabilities_of(model);
  if (caps.empty()) return {};
  json::array list;
  for (const auto& c : caps) {
    json::array props;
    for (auto p : c.properties)
      if (!p.empty()) props.emplace_back(p);
    list.push_back(json::object{{"iid", c.iid}, {"name", c.name}, {"properties", std::move(props)}});
  }
  return json::serialize(
      json::object{{"capabilities", std::move(list)}, {"nonce", nonce_ms}, {"targetInfo", target(mac, model)}});
}

result<done> parse_devicemgmt_answer(unsigned status, std::string_view body) {
  auto answer = answer_object(status, body);
  if (!answer) return answer.error();
  if (auto failed = devicemgmt_failure(answer.value())) return *failed;
  return done{};
}

result<iot_state> parse_iot_properties(unsigned status, std::string_view body) {
  auto answer = answer_object(status, body);
  if (!answer) return answer.error();
  if (auto failed = devicemgmt_failure(answer.value())) return *failed;
  const auto* data = answer.value().if_contains("data");
  const auto* caps = data && data->is_object() ? data->get_object().if_contains("capabilities") : nullptr;
  if (!caps || !caps->is_array()) return error{failure::bad_response, "the answer has no data.capabilities list"};
  iot_state s;
  for (const auto& entry : caps->get_array()) {
    const auto* cap = entry.if_object();
    const auto* props = cap && cap->contains("properties") ? cap->at("properties").if_object() : nullptr;
    const auto* name = cap && cap->contains("name") ? cap->at("name").if_string() : nullptr;
    if (!props || !name) continue;
    auto prop = [&](std::string_view key) { return props->if_contains(key); };
    if (*name == "iot-device") {
      s.power = on_off(prop("iot-power"));
      s.notifications = on_off(prop("push-switch"));
    } else if (*name == "camera") {
      s.motion_detection = on_off(prop("motion-detect-recording"));
    } else if (*name == "siren") {
      s.siren = on_off(prop("state"));
    } else if (*name == "floodlight" || *name == "spotlight") {
      s.light = on_off(prop("on"));
    } else if (*name == "battery") {
      if (auto level = number(prop("battery-level")); level && *level >= 0 && *level <= 100)
        s.battery = static_cast<int>(*level);
      s.charging = on_off(prop("charging-status"));
    } else if (*name == "wifi") {
      // dBm, as the device list's rssi; a value outside -127..0 (a percentage?) is not one.
      if (auto dbm = number(prop("signal-strength")); dbm && *dbm >= -127 && *dbm <= 0)
        s.signal = static_cast<int>(*dbm);
    } else if (*name == "memory-card-management") {
      auto total = number(prop("storage-total-space"));
      auto used = number(prop("storage-used-space"));
      if (total && *total >= 0 && (!used || (*used >= 0 && *used <= *total)))
        s.sd_card = sd_card_state{*total, used.value_or(0), number(prop("storage-status"))};
    }
  }
  return s;
}

std::string toggle_body(const toggle_request& r) {
  if (!valid(r)) return {};
  auto ids = *toggle_of(r.capability);
  json::object item{
      {"device_firmware", "1234567890"},
      {"device_id", r.mac},
      {"device_model", r.model},
      {"page_id", json::array{ids.page}},
      {"toggle_update", json::array{json::object{{"toggle_id", ids.toggle}, {"toggle_status", r.status}}}}};
  return json::serialize(json::object{{"data", json::array{std::move(item)}}, {"nonce", std::to_string(r.nonce_ms)}});
}

std::string toggle_signed_text(const toggle_request& r) {
  if (!valid(r)) return {};
  auto ids = *toggle_of(r.capability);
  // (appended, not "…" + std::string&&: GCC 12 at -O3 warns -Wrestrict on that, falsely)
  std::string text = "data=[{";
  auto item = [&text](std::string_view key, std::string_view value, std::string_view open = "",
                      std::string_view close = "") {
    text.append("'").append(key).append("': ").append(open).append("'").append(value).append("'").append(close);
  };
  item("device_firmware", "1234567890");
  text.append(", ");
  item("device_id", r.mac);
  text.append(", ");
  item("device_model", r.model);
  text.append(", ");
  item("page_id", ids.page, "[", "]");
  text.append(", ");
  text.append("'toggle_update': [{");
  item("toggle_id", ids.toggle);
  text.append(", ");
  item("toggle_status", r.status);
  text.append("}]}]&nonce=").append(std::to_string(r.nonce_ms));
  return text;
}

std::string toggle_signature(std::string_view access_token, const toggle_request& request) {
  return event_signature(access_token, toggle_signed_text(request));
}

result<done> parse_toggle_answer(unsigned status, std::string_view body) {
  if (status == 429) return error{failure::rate_limited, "HTTP 429: Wyze's rate limit was hit on the toggle API"};
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) {
    if (auto failed = status_failure(status)) return *failed;
    return error{failure::bad_response, "the toggle API's answer is not a JSON object"};
  }
  const auto& o = parsed.get_object();
  std::string code = text_of(o, "status");
  if (code == "200" && status == 200) return done{};
  std::string msg;
  if (const auto* r = o.if_contains("response"); r && r->is_object())
    if (const auto* errors = r->get_object().if_contains("errors"); errors && errors->is_array())
      if (!errors->get_array().empty() && errors->get_array().front().is_object())
        msg = text_of(errors->get_array().front().get_object(), "message");
  if (msg.size() > 120) msg.resize(120);
  if (msg.find("InvalidTokenError") != std::string::npos)
    return error{failure::token_expired, "access token expired or invalid (InvalidTokenError)"};
  if (msg.find("InvalidSignature2") != std::string::npos)
    return error{failure::rejected,
                 "the toggle API refused the request's signature (InvalidSignature2): Wyze may have changed how it "
                 "is signed; please report this with the log"};
  if (code == "429" || code == "1011")
    return error{failure::rate_limited,
                 std::string("Wyze's rate limit was hit on the toggle API (status ").append(code).append(")")};
  if (code.empty()) {
    if (auto failed = status_failure(status)) return *failed;
    return error{failure::bad_response, "the toggle API's answer has no status"};
  }
  std::string text = "the toggle API answered status ";
  text.append(code, 0, 12);
  if (!msg.empty()) text.append(" (").append(msg).append(")");
  return error{failure::rejected, std::move(text)};
}

}  // namespace wyze

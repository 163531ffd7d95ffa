// The simulated account's device-management API and signed toggle API (SPEC §11): the Cam OG,
// Pan v4, Floodlight Pro and Battery Cam Pro, answered as SecKatie/wyzeapy reads the real ones
// (services/base_service.py, services/camera_service.py update, utils.py check_for_errors_iot and
// check_for_errors_devicemgmt). The toggle's signature2 is checked over the text wyzeapy's
// crypto.py olive_create_signature signs, rendered here from the body received.
#include "sim/account.hpp"

#include "sim/answers.hpp"
#include "wyze/events.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>

namespace json = boost::json;

namespace sim {
namespace {

// The capabilities each model has (wyzeapy payload_factory.py devicemgmt_get_iot_props_list):
// the simulator's own table, so that a wrong entry in the bridge's shows in the tests.
bool has_capability(std::string_view model, std::string_view name) {
  static const std::array<std::pair<std::string_view, std::array<std::string_view, 7>>, 4> table{{
      {"GW_GC1", {"iot-device", "camera", "siren", "spotlight", "wifi", "memory-card-management"}},
      {"HL_PAN4", {"iot-device", "camera", "siren", "spotlight", "wifi"}},
      {"LD_CFP", {"iot-device", "camera", "siren", "floodlight", "wifi", "memory-card-management"}},
      {"AN_RSCW", {"iot-device", "camera", "battery", "siren", "spotlight", "wifi", "memory-card-management"}},
  }};
  for (const auto& [m, caps] : table)
    if (m == model) return std::find(caps.begin(), caps.end(), name) != caps.end();
  return false;
}

// A property's value before anything changed it.
std::string default_value(const json::object& device, std::string_view key) {
  if (key == "iot-device.iot-state") return std::to_string(int_field(device, "conn_state", 1));
  if (key == "iot-device.iot-power" || key == "iot-device.push-switch" || key == "camera.motion-detect-recording")
    return "1";
  // The same battery and signal the device list shows of it, when it shows them.
  const auto* params = device.if_contains("device_params");
  const auto* p = params && params->is_object() ? &params->get_object() : nullptr;
  if (key == "battery.battery-level")
    return p && p->contains("electricity") ? std::to_string(int_field(*p, "electricity", 88)) : "88";
  if (key == "wifi.signal-strength")
    return p && p->contains("rssi") ? std::to_string(int_field(*p, "rssi", -57)) : "-57";
  if (key == "memory-card-management.storage-total-space") return "30436";
  if (key == "memory-card-management.storage-used-space") return "5120";
  if (key == "memory-card-management.storage-status") return "1";
  if (key == "battery.power-source") return "1";
  return "0";  // siren.state, floodlight.on, spotlight.on, battery.charging-status
}

// A stored value as the cloud sends it: a number when it is one.
json::value as_sent(const std::string& text) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (!ec && (v.is_int64() || v.is_uint64())) return v;
  return json::value(text);
}

// Python's str() of a JSON value (what olive_create_signature's str(payload[item]) writes): dicts
// in their order, ", " and ": ", strings in single quotes (double when they hold one and no
// double), True/False/None.
void python_str(const json::value& v, std::string& out, bool top = false) {
  if (const auto* s = v.if_string()) {
    if (top) {
      out += *s;
      return;
    }
    std::string_view t(*s);
    char quote = t.find('\'') != std::string_view::npos && t.find('"') == std::string_view::npos ? '"' : '\'';
    out += quote;
    for (char c : t) {
      if (c == '\\' || c == quote) out += '\\';
      out += c;
    }
    out += quote;
  } else if (const auto* o = v.if_object()) {
    out += '{';
    bool first = true;
    for (const auto& m : *o) {
      if (!first) out += ", ";
      first = false;
      python_str(json::value(m.key()), out);
      out += ": ";
      python_str(m.value(), out);
    }
    out += '}';
  } else if (const auto* a = v.if_array()) {
    out += '[';
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (i) out += ", ";
      python_str((*a)[i], out);
    }
    out += ']';
  } else if (v.is_bool()) {
    out += v.get_bool() ? "True" : "False";
  } else if (v.is_null()) {
    out += "None";
  } else {
    out += json::serialize(v);
  }
}

response devicemgmt_error(std::string_view code, std::string_view message) {
  return json_answer(200, json::object{{"code", code}, {"message", message}, {"data", nullptr}});
}

response toggle_error(unsigned status, std::string_view message) {
  return json_answer(
      status, json::object{{"status", status},
                           {"response", json::object{{"errors", json::array{json::object{{"message", message}}}}}}});
}

}  // namespace

json::object* account::devicemgmt_target(const json::object& target, response& refusal) {
  std::string mac = field(target, "id");
  for (auto& device : devices_) {
    if (mac.empty() || upper(field(device, "mac")) != upper(mac)) continue;
    std::string model = field(device, "product_model");
    if (field(target, "productModel") != model) {
      refusal = devicemgmt_error("1001", "productModel does not match the device");
      return nullptr;
    }
    if (!has_capability(model, "iot-device")) {
      refusal = devicemgmt_error("1001", "the device is not managed by this service");
      return nullptr;
    }
    return &device;
  }
  refusal = devicemgmt_error("1001", "device not found");
  return nullptr;
}

std::string account::iot_value(const json::object& device, const std::string& key) {
  auto& props = properties_[upper(field(device, "mac"))];
  if (auto it = props.find(key); it != props.end()) return it->second;
  return default_value(device, key);
}

response account::devicemgmt_action(const request& req) {
  ++stats_["devicemgmt_action_calls"];
  if (!access_token_valid(header_of(req, "authorization"))) return devicemgmt_error("2001", "AccessTokenError");
  json::object body = parse_object(req.body);
  const auto* caps = body.if_contains("capabilities");
  const auto* target = body.if_contains("targetInfo");
  if (!caps || !caps->is_array() || caps->get_array().size() != 1 || !caps->get_array()[0].is_object() || !target ||
      !target->is_object() || field(body, "transactionId").empty() || !body.contains("nonce"))
    return devicemgmt_error("1001", "capabilities, targetInfo, transactionId and nonce are required");
  const auto& cap = caps->get_array()[0].get_object();
  std::string name = field(cap, "name");
  std::string what, value;
  if (const auto* functions = cap.if_contains("functions");
      functions && functions->is_array() && !functions->get_array().empty() && functions->get_array()[0].is_object()) {
    what = name;
    value = field(functions->get_array()[0].get_object(), "name");
  } else if (const auto* properties = cap.if_contains("properties"); properties && properties->is_array() &&
                                                                     !properties->get_array().empty() &&
                                                                     properties->get_array()[0].is_object()) {
    const auto& p = properties->get_array()[0].get_object();
    what = name + "." + field(p, "prop");
    value = field(p, "value");
  }
  response refusal;
  auto* device = devicemgmt_target(target->get_object(), refusal);
  record_command("devicemgmt_run_action", field(target->get_object(), "id"), what, value);
  if (!device) return refusal;
  if (int_field(*device, "conn_state", 1) != 1) return devicemgmt_error("3019", "DeviceIsOffline");
  std::string model = field(*device, "product_model");
  if (!has_capability(model, name)) return devicemgmt_error("1001", "the device has no capability " + name);
  auto& props = properties_[upper(field(*device, "mac"))];
  if (name == "iot-device" && (value == "wakeup" || value == "sleep") && int_field(cap, "iid", 0) == 1) {
    props["iot-device.iot-power"] = value == "wakeup" ? "1" : "0";
  } else if (name == "siren" && (value == "siren-on" || value == "siren-off")) {
    props["siren.state"] = value == "siren-on" ? "1" : "0";
  } else if ((name == "floodlight" || name == "spotlight") && what == name + ".on" && (value == "1" || value == "0") &&
             int_field(cap, "iid", 0) == (name == "floodlight" ? 4 : 5)) {
    props[name + ".on"] = value;
  } else {
    return devicemgmt_error("1001", "unknown action");
  }
  return json_answer(200, json::object{{"code", 1}, {"message", "success"}, {"data", json::object{}}});
}

response account::devicemgmt_properties(const request& req) {
  ++stats_["iot_prop_calls"];
  if (!access_token_valid(header_of(req, "authorization"))) return devicemgmt_error("2001", "AccessTokenError");
  json::object body = parse_object(req.body);
  const auto* caps = body.if_contains("capabilities");
  const auto* target = body.if_contains("targetInfo");
  if (!caps || !caps->is_array() || !target || !target->is_object() || !body.contains("nonce"))
    return devicemgmt_error("1001", "capabilities, targetInfo and nonce are required");
  response refusal;
  auto* device = devicemgmt_target(target->get_object(), refusal);
  if (!device) return refusal;
  // An offline camera is answered too, its iot-state 0 (wyzeapy's update reads it as available).
  std::string model = field(*device, "product_model");
  json::array answered;
  for (const auto& asked : caps->get_array()) {
    if (!asked.is_object()) continue;
    const auto& c = asked.get_object();
    std::string name = field(c, "name");
    const auto* wanted = c.if_contains("properties");
    if (!has_capability(model, name) || !wanted || !wanted->is_array()) continue;
    json::object values;
    for (const auto& p : wanted->get_array()) {
      if (!p.is_string()) continue;
      std::string prop(p.get_string());
      // The Wi-Fi password is a secret: counted, so a test sees the bridge never asks for it.
      if (prop == "wifi-encrypted-password") ++stats_["secret_props_asked"];
      values[prop] = as_sent(iot_value(*device, name + "." + prop));
    }
    answered.push_back(json::object{{"iid", c.contains("iid") ? c.at("iid") : json::value(nullptr)},
                                    {"name", name},
                                    {"properties", std::move(values)}});
  }
  ++stats_["iot_prop_devices"];
  return json_answer(
      200,
      json::object{{"code", 1}, {"message", "success"}, {"data", json::object{{"capabilities", std::move(answered)}}}});
}

response account::toggle(const request& req) {
  ++stats_["toggle_calls"];
  std::string token = header_of(req, "access_token");
  if (!access_token_valid(token))
    return toggle_error(401, "com.wyze.ai.subscription.exception.InvalidTokenError>access token is invalid");
  json::error_code ec;
  json::value parsed = json::parse(req.body, ec);
  if (ec || !parsed.is_object() || !parsed.get_object().contains("data") || !parsed.get_object().contains("nonce") ||
      header_of(req, "appid") != wyze::event_app_id)
    return toggle_error(400, "the body needs data and nonce, and the appid header its value");
  const auto& body = parsed.get_object();
  // olive_create_signature: key=str(value) for the sorted keys, joined by '&'.
  std::vector<std::string> keys;
  for (const auto& m : body) keys.emplace_back(m.key());
  std::sort(keys.begin(), keys.end());
  std::string signed_text;
  for (const auto& k : keys) {
    if (!signed_text.empty()) signed_text += '&';
    signed_text += k + "=";
    python_str(body.at(k), signed_text, true);
  }
  if (header_of(req, "signature2") != wyze::event_signature(token, signed_text)) {
    ++stats_["toggle_bad_signatures"];
    return toggle_error(400, "InvalidSignature2");
  }
  const auto* data = body.at("data").if_array();
  if (!data || data->size() != 1 || !(*data)[0].is_object()) return toggle_error(400, "data must hold one device");
  const auto& item = (*data)[0].get_object();
  const auto* updates = item.if_contains("toggle_update");
  const auto* pages = item.if_contains("page_id");
  if (!updates || !updates->is_array() || updates->get_array().size() != 1 || !updates->get_array()[0].is_object() ||
      !pages || !pages->is_array() || pages->get_array().size() != 1)
    return toggle_error(400, "toggle_update and page_id must hold one entry");
  const auto& update = updates->get_array()[0].get_object();
  std::string id = field(update, "toggle_id"), status = field(update, "toggle_status");
  std::string page = pages->get_array()[0].is_string() ? std::string(pages->get_array()[0].get_string()) : "";
  std::string mac = field(item, "device_id");
  record_command("toggle", mac, id, status);
  json::object* device = nullptr;
  for (auto& d : devices_)
    if (!mac.empty() && upper(field(d, "mac")) == upper(mac)) device = &d;
  if (!device || field(item, "device_model") != field(*device, "product_model"))
    return toggle_error(404, "no such device");
  // The OG family answers its toggles this way whatever the signature (ha-wyzeapi #686).
  std::string model = field(*device, "product_model");
  if (model == "GW_GC1" || model == "GW_GC2") return toggle_error(400, "InvalidSignature2");
  if (int_field(*device, "conn_state", 1) != 1) return toggle_error(400, "DeviceIsOffline");
  std::string key = id == "ge.push_switch" && page == "cam_device_notify" ? "iot-device.push-switch"
                    : id == "ge.motion_detect_recording" && page == "cam_event_recording"
                        ? "camera.motion-detect-recording"
                        : "";
  if (key.empty() || (status != "1" && status != "0")) return toggle_error(400, "unknown toggle");
  properties_[upper(mac)][key] = status;
  return json_answer(200, json::object{{"status", 200}, {"response", json::object{{"data", json::array{}}}}});
}

void account::add_devicemgmt_cameras() {
  for (const char* camera :
       {R"({"mac":"GW_GC1_7C78B2A1B2C3","nickname":"Hallway OG","product_model":"GW_GC1","conn_state":1})",
        R"({"mac":"HL_PAN4_80482C5A1B2C","nickname":"Living room Pan","product_model":"HL_PAN4","conn_state":1})",
        R"({"mac":"D03F27A1B2C4","nickname":"Yard Floodlight Pro","product_model":"LD_CFP","conn_state":1})",
        R"({"mac":"D03F27A1B2C5","nickname":"Shed Battery Pro","product_model":"AN_RSCW","conn_state":1,)"
        R"("properties":{"battery.battery-level":"64","battery.charging-status":"1"}})"})
    handle({"POST", "/sim/cameras", {}, camera});
}

}  // namespace sim

#include "wyze/camera.hpp"

#include "common/utf8.hpp"

#include <boost/json.hpp>

#include <cctype>
#include <charconv>
#include <cmath>
#include <unordered_set>

namespace json = boost::json;

namespace wyze {

std::string Camera::id() const { return camera_id(mac); }

std::string camera_id(std::string_view mac) {
  std::string out;
  out.reserve(mac.size());
  for (unsigned char c : mac)
    if (std::isalnum(c) || c == '_' || c == '-') out += static_cast<char>(std::toupper(c));
  return out;
}

namespace {

const json::value* find(const json::object* object, std::string_view key) {
  return object ? object->if_contains(key) : nullptr;
}

// A string field; numbers are accepted as text, empty strings and other types are "not reported".
std::optional<std::string> text(const json::value* v) {
  if (!v) return std::nullopt;
  if (const auto* s = v->if_string(); s && !s->empty()) return common::valid_utf8(*s);
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  return std::nullopt;
}

std::optional<std::int64_t> integer(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= INT64_MAX) return static_cast<std::int64_t>(v->get_uint64());
  // A double outside int64's range (or NaN) has no integer value: casting it would be undefined.
  if (v->is_double() && std::isfinite(v->get_double()) && std::abs(v->get_double()) < 9.2e18)
    return static_cast<std::int64_t>(v->get_double());
  if (const auto* s = v->if_string()) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), n);
    if (ec == std::errc{} && end == s->data() + s->size()) return n;
  }
  return std::nullopt;
}

// 1/0, true/false or "1"/"0"; anything else is "not reported".
std::optional<bool> flag(const json::value* v) {
  if (v && v->is_bool()) return v->get_bool();
  auto n = integer(v);
  if (n && (*n == 0 || *n == 1)) return *n == 1;
  return std::nullopt;
}

template <class T>
std::optional<T> first_of(std::optional<T> a, std::optional<T> b) {
  return a ? a : b;
}

Camera to_camera(const json::object& entry) {
  const json::object* params = nullptr;
  if (const auto* p = entry.if_contains("device_params")) params = p->if_object();
  Camera cam;
  cam.mac = text(find(&entry, "mac")).value_or("");
  cam.nickname = text(find(&entry, "nickname"));
  cam.product_model = text(find(&entry, "product_model"));
  cam.product_type = text(find(&entry, "product_type"));
  cam.firmware_ver = text(find(&entry, "firmware_ver"));
  cam.hardware_ver = text(find(&entry, "hardware_ver"));
  cam.ip = first_of(text(find(params, "ip")), text(find(&entry, "ip")));
  cam.online = flag(find(&entry, "conn_state"));
  cam.conn_state_ts_ms = integer(find(&entry, "conn_state_ts"));
  // Milliseconds since 1970; anything not between then and the year 9999 is not a time.
  if (cam.conn_state_ts_ms && (*cam.conn_state_ts_ms <= 0 || *cam.conn_state_ts_ms > 253402300799999))
    cam.conn_state_ts_ms.reset();
  cam.ssid = first_of(text(find(&entry, "ssid")), text(find(params, "ssid")));
  cam.power = first_of(flag(find(params, "power_switch")), flag(find(&entry, "power_switch")));
  if (auto push = integer(find(&entry, "push_switch")); push && *push >= 0 && *push <= 2)
    cam.notifications = *push == 1;
  cam.motion_detection = first_of(flag(find(params, "motion_alarm_switch")), flag(find(&entry, "motion_alarm_switch")));
  cam.timezone = first_of(text(find(&entry, "timezone_name")), text(find(&entry, "device_timezone")));
  return cam;
}

const json::array* entries_of(const json::value& data) {
  const auto* object = data.if_object();
  for (std::string_view key : {"device_list", "device_info_list"})
    if (const auto* list = find(object, key); list && list->is_array()) return &list->get_array();
  return nullptr;
}

}  // namespace

void device_list_builder::add(const json::value& entry) {
  std::size_t index = ++list_.devices;
  const auto* object = entry.if_object();
  if (!object) {
    list_.problems.push_back("device " + std::to_string(index) + " is not a JSON object; skipped");
    return;
  }
  if (text(object->if_contains("product_type")).value_or("") != "Camera") return;
  Camera cam = to_camera(*object);
  std::string id = cam.id();
  if (id.empty()) {
    list_.problems.push_back("camera " + std::to_string(index) + " (" + cam.nickname.value_or("no nickname") +
                             ") has no MAC; skipped");
    return;
  }
  // A MAC becomes a topic level: one of 64 KiB would make a topic longer than MQTT allows.
  if (cam.mac.size() > max_mac_length) {
    list_.problems.push_back("camera " + std::to_string(index) + " has a MAC of " + std::to_string(cam.mac.size()) +
                             " characters (at most " + std::to_string(max_mac_length) + "); skipped");
    return;
  }
  if (!seen_.insert(id).second) {
    list_.problems.push_back("camera " + std::to_string(index) + " repeats MAC " + id + "; the first one is kept");
    return;
  }
  list_.cameras.push_back(std::move(cam));
}

device_list parse_device_list(const json::value& data) {
  const json::array* entries = entries_of(data);
  if (!entries) return {{}, {"the response has no device_list array"}, 0};
  device_list_builder builder;
  for (const auto& entry : *entries) builder.add(entry);
  return builder.take();
}

}  // namespace wyze

#include "wyze/camera.hpp"
#include "wyze/capabilities.hpp"

#include "common/utf8.hpp"

#include <boost/json.hpp>

#include <bit>
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

using kind = raw_field::kind;

// The lenient rules, the one place that says how a field the cloud sent is read.

// A string field; numbers are accepted as text, empty strings and other types are "not reported".
std::optional<std::string> text(const raw_field& f) {
  if (f.type == kind::string && !f.text.empty()) return common::valid_utf8(f.text);
  if (f.type == kind::int64) return std::to_string(f.int64);
  if (f.type == kind::uint64) return std::to_string(f.uint64);
  return std::nullopt;
}

std::optional<std::int64_t> integer(const raw_field& f) {
  switch (f.type) {
    case kind::int64:
      return f.int64;
    case kind::uint64:
      if (f.uint64 <= INT64_MAX) return static_cast<std::int64_t>(f.uint64);
      return std::nullopt;
    case kind::real:
      // A double outside int64's range (or NaN) has no integer value: casting it would be undefined.
      if (std::isfinite(f.real) && std::abs(f.real) < 9.2e18) return static_cast<std::int64_t>(f.real);
      return std::nullopt;
    case kind::string: {
      std::int64_t n = 0;
      const char* end = f.text.data() + f.text.size();
      auto [at, ec] = std::from_chars(f.text.data(), end, n);
      if (ec == std::errc{} && at == end) return n;
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

// 1/0, true/false or "1"/"0"; anything else is "not reported".
std::optional<bool> flag(const raw_field& f) {
  if (f.type == kind::boolean) return f.boolean;
  auto n = integer(f);
  if (n && (*n == 0 || *n == 1)) return *n == 1;
  return std::nullopt;
}

template <class T>
std::optional<T> first_of(std::optional<T> a, std::optional<T> b) {
  return a ? a : b;
}

Camera to_camera(const device_entry& e, bool thumbnails) {
  const auto& f = e.fields;
  const auto& p = e.params;
  using d = device_entry;
  Camera cam;
  cam.mac = text(f[d::mac]).value_or("");
  cam.nickname = text(f[d::nickname]);
  cam.product_model = text(f[d::product_model]);
  cam.product_type = text(f[d::product_type]);
  cam.firmware_ver = text(f[d::firmware_ver]);
  cam.hardware_ver = text(f[d::hardware_ver]);
  cam.ip = first_of(text(p[d::param_ip]), text(f[d::ip]));
  cam.online = flag(f[d::conn_state]);
  cam.conn_state_ts_ms = integer(f[d::conn_state_ts]);
  // Milliseconds since 1970; anything not between then and the year 9999 is not a time.
  if (cam.conn_state_ts_ms && (*cam.conn_state_ts_ms <= 0 || *cam.conn_state_ts_ms > 253402300799999))
    cam.conn_state_ts_ms.reset();
  cam.ssid = first_of(text(f[d::ssid]), text(p[d::param_ssid]));
  cam.power = first_of(flag(p[d::param_power_switch]), flag(f[d::power_switch]));
  if (auto push = integer(f[d::push_switch]); push && *push >= 0 && *push <= 2) cam.notifications = *push == 1;
  cam.motion_detection = first_of(flag(p[d::param_motion_alarm_switch]), flag(f[d::motion_alarm_switch]));
  cam.timezone = first_of(text(f[d::timezone_name]), text(f[d::device_timezone]));
  if (auto level = integer(p[d::param_electricity]); level && *level >= 0 && *level <= 100)
    cam.battery = static_cast<int>(*level);
  cam.charging = flag(p[d::param_charging]);
  // dBm: a Wi-Fi signal is between -127 and 0; anything else (a percentage, garbage) is not one.
  if (auto rssi = first_of(integer(p[d::param_rssi]), integer(f[d::rssi])); rssi && *rssi >= -127 && *rssi <= 0)
    cam.signal = static_cast<int>(*rssi);
  if (auto dongle = text(p[d::param_accessory]); dongle && !dongle->empty()) cam.accessory = std::move(dongle);
  // The device-management models' states come from get_iot_prop (SPEC §11): whatever the device
  // list says of them is not what their app shows, and one source per state is never two.
  if (uses_devicemgmt(cam)) copy_read_states(cam, Camera{});
  if (auto ts = integer(e.thumbs[d::thumbnails_ts]); thumbnails && ts && *ts > 0) {
    // Only an https URL is kept: a picture is never fetched over anything else.
    auto url = text(e.thumbs[d::thumbnails_url]);
    cam.thumbnail = shared_value(camera_thumbnail{*ts, url && url->starts_with("https://") ? *url : std::string()});
  }
  return cam;
}

// The names, in the order of device_entry's enums.
constexpr std::array<std::string_view, device_entry::top_count> top_names{
    "mac",          "nickname",    "product_model",       "product_type",  "firmware_ver",
    "hardware_ver", "ip",          "conn_state",          "conn_state_ts", "ssid",
    "power_switch", "push_switch", "motion_alarm_switch", "timezone_name", "device_timezone",
    "rssi"};
constexpr std::array<std::string_view, device_entry::param_count> param_names{"ip",           "ssid",
                                                                              "power_switch", "motion_alarm_switch",
                                                                              "electricity",  "battery_charging_status",
                                                                              "rssi",         "dongle_product_model"};
constexpr std::array<std::string_view, device_entry::thumb_count> thumb_names{"thumbnails_url", "thumbnails_ts"};

// A device entry has some 80 keys, a dozen of them read: most keys are rejected by their length
// alone, and the rest compared only with the names of that length.
template <std::size_t N, const std::array<std::string_view, N>& names>
raw_field* lookup(std::array<raw_field, N>& fields, std::string_view key) {
  constexpr std::size_t longest = 32;
  static constexpr auto by_length = [] {
    std::array<std::uint32_t, longest> masks{};  // bit i: names[i] has this length
    for (std::size_t i = 0; i < N; ++i) masks[names[i].size()] |= std::uint32_t{1} << i;
    return masks;
  }();
  if (key.size() >= longest) return nullptr;
  for (std::uint32_t mask = by_length[key.size()]; mask != 0; mask &= mask - 1) {
    auto i = static_cast<std::size_t>(std::countr_zero(mask));
    if (names[i] == key) return &fields[i];
  }
  return nullptr;
}

void assign(raw_field& f, const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      f.type = kind::string;
      f.text.assign(v.get_string().data(), v.get_string().size());
      break;
    case json::kind::int64:
      f.type = kind::int64;
      f.int64 = v.get_int64();
      break;
    case json::kind::uint64:
      f.type = kind::uint64;
      f.uint64 = v.get_uint64();
      break;
    case json::kind::double_:
      f.type = kind::real;
      f.real = v.get_double();
      break;
    case json::kind::bool_:
      f.type = kind::boolean;
      f.boolean = v.get_bool();
      break;
    case json::kind::null:
      f.type = kind::null;
      break;
    default:
      f.type = kind::structured;
  }
}

const json::array* entries_of(const json::value& data) {
  const auto* object = data.if_object();
  if (!object) return nullptr;
  for (std::string_view key : {"device_list", "device_info_list"})
    if (const auto* list = object->if_contains(key); list && list->is_array()) return &list->get_array();
  return nullptr;
}

}  // namespace

raw_field* device_entry::top_field(std::string_view key) { return lookup<top_count, top_names>(fields, key); }
raw_field* device_entry::param_field(std::string_view key) { return lookup<param_count, param_names>(params, key); }
raw_field* device_entry::thumb_field(std::string_view key) { return lookup<thumb_count, thumb_names>(thumbs, key); }

void device_entry::clear() {
  for (auto& f : fields) f.type = kind::absent;
  clear_params();
}

void device_entry::clear_params() {
  for (auto& f : params) f.type = kind::absent;
  clear_thumbs();
}

void device_entry::clear_thumbs() {
  for (auto& f : thumbs) f.type = kind::absent;
}

device_entry device_entry::of(const json::object& entry) {
  device_entry e;
  for (std::size_t i = 0; i < top_count; ++i)
    if (const auto* v = entry.if_contains(top_names[i])) assign(e.fields[i], *v);
  if (const auto* p = entry.if_contains("device_params"); p && p->is_object()) {
    for (std::size_t i = 0; i < param_count; ++i)
      if (const auto* v = p->get_object().if_contains(param_names[i])) assign(e.params[i], *v);
    if (const auto* t = p->get_object().if_contains("camera_thumbnails"); t && t->is_object())
      for (std::size_t i = 0; i < thumb_count; ++i)
        if (const auto* v = t->get_object().if_contains(thumb_names[i])) assign(e.thumbs[i], *v);
  }
  return e;
}

void device_list_builder::add(const json::value& entry) {
  if (const auto* object = entry.if_object())
    add(device_entry::of(*object));
  else
    add_not_object();
}

void device_list_builder::add_not_object() {
  std::size_t index = ++list_.devices;
  list_.problems.push_back("device " + std::to_string(index) + " is not a JSON object; skipped");
}

void device_list_builder::add(const device_entry& entry) {
  std::size_t index = ++list_.devices;
  // Doorbells may come as product_type "Doorbell" (IDisposable/docker-wyze-bridge
  // internal/wyzeapi/cameras.go isSupportedProductType); they are cameras here.
  if (auto type = text(entry.fields[device_entry::product_type]).value_or(""); type != "Camera" && type != "Doorbell")
    return;
  Camera cam = to_camera(entry, thumbnails_);
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

device_list parse_device_list(const json::value& data, bool thumbnails) {
  const json::array* entries = entries_of(data);
  if (!entries) return {{}, {"the response has no device_list array"}, 0};
  device_list_builder builder(thumbnails);
  for (const auto& entry : *entries) builder.add(entry);
  return builder.take();
}

}  // namespace wyze

#include "mqtt/topics.hpp"

#include "bridge/utc_time.hpp"
#include "wyze/models.hpp"

#include <boost/json.hpp>

#include <cctype>
#include <ctime>

namespace json = boost::json;

namespace broker {

std::string topic_segment(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '_';
  return out;
}

std::string iso8601_utc(std::int64_t epoch_ms) { return format_utc(epoch_ms, "%Y-%m-%dT%H:%M:%SZ"); }

namespace {

json::value or_null(const std::optional<std::string>& v) { return v ? json::value(*v) : json::value(nullptr); }

template <class T, class F>
json::value or_null(const std::optional<T>& v, F convert) {
  return v ? json::value(convert(*v)) : json::value(nullptr);
}

std::string attributes(const wyze::Camera& cam) {
  json::object a;
  a["mac"] = cam.mac;
  a["nickname"] = or_null(cam.nickname);
  a["product_model"] = or_null(cam.product_model);
  a["model_name"] = or_null(cam.product_model, [](const std::string& m) { return wyze::model_name(m); });
  a["product_type"] = or_null(cam.product_type);
  a["firmware_ver"] = or_null(cam.firmware_ver);
  a["hardware_ver"] = or_null(cam.hardware_ver);
  a["ip"] = or_null(cam.ip);
  a["conn_state"] = or_null(cam.online, [](bool b) { return b; });
  a["conn_state_ts"] = or_null(cam.conn_state_ts_ms, [](std::int64_t ms) { return iso8601_utc(ms); });
  a["ssid"] = or_null(cam.ssid);
  a["power"] = or_null(cam.power, [](bool on) { return on ? "on" : "off"; });
  a["timezone"] = or_null(cam.timezone);
  return json::serialize(a);
}

}  // namespace

std::vector<message> camera_states(std::string_view base, const wyze::Camera& camera) {
  std::string prefix = std::string(base) + "/" + camera.id() + "/";
  std::vector<message> out;
  out.reserve(4);
  if (camera.online) out.push_back({prefix + "conn_state", *camera.online ? "online" : "offline"});
  out.push_back({prefix + "ip", camera.ip.value_or(std::string(unknown_value))});
  out.push_back({prefix + "firmware", camera.firmware_ver.value_or(std::string(unknown_value))});
  out.push_back({prefix + "attributes", attributes(camera)});
  return out;
}

}  // namespace broker

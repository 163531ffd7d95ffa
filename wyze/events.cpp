#include "wyze/events.hpp"

#include "wyze/password.hpp"
#include "wyze/protocol.hpp"

#include "common/hex.hpp"
#include "common/utf8.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

namespace json = boost::json;

namespace wyze {
namespace {

// Event values (wyze-sdk models/events EventAlarmType, from the app's com.HLApi.Obj.EventItem).
struct value_name {
  int value;
  std::string_view type;
};
constexpr value_name value_names[] = {{1, "motion"}, {6, "motion"}, {7, "motion"}, {13, "motion"},
                                      {2, "sound"},  {4, "smoke"},  {5, "co"},     {10, "doorbell"},
                                      {12, "face"},  {3, "other"},  {11, "scene"}};

// AI tags (wyze-sdk AiEventType, from the app's com.wyze.platformkit.config.AiConfig), in the
// order they win when an event has several.
struct tag_name {
  long tag;
  std::string_view type;
};
constexpr tag_name tag_names[] = {{101, "person"}, {101001, "face"},   {102, "vehicle"},    {104, "package"},
                                  {103, "pet"},    {800001, "crying"}, {800002, "barking"}, {800003, "meowing"}};

std::optional<std::int64_t> integer_of(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= INT64_MAX) return static_cast<std::int64_t>(v->get_uint64());
  if (const auto* s = v->if_string()) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), n);
    if (ec == std::errc{} && end == s->data() + s->size()) return n;
  }
  return std::nullopt;
}

std::string text_of(const json::value* v) {
  if (!v) return {};
  if (const auto* s = v->if_string()) return std::string(*s);
  if (auto n = integer_of(v)) return std::to_string(*n);
  return {};
}

}  // namespace

std::string event_list_body(const event_query& query) {
  // json::object keeps the order of insertion: written in sorted order, it serializes sorted.
  json::array macs;
  for (const auto& mac : query.macs) macs.emplace_back(mac);
  json::object body;
  body["begin_time"] = query.begin_ms;
  body["count"] = query.count;
  body["device_id_list"] = std::move(macs);
  body["end_time"] = query.end_ms;
  body["event_tag_list"] = json::array();
  body["event_value_list"] = json::array();
  body["nonce"] = std::to_string(query.nonce);
  body["order_by"] = 1;
  return json::serialize(body);
}

std::string event_signature(std::string_view access_token, std::string_view body) {
  std::string key = md5_hex(std::string(access_token) + "wyze_app_secret_key_132");
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_md5(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(body.data()),
       body.size(), mac, &length);
  return common::hex(mac, length);
}

result<event_list> parse_event_list(unsigned status, std::string_view body) {
  if (auto failed = status_failure(status)) return *failed;
  json::error_code ec;
  json::parse_options options;
  options.allow_invalid_utf8 = true;
  auto document = json::parse(body, ec, {}, options);
  if (ec) return error{failure::bad_response, "the answer is not JSON (" + ec.message() + ")"};
  const auto* root = document.if_object();
  if (!root) return error{failure::bad_response, "the answer is not a JSON object"};
  std::string code(envelope_code(text_of(root->if_contains("code")), text_of(root->if_contains("ErrNo"))));
  if (code != "1" && code != "0") {
    if (auto failed = envelope_failure(code, text_of(root->if_contains("msg")))) return *failed;
  }
  const auto* data = root->if_contains("data");
  const auto* list = data && data->is_object() ? data->get_object().if_contains("event_list") : nullptr;
  if (!list || !list->is_array()) return error{failure::bad_response, "the answer has no data.event_list array"};
  event_list out;
  for (const auto& entry : list->get_array()) {
    const auto* e = entry.if_object();
    if (!e) {
      ++out.skipped;
      continue;
    }
    camera_event event;
    event.id = text_of(e->if_contains("event_id"));
    event.mac = text_of(e->if_contains("device_id"));
    if (event.mac.empty()) event.mac = text_of(e->if_contains("device_mac"));  // the v2 name
    auto time = integer_of(e->if_contains("event_ts"));
    // Ids and MACs are short; anything else is not an event the bridge can name on MQTT.
    if (event.id.empty() || event.mac.empty() || !time || *time <= 0 || event.id.size() > max_event_id_length ||
        event.mac.size() > max_mac_length) {
      ++out.skipped;
      continue;
    }
    event.id = common::valid_utf8(event.id);
    event.time_ms = *time;
    event.value = static_cast<int>(integer_of(e->if_contains("event_value")).value_or(0));
    if (const auto* tags = e->if_contains("tag_list"); tags && tags->is_array())
      for (const auto& tag : tags->get_array())
        if (auto n = integer_of(&tag)) event.tags.push_back(static_cast<long>(*n));
    if (const auto* files = e->if_contains("file_list"); files && files->is_array())
      for (const auto& file : files->get_array())
        if (const auto* f = file.if_object(); f && integer_of(f->if_contains("type")) == 1 && event.picture_url.empty())
          event.picture_url = text_of(f->if_contains("url"));
    out.events.push_back(std::move(event));
  }
  // Oldest first, whatever order the cloud used; the same time keeps the cloud's order.
  std::stable_sort(out.events.begin(), out.events.end(),
                   [](const camera_event& a, const camera_event& b) { return a.time_ms < b.time_ms; });
  return out;
}

std::string event_type_of(const camera_event& event) {
  for (const auto& [tag, type] : tag_names)
    if (std::find(event.tags.begin(), event.tags.end(), tag) != event.tags.end()) return std::string(type);
  for (const auto& [value, type] : value_names)
    if (value == event.value) return std::string(type);
  return "other";
}

bool is_motion(const camera_event& event) {
  for (int v : {1, 6, 7, 13})
    if (event.value == v) return true;
  // An AI detection (person, vehicle, pet, package) is motion too.
  for (long tag : event.tags)
    if (tag >= 101 && tag <= 104) return true;
  return false;
}

const std::vector<std::string_view>& event_types() {
  static const std::vector<std::string_view> types = [] {
    std::vector<std::string_view> all;
    for (const auto& t : tag_names)
      if (std::find(all.begin(), all.end(), t.type) == all.end()) all.push_back(t.type);
    for (const auto& v : value_names)
      if (std::find(all.begin(), all.end(), v.type) == all.end()) all.push_back(v.type);
    return all;
  }();
  return types;
}

}  // namespace wyze

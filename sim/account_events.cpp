// The simulated account's camera events and pictures (SPEC §8): the signed v4 event list checked
// as the cloud checks it, the older v2 list, pictures behind signed URLs that expire, and the
// control call that creates events (one, or a burst).
#include "sim/account.hpp"

#include "sim/answers.hpp"
#include "wyze/events.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace json = boost::json;

namespace sim {
namespace {

// The compact JSON of `v` with the keys of every object sorted (Python's sort_keys=True).
void sorted_text(const json::value& v, std::string& out) {
  if (const auto* o = v.if_object()) {
    std::vector<std::pair<std::string_view, const json::value*>> members;
    for (const auto& m : *o) members.emplace_back(m.key(), &m.value());
    std::sort(members.begin(), members.end());
    out += '{';
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i) out += ',';
      out += json::serialize(json::string(members[i].first));
      out += ':';
      sorted_text(*members[i].second, out);
    }
    out += '}';
  } else if (const auto* a = v.if_array()) {
    out += '[';
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (i) out += ',';
      sorted_text((*a)[i], out);
    }
    out += ']';
  } else {
    out += json::serialize(v);
  }
}

std::vector<std::string> strings_of(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* v = o.if_contains(key); v && v->is_array())
    for (const auto& item : v->get_array())
      if (const auto* s = item.if_string()) out.emplace_back(upper(std::string(*s)));
  return out;
}

// The value of query parameter `name` in `target`, or empty.
std::string query_value(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=')
      return std::string(pair.substr(name.size() + 1));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return {};
}

void append_segment(std::string& out, unsigned char marker, std::string_view payload) {
  out += '\xFF';
  out += static_cast<char>(marker);
  std::size_t length = payload.size() + 2;
  out += static_cast<char>(length >> 8);
  out += static_cast<char>(length & 0xFF);
  out.append(payload);
}

constexpr std::int64_t picture_url_lifetime_ms = std::int64_t{20} * 60 * 1000;  // as Wyze's signed S3 URLs

}  // namespace

std::string make_jpeg(std::string_view comment, std::size_t at_least) {
  constexpr std::size_t max_segment = 65533;
  std::string out = "\xFF\xD8";
  append_segment(out, 0xFE, comment.substr(0, max_segment));
  // Quantization table 0: all ones.
  append_segment(out, 0xDB, std::string(1, '\0') + std::string(64, '\x01'));
  // Baseline, 8 bits, 64×64, one component (id 1, 1×1 sampling, table 0).
  append_segment(out, 0xC0, std::string("\x08\x00\x40\x00\x40\x01\x01\x11\x00", 9));
  // Huffman tables with one code each ("0"): DC category 0, and AC end-of-block.
  std::string one_code(1 + 16 + 1, '\0');
  one_code[1] = 1;
  append_segment(out, 0xC4, one_code);
  one_code[0] = 0x10;
  append_segment(out, 0xC4, one_code);
  append_segment(out, 0xDA, std::string("\x01\x01\x00\x00\x3F\x00", 6));
  // 64 blocks of DC difference 0 then end-of-block: 2 zero bits each.
  out.append(16, '\0');
  out += "\xFF\xD9";
  // Padding: comment segments before the frame (decoders skip them).
  std::string padding;
  while (out.size() + padding.size() < at_least) {
    std::size_t need = at_least - out.size() - padding.size();
    std::size_t take = std::min(max_segment, need > 4 ? need - 4 : 1);
    append_segment(padding, 0xFE, std::string(take, 'x'));
  }
  out.insert(2, padding);
  return out;
}

std::string account::thumbnail_picture(const std::string& mac) { return make_jpeg("wyze-cloud-sim thumbnail " + mac); }

void account::sign_thumbnails(json::object& device, const std::string& host) {
  auto* params = device.if_contains("device_params");
  if (!params || !params->is_object()) return;
  auto* thumbs = params->get_object().if_contains("camera_thumbnails");
  if (!thumbs || !thumbs->is_object()) return;
  auto* url = thumbs->get_object().if_contains("thumbnails_url");
  if (url && url->is_string() && url->get_string().starts_with("/"))
    *url = "https://" + host + std::string(url->get_string());
}

json::array account::events_between(const std::vector<std::string>& macs, std::int64_t begin, std::int64_t end,
                                    std::size_t count, bool newest_first, const std::string& host) {
  json::array list;
  auto wanted = [&](const json::object& e) {
    std::int64_t ts = int_field(e, "event_ts", 0);
    return ts >= begin && ts <= end &&
           (macs.empty() || std::find(macs.begin(), macs.end(), field(e, "device_id")) != macs.end());
  };
  auto add = [&](const json::object& e) {
    json::object entry = e;
    if (auto* files = entry.if_contains("file_list"); files && files->is_array())
      for (auto& f : files->get_array())
        if (auto* url = f.as_object().if_contains("url"); url && url->is_string())
          *url = "https://" + host + std::string(url->get_string());
    list.push_back(std::move(entry));
  };
  if (newest_first) {
    for (auto it = events_.rbegin(); it != events_.rend() && list.size() < count; ++it)
      if (wanted(*it)) add(*it);
  } else {
    for (auto it = events_.begin(); it != events_.end() && list.size() < count; ++it)
      if (wanted(*it)) add(*it);
  }
  return list;
}

// The v4 list checks what the cloud checks: the token, the app id, a body that is compact JSON with
// sorted keys, and signature2 over exactly those bytes.
response account::event_list_v4(const request& req) {
  ++stats_["event_list_calls"];
  std::string token = header_of(req, "access_token");
  // The newer host answers an expired token with ErrNo and no code (noelportugal/wyze-node PR #52).
  if (!access_token_valid(token))
    return json_answer(200, json::object{{"ErrNo", 2001}, {"msg", "access token is error"}, {"data", json::object{}}});
  if (header_of(req, "appid") != wyze::event_app_id) return envelope_error("1001", "InvalidAppId");
  json::error_code ec;
  auto parsed = json::parse(req.body, ec);
  std::string canonical;
  if (!ec && parsed.is_object()) sorted_text(parsed, canonical);
  if (ec || !parsed.is_object() || canonical != req.body) {
    ++stats_["signature_refusals"];
    return envelope_error("1001", "InvalidSignature2");
  }
  if (header_of(req, "signature2") != wyze::event_signature(token, req.body)) {
    ++stats_["signature_refusals"];
    return envelope_error("1001", "InvalidSignature2");
  }
  const auto& body = parsed.get_object();
  auto macs = strings_of(body, "device_id_list");
  std::int64_t count = std::clamp<std::int64_t>(int_field(body, "count", 20), 1, 20);
  auto list = events_between(macs, int_field(body, "begin_time", 0), int_field(body, "end_time", 0),
                             static_cast<std::size_t>(count), int_field(body, "order_by", 2) == 2, host_);
  // When an answer first carried an event (wall clock, ms): commands_bench measures from it.
  for (const auto& e : list)
    if (answered_events_.insert(field(e.as_object(), "event_id")).second) stats_["events_first_answered_ms"] = now_ms();
  return envelope(json::object{{"event_list", std::move(list)}});
}

// The older envelope call (wyze-sdk api_service): device_mac_list, newest first by default.
response account::event_list_v2(const json::object& body) {
  ++stats_["event_list_v2_calls"];
  if (!access_token_valid(field(body, "access_token"))) return envelope_error("2001", "AccessTokenError");
  std::int64_t count = std::clamp<std::int64_t>(int_field(body, "count", 20), 1, 20);
  std::int64_t begin = int_field(body, "begin_time", 0), end = int_field(body, "end_time", 0);
  // (v2 sends the times as strings in some app versions)
  if (auto b = field(body, "begin_time"); !b.empty()) begin = std::stoll(b);
  if (auto e = field(body, "end_time"); !e.empty()) end = std::stoll(e);
  auto list = events_between(strings_of(body, "device_mac_list"), begin, end, static_cast<std::size_t>(count),
                             int_field(body, "order_by", 2) == 2, host_);
  for (auto& e : list) {
    auto& o = e.as_object();
    o["device_mac"] = o["device_id"];
  }
  return envelope(json::object{{"event_list", std::move(list)}});
}

// POST /sim/events {"mac", "value" (1 motion), "tags" ([101] person), "count" (a burst), "age_s",
// "picture" (false: no picture), "picture_size" (bytes at least), "expires_s" (URL lifetime)}.
response account::create_events(const json::object& body) {
  std::string mac = upper(field(body, "mac"));
  json::object* device = nullptr;
  for (auto& d : devices_)
    if (upper(field(d, "mac")) == mac && is_camera(d)) device = &d;
  if (!device) return json_answer(404, json::object{{"error", "no camera with MAC " + mac}});
  std::int64_t count = std::clamp<std::int64_t>(int_field(body, "count", 1), 1, 1000);
  json::array tags;
  if (const auto* t = body.if_contains("tags"); t && t->is_array()) tags = t->get_array();
  bool with_picture = true;
  if (const auto* p = body.if_contains("picture"); p && p->is_bool()) with_picture = p->get_bool();
  auto size = static_cast<std::size_t>(std::clamp<std::int64_t>(int_field(body, "picture_size", 0), 0, 64 << 20));
  std::int64_t lifetime = int_field(body, "expires_s", picture_url_lifetime_ms / 1000) * 1000;
  std::int64_t base = now_ms() - int_field(body, "age_s", 0) * 1000;
  json::array created;
  for (std::int64_t i = 0; i < count; ++i) {
    std::string id = "sim-" + std::to_string(base) + "-" + std::to_string(++next_event_);
    std::int64_t ts = base + i;  // a burst: one ms apart, in creation order
    json::object event{
        {"event_id", id},   {"device_id", mac},          {"device_model", field(*device, "product_model")},
        {"event_ts", ts},   {"event_category", 0},       {"event_value", std::to_string(int_field(body, "value", 1))},
        {"tag_list", tags}, {"file_list", json::array{}}};
    json::object made{{"event_id", id}, {"event_ts", ts}};
    if (with_picture) {
      std::string signature = random_hex(64);
      secrets_.push_back(signature);
      pictures_[id] = {make_jpeg("wyze-cloud-sim event " + id, size), signature, now_ms() + lifetime};
      // The host is added when the list is answered (the address the client used).
      std::string path = "/sim-s3/" + id +
                         ".jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=" + std::to_string(lifetime / 1000) +
                         "&X-Amz-Signature=" + signature;
      event["file_list"].as_array().push_back(json::object{{"type", 1}, {"url", path}});
      made["picture_size"] = pictures_[id].bytes.size();
      // The device list's thumbnail follows the newest event, as the app's does.
      pictures_["thumbnail/" + mac] = {pictures_[id].bytes, {}, 0};
      auto& params = (*device)["device_params"];
      if (params.is_object())
        if (auto* thumbs = params.get_object().if_contains("camera_thumbnails"); thumbs && thumbs->is_object())
          thumbs->get_object()["thumbnails_ts"] = ts;
    }
    events_.push_back(std::move(event));
    created.push_back(std::move(made));
  }
  return json_answer(200, json::object{{"events", std::move(created)}});
}

// GET /sim-s3/<key>.jpg?…&X-Amz-Signature=…: a picture, as S3 serves a pre-signed URL.
response account::picture(const request& req) {
  ++stats_["picture_downloads"];
  std::string path = req.target.substr(0, req.target.find('?'));
  const std::string prefix = "/sim-s3/";
  if (req.method != "GET" || !path.starts_with(prefix) || !path.ends_with(".jpg"))
    return {404, "<Error><Code>NoSuchKey</Code></Error>", "application/xml"};
  std::string key = path.substr(prefix.size(), path.size() - prefix.size() - 4);
  std::string signature = query_value(req.target, "X-Amz-Signature");
  auto denied = [](const char* why) {
    return response{403, std::string("<Error><Code>AccessDenied</Code><Message>") + why + "</Message></Error>",
                    "application/xml"};
  };
  if (key.starts_with("thumbnail/")) {
    std::string mac = key.substr(10);
    for (const auto& d : devices_) {
      if (upper(field(d, "mac")) != mac) continue;
      const auto* params = d.if_contains("device_params");
      const auto* thumbs =
          params && params->is_object() ? params->get_object().if_contains("camera_thumbnails") : nullptr;
      std::string url = thumbs && thumbs->is_object() ? field(thumbs->get_object(), "thumbnails_url") : "";
      if (signature.empty() || query_value(url, "X-Amz-Signature") != signature)
        return denied("The request signature we calculated does not match the signature you provided");
      auto stored = pictures_.find(key);
      return {200, stored != pictures_.end() ? stored->second.bytes : thumbnail_picture(mac), "image/jpeg"};
    }
    return {404, "<Error><Code>NoSuchKey</Code></Error>", "application/xml"};
  }
  auto stored = pictures_.find(key);
  if (stored == pictures_.end()) return {404, "<Error><Code>NoSuchKey</Code></Error>", "application/xml"};
  if (signature.empty() || signature != stored->second.signature)
    return denied("The request signature we calculated does not match the signature you provided");
  if (now_ms() > stored->second.expires_ms) return denied("Request has expired");
  return {200, stored->second.bytes, "image/jpeg"};
}

}  // namespace sim

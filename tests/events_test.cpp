#include "wyze/events.hpp"

#include <doctest/doctest.h>

#include <algorithm>

namespace {

// Computed apart from this code, with Python's standard library, as docker-wyze-bridge signs
// (app/wyzecam/api.py sign_msg) — the command, so anyone can check it again:
//   python3 -c 'import hashlib,hmac,json
//   token="lvtx.example-access-token"
//   body=json.dumps({"begin_time":1764150000000,"count":20,"device_id_list":["2CAA8E000001","2CAA8E000002"],
//     "end_time":1764150060000,"event_tag_list":[],"event_value_list":[],"nonce":"1764150060000","order_by":1},
//     separators=(",",":"),sort_keys=True)
//   key=hashlib.md5((token+"wyze_app_secret_key_132").encode()).hexdigest()
//   print(body); print(hmac.new(key.encode(),body.encode(),hashlib.md5).hexdigest())'
constexpr std::string_view python_body =
    R"({"begin_time":1764150000000,"count":20,"device_id_list":["2CAA8E000001","2CAA8E000002"],)"
    R"("end_time":1764150060000,"event_tag_list":[],"event_value_list":[],"nonce":"1764150060000","order_by":1})";
constexpr std::string_view python_signature = "0a31318db19647e55e9d8fbce4cf828b";

wyze::event_query query() {
  return {{"2CAA8E000001", "2CAA8E000002"}, 1764150000000, 1764150060000, 20, 1764150060000};
}

}  // namespace

TEST_CASE("the v4 event-list body is compact JSON with sorted keys, byte for byte as Python writes it") {
  CHECK(wyze::event_list_body(query()) == python_body);
}

TEST_CASE("signature2 matches a vector computed independently") {
  CHECK(wyze::event_signature("lvtx.example-access-token", python_body) == python_signature);
  // Another token or one byte more in the body gives another signature.
  CHECK(wyze::event_signature("lvtx.other", python_body) != python_signature);
  CHECK(wyze::event_signature("lvtx.example-access-token", std::string(python_body) + " ") != python_signature);
}

TEST_CASE("an event list is read oldest first, and entries without id, MAC or time are skipped") {
  auto list = wyze::parse_event_list(200, R"({"code":"1","msg":"","data":{"event_list":[
      {"event_id":"e2","device_id":"2CAA8E000001","event_ts":1764150002000,"event_value":"1","tag_list":[101],
       "file_list":[{"type":2,"url":"https://video"},{"type":1,"url":"https://s3/pic.jpg?X-Amz-Signature=s"}]},
      {"event_id":"e1","device_mac":"2CAA8E000002","event_ts":"1764150001000","event_value":10,"tag_list":[]},
      {"device_id":"2CAA8E000001","event_ts":1764150003000},
      {"event_id":"e4","device_id":"2CAA8E000001"},
      "not an object",
      {"event_id":"e5","device_id":"2CAA8E000001","event_ts":1764150004000,"event_value":2,"tag_list":"x"}]}})");
  REQUIRE(list);
  const auto& events = list.value().events;
  REQUIRE(events.size() == 3);
  CHECK(list.value().skipped == 3);
  CHECK(events[0].id == "e1");
  CHECK(events[0].mac == "2CAA8E000002");  // the v2 name of the field
  CHECK(wyze::event_type_of(events[0]) == "doorbell");
  CHECK_FALSE(wyze::is_motion(events[0]));
  CHECK(events[1].id == "e2");
  CHECK(events[1].picture_url == "https://s3/pic.jpg?X-Amz-Signature=s");
  CHECK(wyze::event_type_of(events[1]) == "person");
  CHECK(wyze::is_motion(events[1]));
  CHECK(wyze::event_type_of(events[2]) == "sound");
  CHECK(events[2].tags.empty());
}

TEST_CASE("event types follow the value and AI tag codes of the app") {
  wyze::camera_event e;
  for (int motion : {1, 6, 7, 13}) {
    e.value = motion;
    CHECK(wyze::event_type_of(e) == "motion");
    CHECK(wyze::is_motion(e));
  }
  e.value = 1;
  e.tags = {102};
  CHECK(wyze::event_type_of(e) == "vehicle");
  e.tags = {103, 101};
  CHECK(wyze::event_type_of(e) == "person");  // a person wins over a pet
  e.tags = {104};
  CHECK(wyze::event_type_of(e) == "package");
  e.tags = {};
  e.value = 12;
  CHECK(wyze::event_type_of(e) == "face");
  e.value = 99;
  CHECK(wyze::event_type_of(e) == "other");
  for (std::string_view type : {"motion", "person", "vehicle", "pet", "package", "sound", "face", "doorbell"})
    CHECK(std::find(wyze::event_types().begin(), wyze::event_types().end(), type) != wyze::event_types().end());
}

TEST_CASE("errors of the event list are the cloud client's errors") {
  CHECK(wyze::parse_event_list(200, R"({"code":"1011","msg":"system limit exceeded"})").error().kind ==
        wyze::failure::rate_limited);
  CHECK(wyze::parse_event_list(200, R"({"code":"2001","msg":"AccessTokenError"})").error().kind ==
        wyze::failure::token_expired);
  CHECK(wyze::parse_event_list(429, "").error().kind == wyze::failure::rate_limited);
  CHECK(wyze::parse_event_list(200, R"({"code":"1","data":{}})").error().message ==
        "the answer has no data.event_list array");
  CHECK(wyze::parse_event_list(200, "<html>").error().kind == wyze::failure::bad_response);
}

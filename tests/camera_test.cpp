#include "wyze/camera.hpp"
#include "wyze/device_list_stream.hpp"
#include "wyze/protocol.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

namespace json = boost::json;

namespace {
// A real-shaped v2 entry (fields of the GW_GC1 log in wyze-sdk #150).
const char* v2_entry = R"({
  "mac":"2C:AA:8E:12:34:56","enr":"SECRETENR","nickname":"Porch","timezone_name":"Europe/Berlin",
  "timezone_gmt_offset":1.0,"product_model":"GW_GC1","product_type":"Camera","hardware_ver":"0.0.0.0",
  "firmware_ver":"4.52.3.8392","user_role":1,"conn_state":1,"conn_state_ts":1764150000000,
  "parent_device_mac":"","device_params":{"p2p_id":"SECRETP2P","ip":"192.168.1.20","public_ip":"203.0.113.1",
  "power_switch":1,"dtls":1,"camera_thumbnails":{"thumbnails_url":"https://signed?X-Amz-Signature=abc"}},
  "something_new":{"a":[1,2]}})";

// The device list fed to the streamed parser in reads of `chunk` bytes.
wyze::result<wyze::device_list> parse_in_pieces(std::string_view body, std::size_t chunk) {
  wyze::device_list_stream stream;
  for (std::size_t at = 0; at < body.size(); at += chunk) stream.write(body.substr(at, chunk));
  stream.finish();
  return stream.take(200);
}

// The entries read by both parsers: the document one (a json::object per entry) and the
// streamed one (no document, in reads of 1 and of 4096 bytes). Both must read every field by
// the same rules, so every test below checks the two.
wyze::device_list parse(const std::string& entries) {
  auto document = wyze::parse_device_list(json::parse(R"({"device_list":[)" + entries + "]}"));
  std::string body = R"({"code":"1","data":{"device_list":[)" + entries + "]}}";
  for (std::size_t chunk : {std::size_t{1}, std::size_t{4096}}) {
    CAPTURE(chunk);
    auto streamed = parse_in_pieces(body, chunk);
    REQUIRE(streamed);
    CHECK(streamed.value().cameras == document.cameras);
    CHECK(streamed.value().problems == document.problems);
    CHECK(streamed.value().devices == document.devices);
  }
  return document;
}

}  // namespace

TEST_CASE("a real-shaped camera entry becomes a Camera with every field") {
  auto list = parse(v2_entry);
  REQUIRE(list.cameras.size() == 1);
  const auto& cam = list.cameras[0];
  CHECK(cam.mac == "2C:AA:8E:12:34:56");
  CHECK(cam.id() == "2CAA8E123456");
  CHECK(cam.nickname == "Porch");
  CHECK(cam.product_model == "GW_GC1");
  CHECK(cam.firmware_ver == "4.52.3.8392");
  CHECK(cam.hardware_ver == "0.0.0.0");
  CHECK(cam.ip == "192.168.1.20");
  CHECK(cam.online == true);
  CHECK(cam.conn_state_ts_ms == 1764150000000);
  // A Cam OG's power comes from get_iot_prop, never from the device list (SPEC §11).
  CHECK_FALSE(cam.power);
  CHECK(cam.timezone == "Europe/Berlin");
  CHECK_FALSE(cam.ssid);
  CHECK(list.problems.empty());
}

TEST_CASE("the legacy flat entry is read too") {
  auto list = wyze::parse_device_list(json::parse(
      R"({"device_info_list":[{"mac":"AABBCCDDEEFF","product_type":"Camera","ip":"10.0.0.5","conn_state":0,
      "power_switch":0,"device_timezone":"UTC","ssid":"home","p2p_id":"x","enr":"y"}]})"));
  REQUIRE(list.cameras.size() == 1);
  CHECK(list.cameras[0].ip == "10.0.0.5");
  CHECK(list.cameras[0].online == false);
  CHECK(list.cameras[0].power == false);
  CHECK(list.cameras[0].ssid == "home");
  CHECK(list.cameras[0].timezone == "UTC");
}

TEST_CASE("a doorbell that comes as product_type Doorbell is a camera") {
  auto list = parse(R"({"mac":"2CAA8E000005","product_type":"Doorbell","product_model":"WYZEDB3","nickname":"Front"},
      {"mac":"2CAA8E000006","product_type":"doorbell"})");
  REQUIRE(list.cameras.size() == 1);
  CHECK(list.cameras[0].nickname == "Front");
  CHECK(list.cameras[0].product_type == "Doorbell");
  CHECK(list.devices == 2);
}

TEST_CASE("devices that are not cameras are ignored") {
  auto list = parse(R"({"mac":"7C78B2000001","product_type":"Plug"},{"mac":"7C78B2000002"})");
  CHECK(list.cameras.empty());
  CHECK(list.devices == 2);
  CHECK(list.problems.empty());
}

TEST_CASE("odd types and nulls are read leniently, field by field") {
  auto list = parse(R"({"mac":"AA11","product_type":"Camera","nickname":null,"conn_state":"1","firmware_ver":42,
      "hardware_ver":[],"conn_state_ts":"1764150000000","device_params":"not an object"},
      {"mac":"AA12","product_type":"Camera","conn_state":7,"device_params":{"ip":"","power_switch":true}})");
  REQUIRE(list.cameras.size() == 2);
  CHECK_FALSE(list.cameras[0].nickname);
  CHECK(list.cameras[0].online == true);
  CHECK(list.cameras[0].firmware_ver == "42");
  CHECK_FALSE(list.cameras[0].hardware_ver);
  CHECK(list.cameras[0].conn_state_ts_ms == 1764150000000);
  CHECK_FALSE(list.cameras[1].online);  // 7 is neither 0 nor 1
  CHECK_FALSE(list.cameras[1].ip);      // empty means not reported
  CHECK(list.cameras[1].power == true);
}

TEST_CASE("a time the calendar cannot hold is not reported, instead of undefined behaviour (found by fuzzing)") {
  auto list = parse(R"({"mac":"AA21","product_type":"Camera","conn_state_ts":8888888888888888888888888881764150001000},
      {"mac":"AA22","product_type":"Camera","conn_state_ts":-5},
      {"mac":"AA23","product_type":"Camera","conn_state_ts":1.7641500010E12})");
  REQUIRE(list.cameras.size() == 3);
  CHECK_FALSE(list.cameras[0].conn_state_ts_ms);
  CHECK_FALSE(list.cameras[1].conn_state_ts_ms);
  CHECK(list.cameras[2].conn_state_ts_ms == 1764150001000);
}

TEST_CASE("entries without a MAC, repeating one, or not objects are skipped with a reason") {
  auto list = parse(R"({"product_type":"Camera","nickname":"No MAC"},
      {"mac":"::","product_type":"Camera"},
      {"mac":"aa:bb:cc:dd:ee:ff","product_type":"Camera","nickname":"first"},
      {"mac":"AABBCCDDEEFF","product_type":"Camera","nickname":"second"}, 17)");
  REQUIRE(list.cameras.size() == 1);
  CHECK(list.cameras[0].nickname == "first");
  REQUIRE(list.problems.size() == 4);
  CHECK(list.problems[0].find("No MAC") != std::string::npos);
  CHECK(list.problems[2].find("repeats MAC AABBCCDDEEFF") != std::string::npos);
  CHECK(list.problems[3].find("not a JSON object") != std::string::npos);
}

TEST_CASE("a MAC of 64 KiB, which would make a topic longer than MQTT allows, is skipped with a reason") {
  std::string huge(65536, 'A');
  auto list = parse(R"({"mac":")" + huge + R"(","product_type":"Camera"},
      {"mac":")" + std::string(64, 'B') +
                    R"(","product_type":"Camera"},
      {"mac":"2C:AA:8E:12:34:56","product_type":"Camera"})");
  REQUIRE(list.cameras.size() == 2);  // 64 characters are still accepted
  CHECK(list.cameras[1].mac == "2C:AA:8E:12:34:56");
  REQUIRE(list.problems.size() == 1);
  CHECK(list.problems[0] == "camera 1 has a MAC of 65536 characters (at most 64); skipped");
}

TEST_CASE("a MAC with characters outside [A-Za-z0-9_-] yields an id without them") {
  wyze::Camera cam{.mac = "ab/cd+#ef 12:34"};
  CHECK(cam.id() == "ABCDEF1234");
}

TEST_CASE("the device list read in chunks of any size gives the same cameras") {
  std::string body = std::string(R"({"ts":1,"code":"1","msg":"","data":{"device_group_list":[{"x":[1,{"y":2}]}],)") +
                     R"("device_list":[)" + v2_entry + R"(,{"mac":"AABBCCDDEEFF","product_type":"Camera",
                     "nickname":"B\u00e4ckerei \"2\"","device_params":{"ip":"10.0.0.9"}},[1],"x",)" +
                     R"({"mac":"7C78B2000001","product_type":"Plug"}],"device_sort_list":[]}})";
  auto whole = wyze::parse_device_list_response(200, body);
  REQUIRE(whole);
  REQUIRE(whole.value().cameras.size() == 2);
  CHECK(whole.value().cameras[1].nickname ==
        "B\xc3\xa4"
        "ckerei \"2\"");
  CHECK(whole.value().devices == 5);
  CHECK(whole.value().problems.size() == 2);
  for (std::size_t chunk : {1, 2, 7, 64}) {
    CAPTURE(chunk);
    auto pieces = parse_in_pieces(body, chunk);
    REQUIRE(pieces);
    CHECK(pieces.value().cameras == whole.value().cameras);
    CHECK(pieces.value().problems == whole.value().problems);
  }
}

TEST_CASE("data after the JSON document is refused, however the reads split it (found by fuzzing)") {
  std::string list = R"({"code":"1","data":{"device_list":[{"mac":"AA01","product_type":"Camera"}]}})";
  for (const std::string& body : {"2 " + list, list + " {}", list + "x"}) {
    for (std::size_t chunk : {1, 2, 3, 1000}) {
      CAPTURE(body);
      CAPTURE(chunk);
      auto answer = parse_in_pieces(body, chunk);
      REQUIRE_FALSE(answer);
      CHECK(answer.error().message == "the answer is not JSON (extra data)");
    }
  }
  // Whitespace after it is fine.
  CHECK(wyze::parse_device_list_response(200, list + " \r\n"));
}

TEST_CASE("the envelope around a streamed device list is checked like any other") {
  CHECK(wyze::parse_device_list_response(200, R"({"code":"2001","msg":"AccessTokenError","data":{}})").error().kind ==
        wyze::failure::token_expired);
  CHECK(wyze::parse_device_list_response(200, R"({"code":"1","data":{"other":{"device_list":[]}}})").error().message ==
        "the response has no device_list array");
  CHECK(wyze::parse_device_list_response(200, R"({"code":1,"data":{"device_list":[]}})"));
  CHECK(wyze::parse_device_list_response(200, R"("just a string")").error().message ==
        "the answer is not a JSON object");
}

TEST_CASE("a nickname that is not valid UTF-8 is repaired, and the rest of the list still arrives") {
  std::string body =
      "{\"code\":\"1\",\"data\":{\"device_list\":["
      "{\"mac\":\"AA01\",\"product_type\":\"Camera\",\"nickname\":\"Caf\xe9 \xc3\xa9t\xe9\xff\"},"
      "{\"mac\":\"AA02\",\"product_type\":\"Camera\",\"nickname\":\"\xf0\x9f\x93\xb7 ok\"}]}}";
  auto list = wyze::parse_device_list_response(200, body);
  REQUIRE(list);
  REQUIRE(list.value().cameras.size() == 2);
  CHECK(list.value().cameras[0].nickname == "Caf\xEF\xBF\xBD \xc3\xa9t\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(list.value().cameras[1].nickname == "\xf0\x9f\x93\xb7 ok");
  // Overlong forms and surrogates are not accepted either.
  auto odd = wyze::parse_device_list_response(
      200,
      "{\"code\":\"1\",\"data\":{\"device_list\":[{\"mac\":\"AA03\",\"product_type\":\"Camera\","
      "\"nickname\":\"\xc0\xaf|\xed\xa0\x80\"}]}}");
  REQUIRE(odd);
  CHECK(odd.value().cameras[0].nickname == "\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("only the fields the bridge reads are taken, from the entry and its device_params alone") {
  // Keys of the same names deeper down (thumbnails, groups) are not the camera's fields.
  auto list = parse(R"({"mac":"AA31","product_type":"Camera","extra":{"ip":"10.9.9.9","mac":"FFFF","nickname":"x"},
      "device_params":{"camera_thumbnails":{"ip":"10.8.8.8","power_switch":0},"power_switch":1},
      "list":[{"conn_state":1}],"conn_state":0})");
  REQUIRE(list.cameras.size() == 1);
  CHECK(list.cameras[0].mac == "AA31");
  CHECK_FALSE(list.cameras[0].nickname);
  CHECK_FALSE(list.cameras[0].ip);
  CHECK(list.cameras[0].power == true);
  CHECK(list.cameras[0].online == false);
}

TEST_CASE("a key given twice keeps its last value, as a JSON document does") {
  auto list = parse(R"({"mac":"AA41","product_type":"Camera","nickname":"first","nickname":"second",
      "conn_state":1,"conn_state":{"x":1},"firmware_ver":[1],"firmware_ver":"1.2.3",
      "device_params":{"ip":"10.0.0.1","power_switch":1},"device_params":{"ssid":"home"}},
      {"mac":"AA42","product_type":"Camera","device_params":{"ip":"10.0.0.2"},"device_params":"gone"})");
  REQUIRE(list.cameras.size() == 2);
  CHECK(list.cameras[0].nickname == "second");
  CHECK_FALSE(list.cameras[0].online);
  CHECK(list.cameras[0].firmware_ver == "1.2.3");
  // The second device_params replaces the first one as a whole.
  CHECK_FALSE(list.cameras[0].ip);
  CHECK_FALSE(list.cameras[0].power);
  CHECK(list.cameras[0].ssid == "home");
  CHECK_FALSE(list.cameras[1].ip);
}

TEST_CASE("an entry's values do not leak into the next entry") {
  auto list = parse(R"({"mac":"AA51","product_type":"Camera","nickname":"porch","ip":"10.0.0.5",
      "device_params":{"power_switch":1}},[{"mac":"AA5X"}],{"mac":"AA52","product_type":"Camera"})");
  REQUIRE(list.cameras.size() == 2);
  CHECK(list.cameras[1].mac == "AA52");
  CHECK_FALSE(list.cameras[1].nickname);
  CHECK_FALSE(list.cameras[1].ip);
  CHECK_FALSE(list.cameras[1].power);
  REQUIRE(list.problems.size() == 1);
  CHECK(list.problems[0] == "device 2 is not a JSON object; skipped");
}

TEST_CASE("device_params.electricity is the battery level when it is a number from 0 to 100") {
  auto list = parse(R"({"mac":"AA21","product_type":"Camera","device_params":{"electricity":87}},
      {"mac":"AA22","product_type":"Camera","device_params":{"electricity":"0"}},
      {"mac":"AA23","product_type":"Camera","device_params":{"electricity":101}},
      {"mac":"AA24","product_type":"Camera","device_params":{"electricity":null}},
      {"mac":"AA25","product_type":"Camera","device_params":{"electricity":-1}},
      {"mac":"AA26","product_type":"Camera","electricity":50})");
  REQUIRE(list.cameras.size() == 6);
  CHECK(list.cameras[0].battery == 87);
  CHECK(list.cameras[1].battery == 0);
  CHECK_FALSE(list.cameras[2].battery);  // not a percentage
  CHECK_FALSE(list.cameras[3].battery);
  CHECK_FALSE(list.cameras[4].battery);
  CHECK_FALSE(list.cameras[5].battery);  // only device_params carries it
}

TEST_CASE("charging, the Wi-Fi signal and the accessory are read from the entry, leniently") {
  auto list = parse(R"({"mac":"AA31","product_type":"Camera","device_params":{"battery_charging_status":1,"rssi":-58,
        "dongle_product_model":"HL_CGDC"}},
      {"mac":"AA32","product_type":"Camera","rssi":"-71","device_params":{"battery_charging_status":"0",
        "dongle_product_model":""}},
      {"mac":"AA33","product_type":"Camera","device_params":{"battery_charging_status":2,"rssi":87,
        "dongle_product_model":7}},
      {"mac":"AA34","product_type":"Camera","device_params":{"battery_charging_status":null,"rssi":-128}})");
  REQUIRE(list.cameras.size() == 4);
  CHECK(list.cameras[0].charging == true);
  CHECK(list.cameras[0].signal == -58);
  CHECK(list.cameras[0].accessory == "HL_CGDC");
  CHECK(list.cameras[1].charging == false);
  CHECK(list.cameras[1].signal == -71);     // the top level carries it too (wyze-sdk reads both)
  CHECK_FALSE(list.cameras[1].accessory);   // no accessory: empty
  CHECK_FALSE(list.cameras[2].charging);    // neither 0 nor 1
  CHECK_FALSE(list.cameras[2].signal);      // a percentage is no dBm
  CHECK(list.cameras[2].accessory == "7");  // a number as its digits, as any text field: no accessory's
  CHECK_FALSE(list.cameras[3].charging);
  CHECK_FALSE(list.cameras[3].signal);  // below any Wi-Fi signal
  // The property read's states are never taken from the device list.
  CHECK_FALSE(list.cameras[0].siren);
  CHECK_FALSE(list.cameras[0].garage_open);
}

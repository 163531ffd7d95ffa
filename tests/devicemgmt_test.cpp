// Wyze's device-management and toggle APIs as values (SPEC §11): the requests wyzeapy sends, the
// signature2 it computes, and the answers read leniently.
#include "wyze/devicemgmt.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace json = boost::json;
using wyze::failure;

namespace {

wyze::toggle_request pan_notifications_off() {
  return {"HL_PAN4_80482C5A1B2C", "HL_PAN4", "notifications", "0", 1764150000000};
}

// The names of the capabilities a get_iot_prop body asks for, and each one's properties.
std::map<std::string, std::vector<std::string>> asked(const std::string& body) {
  std::map<std::string, std::vector<std::string>> out;
  const auto parsed = json::parse(body);
  for (const auto& c : parsed.at("capabilities").as_array()) {
    auto& props = out[std::string(c.at("name").as_string())];
    for (const auto& p : c.at("properties").as_array()) props.emplace_back(p.as_string());
  }
  return out;
}

}  // namespace

TEST_CASE("a device-management action carries the capability, a nonce, the target and the transaction id") {
  auto power =
      json::parse(wyze::devicemgmt_action_body("GW_GC1_7C78B2A1B2C3", "GW_GC1", "power", "sleep", 1764150000123));
  CHECK(power.at("capabilities") ==
        json::parse(R"([{"functions":[{"in":{"wakeup-live-view":"1"},"name":"sleep"}],"iid":1,"name":"iot-device"}])"));
  CHECK(power.at("nonce") == 1764150000123);
  CHECK(power.at("targetInfo") ==
        json::parse(R"({"id":"GW_GC1_7C78B2A1B2C3","productModel":"GW_GC1","type":"DEVICE"})"));
  CHECK(power.at("transactionId") == "0a5b20591fedd4du1b93f90743ba0csd");

  auto siren = json::parse(wyze::devicemgmt_action_body("M", "LD_CFP", "siren", "siren-on", 1));
  CHECK(siren.at("capabilities") == json::parse(R"([{"functions":[{"in":{},"name":"siren-on"}],"name":"siren"}])"));
  auto flood = json::parse(wyze::devicemgmt_action_body("M", "LD_CFP", "floodlight", "1", 1));
  CHECK(flood.at("capabilities") ==
        json::parse(R"([{"iid":4,"name":"floodlight","properties":[{"prop":"on","value":"1"}]}])"));
  auto spot = json::parse(wyze::devicemgmt_action_body("M", "AN_RSCW", "spotlight", "0", 1));
  CHECK(spot.at("capabilities") ==
        json::parse(R"([{"iid":5,"name":"spotlight","properties":[{"prop":"on","value":"0"}]}])"));
  CHECK(wyze::devicemgmt_action_body("M", "LD_CFP", "restart", "1", 1).empty());
}

TEST_CASE("get_iot_prop asks each model for wyzeapy's capabilities the bridge shows, never the Wi-Fi password") {
  auto og = asked(wyze::iot_properties_body("GW_GC1_7C78B2A1B2C3", "GW_GC1", 1));
  CHECK(og.at("iot-device") == std::vector<std::string>{"iot-state", "iot-power", "push-switch"});
  CHECK(og.at("siren") == std::vector<std::string>{"state"});
  CHECK(og.at("wifi") == std::vector<std::string>{"signal-strength"});
  CHECK(og.count("memory-card-management") == 1);
  CHECK(og.count("spotlight") == 0);  // no peer switches the OG's light
  auto pan = asked(wyze::iot_properties_body("P", "HL_PAN4", 1));
  CHECK(pan.count("spotlight") == 1);
  CHECK(pan.count("memory-card-management") == 0);  // not in wyzeapy's list for the Pan v4
  CHECK(asked(wyze::iot_properties_body("F", "LD_CFP", 1)).count("floodlight") == 1);
  CHECK(asked(wyze::iot_properties_body("B", "AN_RSCW", 1)).at("battery") ==
        std::vector<std::string>{"battery-level", "charging-status"});
  for (const char* model : {"GW_GC1", "HL_PAN4", "LD_CFP", "AN_RSCW"})
    CHECK(wyze::iot_properties_body("M", model, 1).find("password") == std::string::npos);
  CHECK(wyze::iot_properties_body("M", "WYZE_CAKP2JFUS", 1).empty());
  // wyzeapy's iids: LD_CFP's siren is 7 and its Wi-Fi 5, the others' 4 and 9.
  auto iid_of = [](const std::string& body, std::string_view name) {
    const auto parsed = json::parse(body);
    for (const auto& c : parsed.at("capabilities").as_array())
      if (c.at("name").as_string() == name) return c.at("iid").as_int64();
    return std::int64_t{-1};
  };
  CHECK(iid_of(wyze::iot_properties_body("F", "LD_CFP", 1), "siren") == 7);
  CHECK(iid_of(wyze::iot_properties_body("F", "LD_CFP", 1), "wifi") == 5);
  CHECK(iid_of(wyze::iot_properties_body("F", "GW_GC1", 1), "siren") == 4);
  CHECK(iid_of(wyze::iot_properties_body("F", "GW_GC1", 1), "wifi") == 9);
}

TEST_CASE("get_iot_prop's answer gives every state, numbers or strings, and nothing for a value out of range") {
  auto read = wyze::parse_iot_properties(200, R"({"code":1,"message":"success","data":{"capabilities":[
    {"iid":1,"name":"iot-device","properties":{"iot-state":1,"iot-power":0,"push-switch":"1"}},
    {"iid":2,"name":"camera","properties":{"motion-detect-recording":true}},
    {"iid":4,"name":"siren","properties":{"state":0}},
    {"iid":5,"name":"spotlight","properties":{"on":1}},
    {"iid":7,"name":"battery","properties":{"battery-level":"64","charging-status":1}},
    {"iid":9,"name":"wifi","properties":{"signal-strength":-61}},
    {"iid":6,"name":"memory-card-management","properties":{"storage-total-space":30436,"storage-used-space":5120,"storage-status":1}}]}})");
  REQUIRE(read);
  const auto& s = read.value();
  CHECK(s.power == false);
  CHECK(s.notifications == true);
  CHECK(s.motion_detection == true);
  CHECK(s.siren == false);
  CHECK(s.light == true);
  CHECK(s.battery == 64);
  CHECK(s.charging == true);
  CHECK(s.signal == -61);
  REQUIRE(s.sd_card);
  CHECK(*s.sd_card == wyze::sd_card_state{30436, 5120, 1});

  auto odd = wyze::parse_iot_properties(200, R"({"code":"1","data":{"capabilities":[
    {"name":"iot-device","properties":{"iot-power":2,"push-switch":"yes"}},
    {"name":"battery","properties":{"battery-level":140}},
    {"name":"wifi","properties":{"signal-strength":80}},
    {"name":"memory-card-management","properties":{"storage-total-space":10,"storage-used-space":20}},
    "not an object", {"name":7,"properties":{}}]}})");
  REQUIRE(odd);
  CHECK(odd.value() == wyze::iot_state{});
}

TEST_CASE("the device-management API's codes: 1 done, 2001 an expired token, 1011 a rate limit, 3019 offline") {
  CHECK(wyze::parse_devicemgmt_answer(200, R"({"code":1,"message":"success","data":{}})"));
  auto expired = wyze::parse_devicemgmt_answer(200, R"({"code":"2001","message":"AccessTokenError"})");
  REQUIRE(!expired);
  CHECK(expired.error().kind == failure::token_expired);
  CHECK(wyze::parse_devicemgmt_answer(200, R"({"code":1011,"message":"limit"})").error().kind == failure::rate_limited);
  auto offline = wyze::parse_devicemgmt_answer(200, R"({"code":3019,"message":"DeviceIsOffline"})");
  CHECK(offline.error().message.find("offline") != std::string::npos);
  CHECK(wyze::parse_devicemgmt_answer(200, R"({"code":0})").error().kind == failure::rejected);
  CHECK(wyze::parse_devicemgmt_answer(200, "[]").error().kind == failure::bad_response);
  CHECK(wyze::parse_devicemgmt_answer(502, "").error().kind == failure::http_status);
  CHECK(!wyze::parse_iot_properties(200, R"({"code":1,"data":{}})"));
}

TEST_CASE("the toggle body is wyzeapy's, and its signature2 matches one computed with Python") {
  auto r = pan_notifications_off();
  auto body = json::parse(wyze::toggle_body(r));
  CHECK(body == json::parse(R"({"data":[{"device_firmware":"1234567890","device_id":"HL_PAN4_80482C5A1B2C",
    "device_model":"HL_PAN4","page_id":["cam_device_notify"],
    "toggle_update":[{"toggle_id":"ge.push_switch","toggle_status":"0"}]}],"nonce":"1764150000000"})"));
  CHECK(wyze::toggle_signed_text(r) ==
        "data=[{'device_firmware': '1234567890', 'device_id': 'HL_PAN4_80482C5A1B2C', 'device_model': 'HL_PAN4', "
        "'page_id': ['cam_device_notify'], 'toggle_update': [{'toggle_id': 'ge.push_switch', 'toggle_status': "
        "'0'}]}]&nonce=1764150000000");
  // Computed independently, with wyzeapy's crypto.py olive_create_signature written out:
  //   python3 -c "import hashlib,hmac
  //   p={'data':[{'device_firmware':'1234567890','device_id':'HL_PAN4_80482C5A1B2C','device_model':'HL_PAN4',
  //   'page_id':['cam_device_notify'],'toggle_update':[{'toggle_id':'ge.push_switch','toggle_status':'0'}]}],
  //   'nonce':'1764150000000'}
  //   b='&'.join(k+'='+str(p[k]) for k in sorted(p))
  //   s=hashlib.md5(('eyJ.demo-token'+'wyze_app_secret_key_132').encode()).hexdigest()
  //   print(hmac.new(s.encode(),b.encode(),hashlib.md5).hexdigest())"
  CHECK(wyze::toggle_signature("eyJ.demo-token", r) == "4d923324f6e99d18a47952d9e54c8e55");

  auto motion = r;
  motion.capability = "motion_detection";
  motion.status = "1";
  auto m = json::parse(wyze::toggle_body(motion));
  CHECK(m.at("data").at(0).at("page_id") == json::parse(R"(["cam_event_recording"])"));
  CHECK(m.at("data").at(0).at("toggle_update").at(0).at("toggle_id") == "ge.motion_detect_recording");

  // A MAC Python would quote differently, an unknown toggle or status: nothing to send.
  auto odd = r;
  odd.mac = "AB'CD";
  CHECK(wyze::toggle_body(odd).empty());
  odd = r;
  odd.capability = "power";
  CHECK(wyze::toggle_body(odd).empty());
  odd = r;
  odd.status = "2";
  CHECK(wyze::toggle_signed_text(odd).empty());
}

TEST_CASE("the toggle API's answers: status 200 done, an invalid token renews, a bad signature says so") {
  CHECK(wyze::parse_toggle_answer(200, R"({"status":200,"response":{"data":[]}})"));
  auto token = wyze::parse_toggle_answer(
      401, R"({"status":401,"response":{"errors":[{"message":"com.wyze.x.InvalidTokenError>expired"}]}})");
  CHECK(token.error().kind == failure::token_expired);
  auto signature =
      wyze::parse_toggle_answer(400, R"({"status":400,"response":{"errors":[{"message":"InvalidSignature2"}]}})");
  CHECK(signature.error().kind == failure::rejected);
  CHECK(signature.error().message.find("signature") != std::string::npos);
  CHECK(wyze::parse_toggle_answer(429, "").error().kind == failure::rate_limited);
  CHECK(wyze::parse_toggle_answer(200, R"({"status":429})").error().kind == failure::rate_limited);
  CHECK(wyze::parse_toggle_answer(502, "<html>").error().kind == failure::http_status);
  CHECK(wyze::parse_toggle_answer(200, R"({"response":{}})").error().kind == failure::bad_response);
  auto other = wyze::parse_toggle_answer(400, R"({"status":400,"response":{"errors":[{"message":"Nope\nforged"}]}})");
  CHECK(other.error().kind == failure::rejected);
}

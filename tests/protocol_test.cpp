#include "wyze/protocol.hpp"
#include "wyze/events.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

namespace json = boost::json;
using wyze::failure;

TEST_CASE("the API-key login body carries the email and the hashed password only") {
  auto body = json::parse(wyze::api_key_login_body("me@example.com", "abc123")).as_object();
  CHECK(body.size() == 2);
  CHECK(body.at("email") == "me@example.com");
  CHECK(body.at("password") == "abc123");
}

TEST_CASE("an /app request carries the envelope: sc, sv, phone_id, ts and the access token") {
  wyze::app_context context{"token-1", "phone-1", 1764150000123};
  auto body = json::parse(wyze::device_list_body(wyze::auth_mode::api_key, context)).as_object();
  CHECK(body.at("sc") == "9f275790cab94a72bd206c8876429f3c");
  CHECK(body.at("sv") == "e1fe392906d54888a9b99b88de4162d7");
  CHECK(body.at("phone_id") == "phone-1");
  CHECK(body.at("ts") == 1764150000123);
  CHECK(body.at("access_token") == "token-1");
  CHECK(body.at("app_name") == "com.hualai.WyzeCam");

  auto legacy = json::parse(wyze::device_list_body(wyze::auth_mode::legacy, context)).as_object();
  CHECK(legacy.at("sc") == "01dd431d098546f9baf5233724fa2ee2");

  auto refresh = json::parse(wyze::refresh_body(context, "refresh-1")).as_object();
  CHECK(refresh.at("refresh_token") == "refresh-1");

  auto login = json::parse(wyze::legacy_login_body("me@example.com", "hash", context)).as_object();
  CHECK(login.at("user_name") == "me@example.com");
  CHECK(login.at("password") == "hash");
  CHECK(login.at("access_token") == "");
  CHECK(login.at("sc") == "f5609af3fa9541fd82a486df5fd9965a");
}

TEST_CASE("a successful API-key login yields both tokens") {
  auto r = wyze::parse_api_key_login(
      200, R"({"access_token":"lvtx.a","refresh_token":"lvtx.r","user_id":"u","mfa_options":null})");
  REQUIRE(r);
  CHECK(r.value().access_token == "lvtx.a");
  CHECK(r.value().refresh_token == "lvtx.r");
}

TEST_CASE("refused logins say what to check") {
  SUBCASE("invalid credentials (400, errorCode 1000)") {
    auto r = wyze::parse_api_key_login(
        400,
        R"({"description":"Invalid credentials, please check username, password, keyid or apikey","errorCode":1000})");
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == failure::credentials);
    CHECK(r.error().message.find("wyze.api_key") != std::string::npos);
    CHECK(r.error().message.find("Invalid credentials") != std::string::npos);
  }
  SUBCASE("missing key headers (errorCode 5000)") {
    auto r = wyze::parse_api_key_login(400, R"({"description":"x","errorCode":5000})");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("key_id") != std::string::npos);
  }
  SUBCASE("an HTML 403 from the CDN") {
    auto r = wyze::parse_api_key_login(403, "<html>Forbidden</html>");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("403") != std::string::npos);
  }
  SUBCASE("an MFA challenge without totp_key") {
    auto r = wyze::parse_api_key_login(
        200, R"({"access_token":"","refresh_token":"","mfa_options":["TotpVerificationCode"],"mfa_details":{}})");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("totp_key") != std::string::npos);
  }
}

TEST_CASE("an MFA challenge names its TOTP verification id and the answer carries the code") {
  CHECK(wyze::totp_challenge(R"({"access_token":"","mfa_options":["TotpVerificationCode"],
      "mfa_details":{"totp_apps":[{"app_id":"app-7","app_name":"Authy"}]}})") == "app-7");
  CHECK_FALSE(wyze::totp_challenge(R"({"access_token":"a","refresh_token":"r","mfa_options":null})"));
  CHECK_FALSE(wyze::totp_challenge(R"({"access_token":"","mfa_options":["PrimaryPhone"]})"));
  auto body = json::parse(wyze::api_key_mfa_body("me@example.com", "hash", "app-7", "123456")).as_object();
  CHECK(body.at("mfa_type") == "TotpVerificationCode");
  CHECK(body.at("verification_id") == "app-7");
  CHECK(body.at("verification_code") == "123456");
  CHECK(body.at("password") == "hash");
  // The second step goes where every peer sends it, with the app's key instead of the developer's.
  CHECK(wyze::paths::mfa_login == "/user/login");
  auto headers = wyze::mfa_login_headers("phone-1");
  CHECK(headers == std::vector<std::pair<std::string, std::string>>{
                       {"X-API-Key", "WMXHYf79Nr5gIlt3r0r7p9Tcw5bvs6BB4U8O8nGJ"}, {"Phone-Id", "phone-1"}});
}

TEST_CASE("legacy login refusals and parameter errors are sentences too") {
  auto refused = wyze::parse_token_envelope(200, R"({"code":"2000","msg":"UserNameOrPasswordError","data":{}})");
  CHECK(refused.error().kind == failure::credentials);
  CHECK(refused.error().message.find("wyze.password") != std::string::npos);
  auto parameters =
      wyze::parse_device_list_response(200, R"({"code":"1001","msg":"refresh_token cannot be null","data":{}})");
  CHECK(parameters.error().kind == failure::rejected);
  CHECK(parameters.error().message.find("report") != std::string::npos);
  // Wyze refuses the password-only login today: the refusal says so and how to move to a key.
  auto legacy = wyze::parse_legacy_login(200, R"({"code":"2000","msg":"UserNameOrPasswordError","data":{}})");
  CHECK(legacy.error().kind == failure::credentials);
  CHECK(legacy.error().message ==
        "login refused (UserNameOrPasswordError): check wyze.email and wyze.password; the legacy login (email and "
        "password only) is refused by Wyze: it has required a developer API key since 2023 and shut the old login "
        "APIs down in 2024; create a key at https://developer-api-console.wyze.com, then set wyze.auth: api_key, "
        "wyze.key_id and wyze.api_key");
  CHECK(wyze::parse_legacy_login(404, "gone").error().message.find("developer API key") != std::string::npos);
  // A rate limit is no refusal: no advice to move.
  CHECK(wyze::parse_legacy_login(200, R"({"code":"1011","msg":"limit","data":{}})")
            .error()
            .message.find("developer API key") == std::string::npos);
  CHECK(wyze::parse_legacy_login(200, R"({"code":"1","data":{"access_token":"a","refresh_token":"r"}})"));
}

TEST_CASE("envelope codes map to what the bridge does next") {
  CHECK(wyze::parse_token_envelope(200, R"({"code":"2001","msg":"AccessTokenError","data":{}})").error().kind ==
        failure::token_expired);
  CHECK(wyze::parse_token_envelope(200, R"({"code":"2002","msg":"RefreshTokenError","data":{}})").error().kind ==
        failure::refresh_refused);
  CHECK(wyze::parse_token_envelope(200, R"({"code":1011,"msg":"limit","data":{}})").error().kind ==
        failure::rate_limited);
  CHECK(wyze::parse_device_list_response(429, "").error().kind == failure::rate_limited);
  // jfarmer08/wyze-api _isRateLimitError: 3044 is a rate limit as well.
  auto limit = wyze::parse_token_envelope(200, R"({"code":"3044","msg":"limit","data":{}})");
  CHECK(limit.error().kind == failure::rate_limited);
  CHECK(limit.error().message.find("code 3044") != std::string::npos);
  // Newer endpoints say 2001 as ErrNo, without a code (noelportugal/wyze-node PR #52): in every parser.
  constexpr std::string_view err_no = R"({"ErrNo":2001,"msg":"access token is error","data":{}})";
  CHECK(wyze::parse_token_envelope(200, err_no).error().kind == failure::token_expired);
  CHECK(wyze::parse_device_list_response(200, err_no).error().kind == failure::token_expired);
  CHECK(wyze::parse_event_list(200, err_no).error().kind == failure::token_expired);
  CHECK(wyze::parse_control_answer(200, R"({"ErrNo":"2001"})").error().kind == failure::token_expired);
  // A code wins over ErrNo; neither is an answer without a code.
  CHECK(
      wyze::parse_token_envelope(200, R"({"code":"1","ErrNo":2001,"data":{"access_token":"a","refresh_token":"r"}})"));
  CHECK(wyze::parse_token_envelope(200, R"({"msg":"x","data":{}})").error().message == "the answer has no code");
  CHECK(wyze::parse_api_key_login(429, "").error().kind == failure::rate_limited);
  auto ok = wyze::parse_token_envelope(200, R"({"code":"1","data":{"access_token":"a","refresh_token":"r"}})");
  REQUIRE(ok);
  CHECK(ok.value().access_token == "a");
}

TEST_CASE("bad answers are errors, never crashes") {
  CHECK(wyze::parse_device_list_response(500, "<html>oops</html>").error().kind == failure::http_status);
  CHECK(wyze::parse_device_list_response(200, "{\"code\":\"1\",\"data\":{\"device_list\":[{\"mac\":").error().kind ==
        failure::bad_response);
  CHECK(wyze::parse_device_list_response(200, "[1,2,3]").error().kind == failure::bad_response);
  CHECK(wyze::parse_device_list_response(200, R"({"code":"1","data":{}})").error().kind == failure::bad_response);
  CHECK(wyze::parse_device_list_response(200, R"({"code":"1","data":"x"})").error().kind == failure::bad_response);
  std::string deep(10000, '[');
  CHECK(wyze::parse_device_list_response(200, deep).error().kind == failure::bad_response);
}

TEST_CASE("an account with no devices is a successful, empty list") {
  auto r = wyze::parse_device_list_response(200, R"({"code":"1","data":{"device_list":[]}})");
  REQUIRE(r);
  CHECK(r.value().cameras.empty());
}

TEST_CASE("run_action and set_property carry the camera, its model and the action or property") {
  wyze::app_context context{"token-1", "phone-1", 1764150000123};
  auto action = json::parse(wyze::run_action_body(context, "2CAA8E000001", "HL_CAM4", "power_off")).as_object();
  CHECK(action.at("instance_id") == "2CAA8E000001");
  CHECK(action.at("provider_key") == "HL_CAM4");
  CHECK(action.at("action_key") == "power_off");
  CHECK(action.at("action_params") == json::object{});
  CHECK(action.at("custom_string") == "");  // restart needs it (docker-wyze-bridge #1287)
  CHECK(action.at("access_token") == "token-1");
  auto property = json::parse(wyze::set_property_body(context, "2CAA8E000001", "HL_CAM4", "P1", "0")).as_object();
  CHECK(property.at("device_mac") == "2CAA8E000001");
  CHECK(property.at("device_model") == "HL_CAM4");
  CHECK(property.at("pid") == "P1");
  CHECK(property.at("pvalue") == "0");
}

TEST_CASE("a control answer is done only when the cloud carried it out") {
  CHECK(wyze::parse_control_answer(200, R"({"code":"1","msg":"","data":{}})"));
  CHECK(wyze::parse_control_answer(200, R"({"code":"1","data":{"result":1,"session_id":"x"}})"));
  auto ignored = wyze::parse_control_answer(200, R"({"code":"1","data":{"result":3}})");
  REQUIRE_FALSE(ignored);
  CHECK(ignored.error().kind == failure::rejected);
  CHECK(ignored.error().message ==
        "the cloud accepted the call but the camera did not carry it out (result 3): this model may not support it");
  auto offline = wyze::parse_control_answer(200, R"({"code":"3019","msg":"DeviceIsOffline","data":{}})");
  REQUIRE_FALSE(offline);
  CHECK(offline.error().message == "the device is offline (code 3019)");
  CHECK(wyze::parse_control_answer(200, R"({"code":"2001","data":{}})").error().kind == failure::token_expired);
  CHECK(wyze::parse_control_answer(200, R"({"code":"1011","data":{}})").error().kind == failure::rate_limited);
  CHECK(wyze::parse_control_answer(502, "<html>").error().kind == failure::http_status);
  CHECK(wyze::parse_control_answer(200, "not json").error().kind == failure::bad_response);
}

#include "mqtt/topics.hpp"
#include "mqtt/entities.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

namespace json = boost::json;

namespace {
wyze::Camera porch() {
  wyze::Camera cam;
  cam.mac = "2C:AA:8E:12:34:56";
  cam.nickname = "Porch";
  cam.product_model = "WYZE_CAKP2JFUS";
  cam.product_type = "Camera";
  cam.firmware_ver = "4.36.11.7071";
  cam.ip = "192.168.1.20";
  cam.online = true;
  cam.conn_state_ts_ms = 1795687200000;
  cam.power = false;
  return cam;
}
}  // namespace

TEST_CASE("a camera is published as conn_state, ip, firmware, its reported controls and attributes under <base>/<id>") {
  auto messages = broker::camera_states("home/wyze", porch(), {});
  REQUIRE(messages.size() == 5);
  CHECK(messages[0] == broker::message{"home/wyze/2CAA8E123456/conn_state", "online", true});
  CHECK(messages[1] == broker::message{"home/wyze/2CAA8E123456/ip", "192.168.1.20", true});
  CHECK(messages[2] == broker::message{"home/wyze/2CAA8E123456/firmware", "4.36.11.7071", true});
  // A Cam v3 has a power switch; notifications and motion detection are not reported here.
  CHECK(messages[3] == broker::message{"home/wyze/2CAA8E123456/power", "off", true});
  CHECK(messages[4].topic == "home/wyze/2CAA8E123456/attributes");
}

TEST_CASE("the attributes carry every field, null where the cloud reports none") {
  auto attributes = json::parse(broker::camera_states("wyze", porch(), {}).back().payload).as_object();
  CHECK(attributes.at("mac") == "2C:AA:8E:12:34:56");
  CHECK(attributes.at("nickname") == "Porch");
  CHECK(attributes.at("model_name") == "Cam v3");
  CHECK(attributes.at("conn_state") == true);
  CHECK(attributes.at("conn_state_ts") == "2026-11-26T10:00:00Z");
  CHECK(attributes.at("power") == "off");
  CHECK(attributes.at("ssid").is_null());
  CHECK(attributes.at("hardware_ver").is_null());
  CHECK(attributes.at("timezone").is_null());
  CHECK(attributes.size() == 13);
}

TEST_CASE("a camera without an IP or firmware publishes None, Home Assistant's unknown") {
  wyze::Camera cam{.mac = "AABBCCDDEEFF"};
  cam.online = false;
  auto messages = broker::camera_states("wyze", cam, {});
  CHECK(messages[0].payload == "offline");
  CHECK(messages[1].payload == "None");
  CHECK(messages[2].payload == "None");
}

TEST_CASE("a camera whose connection state is not reported has no conn_state topic") {
  auto messages = broker::camera_states("wyze", wyze::Camera{.mac = "AABBCCDDEEFF"}, {});
  for (const auto& m : messages) CHECK(m.topic.find("conn_state") == std::string::npos);
}

TEST_CASE("nicknames with topic wildcards, quotes and control characters stay inside valid JSON") {
  auto cam = porch();
  cam.nickname = "a/b#c+d\"e\n\x01";
  auto messages = broker::camera_states("wyze", cam, {});
  for (const auto& m : messages) {
    CHECK(m.topic.find_first_of("#+") == std::string::npos);
    CHECK(m.topic.starts_with("wyze/2CAA8E123456/"));
  }
  CHECK(json::parse(messages.back().payload).at("nickname") == "a/b#c+d\"e\n\x01");
}

TEST_CASE("topic segments keep only [A-Za-z0-9_-]") {
  CHECK(broker::topic_segment("home/wyze.cams") == "home_wyze_cams");
  CHECK(broker::topic_segment("Ab-9_") == "Ab-9_");
}

TEST_CASE("times are ISO 8601 UTC") { CHECK(broker::iso8601_utc(0) == "1970-01-01T00:00:00Z"); }

#include "bridge/config.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace {

bridge::environment env_of(const std::map<std::string, std::string>& vars = {}) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const std::string credentials = R"(wyze:
  email: me@example.com
  password: "pw"
  key_id: kid
  api_key: akey
)";

std::vector<std::string> problems_of(const std::string& yaml, const bridge::environment& env = env_of()) {
  try {
    bridge::parse_config(yaml, "config.yaml", env);
  } catch (const bridge::config_error& e) {
    return e.problems();
  }
  return {};
}

}  // namespace

TEST_CASE("only the credentials are required and every other key has its default") {
  auto cfg = bridge::parse_config(credentials, "config.yaml", env_of());
  CHECK(cfg.wyze.auth == wyze::auth_mode::api_key);
  CHECK(cfg.wyze.auth_url == "https://auth-prod.api.wyze.com");
  CHECK(cfg.wyze.api_url == "https://api.wyzecam.com");
  CHECK(cfg.wyze.poll_interval == std::chrono::seconds(60));
  CHECK(cfg.wyze.timeout == std::chrono::seconds(15));
  CHECK(cfg.wyze.max_response == 64u * 1024 * 1024);
  CHECK(cfg.mqtt.url == "mqtt://localhost:1883");
  CHECK(cfg.mqtt.base_topic == "wyze");
  CHECK(cfg.mqtt.qos == 1);
  CHECK(cfg.mqtt.keepalive == std::chrono::seconds(60));
  CHECK(cfg.homeassistant.discovery);
  CHECK(cfg.homeassistant.discovery_prefix == "homeassistant");
  CHECK(cfg.homeassistant.discovery_mode == broker::discovery_mode::device);
  CHECK(cfg.homeassistant.status_topic == "homeassistant/status");
  CHECK(cfg.log.level == common::logging::level::info);
}

TEST_CASE("missing credentials are reported, naming the environment variable too") {
  auto problems = problems_of("mqtt:\n  base_topic: wyze\n");
  REQUIRE(problems.size() == 4);
  CHECK(problems[0] ==
        "config.yaml:1:1: wyze.email is required (set it in the file or in the environment as WYZE_EMAIL)");
  CHECK(problems[3].find("WYZE_API_KEY") != std::string::npos);
  CHECK(problems_of("wyze:\n  auth: legacy\n  email: a@b.c\n  password: x\n").empty());
}

TEST_CASE("auth: legacy is accepted with a warning that Wyze refuses it and how to create an API key") {
  auto legacy =
      bridge::parse_config("wyze:\n  auth: legacy\n  email: a@b.c\n  password: x\n", "config.yaml", env_of({}));
  REQUIRE(legacy.warnings.size() == 1);
  CHECK(legacy.warnings[0].starts_with("wyze.auth: the legacy login (email and password only) is refused by Wyze"));
  CHECK(legacy.warnings[0].find("https://developer-api-console.wyze.com") != std::string::npos);
  CHECK(bridge::parse_config(credentials, "config.yaml", env_of({})).warnings.empty());
}

TEST_CASE("environment variables override the file") {
  auto cfg = bridge::parse_config(credentials, "config.yaml",
                                  env_of({{"WYZE_PASSWORD", "from-env"},
                                          {"MQTT_URL", "mqtts://broker:8883"},
                                          {"MQTT_USERNAME", "bridge"},
                                          {"MQTT_PASSWORD", "secret"}}));
  CHECK(cfg.wyze.password == "from-env");
  CHECK(cfg.mqtt.url == "mqtts://broker:8883");
  CHECK(cfg.mqtt.username == "bridge");
  CHECK(cfg.mqtt.password == "secret");
  CHECK(bridge::parse_config(
            "", "config.yaml",
            env_of({{"WYZE_EMAIL", "a@b.c"}, {"WYZE_PASSWORD", "p"}, {"WYZE_KEY_ID", "k"}, {"WYZE_API_KEY", "a"}}))
            .wyze.email == "a@b.c");
}

TEST_CASE("METRICS_LISTEN sets the metrics listener (the Docker image's health check relies on it)") {
  auto cfg = bridge::parse_config(credentials + "metrics:\n  listen: 127.0.0.1:9105\n", "config.yaml",
                                  env_of({{"METRICS_LISTEN", "0.0.0.0:9200"}}));
  CHECK(cfg.metrics.listen == "0.0.0.0:9200");
  auto problems = problems_of(credentials, env_of({{"METRICS_LISTEN", "9105"}}));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] ==
        "config.yaml:1:1: METRICS_LISTEN: \"9105\" is not address:port (e.g. 0.0.0.0:9105 or [::1]:9105)");
}

TEST_CASE("a user name and password inside mqtt.url are refused, and the password is never printed") {
  auto problems = problems_of(credentials + "mqtt:\n  url: mqtt://bridge:s3cret@broker:1883\n");
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] ==
        "config.yaml:7:8: mqtt.url: \"mqtt://***@broker:1883\" holds a user name or password; set them in the "
        "username and password keys (or their environment variables) and give the URL without them");
  auto from_env = problems_of(credentials, env_of({{"MQTT_URL", "mqtts://u:s3cret@broker"}}));
  REQUIRE(from_env.size() == 1);
  CHECK(from_env[0].find("s3cret") == std::string::npos);
  auto malformed = problems_of(credentials + "mqtt:\n  url: mqtt://u:s3cret@\n");
  REQUIRE(malformed.size() == 1);
  CHECK(malformed[0].find("s3cret") == std::string::npos);
  CHECK(malformed[0].find("is not a URL of the form") != std::string::npos);
}

TEST_CASE("an unknown key is an error at its line and column, naming the closest known key") {
  auto problems = problems_of(credentials + "  poll_intervall: 30s\nmqtt:\n  base_topik: x\n");
  REQUIRE(problems.size() == 2);
  CHECK(problems[0] == "config.yaml:6:3: unknown key wyze.poll_intervall (did you mean wyze.poll_interval?)");
  CHECK(problems[1] == "config.yaml:8:3: unknown key mqtt.base_topik (did you mean mqtt.base_topic?)");
  CHECK(problems_of(credentials + "mqqt:\n  url: x\n")[0] ==
        "config.yaml:6:1: unknown section mqqt (did you mean mqtt?)");
}

TEST_CASE("bad values name the key, the value and what was expected") {
  auto problems = problems_of(credentials +
                              "  poll_interval: soon\n  max_response: lots\n  auth: oauth\n  include: Porch\n"
                              "mqtt:\n  qos: 3\n  base_topic: wyze/#\n"
                              "homeassistant:\n  discovery: maybe\n  discovery_mode: entity\n");
  REQUIRE(problems.size() == 8);
  CHECK(problems[0] ==
        "config.yaml:6:18: wyze.poll_interval: \"soon\" is not a duration (expected e.g. 90, 90s, 5m, 1h)");
  CHECK(problems[1].find("wyze.max_response: \"lots\" is not a size") != std::string::npos);
  CHECK(problems[2].find("wyze.auth: \"oauth\" is not one of api_key | legacy") != std::string::npos);
  CHECK(problems[3].find("wyze.include: expected a list") != std::string::npos);
  CHECK(problems[4].find("mqtt.qos: \"3\" is not a whole number from 0 to 2") != std::string::npos);
  CHECK(problems[5].find("mqtt.base_topic: \"wyze/#\" is not a valid topic") != std::string::npos);
  CHECK(problems[6].find("homeassistant.discovery: expected true or false") != std::string::npos);
  CHECK(problems[7].find("homeassistant.discovery_mode: \"entity\" is not one of device | components") !=
        std::string::npos);
  auto url = problems_of(credentials + "mqtt:\n  url: http://broker\n");
  REQUIRE(url.size() == 1);
  CHECK(url[0] ==
        "config.yaml:7:8: mqtt.url: \"http://broker\" is not a URL of the form mqtt://host[:port] or "
        "mqtts://host[:port]");
}

TEST_CASE("YAML syntax errors are reported with their position") {
  auto problems = problems_of("wyze:\n  email: [unclosed\n");
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].starts_with("config.yaml:"));
  CHECK(problems[0].find("not valid YAML") != std::string::npos);
}

TEST_CASE("the poll interval is at least 10 s against Wyze's hosts and 1 s elsewhere") {
  CHECK(problems_of(credentials + "  poll_interval: 5s\n")[0].find("at least 10s") != std::string::npos);
  auto cfg = bridge::parse_config(
      credentials + "  poll_interval: 1s\n  auth_url: https://127.0.0.1:8443\n  api_url: https://127.0.0.1:8443\n",
      "config.yaml", env_of());
  CHECK(cfg.wyze.poll_interval == std::chrono::seconds(1));
  CHECK(bridge::parse_config(credentials + "  poll_interval: 5m\n", "c", env_of()).wyze.poll_interval ==
        std::chrono::minutes(5));
  CHECK(bridge::parse_config(credentials + "  poll_interval: 90\n", "c", env_of()).wyze.poll_interval ==
        std::chrono::seconds(90));
  CHECK(bridge::is_wyze_host("https://api.wyzecam.com:8443"));
  CHECK(bridge::is_wyze_host("https://auth-prod.api.wyze.com"));
  CHECK_FALSE(bridge::is_wyze_host("https://notwyze.com"));
}

TEST_CASE("a secret can come from a file, as Docker secrets provide it") {
  std::string path = "config_test_secret.txt";
  std::ofstream(path) << "file-password\n";
  auto cfg = bridge::parse_config("wyze:\n  email: a@b.c\n  password_file: " + path + "\n  key_id: k\n  api_key: a\n",
                                  "config.yaml", env_of());
  CHECK(cfg.wyze.password == "file-password");
  auto missing =
      problems_of("wyze:\n  email: a@b.c\n  password_file: /nonexistent/secret\n  key_id: k\n  api_key: a\n");
  REQUIRE_FALSE(missing.empty());
  CHECK(missing[0] ==
        "config.yaml:3:18: wyze.password_file: cannot read /nonexistent/secret (check the path and "
        "its permissions)");
  std::remove(path.c_str());
}

TEST_CASE("a secret file that is a device or far too large is refused, never read without end") {
  auto device = problems_of("wyze:\n  email: a@b.c\n  password_file: /dev/zero\n  key_id: k\n  api_key: a\n");
  REQUIRE_FALSE(device.empty());
  CHECK(device[0] ==
        "config.yaml:3:18: wyze.password_file: /dev/zero is not a regular file (give the file that "
        "holds the secret)");
  std::string path = "config_test_big_secret.txt";
  std::ofstream(path) << std::string(std::size_t{100} * 1024, 'x');
  auto big = problems_of("wyze:\n  email: a@b.c\n  password_file: " + path + "\n  key_id: k\n  api_key: a\n");
  REQUIRE_FALSE(big.empty());
  CHECK(big[0].find("is larger than 64 KiB") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("the effective config is printed with every secret masked") {
  auto cfg = bridge::parse_config(credentials + "  totp_key: JBSWY3DPEHPK3PXP\nmqtt:\n  password: mqtt-secret\n",
                                  "config.yaml", env_of());
  std::string text = bridge::render_config(cfg);
  for (const char* secret : {"\"pw\"", "kid", "akey", "JBSWY3DPEHPK3PXP", "mqtt-secret"})
    CHECK_MESSAGE(text.find(secret) == std::string::npos, secret);
  CHECK(text.find("password: \"***\"") != std::string::npos);
  CHECK(text.find("email: me@example.com") != std::string::npos);
  CHECK(text.find("poll_interval: 60s") != std::string::npos);
  // What is printed is itself a valid config (but for the masked base32 secret).
  cfg.wyze.totp_key.clear();
  CHECK(bridge::parse_config(bridge::render_config(cfg), "printed.yaml", env_of()).wyze.email == "me@example.com");
  CHECK(problems_of(credentials + "  totp_key: not-base32!\n")[0].find("wyze.totp_key: not a base32 secret") !=
        std::string::npos);
}

TEST_CASE("the default client id fits MQTT 3.1.1's 23 characters and is stable per host") {
  auto id = bridge::default_client_id("nas.local");
  CHECK(id.size() == 23);
  CHECK(id.starts_with("wyze-mqtt-bridge-"));
  CHECK(id == bridge::default_client_id("nas.local"));
  CHECK(id != bridge::default_client_id("pi.local"));
  CHECK(problems_of(credentials + "mqtt:\n  client_id: a-client-id-that-is-far-too-long\n")[0].find("longer than 23") !=
        std::string::npos);
}

TEST_CASE("durations and sizes") {
  CHECK(bridge::parse_duration("500ms") == std::chrono::milliseconds(500));
  CHECK(bridge::parse_duration("1h") == std::chrono::hours(1));
  CHECK_FALSE(bridge::parse_duration("1d"));
  CHECK_FALSE(bridge::parse_duration("-5s"));
  CHECK(bridge::parse_size("64MiB") == 64u << 20);
  CHECK(bridge::parse_size("16MB") == 16'000'000u);
  CHECK_FALSE(bridge::parse_size("64 MiB"));
}

TEST_CASE("config.example.yaml is a valid config whose values are the defaults") {
  auto cfg = bridge::load_config(SOURCE_DIR "/config.example.yaml", env_of());
  bridge::config defaults;
  CHECK(cfg.wyze.poll_interval == defaults.wyze.poll_interval);
  CHECK(cfg.wyze.max_response == defaults.wyze.max_response);
  CHECK(cfg.wyze.api_url == defaults.wyze.api_url);
  CHECK(cfg.mqtt.url == defaults.mqtt.url);
  CHECK(cfg.mqtt.base_topic == defaults.mqtt.base_topic);
  CHECK(cfg.homeassistant.status_topic == defaults.homeassistant.status_topic);
}

TEST_CASE("the JSON Schema of the config file and the parser know the same keys") {
  std::ifstream in(std::string(SOURCE_DIR) + "/config.schema.json");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  auto schema = boost::json::parse(text.str()).as_object();
  std::set<std::string> in_schema;
  for (const auto& section : schema.at("properties").as_object())
    for (const auto& key : section.value().at("properties").as_object())
      in_schema.insert(std::string(section.key()) + "." + std::string(key.key()));
  auto known = bridge::config_keys();
  std::set<std::string> in_parser(known.begin(), known.end());
  for (const auto& key : in_parser)
    CHECK_MESSAGE(in_schema.count(key), key, " is parsed but not in config.schema.json");
  for (const auto& key : in_schema)
    CHECK_MESSAGE(in_parser.count(key), key, " is in config.schema.json but not parsed");
  CHECK(in_parser.size() == 47);
}

TEST_CASE("a key or section given twice is refused at its line, instead of the last one silently winning") {
  auto twice = problems_of(credentials + "  poll_interval: 30s\n  poll_interval: 2h\n");
  REQUIRE(twice.size() == 1);
  CHECK(twice[0] == "config.yaml:7:3: duplicate key wyze.poll_interval (first given at line 6); give each key once");
  auto sections = problems_of(credentials + "mqtt:\n  qos: 0\nmqtt:\n  qoss: 2\n");
  REQUIRE(sections.size() == 1);
  CHECK(sections[0] == "config.yaml:8:1: duplicate section mqtt (first given at line 6); give each section once");
  std::string path = "config_test_secret_once.txt";
  std::ofstream(path) << "from-file";
  auto both = problems_of("wyze:\n  email: a@b.c\n  password_file: " + path +
                          "\n  password: inline\n  key_id: k\n  api_key: a\n");
  REQUIRE(both.size() == 1);
  CHECK(both[0] == "config.yaml:4:13: wyze.password: give the secret either inline or as a file, not both");
  std::remove(path.c_str());
}

TEST_CASE("YAML aliases are refused, so a small file cannot expand into an enormous one") {
  auto problems = problems_of("wyze:\n  email: &who me@example.com\n  password: *who\n  key_id: k\n  api_key: a\n");
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] == "config.yaml:3:13: YAML aliases (*name) are not accepted in the config; write the value out");
  // The "billion laughs": nine levels of ten aliases each.
  std::string laughs = "a0: &a0 [lol]\n";
  for (int level = 1; level < 10; ++level) {
    std::string previous = "*a" + std::to_string(level - 1);
    laughs += std::string("a") + std::to_string(level) + ": &a" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) laughs += previous + (i < 9 ? ", " : "]\n");
  }
  CHECK(problems_of(laughs).front().find("YAML aliases") != std::string::npos);
}

TEST_CASE("topics with NUL or a leading $ are refused") {
  for (std::string topic : {R"("$SYS/wyze")", R"("wy\0ze")"}) {
    CAPTURE(topic);
    auto problems = problems_of(credentials + "mqtt:\n  base_topic: " + topic + "\n");
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].find("mqtt.base_topic") != std::string::npos);
    CHECK(problems[0].find("is not a valid topic") != std::string::npos);
  }
  CHECK(problems_of(credentials + "homeassistant:\n  discovery_prefix: $share\n").size() == 1);
}

TEST_CASE("URLs with a port outside 1-65535, a path, a query or a fragment are refused") {
  for (std::string url : {"mqtt://broker:70000", "mqtt://broker:0", "mqtt://broker:1883/x", "mqtt://broker?a=1"}) {
    CAPTURE(url);
    REQUIRE(problems_of(credentials + "mqtt:\n  url: " + url + "\n").size() == 1);
  }
  auto path = problems_of(credentials + "  api_url: https://api.wyzecam.com/app\n");
  REQUIRE(path.size() == 1);
  CHECK(path[0] ==
        "config.yaml:6:12: wyze.api_url: \"https://api.wyzecam.com/app\" has a path, query or "
        "fragment; give only scheme://host[:port]");
  CHECK(problems_of(credentials + "  api_url: https://api.wyzecam.com/\nmqtt:\n  url: mqtt://broker:65535\n").empty());
}

TEST_CASE("a trailing dot on Wyze's host names does not get around the 10 s poll minimum") {
  auto problems = problems_of(credentials + "  api_url: https://api.wyzecam.com.\n  poll_interval: 5s\n");
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("at least 10s against Wyze's own hosts") != std::string::npos);
}

TEST_CASE("wyze.max_response above 1 GiB is refused") {
  auto problems = problems_of(credentials + "  max_response: 1TiB\n");
  REQUIRE(problems.size() == 1);
  problems = problems_of(credentials + "  max_response: 2GiB\n");
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] == "config.yaml:6:17: wyze.max_response: 2GiB is more than the 1024MiB this setting allows");
  CHECK(problems_of(credentials + "  max_response: 1GiB\n").empty());
}

TEST_CASE("a secret of thousands of characters (a wrong *_file) is a config error, not a refused request later") {
  std::string path = "config_test_long_key.txt";
  std::ofstream(path) << std::string(5000, 'k');
  auto problems = problems_of("wyze:\n  email: a@b.c\n  password: p\n  key_id: k\n  api_key_file: " + path + "\n");
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] ==
        "config.yaml:5:17: wyze.api_key: 5000 characters, more than a Wyze or broker secret has "
        "(at most 1024); is it the right file?");
  std::remove(path.c_str());
}

TEST_CASE("--config /dev/zero or a huge file is refused with a sentence, not read without end") {
  try {
    bridge::load_config("/dev/zero", env_of());
    FAIL("no error");
  } catch (const bridge::config_error& e) {
    CHECK(e.problems().at(0) == "/dev/zero: not a regular file (give --config the config file itself)");
  }
  std::string path = "config_test_huge.yaml";
  std::ofstream(path) << credentials << "# " << std::string(std::size_t{2} << 20, 'x') << "\n";
  try {
    bridge::load_config(path, env_of());
    FAIL("no error");
  } catch (const bridge::config_error& e) {
    CHECK(e.problems().at(0) == path + ": larger than 1 MiB; is it the config file?");
  }
  std::remove(path.c_str());
}

TEST_CASE("events are off by default, and their keys are checked: interval, URL, sizes") {
  auto cfg = bridge::parse_config(credentials, "config.yaml", env_of());
  CHECK_FALSE(cfg.events.enabled);
  CHECK(cfg.events.interval == std::chrono::seconds(15));
  CHECK(cfg.events.api_url == "https://app-core.cloud.wyze.com");
  CHECK(cfg.events.motion_off_after == std::chrono::seconds(60));
  CHECK(cfg.events.pictures);
  CHECK(cfg.events.max_picture == 1u << 20);
  auto set = bridge::parse_config(credentials +
                                      "events:\n  enabled: true\n  interval: 30s\n  motion_off_after: 2m\n"
                                      "  pictures: false\n  max_picture: 512KiB\n",
                                  "config.yaml", env_of());
  CHECK(set.events.enabled);
  CHECK(set.events.interval == std::chrono::seconds(30));
  CHECK(set.events.motion_off_after == std::chrono::minutes(2));
  CHECK_FALSE(set.events.pictures);
  CHECK(set.events.max_picture == 512u << 10);
  CHECK(bridge::render_config(set).find("events:\n  enabled: true\n  interval: 30s\n") != std::string::npos);

  // Wyze's hosts: at least 5 s; another host (the simulator, a proxy) 1 s.
  auto fast = problems_of(credentials + "events:\n  enabled: true\n  interval: 2s\n");
  REQUIRE(fast.size() == 1);
  CHECK(fast[0].find("events.interval: at least 5s against Wyze's own hosts") != std::string::npos);
  CHECK(problems_of(credentials + "events:\n  enabled: true\n  interval: 2s\n  api_url: https://127.0.0.1:8443\n")
            .empty());
  CHECK(problems_of(credentials + "events:\n  api_url: http://app-core.cloud.wyze.com\n").size() == 1);
  CHECK(problems_of(credentials + "events:\n  max_picture: 32MiB\n").size() == 1);
  CHECK(problems_of(credentials + "events:\n  motion_off_after: 1s\n").size() == 1);
  auto typo = problems_of(credentials + "events:\n  intervall: 20s\n");
  REQUIRE(typo.size() == 1);
  CHECK(typo[0].find("did you mean events.interval?") != std::string::npos);
}

TEST_CASE("wyze.property_interval is 5 minutes unless set, and at least 60 s against Wyze's own hosts") {
  CHECK(bridge::parse_config(credentials, "config.yaml", env_of()).wyze.property_interval == std::chrono::minutes(5));
  auto fast = problems_of(credentials + "  property_interval: 30s\n");
  REQUIRE(fast.size() == 1);
  CHECK(fast[0] ==
        "config.yaml:6:22: wyze.property_interval: at least 60s against Wyze's own hosts (every interval "
        "is one call for the accessories' states of all cameras)");
  // Against another host (the simulator, a proxy) a second is allowed.
  CHECK(problems_of(credentials + "  api_url: https://127.0.0.1:8443\n  devicemgmt_url: https://127.0.0.1:8443\n" +
                    "  property_interval: 1s\n")
            .empty());
  // The device-management API is one of Wyze's hosts too: one call per such camera an interval.
  CHECK(problems_of(credentials + "  api_url: https://127.0.0.1:8443\n  property_interval: 1s\n").size() == 1);
  CHECK_FALSE(problems_of(credentials + "  property_interval: 0s\n").empty());
}

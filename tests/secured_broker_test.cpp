// A secured broker: TLS with certificates made by the test (host name verified, optional client
// certificate) and a password-protected listener. The test's own subscriber uses the plain
// anonymous listener of the same mosquitto to see what the bridge published.
#include "tests/harness.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace harness;

namespace {

std::string listener(std::uint16_t port, const std::string& settings, const std::string& address = "127.0.0.1") {
  return "listener " + std::to_string(port) + " " + address + "\n" + settings;
}

std::string tls_settings(const tls_files& tls) {
  return "allow_anonymous true\ncafile " + tls.ca + "\ncertfile " + tls.server_cert + "\nkeyfile " + tls.server_key +
         "\n";
}

// Waits for the bridge's `online`, seen through the plain listener.
bool comes_online(const broker& mqtt, std::chrono::milliseconds timeout = 10s) {
  subscriber watch(mqtt.port(), "wyze/bridge/state");
  return watch.wait_for("wyze/bridge/state", "online", timeout);
}

}  // namespace

TEST_CASE("mqtts:// with the broker's CA in mqtt.ca_file connects, verifying the host name") {
  temp_dir dir;
  auto tls = write_certificates(dir);
  auto tls_port = free_port();
  broker mqtt(dir, listener(tls_port, tls_settings(tls)));
  cloud sim(dir, 1);
  auto config = write_config(dir, sim, "mqtts://localhost:" + std::to_string(tls_port), "  poll_interval: 1h\n",
                             "  ca_file: " + tls.ca + "\n");
  auto bridge = start_bridge(dir, {"--config", config});
  CHECK_MESSAGE(comes_online(mqtt), bridge->output());
  CHECK(retained(mqtt.port(), "wyze/+/ip")["wyze/2CAA8E000001/ip"] == "192.168.1.2");
}

TEST_CASE("mqtts:// refuses a broker certificate from an unknown CA, and says which setting to fix") {
  temp_dir dir;
  auto tls = write_certificates(dir);
  auto tls_port = free_port();
  broker mqtt(dir, listener(tls_port, tls_settings(tls)));
  cloud sim(dir, 1);
  auto config = write_config(dir, sim, "mqtts://localhost:" + std::to_string(tls_port), "  poll_interval: 1h\n", "");
  auto bridge = start_bridge(dir, {"--config", config});
  CHECK_FALSE(comes_online(mqtt, 3s));
  CHECK_MESSAGE(bridge->running(), bridge->output());
  CHECK(bridge->output().find("mqtt.ca_file") != std::string::npos);
}

TEST_CASE("mqtts:// refuses a certificate that does not name the host connected to") {
  temp_dir dir;
  auto tls = write_certificates(dir);
  auto tls_port = free_port();
  // The certificate names localhost and 127.0.0.1; 127.0.0.2 is loopback too, but not named.
  broker mqtt(dir, listener(tls_port, tls_settings(tls), "127.0.0.2"));
  cloud sim(dir, 1);
  auto config = write_config(dir, sim, "mqtts://127.0.0.2:" + std::to_string(tls_port), "  poll_interval: 1h\n",
                             "  ca_file: " + tls.ca + "\n");
  auto bridge = start_bridge(dir, {"--config", config});
  CHECK_FALSE(comes_online(mqtt, 3s));
  CHECK(bridge->running());
  CHECK(bridge->output().find("cannot connect: cannot reach mqtts://127.0.0.2") != std::string::npos);
}

TEST_CASE("a broker that requires a client certificate accepts mqtt.cert_file and mqtt.key_file") {
  temp_dir dir;
  auto tls = write_certificates(dir);
  auto tls_port = free_port();
  broker mqtt(dir, listener(tls_port, tls_settings(tls) + "require_certificate true\n"));
  cloud sim(dir, 1);
  auto url = "mqtts://localhost:" + std::to_string(tls_port);
  auto with_cert = write_config(
      dir, sim, url, "  poll_interval: 1h\n",
      "  ca_file: " + tls.ca + "\n  cert_file: " + tls.client_cert + "\n  key_file: " + tls.client_key + "\n");
  auto bridge = start_bridge(dir, {"--config", with_cert});
  CHECK_MESSAGE(comes_online(mqtt), bridge->output());
}

TEST_CASE("a password-protected listener: the right login connects, a wrong or missing one is explained") {
  temp_dir dir;
  std::string passwords = dir.file("passwd");
  std::ofstream(passwords).close();
  process make_user({"mosquitto_passwd", "-b", passwords, "bridge", "s3cret-pass"}, dir.file("passwd.log"));
  REQUIRE(make_user.wait_exit(10s) == 0);
  auto port = free_port();
  broker mqtt(dir, listener(port, "allow_anonymous false\npassword_file " + passwords + "\n"));
  cloud sim(dir, 1);
  auto url = "mqtt://127.0.0.1:" + std::to_string(port);

  SUBCASE("right password") {
    auto config = write_config(dir, sim, url, "  poll_interval: 1h\n", "  username: bridge\n  password: s3cret-pass\n");
    auto bridge = start_bridge(dir, {"--config", config});
    CHECK_MESSAGE(comes_online(mqtt), bridge->output());
    CHECK(bridge->output().find("s3cret-pass") == std::string::npos);
  }
  SUBCASE("wrong password") {
    auto config = write_config(dir, sim, url, "  poll_interval: 1h\n", "  username: bridge\n  password: nope\n");
    auto bridge = start_bridge(dir, {"--config", config});
    CHECK_FALSE(comes_online(mqtt, 2s));
    CHECK(eventually([&] { return bridge->output().find("mqtt.password") != std::string::npos; }, 5s));
    CHECK(bridge->running());
  }
  SUBCASE("no login at all") {
    auto config = write_config(dir, sim, url, "  poll_interval: 1h\n", "");
    auto bridge = start_bridge(dir, {"--config", config});
    CHECK_FALSE(comes_online(mqtt, 2s));
    CHECK(eventually([&] { return bridge->output().find("not authorized") != std::string::npos; }, 5s));
  }
}

// 50 cameras are a burst of about 500 messages: at QoS 2 mosquitto (max_inflight_messages 20, its
// default) closed the connection once more than 20 awaited their PUBREL, and --once still exited 0
// with nothing published. Now the window at QoS 2 stays under that, and a drop while draining is
// published again.
TEST_CASE("every mqtt.qos level delivers the complete picture") {
  for (int qos : {0, 1, 2}) {
    CAPTURE(qos);
    temp_dir dir;
    broker mqtt(dir);
    cloud sim(dir, 50);
    auto config = write_config(dir, sim, mqtt, "  poll_interval: 1h\n", "  qos: " + std::to_string(qos) + "\n");
    auto bridge = run_once(dir, config);
    CHECK(bridge->output().find("connection to the broker lost") == std::string::npos);
    auto topics = retained(mqtt.port());
    int cameras = 0, configs = 0;
    for (const auto& [topic, payload] : topics) {
      cameras += topic.ends_with("/ip") ? 1 : 0;
      configs += topic.starts_with("homeassistant/device/wyze_2CAA8E") ? 1 : 0;
    }
    CHECK(cameras == 50);
    CHECK(configs == 50);
    CHECK(topics["wyze/2CAA8E000002/ip"] == "192.168.1.3");
    CHECK(topics["wyze/bridge/state"] == "offline");
  }
}

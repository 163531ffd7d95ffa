#include "bridge/command_line.hpp"
#include "bridge/core.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

TEST_CASE("include and exclude match a MAC in any notation or the nickname") {
  wyze::Camera porch{.mac = "2CAA8E123456"};
  porch.nickname = "Porch";
  CHECK(bridge::is_selected(porch, {}, {}));
  CHECK(bridge::is_selected(porch, {"2c:aa:8e:12:34:56"}, {}));
  CHECK(bridge::is_selected(porch, {"Porch"}, {}));
  CHECK_FALSE(bridge::is_selected(porch, {"Garage"}, {}));
  CHECK_FALSE(bridge::is_selected(porch, {}, {"Porch"}));
  CHECK_FALSE(bridge::is_selected(porch, {"Porch"}, {"2CAA8E123456"}));
  CHECK_FALSE(bridge::is_selected(porch, {"porch"}, {}));  // nicknames match exactly
}

TEST_CASE("the command line of SPEC §3") {
  auto parsed = bridge::parse_command_line({"--config", "/c.yaml", "--once", "--log-level=debug"});
  REQUIRE(parsed);
  const auto* cli = &parsed.value();
  CHECK(cli->config_path == "/c.yaml");
  CHECK(cli->once);
  CHECK(cli->log_level == common::logging::level::debug);
  CHECK(bridge::config_path_to_use(*cli) == "/c.yaml");

  auto refused = [](const std::vector<std::string>& args) {
    auto parsed = bridge::parse_command_line(args);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().kind == wyze::failure::usage);
    return parsed.error().message;
  };
  CHECK(refused({"--log-level", "loud"}) == "--log-level: \"loud\" is not one of trace | debug | info | warn | error");
  CHECK(refused({"--conifg", "x"}) == "unknown argument \"--conifg\"");
  CHECK(refused({"--config"}) == "--config needs a value");
}

TEST_CASE("without --config the bridge reads ./config.yaml, else /etc/wyze-mqtt-bridge/config.yaml") {
  auto previous = std::filesystem::current_path();
  auto dir = std::filesystem::temp_directory_path() / "wyze-bridge-config-search";
  std::filesystem::create_directories(dir);
  std::filesystem::current_path(dir);
  std::filesystem::remove("config.yaml");
  bridge::command_line cli;
  CHECK(bridge::config_path_to_use(cli) == "/etc/wyze-mqtt-bridge/config.yaml");
  std::ofstream("config.yaml") << "wyze: {}\n";
  CHECK(bridge::config_path_to_use(cli) == "config.yaml");
  std::filesystem::current_path(previous);
  std::filesystem::remove_all(dir);
}

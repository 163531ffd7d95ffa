#include "bridge/command_line.hpp"

#include <filesystem>

namespace bridge {

wyze::result<command_line> parse_command_line(const std::vector<std::string>& args) {
  command_line cli;
  std::string error;
  auto refused = [&] { return wyze::error{wyze::failure::usage, error}; };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](const std::string& name) -> std::optional<std::string> {
      if (auto eq = arg.find('='); eq != std::string::npos) return arg.substr(eq + 1);
      if (i + 1 < args.size()) return args[++i];
      error = name + " needs a value";
      return std::nullopt;
    };
    auto is = [&](const std::string& name) { return arg == name || arg.starts_with(name + "="); };
    if (is("--config")) {
      auto v = value("--config");
      if (!v) return refused();
      cli.config_path = *v;
    } else if (is("--log-level")) {
      auto v = value("--log-level");
      if (!v) return refused();
      common::logging::level lvl;
      if (!common::logging::parse_level(*v, lvl)) {
        error = "--log-level: \"" + *v + "\" is not one of trace | debug | info | warn | error";
        return refused();
      }
      cli.log_level = lvl;
    } else if (arg == "--check-config") {
      cli.check_config = true;
    } else if (arg == "--once") {
      cli.once = true;
    } else if (arg == "--version") {
      cli.version = true;
    } else if (arg == "--help" || arg == "-h") {
      cli.help = true;
    } else {
      error = "unknown argument \"" + arg + "\"";
      return refused();
    }
  }
  return cli;
}

std::string usage() {
  return "usage: wyze-mqtt-bridge [--config PATH] [--check-config] [--once] [--log-level LEVEL] [--version] "
         "[--help]\n"
         "\n"
         "  --config PATH      config file (default ./config.yaml, then /etc/wyze-mqtt-bridge/config.yaml)\n"
         "  --check-config     validate the config, print it with secrets masked, exit 0 (valid) or 2\n"
         "  --once             log in, poll once, publish, wait for the broker's acknowledgements, exit\n"
         "  --log-level LEVEL  trace | debug | info | warn | error (overrides log.level)\n"
         "  --version          print the version and exit\n"
         "\n"
         "Exit status: 0 clean stop, 1 runtime failure, 2 bad config or usage.\n";
}

std::string config_path_to_use(const command_line& cli) {
  if (cli.config_path) return *cli.config_path;
  std::error_code ec;
  if (std::filesystem::exists("config.yaml", ec)) return "config.yaml";
  return "/etc/wyze-mqtt-bridge/config.yaml";
}

}  // namespace bridge

#pragma once
// The command line of SPEC §3, parsed into values.
#include "common/log.hpp"
#include "wyze/result.hpp"

#include <optional>
#include <string>
#include <vector>

namespace bridge {

struct command_line {
  std::optional<std::string> config_path;  ///< --config; unset = the default search
  bool check_config = false;
  bool once = false;
  std::optional<common::logging::level> log_level;
  bool version = false;
  bool help = false;
};

/// Parses argv (without argv[0]): the values, or the usage error (failure::usage) saying what is wrong.
wyze::result<command_line> parse_command_line(const std::vector<std::string>& args);

/// The --help text.
std::string usage();

/// The config file to read: --config, else ./config.yaml, else /etc/wyze-mqtt-bridge/config.yaml.
std::string config_path_to_use(const command_line& cli);

}  // namespace bridge

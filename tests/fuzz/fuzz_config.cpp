// libFuzzer target: the config file. Any text is either a config or a list of problems, each
// naming the file; never a crash or a hang. (Secret *_file paths are read, bounded; the
// environment is empty.)
#include "bridge/config.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string yaml(reinterpret_cast<const char*>(data), size);
  try {
    auto cfg = bridge::parse_config(yaml, "fuzz.yaml", [](const std::string&) { return std::nullopt; });
    // A config that parses can be printed (--check-config).
    if (bridge::render_config(cfg).empty()) __builtin_trap();
  } catch (const bridge::config_error& e) {
    if (e.problems().empty()) __builtin_trap();
    for (const auto& problem : e.problems())
      if (problem.rfind("fuzz.yaml", 0) != 0) __builtin_trap();  // every problem names the file
  }
  return 0;
}

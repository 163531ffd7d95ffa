// wyze-mqtt-bridge: wires the command line, the config and the bridge service to one event loop.
#include "bridge/bridge.hpp"
#include "bridge/command_line.hpp"
#include "bridge/systemd_notify.hpp"
#include "version.hpp"

#include <unistd.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <iostream>

namespace net = boost::asio;

namespace {

int run(int argc, char** argv) {
  auto parsed = bridge::parse_command_line({argv + 1, argv + argc});
  if (!parsed) {
    std::cerr << "wyze-mqtt-bridge: " << parsed.error().message << "\n" << bridge::usage();
    return 2;
  }
  const auto* cli = &parsed.value();
  if (cli->help) {
    std::cout << bridge::usage();
    return 0;
  }
  if (cli->version) {
    std::cout << "wyze-mqtt-bridge " << wyze_bridge::version << "\n";
    return 0;
  }

  bridge::config cfg;
  try {
    cfg = bridge::load_config(bridge::config_path_to_use(*cli), bridge::process_environment());
  } catch (const bridge::config_error& e) {
    for (const auto& problem : e.problems()) std::cerr << problem << "\n";
    std::cerr << "wyze-mqtt-bridge: the config has " << e.problems().size()
              << " problem(s); see config.example.yaml for every key\n";
    return 2;
  }
  if (cfg.mqtt.client_id.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    cfg.mqtt.client_id = bridge::default_client_id(host);
  }
  if (cli->check_config) {
    for (const auto& warning : cfg.warnings) std::cerr << "warning: " << warning << "\n";
    std::cout << bridge::render_config(cfg);
    return 0;
  }
  common::logging::set_level(cli->log_level.value_or(cfg.log.level));
  common::logging::set_format(cfg.log.format);
  // journalctl -p warning works when each line says its priority.
  common::logging::set_journal_priorities(common::logging::stderr_is_journal());
  LOG_AT(info, "bridge", "wyze-mqtt-bridge ", wyze_bridge::version, " starting");
  for (const auto& warning : cfg.warnings) LOG_AT(warn, "config", warning);

  net::io_context io(1);
  try {
    bridge::service service(io, cfg, cli->once ? bridge::run_mode::once : bridge::run_mode::forever);
    net::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      bridge::notify_systemd("STOPPING=1");
      service.stop();
    });
    service.start([&] { io.stop(); });
    bridge::notify_systemd("READY=1");
    io.run();
    LOG_AT(info, "bridge", "stopped");
    return service.exit_code();
  } catch (const std::exception& e) {
    LOG_AT(error, "bridge", e.what());
    return 1;
  }
}

}  // namespace

// Nothing may escape main: an exception the bridge did not expect is said, not a core dump.
int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "wyze-mqtt-bridge: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "wyze-mqtt-bridge: stopped by an unknown exception\n";
  }
  return 1;
}

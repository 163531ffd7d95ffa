#pragma once
// The bridge service: the cloud client, the broker client, the timers and the metrics server on one
// Asio loop, carrying out what the pure core (bridge/core.hpp) decides.
#include "bridge/config.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>

namespace bridge {

enum class run_mode { forever, once };

class service {
 public:
  /// Throws std::runtime_error for start-up problems (e.g. an unreadable ca_file).
  service(boost::asio::io_context& io, const config& cfg, run_mode mode);
  ~service();

  /// Connects to the broker and starts polling; `stopped` is called once the service has
  /// stopped (after stop(), or when --once is done).
  void start(std::function<void()> stopped);

  /// Publishes `offline`, waits for the broker's acknowledgement, disconnects, then reports stopped.
  void stop();

  /// 0 after a clean stop or a successful --once; 1 when --once failed.
  int exit_code() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace bridge

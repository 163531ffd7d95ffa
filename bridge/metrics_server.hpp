#pragma once
// A small HTTP server on the bridge's own loop for /metrics and /healthz. Beast stays inside
// metrics_server.cpp.
#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace bridge {

struct http_answer {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

/// Answers one GET for `target` (e.g. "/metrics"); runs on the loop.
using http_route = std::function<http_answer(std::string_view target)>;

class metrics_server {
 public:
  /// Listens on `listen` (`address:port`, e.g. 127.0.0.1:9105 or [::1]:9105). Throws
  /// std::runtime_error naming metrics.listen when it cannot.
  metrics_server(const boost::asio::any_io_executor& executor, const std::string& listen, http_route route);
  ~metrics_server();

  /// The port actually listened on.
  unsigned short port() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

struct listen_address {
  std::string address;  ///< an IP address, without the brackets of an IPv6 one
  unsigned short port = 0;
};

/// Splits `address:port`; nullopt when it is not an IP address and a port from 1 to 65535 (the
/// config names the key in its sentence).
std::optional<listen_address> parse_listen(std::string_view listen);

}  // namespace bridge

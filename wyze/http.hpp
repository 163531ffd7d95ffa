#pragma once
// The narrow interface between the cloud client and HTTPS; tests and the simulator's control
// calls use the same one.
#include "wyze/result.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wyze {

/// Receives an answer's body piece by piece as it is read (instead of http_response::body).
class body_sink {
 public:
  virtual ~body_sink() = default;
  virtual void write(std::string_view chunk) = 0;
  virtual void finish() {}
};

struct http_request {
  std::string method = "POST";
  std::string url;  ///< https://host[:port]/path
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::shared_ptr<body_sink> sink{};  ///< when set, the answer's body goes there
  /// The largest body accepted (0: https_settings::max_response); a larger one fails as too_large.
  std::size_t max_body = 0;
};

struct http_response {
  unsigned status = 0;
  std::string body;
  std::string rate_limit_remaining;  ///< X-RateLimit-Remaining, when sent
  std::string rate_limit_reset_by;   ///< X-RateLimit-Reset-By, when sent
};

using http_handler = std::function<void(result<http_response>)>;

/// Sends one request and calls `done` exactly once, on the caller's event loop.
class http_transport {
 public:
  virtual ~http_transport() = default;
  virtual void send(http_request request, http_handler done) = 0;
};

}  // namespace wyze

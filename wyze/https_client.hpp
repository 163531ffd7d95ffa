#pragma once
// HTTPS over Beast: TLS 1.2+, chain and host name always verified, SNI, a timeout per step and a
// body limit. Beast and Asio stay inside https_client.cpp.
#include "wyze/http.hpp"
#include "wyze/trust_anchors.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>

namespace wyze {

struct https_settings {
  std::string ca_file;  ///< extra trusted CA bundle (PEM), added to the system store
  std::chrono::milliseconds timeout{15000};
  std::size_t max_response = 64u << 20;
  std::string user_agent;
  /// Trust anchors (PEM) added for Wyze's own hosts only (is_wyze_host_name), next to the system
  /// store and `ca_file`.
  std::string wyze_anchors{wyze_root_certificates()};
  /// Host name → the address to connect to instead of resolving it (curl's --connect-to; the
  /// tests use it to reach the simulator under Wyze's names). The certificate is still checked
  /// against the host name.
  std::map<std::string, std::string> connect_to{};
};

class https_client final : public http_transport {
 public:
  /// Throws std::runtime_error when `ca_file` or `wyze_anchors` cannot be loaded (a start-up error).
  https_client(boost::asio::any_io_executor executor, https_settings settings);
  ~https_client() override;

  void send(http_request request, http_handler done) override;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace wyze

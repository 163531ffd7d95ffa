#pragma once
// The simulator's HTTPS server: one thread per connection, keep-alive, Beast over OpenSSL.
#include "sim/account.hpp"
#include "sim/certificates.hpp"

#include <cstdint>
#include <string>

namespace sim {

/// Listens on `address`:`port` (0 = any free port), calls `ready(port)` once listening, then
/// serves forever. Throws std::runtime_error when it cannot listen.
void serve(account& acct, const certificates& certs, const std::string& address, std::uint16_t port,
           const std::function<void(std::uint16_t)>& ready);

}  // namespace sim

#pragma once
// A throwaway certificate authority and a server certificate for 127.0.0.1, ::1, localhost and
// api.wyzecam.com, made at start so tests use real, verified TLS.
#include <string>

namespace sim {

struct certificates {
  std::string ca_pem;           ///< the CA certificate clients trust (wyze.ca_file)
  std::string server_cert_pem;  ///< leaf certificate, signed by the CA
  std::string server_key_pem;   ///< the leaf's private key
  std::string client_cert_pem;  ///< a client certificate signed by the same CA (for brokers that ask for one)
  std::string client_key_pem;
};

/// Makes a fresh CA, server and client certificate (EC P-256, valid for a week).
/// Throws std::runtime_error if OpenSSL fails.
certificates make_certificates();

}  // namespace sim

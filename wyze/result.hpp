#pragma once
// Errors as values across I/O: a result holds either a value or an error that says what failed.
#include <string>
#include <utility>
#include <variant>

namespace wyze {

/// Why a cloud call failed; the bridge reacts to the kind, the user reads the message.
enum class failure {
  transport,        ///< DNS, TCP, TLS, timeout, body too large
  http_status,      ///< a status the endpoint never answers with on success
  bad_response,     ///< not JSON, or JSON without what we need
  token_expired,    ///< code 2001: refresh, then retry once
  refresh_refused,  ///< code 2002: log in again
  rejected,         ///< the cloud refused the request (parameters, MFA, CDN)
  credentials,      ///< the login was refused for its credentials: retry at most hourly
  rate_limited,     ///< code 1011, HTTP 429 or a rate-limit pause: Wyze asks to slow down
  login_postponed,  ///< our own throttle: no login yet, to protect the account
  too_large,        ///< the answer is larger than the request's own limit (http_request::max_body)
  file,             ///< a local file (the state directory) cannot be read or written
  usage,            ///< the command line is not one the bridge takes
};

/// What failed, where, and what to do — one sentence a user can act on.
struct error {
  failure kind = failure::transport;
  std::string message;
  bool not_sent = false;  ///< nothing was sent: a rate-limit pause stopped the call before it left
};

/// Either a T or an error.
template <class T>
class result {
 public:
  result(T value) : state_(std::move(value)) {}
  result(wyze::error failed) : state_(std::move(failed)) {}

  explicit operator bool() const { return state_.index() == 0; }
  T& value() { return std::get<0>(state_); }
  const T& value() const { return std::get<0>(state_); }
  const wyze::error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, wyze::error> state_;
};

/// The value of a call that returns nothing on success.
struct done {};

}  // namespace wyze

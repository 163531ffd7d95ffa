#include "mqtt/connection_machine.hpp"

#include <algorithm>
#include <sstream>

namespace broker {
namespace {

using common::logging::level;

template <class... Args>
conn::log line(level lvl, const Args&... args) {
  std::ostringstream text;
  (text << ... << args);
  return {lvl, text.str()};
}

}  // namespace

std::string connect_failure_reason(int rc, const std::string& url, const std::string& paho_text) {
  switch (rc) {
    case 4:
      return "bad user name or password: check mqtt.username and mqtt.password";
    case 5:
      return "not authorized: the broker refuses this client; set mqtt.username and mqtt.password "
             "(mosquitto 2 refuses anonymous clients unless allow_anonymous is true)";
    case 2:
      return "the broker rejected the client id: set mqtt.client_id (at most 23 characters)";
    case 3:
      return "the broker is unavailable";
    default:
      return "cannot reach " + url + " (" + paho_text + ", code " + std::to_string(rc) +
             "); for mqtts:// check mqtt.ca_file and that the certificate names this host";
  }
}

connection_actions connection_machine::start() {
  if (phase_ == phase::stopping || phase_ == phase::stopped) return {};
  phase_ = phase::connecting;
  ++generation_;
  return {conn::start_deadline{connect_timeout, generation_}, conn::connect{generation_}};
}

connection_actions connection_machine::connected(std::uintptr_t generation) {
  if (generation != generation_ || phase_ != phase::connecting) return {};
  phase_ = phase::connected;
  backoff_ = first_backoff;
  return {conn::cancel_deadline{}, line(level::info, "connected to ", url_, " as ", client_id_), conn::up{}};
}

connection_actions connection_machine::failed(std::uintptr_t generation, int rc, const std::string& paho_text) {
  if (generation != generation_ || phase_ != phase::connecting) return {};
  connection_actions out{conn::cancel_deadline{},
                         line(level::warn, "cannot connect: ", connect_failure_reason(rc, url_, paho_text),
                              "; retrying in ", backoff_.count(), " s")};
  retry_later(out);
  return out;
}

connection_actions connection_machine::timed_out(std::uintptr_t generation) {
  if (generation != generation_ || phase_ != phase::connecting) return {};
  connection_actions out{line(level::warn, "cannot connect: ", url_, " did not answer within ", connect_timeout.count(),
                              " s (is it an MQTT broker, and is it overloaded?); retrying in ", backoff_.count(),
                              " s")};
  // A late answer to the abandoned attempt is not this connection's; its client goes now, which
  // closes the socket, so the broker sees the attempt end.
  out.push_back(conn::abandon{++generation_});
  retry_later(out);
  return out;
}

connection_actions connection_machine::lost(std::uintptr_t generation, const std::string& cause) {
  if (generation != generation_ || phase_ != phase::connected) return {};
  connection_actions out{
      line(level::warn, "connection to the broker lost", cause.empty() ? "" : ": " + cause, "; reconnecting")};
  ++generation_;  // late acknowledgements of the lost connection are not the next one's
  out.push_back(conn::down{});
  retry_later(out);
  return out;
}

void connection_machine::stopping() {
  if (phase_ != phase::stopped) phase_ = phase::stopping;
}

void connection_machine::retry_later(connection_actions& out) {
  phase_ = phase::idle;
  out.push_back(conn::retry_after{backoff_});
  backoff_ = std::min(backoff_ * 2, max_backoff);
}

}  // namespace broker

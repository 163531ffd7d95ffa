#pragma once
// The broker connection's decisions as a pure machine (the boostorg/redis connect_fsm way): when to
// connect, when an attempt is given up, how long to wait before the next (1 s doubling to 60 s),
// which answers belong to the current attempt, and the log lines that say so. No Paho, no timers:
// mqtt/broker_client.cpp carries its actions out and feeds it what Paho and the timers report.
#include "common/log.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace broker {

namespace conn {
/// Make a fresh Paho client for attempt `generation` and connect it.
struct connect {
  std::uintptr_t generation = 0;
  bool operator==(const connect&) const = default;
};
/// Replace the client of a silent attempt (closing its socket); what it reports later is ignored.
struct abandon {
  std::uintptr_t generation = 0;  ///< the generation its replacement reports with
  bool operator==(const abandon&) const = default;
};
/// Start the connect deadline of attempt `generation`; report it with connection_machine::timed_out.
struct start_deadline {
  std::chrono::seconds after{0};
  std::uintptr_t generation = 0;
  bool operator==(const start_deadline&) const = default;
};
struct cancel_deadline {
  bool operator==(const cancel_deadline&) const = default;
};
/// Start the retry timer; report it with connection_machine::start.
struct retry_after {
  std::chrono::seconds after{0};
  bool operator==(const retry_after&) const = default;
};
/// Connected: subscribe to every filter again, and tell the owner.
struct up {
  bool operator==(const up&) const = default;
};
/// The connection was lost: what was queued or in flight is gone; tell the owner.
struct down {
  bool operator==(const down&) const = default;
};
struct log {
  common::logging::level level;
  std::string text;
  bool operator==(const log&) const = default;
};
}  // namespace conn

using connection_action = std::variant<conn::connect, conn::abandon, conn::start_deadline, conn::cancel_deadline,
                                       conn::retry_after, conn::up, conn::down, conn::log>;
using connection_actions = std::vector<connection_action>;

/// The sentence for a refused or failed connect with Paho's return code `rc`; `paho_text` is
/// Paho's own text for codes that are not the broker's CONNACK answers.
std::string connect_failure_reason(int rc, const std::string& url, const std::string& paho_text);

class connection_machine {
 public:
  enum class phase { idle, connecting, connected, stopping, stopped };

  static constexpr std::chrono::seconds first_backoff{1}, max_backoff{60};
  /// An attempt that has had no answer by then is given up. Paho sometimes reports neither success
  /// nor failure for a connect made after a lost connection (eclipse/paho.mqtt.c #283, #1393).
  static constexpr std::chrono::seconds connect_timeout{10};

  connection_machine(std::string url, std::string client_id) : url_(std::move(url)), client_id_(std::move(client_id)) {}

  /// Connect now: at start and when the retry timer fires (nothing once stopping).
  connection_actions start();
  /// Paho connected attempt `generation`.
  connection_actions connected(std::uintptr_t generation);
  /// Attempt `generation` failed with Paho's `rc` (`paho_text`: Paho's words for it).
  connection_actions failed(std::uintptr_t generation, int rc, const std::string& paho_text);
  /// The deadline of attempt `generation` ran out.
  connection_actions timed_out(std::uintptr_t generation);
  /// Paho lost the connection of `generation` (`cause` may be empty).
  connection_actions lost(std::uintptr_t generation, const std::string& cause);
  /// The owner stops: no attempt after this; `stopped` once disconnected.
  void stopping();
  void stopped() { phase_ = phase::stopped; }

  phase current() const { return phase_; }
  /// The generation of the current connection: acknowledgements of another are not its.
  std::uintptr_t generation() const { return generation_; }
  std::chrono::seconds backoff() const { return backoff_; }

 private:
  void retry_later(connection_actions& out);

  std::string url_, client_id_;
  phase phase_ = phase::idle;
  std::uintptr_t generation_ = 0;
  std::chrono::seconds backoff_ = first_backoff;
};

}  // namespace broker

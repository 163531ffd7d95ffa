// The broker connection's decisions alone: attempts, deadlines, backoff, stale answers and the log
// lines that say so, asserted action by action (no Paho, no sockets, no timers).
#include "mqtt/connection_machine.hpp"
#include "mqtt/broker_client.hpp"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

using lines = std::vector<std::string>;

namespace {

std::string printed(const broker::connection_action& a) {
  std::ostringstream out;
  std::visit(
      [&](const auto& step) {
        using T = std::decay_t<decltype(step)>;
        if constexpr (std::is_same_v<T, broker::conn::connect>) {
          out << "connect " << step.generation;
        } else if constexpr (std::is_same_v<T, broker::conn::abandon>) {
          out << "abandon, new client " << step.generation;
        } else if constexpr (std::is_same_v<T, broker::conn::start_deadline>) {
          out << "deadline " << step.after.count() << " s for " << step.generation;
        } else if constexpr (std::is_same_v<T, broker::conn::cancel_deadline>) {
          out << "cancel deadline";
        } else if constexpr (std::is_same_v<T, broker::conn::retry_after>) {
          out << "retry in " << step.after.count() << " s";
        } else if constexpr (std::is_same_v<T, broker::conn::up>) {
          out << "up";
        } else if constexpr (std::is_same_v<T, broker::conn::down>) {
          out << "down";
        } else {
          out << common::logging::level_name(step.level) << ": " << step.text;
        }
      },
      a);
  return out.str();
}

lines printed(const broker::connection_actions& actions) {
  lines out;
  for (const auto& a : actions) out.push_back(printed(a));
  return out;
}

broker::connection_machine machine() { return {"mqtt://127.0.0.1:1883", "wyze-bridge"}; }

}  // namespace

TEST_CASE("the broker connection starts with an attempt under a 10 s deadline, and says when it is up") {
  auto m = machine();
  CHECK(printed(m.start()) == lines{"deadline 10 s for 1", "connect 1"});
  CHECK(m.current() == broker::connection_machine::phase::connecting);
  CHECK(printed(m.connected(1)) ==
        lines{"cancel deadline", "info: connected to mqtt://127.0.0.1:1883 as wyze-bridge", "up"});
  CHECK(m.current() == broker::connection_machine::phase::connected);
  CHECK(m.connected(1).empty());  // Paho's second report of the same success (token and handler)
}

TEST_CASE("refused connects are retried 1 s, 2 s, 4 s … up to 60 s apart, each with the broker's reason") {
  auto m = machine();
  m.start();
  CHECK(printed(m.failed(1, 5, "")) ==
        lines{"cancel deadline",
              "warn: cannot connect: not authorized: the broker refuses this client; set mqtt.username and "
              "mqtt.password (mosquitto 2 refuses anonymous clients unless allow_anonymous is true); retrying in 1 s",
              "retry in 1 s"});
  CHECK(m.current() == broker::connection_machine::phase::idle);
  std::vector<long> waits;
  for (std::uintptr_t attempt = 2; attempt <= 9; ++attempt) {
    CHECK(printed(m.start()).back() == "connect " + std::to_string(attempt));
    auto out = m.failed(attempt, -1, "TCP/TLS connect failure");
    waits.push_back(std::get<broker::conn::retry_after>(out.back()).after.count());
  }
  CHECK(waits == std::vector<long>{2, 4, 8, 16, 32, 60, 60, 60});
  // A success starts the backoff again from 1 s.
  m.start();
  m.connected(10);
  CHECK(printed(m.lost(10, "")).back() == "retry in 1 s");
}

TEST_CASE("a connect failure that is not the broker's answer names the URL, Paho's words and what to check") {
  auto m = machine();
  m.start();
  CHECK(printed(m.failed(1, -1, "TCP/TLS connect failure")).at(1) ==
        "warn: cannot connect: cannot reach mqtt://127.0.0.1:1883 (TCP/TLS connect failure, code -1); for mqtts:// "
        "check mqtt.ca_file and that the certificate names this host; retrying in 1 s");
  for (auto [rc, reason] :
       {std::pair{4, "bad user name or password: check mqtt.username and mqtt.password"},
        std::pair{2, "the broker rejected the client id: set mqtt.client_id (at most 23 characters)"},
        std::pair{3, "the broker is unavailable"}})
    CHECK(broker::connect_failure_reason(rc, "mqtt://h:1883", "x") == reason);
}

TEST_CASE("an attempt with no answer is given up at its deadline, and its late answer is ignored") {
  auto m = machine();
  m.start();
  CHECK(printed(m.timed_out(1)) ==
        lines{"warn: cannot connect: mqtt://127.0.0.1:1883 did not answer within 10 s (is it an MQTT broker, and "
              "is it overloaded?); retrying in 1 s",
              "abandon, new client 2", "retry in 1 s"});
  CHECK(m.connected(1).empty());  // the abandoned attempt answers after all: not this connection
  CHECK(m.failed(1, 5, "").empty());
  CHECK(printed(m.start()) == lines{"deadline 10 s for 3", "connect 3"});
  CHECK(m.timed_out(1).empty());  // an old deadline
  CHECK(m.connected(1).empty());  // the abandoned attempt, while the next one is under way
  CHECK(m.failed(1, 5, "").empty());
  CHECK(m.current() == broker::connection_machine::phase::connecting);
  CHECK(printed(m.connected(3)).back() == "up");
}

TEST_CASE("a lost connection is said with its cause, drops what was pending, and reconnects") {
  auto m = machine();
  m.start();
  m.connected(1);
  CHECK(printed(m.lost(1, "Connection reset by peer")) ==
        lines{"warn: connection to the broker lost: Connection reset by peer; reconnecting", "down", "retry in 1 s"});
  CHECK(m.generation() == 2);  // acknowledgements of the lost connection are not the next one's
  CHECK(m.lost(1, "again").empty());
  CHECK(printed(m.start()) == lines{"deadline 10 s for 3", "connect 3"});
  CHECK(printed(m.connected(3)).back() == "up");
  CHECK(printed(m.lost(3, "")).front() == "warn: connection to the broker lost; reconnecting");
}

TEST_CASE("once stopping, no attempt is made and no answer changes anything") {
  auto m = machine();
  m.start();
  m.stopping();
  CHECK(m.connected(1).empty());
  CHECK(m.failed(1, 5, "").empty());
  CHECK(m.timed_out(1).empty());
  CHECK(m.start().empty());  // the retry timer that was already running
  m.stopped();
  CHECK(m.current() == broker::connection_machine::phase::stopped);
  m.stopping();
  CHECK(m.current() == broker::connection_machine::phase::stopped);
}

namespace {

// A listening socket on 127.0.0.1 and a client connected to it.
struct loopback_pair {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  int client = ::socket(AF_INET, SOCK_STREAM, 0);
  int accepted = -1;
  unsigned port = 0;
  loopback_pair() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), size) == 0);
    REQUIRE(::listen(listener, 1) == 0);
    REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size) == 0);
    port = ntohs(address.sin_port);
    REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&address), size) == 0);
    accepted = ::accept(listener, nullptr, nullptr);
  }
  ~loopback_pair() {
    for (int fd : {client, accepted, listener})
      if (fd >= 0) ::close(fd);
  }
  loopback_pair(const loopback_pair&) = delete;
  loopback_pair& operator=(const loopback_pair&) = delete;
  bool no_delay() const {
    int on = 0;
    socklen_t size = sizeof on;
    ::getsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, &size);
    return on != 0;
  }
};

}  // namespace

TEST_CASE("TCP_NODELAY goes on the sockets connected to the broker's port, and on no other") {
  loopback_pair to_broker, to_other;
  REQUIRE_FALSE(to_broker.no_delay());
  CHECK(broker::no_delay_towards(to_broker.port) == 1);
  CHECK(to_broker.no_delay());
  CHECK_FALSE(to_other.no_delay());
}

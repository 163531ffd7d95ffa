#pragma once
// The connection to the MQTT broker: Paho behind a narrow interface, every event delivered on the
// caller's Asio loop. It reconnects by itself (1 s doubling to 60 s) and paces publications.
#include "mqtt/topics.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace broker {

/// The largest incoming payload handed to the owner; larger ones are dropped unread (the largest
/// the bridge reads are its own discovery configs, a few KiB).
inline constexpr std::size_t max_incoming_payload = std::size_t{256} * 1024;

/// Sets TCP_NODELAY on every TCP socket of this process connected to `port` (Paho has no socket
/// option; see broker_client.cpp) and returns how many it set it on.
int no_delay_towards(unsigned port);

struct client_settings {
  std::string url = "mqtt://localhost:1883";
  std::string client_id;
  std::string username, password;
  std::chrono::seconds keepalive{60};
  int qos = 1;
  std::string ca_file, cert_file, key_file;
  message will;  ///< published by the broker if the connection drops without a DISCONNECT
};

/// What the client tells its owner, always on the owner's loop.
struct client_events {
  std::function<void()> connected;
  std::function<void()> disconnected;  ///< the connection was lost; reconnecting has begun
  /// A message arrived; `retained`: the broker sent it from its store (e.g. at subscribing).
  std::function<void(std::string topic, std::string payload, bool retained)> message;
  /// The publish window has room for `room` more messages, after request_window(): publish() up to
  /// that many now, and call request_window() again if there are more.
  std::function<void(std::size_t room)> window;
};

class client {
 public:
  client(boost::asio::any_io_executor executor, client_settings settings, client_events events);
  ~client();

  /// Connects, and keeps reconnecting whenever the connection is lost, until stop().
  void start();

  /// Queues a publication at the configured QoS. While disconnected it is dropped: the owner
  /// republishes everything from `connected`.
  void publish(message m);

  /// The owner has messages to publish: client_events::window is reported once the window has room
  /// (at once if it has; never while disconnected). The owner makes its messages as the window
  /// frees, so a large burst is never held in memory at once.
  void request_window();

  /// Subscribes now and after every reconnect, at `qos` (-1: mqtt.qos).
  void subscribe(std::string topic_filter, int qos = -1);

  /// Ends a subscription, now and for later reconnects.
  void unsubscribe(const std::string& topic_filter);

  /// Calls `done(true)` once everything queued so far has been acknowledged, or `done(false)` when
  /// the connection dropped first (what was unacknowledged is gone; `connected` comes again).
  void when_delivered(std::function<void(bool acknowledged)> done);

  /// Publishes `last`, waits (at most `timeout`) for its acknowledgement, disconnects cleanly,
  /// then calls `done`.
  void stop(message last, std::chrono::milliseconds timeout, std::function<void()> done);

  bool connected() const;
  std::uint64_t messages_published() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace broker

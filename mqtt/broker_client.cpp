#include "mqtt/broker_client.hpp"

#include "common/log.hpp"
#include "mqtt/connection_machine.hpp"

#include <mqtt/async_client.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <charconv>
#include <deque>
#include <filesystem>

namespace net = boost::asio;

namespace broker {
namespace {

// Publications in flight at once: enough to keep the broker busy, few enough that a burst of
// thousands never exceeds Paho's own in-flight limit.
constexpr std::size_t publish_window = 512;
// At QoS 2 the broker holds every message until its PUBREL, and mosquitto closes a 3.1.1 client
// that has more than max_inflight_messages (default 20) of them (PUBREC reason 151, "quota
// exceeded", then the socket): at mqtt.qos 2 a burst of 50 cameras lost the connection every time.
// Half that, for brokers with stricter defaults.
constexpr std::size_t qos2_publish_window = 10;
// Later than connection_machine::connect_timeout, so Paho's own timeout never races ours.
constexpr std::chrono::seconds paho_connect_timeout{30};

// A Paho action listener that forwards to plain functions (which run on Paho's thread).
class forwarding_listener final : public mqtt::iaction_listener {
 public:
  std::function<void(const mqtt::token&)> success, failure;
  void on_success(const mqtt::token& t) override { success(t); }
  void on_failure(const mqtt::token& t) override { failure(t); }
};

// The broker's TCP port by its URL: the digits after the last ':' of the authority, else the
// scheme's default (1883, or 8883 for mqtts://).
unsigned broker_port(std::string_view url) {
  bool tls = url.starts_with("mqtts://");
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find('/'));
  unsigned port = 0;
  if (auto colon = url.rfind(':'); colon != std::string_view::npos) {
    auto digits = url.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec == std::errc{} && end == digits.data() + digits.size() && port > 0 && port < 65536) return port;
  }
  return tls ? 8883 : 1883;
}

}  // namespace

// Paho C writes a burst of small packets (a command's state, attributes and answer; an event's
// three messages) with Nagle's algorithm on, so the second segment waits for the broker's delayed
// ACK: 40 ms on Linux (issue #27's strace). Paho has no socket option, but the socket is this
// process's: every TCP socket connected to the broker's port gets TCP_NODELAY.
int no_delay_towards(unsigned port) {
  int set = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    auto name = entry.path().filename().string();
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc{}) continue;
    struct stat info {};
    if (fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) continue;
    sockaddr_storage peer{};
    socklen_t size = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &size) != 0) continue;
    unsigned peer_port = 0;
    if (peer.ss_family == AF_INET)
      peer_port = ntohs(reinterpret_cast<const sockaddr_in*>(&peer)->sin_port);
    else if (peer.ss_family == AF_INET6)
      peer_port = ntohs(reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_port);
    else
      continue;
    int one = 1;
    if (peer_port == port && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0) ++set;
  }
  return set;
}

struct client::impl : std::enable_shared_from_this<impl> {
  using phase = connection_machine::phase;

  impl(net::any_io_executor ex, client_settings s, client_events e)
      : executor(std::move(ex)),
        settings(std::move(s)),
        events(std::move(e)),
        machine(settings.url, settings.client_id),
        retry_timer(executor),
        connect_deadline(executor),
        stop_deadline(executor) {}

  net::any_io_executor executor;
  client_settings settings;
  client_events events;
  connection_machine machine;  ///< decides; this adapter carries out
  // Declared before `paho`, so they outlive it: Paho's threads may still call them until the
  // client is destroyed (a --once that fails before its connect completed crashed with "pure
  // virtual method called" when they were destroyed first).
  forwarding_listener connect_listener, publish_listener, disconnect_listener;
  /// A new one for every connection attempt: nothing a lost connection or a stuck attempt left in
  /// Paho's state can hold up the next. Null before the first attempt. The next is always made
  /// before the last is destroyed: with no client left, Paho tears its library state down and sets
  /// it up again with the next one — the cycle in which the sanitized tests, whose reader clients
  /// live briefly, have seen Paho lose its 125 KB trace buffer (tests/lsan.supp).
  std::unique_ptr<mqtt::async_client> paho;
  net::steady_timer retry_timer;
  net::steady_timer connect_deadline;
  net::steady_timer stop_deadline;
  /// The machine's generation, for Paho's thread: late acks of an older connection are ignored.
  std::atomic<std::uintptr_t> generation{0};
  std::atomic<std::size_t> acks{0};  ///< acknowledgements not yet handed to the loop
  std::atomic<bool> acks_posted{false};
  std::vector<std::pair<std::string, int>> subscriptions;  ///< filter, QoS
  std::deque<message> queue;
  bool window_wanted = false;  ///< the owner has more to publish (request_window)
  bool window_closed = false;  ///< stopping: the owner is not asked for more
  bool pumping = false;        ///< inside pump(): a publish() from the window handler only queues
  std::size_t in_flight = 0;
  std::uint64_t oversized_seen = 0;  ///< incoming messages dropped for their size
  std::vector<std::function<void(bool)>> delivered_waiters;
  std::uint64_t published = 0;

  // Runs `f` on the owner's loop if the client still exists.
  template <class F>
  void on_loop(F f) {
    net::post(executor, [weak = weak_from_this(), f = std::move(f)]() mutable {
      if (auto self = weak.lock()) f(*self);
    });
  }

  void install_callbacks() {
    std::weak_ptr<impl> weak = weak_from_this();
    auto forward = [weak](auto f) {
      return [weak, f](const mqtt::token& t) {
        if (auto self = weak.lock()) {
          auto gen = reinterpret_cast<std::uintptr_t>(t.get_user_context());
          int rc = t.get_return_code();
          self->on_loop([f, gen, rc](impl& me) { f(me, gen, rc); });
        }
      };
    };
    connect_listener.success = forward([](impl& me, std::uintptr_t gen, int) { me.step(me.machine.connected(gen)); });
    connect_listener.failure = forward([](impl& me, std::uintptr_t gen, int rc) {
      me.step(me.machine.failed(gen, rc, mqtt::exception::error_str(rc)));
    });
    // Acknowledgements come by the thousand: counted on Paho's thread, handed over in batches.
    auto acknowledged = [weak](const mqtt::token& t) {
      auto self = weak.lock();
      if (!self || reinterpret_cast<std::uintptr_t>(t.get_user_context()) != self->generation) return;
      ++self->acks;
      if (!self->acks_posted.exchange(true))
        self->on_loop([](impl& me) {
          me.acks_posted = false;
          me.on_published(me.acks.exchange(0));
        });
    };
    publish_listener.success = acknowledged;
    publish_listener.failure = acknowledged;
    disconnect_listener.success = forward([](impl& me, std::uintptr_t, int) { me.on_stopped(); });
    disconnect_listener.failure = forward([](impl& me, std::uintptr_t, int) { me.on_stopped(); });
  }

  // A Paho client for the attempt `gen`; what it reports once a newer attempt began is ignored.
  std::unique_ptr<mqtt::async_client> make_paho(std::uintptr_t gen) {
    // Paho refuses a publish once this many are queued unsent (default 100): allow the window.
    auto client = std::make_unique<mqtt::async_client>(settings.url, settings.client_id,
                                                       static_cast<int>(publish_window) * 2, nullptr);
    std::weak_ptr<impl> weak = weak_from_this();
    client->set_connection_lost_handler([weak, gen](const std::string& cause) {
      if (auto self = weak.lock()) self->on_loop([cause, gen](impl& me) { me.step(me.machine.lost(gen, cause)); });
    });
    // Besides the connect token's success: Paho has been seen to skip that one (paho.mqtt.c #1393).
    client->set_connected_handler([weak, gen](const std::string&) {
      if (auto self = weak.lock()) self->on_loop([gen](impl& me) { me.step(me.machine.connected(gen)); });
    });
    client->set_message_callback([weak, gen](const mqtt::const_message_ptr& m) {
      auto self = weak.lock();
      if (!self) return;
      // Any broker client can send a huge payload (or leave one retained under a prefix we read
      // back): it is dropped here, before it is copied or parsed.
      if (std::size_t size = m->get_payload_ref().size(); size > max_incoming_payload) {
        self->on_loop([topic = m->get_topic().substr(0, 200), size](impl& me) { me.on_oversized(topic, size); });
        return;
      }
      self->on_loop([topic = m->get_topic(), payload = m->to_string(), retained = m->is_retained(), gen](impl& me) {
        if (me.machine.current() == phase::connected && gen == me.generation && me.events.message)
          me.events.message(topic, payload, retained);
      });
    });
    return client;
  }

  mqtt::connect_options options() const {
    auto builder = mqtt::connect_options_builder()
                       .keep_alive_interval(settings.keepalive)
                       .connect_timeout(paho_connect_timeout)
                       .clean_session(true)
                       .max_inflight(static_cast<int>(publish_window) * 2)
                       .will(mqtt::message(settings.will.topic, settings.will.payload, settings.qos, true));
    if (!settings.username.empty()) builder.user_name(settings.username);
    if (!settings.password.empty()) builder.password(settings.password);
    if (settings.url.starts_with("mqtts://")) {
      auto tls = mqtt::ssl_options_builder().verify(true).enable_server_cert_auth(true);
      if (!settings.ca_file.empty()) tls.trust_store(settings.ca_file);
      if (!settings.cert_file.empty()) tls.key_store(settings.cert_file).private_key(settings.key_file);
      // No error_handler: Paho C++ 1.2 keeps a dangling pointer to it and crashes on the first TLS error.
      builder.ssl(tls.finalize());
    }
    return builder.finalize();
  }

  // Carries out what the connection machine decided, in order.
  void step(connection_actions todo) {
    generation = machine.generation();
    for (auto& a : todo) std::visit([this](auto& action) { run(action); }, a);
  }

  void run(conn::connect& c) {
    try {
      paho = make_paho(c.generation);  // the last attempt's client (lost, failed or stuck) goes once this one exists
      // NOLINTNEXTLINE(performance-no-int-to-ptr): Paho's context carries the generation, never dereferenced
      paho->connect(options(), reinterpret_cast<void*>(c.generation), connect_listener);
    } catch (const mqtt::exception& e) {
      step(machine.failed(c.generation, e.get_return_code(), mqtt::exception::error_str(e.get_return_code())));
    }
  }
  void run(conn::abandon& a) {
    try {
      paho = make_paho(a.generation);
    } catch (const mqtt::exception&) {  // then with the next attempt
    }
  }
  void run(conn::start_deadline& d) {
    connect_deadline.expires_after(d.after);
    connect_deadline.async_wait([weak = weak_from_this(), gen = d.generation](boost::system::error_code ec) {
      if (auto self = weak.lock(); self && !ec) self->step(self->machine.timed_out(gen));
    });
  }
  void run(conn::cancel_deadline&) { connect_deadline.cancel(); }
  void run(conn::retry_after& r) {
    retry_timer.expires_after(r.after);
    retry_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (auto self = weak.lock(); self && !ec) self->step(self->machine.start());
    });
  }
  void run(conn::up&) {
    int sockets = no_delay_towards(broker_port(settings.url));
    LOG_AT(debug, "mqtt", "TCP_NODELAY set on ", sockets, " socket(s) to the broker's port");
    for (const auto& [filter, qos] : subscriptions) subscribe_now(filter, qos);
    if (events.connected) events.connected();
  }
  void run(conn::down&) {
    drop_pending();
    if (events.disconnected) events.disconnected();
  }
  void run(conn::log& l) {
    if (common::logging::enabled(l.level)) common::logging::write(l.level, "mqtt", l.text);
  }

  // Said once at warn level; later ones at debug, so a flood of them cannot flood the log.
  void on_oversized(const std::string& topic, std::size_t size) {
    if (oversized_seen++ == 0)
      LOG_AT(warn, "mqtt", "dropped a message of ", size, " bytes on ", topic, " (more than ", max_incoming_payload,
             " bytes are never read); further ones are logged at debug level");
    else
      LOG_AT(debug, "mqtt", "dropped a message of ", size, " bytes on ", topic);
  }

  // What was queued or in flight on a lost connection is gone; `connected` republishes it all.
  void drop_pending() {
    queue.clear();
    in_flight = 0;
    acks = 0;
    notify_delivered(false);
  }

  void subscribe_now(const std::string& filter, int qos) {
    try {
      paho->subscribe(filter, qos < 0 ? settings.qos : qos);
    } catch (const mqtt::exception& e) {
      LOG_AT(warn, "mqtt", "cannot subscribe to ", filter, ": ", e.what());
    }
  }

  // Sends the queue while the window has room, then tells the owner how much room is left if it
  // asked (what it publishes then is sent by the same loop). Once the queue is empty, nothing is in
  // flight and the owner wants nothing more, everything is delivered (or we are disconnected).
  void pump() {
    if (pumping) return;
    pumping = true;
    while (machine.current() == phase::connected) {
      const std::size_t window = this->window();
      while (!queue.empty() && in_flight < window) {
        send(queue.front());
        queue.pop_front();
      }
      if (!queue.empty() || in_flight >= window || !window_wanted || window_closed || !events.window) break;
      window_wanted = false;
      events.window(window - in_flight);
      if (queue.empty()) break;  // it had nothing more
    }
    pumping = false;
    if (queue.empty() && in_flight == 0 && (!window_wanted || window_closed)) notify_delivered(true);
  }

  std::size_t window() const { return settings.qos >= 2 ? qos2_publish_window : publish_window; }

  void send(const message& m) {
    try {
      auto msg = mqtt::make_message(m.topic, m.payload, m.qos < 0 ? settings.qos : m.qos, m.retain);
      // NOLINTNEXTLINE(performance-no-int-to-ptr): as in connect()
      paho->publish(msg, reinterpret_cast<void*>(generation.load()), publish_listener);
      ++in_flight;
      ++published;
    } catch (const mqtt::exception& e) {
      LOG_AT(warn, "mqtt", "cannot publish ", m.topic, ": ", e.what());
    }
  }

  void on_published(std::size_t count) {
    in_flight -= std::min(count, in_flight);
    pump();
  }

  void notify_delivered(bool acknowledged) {
    auto waiters = std::move(delivered_waiters);
    delivered_waiters.clear();
    for (auto& w : waiters) w(acknowledged);
  }

  std::function<void()> stopped_callback;

  void on_stopped() {
    if (machine.current() == phase::stopped) return;
    machine.stopped();
    retry_timer.cancel();
    connect_deadline.cancel();
    stop_deadline.cancel();
    if (auto done = std::exchange(stopped_callback, nullptr)) done();
  }
};

client::client(net::any_io_executor executor, client_settings settings, client_events events)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(settings), std::move(events))) {
  impl_->install_callbacks();
}

client::~client() {
  if (impl_->machine.current() == impl::phase::connected) {
    try {
      impl_->paho->disconnect()->wait_for(std::chrono::seconds(2));
    } catch (const mqtt::exception&) {
    }
  }
}

void client::start() { impl_->step(impl_->machine.start()); }

void client::publish(message m) {
  if (impl_->machine.current() != impl::phase::connected) return;
  impl_->queue.push_back(std::move(m));
  impl_->pump();
}

void client::request_window() {
  impl_->window_wanted = true;
  impl_->pump();
}

void client::subscribe(std::string topic_filter, int qos) {
  if (impl_->machine.current() == impl::phase::connected) impl_->subscribe_now(topic_filter, qos);
  impl_->subscriptions.emplace_back(std::move(topic_filter), qos);
}

void client::unsubscribe(const std::string& topic_filter) {
  std::erase_if(impl_->subscriptions, [&](const auto& s) { return s.first == topic_filter; });
  if (impl_->machine.current() != impl::phase::connected) return;
  try {
    impl_->paho->unsubscribe(topic_filter);
  } catch (const mqtt::exception& e) {
    LOG_AT(warn, "mqtt", "cannot unsubscribe from ", topic_filter, ": ", e.what());
  }
}

void client::when_delivered(std::function<void(bool acknowledged)> done) {
  impl_->delivered_waiters.push_back(std::move(done));
  impl_->pump();
}

void client::stop(message last, std::chrono::milliseconds timeout, std::function<void()> done) {
  auto& me = *impl_;
  me.stopped_callback = std::move(done);
  me.retry_timer.cancel();
  me.window_closed = true;  // what the owner still has queued can wait for the next start: `last` goes now
  if (me.machine.current() != impl::phase::connected) {
    me.machine.stopping();
    return me.on_stopped();
  }
  // At least QoS 1: its acknowledgement means the broker has it, and everything sent before it.
  // At QoS 0 Paho reports a publication done before it is written, so without this barrier a
  // --once at mqtt.qos 0 could disconnect with its states still in Paho's queue.
  last.qos = std::max(me.settings.qos, 1);
  me.queue.push_back(std::move(last));
  me.pump();
  // Bounded: a broker that never acknowledges must not keep the process from exiting.
  me.stop_deadline.expires_after(timeout);
  me.stop_deadline.async_wait([weak = impl_->weak_from_this()](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->on_stopped();
  });
  when_delivered([weak = impl_->weak_from_this()](bool acknowledged) {
    auto self = weak.lock();
    if (!self || self->machine.current() == impl::phase::stopped) return;
    if (!acknowledged) return self->on_stopped();  // the connection is gone: nothing to disconnect
    self->machine.stopping();
    try {
      self->paho->disconnect(1000, nullptr, self->disconnect_listener);
    } catch (const mqtt::exception&) {
      self->on_stopped();
    }
  });
}

bool client::connected() const { return impl_->machine.current() == impl::phase::connected; }

std::uint64_t client::messages_published() const { return impl_->published; }

}  // namespace broker

#pragma once
// Real processes for integration tests: mosquitto, wyze-cloud-sim, the bridge, and a subscriber.
// Every wait is bounded; everything started is stopped when its owner goes out of scope.
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace harness {

using namespace std::chrono_literals;

/// A fresh directory, removed with everything in it at the end.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// A child process whose stdout and stderr go to `log_file`.
class process {
 public:
  /// `env` entries (NAME=value) are added to this process's environment.
  process(std::vector<std::string> argv, std::string log_file, std::vector<std::string> env = {});
  ~process();
  process(const process&) = delete;

  void signal(int sig);
  /// The exit status, or nullopt if it has not exited within `timeout` (or died from a signal: -sig).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  bool running();
  std::string output() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string log_file_;
};

/// A loopback port nobody listens on right now.
std::uint16_t free_port();

/// True once something accepts connections on 127.0.0.1:`port`.
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout);

/// A plain HTTP GET to 127.0.0.1:`port`; status 0 when nothing answered.
struct http_result {
  int status = 0;
  std::string body;
};
http_result http_get(std::uint16_t port, const std::string& path);

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

/// A throwaway mosquitto without persistence: an anonymous listener on a free loopback port,
/// plus whatever `extra_config` adds (more listeners; per_listener_settings is on).
class broker {
 public:
  /// `start_now` false: the port is chosen, and nothing listens on it until start().
  explicit broker(const temp_dir& dir, std::string extra_config = "", bool start_now = true);
  void start();
  void kill_hard();      ///< SIGKILL: retained messages are lost (no persistence)
  void restart();        ///< a fresh broker on the same port
  void signal(int sig);  ///< e.g. SIGSTOP / SIGCONT: a frozen broker keeps its connections open
  std::uint16_t port() const { return port_; }
  std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }

 private:
  const temp_dir& dir_;
  std::string extra_config_;
  std::uint16_t port_;
  std::unique_ptr<process> process_;
};

/// A TCP listener on 127.0.0.1:`port` that never accepts: the kernel completes every handshake,
/// and whatever a client sends waits unread — a host that takes connections and never answers.
class silent_listener {
 public:
  explicit silent_listener(std::uint16_t port);
  ~silent_listener();
  silent_listener(const silent_listener&) = delete;
  silent_listener& operator=(const silent_listener&) = delete;

 private:
  int fd_;
};

/// wyze-cloud-sim on a free loopback port, with its CA written into the temp dir.
class cloud {
 public:
  /// `options` are extra command-line options of wyze-cloud-sim.
  cloud(const temp_dir& dir, int cameras, std::vector<std::string> options = {});
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  std::string ca_file() const { return ca_file_; }
  std::uint16_t port() const { return port_; }

  struct answer {
    unsigned status = 0;
    std::string body;
  };
  /// A call to the simulator's control API (/sim/...), over the same verified HTTPS.
  answer control(const std::string& method, const std::string& path, const std::string& body = "");
  /// One counter of GET /sim/stats.
  std::int64_t stat(const std::string& name);

 private:
  std::string ca_file_;
  std::uint16_t port_ = 0;
  std::unique_ptr<process> process_;
  struct control_client;
  std::shared_ptr<control_client> control_;  ///< one kept-alive connection for every control call
};

/// A CA, a server certificate for localhost / 127.0.0.1 and a client certificate, as PEM files.
struct tls_files {
  std::string ca, server_cert, server_key, client_cert, client_key;
};
tls_files write_certificates(const temp_dir& dir);

struct received {
  std::string payload;
  bool retained = false;
};

/// A real MQTT subscriber (Paho) that records every message it gets.
class subscriber {
 public:
  subscriber(std::uint16_t port, const std::string& filter);
  ~subscriber();

  /// The last payload seen on `topic`, if any.
  std::optional<received> last(const std::string& topic);
  /// Every message seen on `topic` (the first 1,000), in the order they came.
  std::vector<received> history(const std::string& topic);
  /// Waits until the last payload on `topic` equals `payload`.
  bool wait_for(const std::string& topic, const std::string& payload, std::chrono::milliseconds timeout = 10s);
  /// Waits until some message satisfies `match`.
  bool wait_until(const std::function<bool(const std::map<std::string, received>&)>& match,
                  std::chrono::milliseconds timeout = 10s);
  /// Every topic's last payload.
  std::map<std::string, received> snapshot();
  /// Publishes a message from the subscriber's own connection.
  void publish(const std::string& topic, const std::string& payload, bool retain = false);

  /// Asks the bridge under `base` for a poll and returns its answer on bridge/response/poll
  /// ("" when none came within 10 s). The subscription must cover that topic.
  std::string request_poll(const std::string& base = "wyze");
  /// Publishes a camera command to `topic` as Home Assistant does (QoS 1, not retained) and returns
  /// the bridge's answer on `<base>/bridge/response/command` ("" when none came within 10 s).
  std::string command(const std::string& topic, const std::string& payload, const std::string& base = "wyze");

 private:
  /// Clears `response`, publishes `payload` to `topic`, and returns the next answer on `response`.
  std::string answered(const std::string& response, const std::string& topic, const std::string& payload);
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The retained messages the broker holds under `filter`, read by a fresh subscriber (empty
/// payloads — cleared topics — are not retained and so never appear).
std::map<std::string, std::string> retained(std::uint16_t port, const std::string& filter = "#");

/// Writes a bridge config for the simulator and broker. `wyze_extra` is added to the wyze section
/// (it replaces the default 1h poll interval, so polls come only from requests; a timeout in it
/// replaces the default 5s), `extra` after it.
std::string write_config(const temp_dir& dir, const cloud& sim, const broker& mqtt,
                         const std::string& wyze_extra = "  poll_interval: 1h\n", const std::string& extra = "");
/// The same with another broker URL (a TLS or password-protected listener).
std::string write_config(const temp_dir& dir, const cloud& sim, const std::string& mqtt_url,
                         const std::string& wyze_extra, const std::string& extra);

/// The retained state topics the bridge publishes for the simulator's first `cameras` cameras (the
/// controls vary with the model the simulator gives each camera); each also has one discovery config.
std::size_t sim_state_topics(std::size_t cameras);

/// Rewrites the bridge's saved session (state/tokens.json in `dir`) as if its last login were
/// long ago, so a test can log in again without waiting out the 30 s spacing between logins.
void forget_last_login(const temp_dir& dir);

/// Runs `wyze-mqtt-bridge --once --config config` and requires it to succeed within `timeout`.
std::unique_ptr<process> run_once(const temp_dir& dir, const std::string& config,
                                  std::chrono::milliseconds timeout = 30s);

/// Starts the bridge binary with `args`; its output goes to bridge.log in `dir`.
std::unique_ptr<process> start_bridge(const temp_dir& dir, std::vector<std::string> args,
                                      std::vector<std::string> env = {});

}  // namespace harness

#include "tests/harness.hpp"

#include "mqtt/entities.hpp"
#include "mqtt/topics.hpp"
#include "sim/account.hpp"
#include "sim/certificates.hpp"
#include "wyze/https_client.hpp"

#include <fcntl.h>
#include <mqtt/async_client.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace harness {

temp_dir::temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "wyze-bridge-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

process::process(std::vector<std::string> argv, std::string log_file, std::vector<std::string> env)
    : log_file_(std::move(log_file)) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  // Nothing else of this process (its MQTT clients' sockets, a test's listener) goes with the
  // child: a socket a child holds stays open after the test closes it.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  int rc = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
}

process::~process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait_exit(5s);
  }
}

void process::signal(int sig) {
  if (!status_) ::kill(pid_, sig);
}

std::optional<int> process::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!status_) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
  return status_;
}

bool process::running() { return !wait_exit(0ms).has_value(); }

std::string process::output() const {
  std::ifstream in(log_file_);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {
sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}
}  // namespace

silent_listener::silent_listener(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  int on = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in addr = loopback(port);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0) {
    ::close(fd_);
    throw std::runtime_error("silent_listener: cannot listen on 127.0.0.1:" + std::to_string(port));
  }
}

silent_listener::~silent_listener() { ::close(fd_); }

std::uint16_t free_port() {
  // The kernel may hand the same ephemeral port to two binds in a row once the first socket is
  // closed, and a test that asks for two ports (a broker with two listeners) would then get one
  // port twice. No port is handed out twice in one test process.
  static std::set<std::uint16_t> handed_out;
  for (;;) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = loopback(0);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      throw std::runtime_error("free_port: cannot bind a socket on 127.0.0.1");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    if (handed_out.insert(ntohs(addr.sin_port)).second) return ntohs(addr.sin_port);
  }
}

bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout) {
  return eventually(
      [port] {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr = loopback(port);
        bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        ::close(fd);
        return ok;
      },
      timeout);
}

http_result http_get(std::uint16_t port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = loopback(port);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  http_result result;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string response;
    char chunk[4096];
    for (ssize_t n; (n = ::recv(fd, chunk, sizeof chunk, 0)) > 0;) response.append(chunk, static_cast<std::size_t>(n));
    if (response.starts_with("HTTP/1.1 ")) result.status = std::atoi(response.c_str() + 9);
    if (auto body = response.find("\r\n\r\n"); body != std::string::npos) result.body = response.substr(body + 4);
  }
  ::close(fd);
  return result;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

// ---- broker ----

broker::broker(const temp_dir& dir, std::string extra_config, bool start_now)
    : dir_(dir), extra_config_(std::move(extra_config)), port_(free_port()) {
  if (start_now) start();
}

void broker::signal(int sig) {
  if (process_) process_->signal(sig);
}

void broker::start() {
  std::string conf = dir_.file("mosquitto.conf");
  // Run as whoever runs the tests: as root, mosquitto would otherwise switch to its own user,
  // which cannot read the test's private files (certificates, password file).
  const passwd* me = getpwuid(geteuid());
  std::ofstream(conf) << "user " << (me ? me->pw_name : "mosquitto") << "\n"
                      << "per_listener_settings true\npersistence false\nmax_queued_messages 0\n"
                      << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\n"
                      << extra_config_;
  process_ = std::make_unique<process>(std::vector<std::string>{"mosquitto", "-c", conf}, dir_.file("mosquitto.log"));
  if (!wait_for_port(port_, 10s))
    throw std::runtime_error("mosquitto did not start on port " + std::to_string(port_) + ": " + process_->output());
}

void broker::kill_hard() {
  process_->signal(SIGKILL);
  process_->wait_exit(5s);
}

void broker::restart() {
  kill_hard();
  start();
}

tls_files write_certificates(const temp_dir& dir) {
  auto certs = sim::make_certificates();
  tls_files files{dir.file("ca.pem"), dir.file("server.pem"), dir.file("server.key"), dir.file("client.pem"),
                  dir.file("client.key")};
  std::ofstream(files.ca) << certs.ca_pem;
  std::ofstream(files.server_cert) << certs.server_cert_pem;
  std::ofstream(files.server_key) << certs.server_key_pem;
  std::ofstream(files.client_cert) << certs.client_cert_pem;
  std::ofstream(files.client_key) << certs.client_key_pem;
  return files;
}

// ---- cloud ----

cloud::cloud(const temp_dir& dir, int cameras, std::vector<std::string> options) : ca_file_(dir.file("sim-ca.pem")) {
  std::string port_file = dir.file("sim.port");
  std::vector<std::string> argv{SIM_BINARY, "--cameras", std::to_string(cameras), "--port-file", port_file,
                                "--ca-out", ca_file_};
  argv.insert(argv.end(), options.begin(), options.end());
  process_ = std::make_unique<process>(std::move(argv), dir.file("sim.log"));
  if (!eventually([&] { return std::filesystem::exists(port_file); }, 10s))
    throw std::runtime_error("wyze-cloud-sim did not start: " + process_->output());
  std::ifstream(port_file) >> port_;
}

struct cloud::control_client {
  explicit control_client(const std::string& ca_file)
      : client(io.get_executor(), {ca_file, std::chrono::seconds(10), 64u << 20, "harness"}) {}
  boost::asio::io_context io;
  wyze::https_client client;
};

cloud::answer cloud::control(const std::string& method, const std::string& path, const std::string& body) {
  if (!control_) control_ = std::make_shared<control_client>(ca_file_);
  answer out;
  std::string failure;
  control_->client.send({method, url() + path, {}, body}, [&](wyze::result<wyze::http_response> r) {
    if (!r)
      failure = r.error().message;
    else
      out = {r.value().status, r.value().body};
  });
  control_->io.restart();
  control_->io.run();
  if (!failure.empty()) throw std::runtime_error("control call " + path + " failed: " + failure);
  return out;
}

std::int64_t cloud::stat(const std::string& name) {
  auto stats = boost::json::parse(control("GET", "/sim/stats").body).as_object();
  auto* v = stats.if_contains(name);
  return v ? v->to_number<std::int64_t>() : 0;
}

// ---- subscriber ----

struct subscriber::impl {
  impl(std::uint16_t port, const std::string& client_id)
      : client("mqtt://127.0.0.1:" + std::to_string(port), client_id) {}
  mqtt::async_client client;
  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::string, received> last;
  std::map<std::string, std::vector<received>> history;  ///< the last 1,000 messages of each topic
};

subscriber::subscriber(std::uint16_t port, const std::string& filter) {
  static int counter = 0;
  impl_ = std::make_unique<impl>(port, "test-sub-" + std::to_string(getpid()) + "-" + std::to_string(++counter));
  impl_->client.set_message_callback([this](const mqtt::const_message_ptr& m) {
    std::lock_guard lock(impl_->mutex);
    impl_->last[m->get_topic()] = {m->to_string(), m->is_retained()};
    auto& seen = impl_->history[m->get_topic()];
    if (seen.size() < 1000) seen.push_back({m->to_string(), m->is_retained()});
    impl_->changed.notify_all();
  });
  impl_->client.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait_for(10s);
  impl_->client.subscribe(filter, 1)->wait_for(10s);
}

subscriber::~subscriber() {
  try {
    impl_->client.disconnect()->wait_for(5s);
  } catch (const mqtt::exception&) {
  }
}

std::optional<received> subscriber::last(const std::string& topic) {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->last.find(topic);
  if (it == impl_->last.end()) return std::nullopt;
  return it->second;
}

std::vector<received> subscriber::history(const std::string& topic) {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->history.find(topic);
  return it == impl_->history.end() ? std::vector<received>{} : it->second;
}

bool subscriber::wait_until(const std::function<bool(const std::map<std::string, received>&)>& match,
                            std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout, [&] { return match(impl_->last); });
}

bool subscriber::wait_for(const std::string& topic, const std::string& payload, std::chrono::milliseconds timeout) {
  return wait_until(
      [&](const std::map<std::string, received>& last) {
        auto it = last.find(topic);
        return it != last.end() && it->second.payload == payload;
      },
      timeout);
}

std::map<std::string, received> subscriber::snapshot() {
  std::lock_guard lock(impl_->mutex);
  return impl_->last;
}

void subscriber::publish(const std::string& topic, const std::string& payload, bool retain) {
  impl_->client.publish(topic, payload.data(), payload.size(), 1, retain)->wait_for(5s);
}

std::string subscriber::request_poll(const std::string& base) {
  return answered(base + "/bridge/response/poll", base + "/bridge/request/poll", "");
}

std::string subscriber::command(const std::string& topic, const std::string& payload, const std::string& base) {
  return answered(base + "/bridge/response/command", topic, payload);
}

std::string subscriber::answered(const std::string& response, const std::string& topic, const std::string& payload) {
  publish(response, "");  // so the next answer is recognisable
  if (!wait_for(response, "")) return {};
  publish(topic, payload);
  bool came = wait_until([&](const auto& last) {
    auto it = last.find(response);
    return it != last.end() && !it->second.payload.empty();
  });
  return came ? last(response)->payload : std::string();
}

std::map<std::string, std::string> retained(std::uint16_t port, const std::string& filter) {
  subscriber reader(port, filter);
  // The broker sends a subscription's retained messages before anything published after it, so a
  // marker published now under the filter comes back after the last of them (the bridge's own
  // read-back works so): no guess at how long a busy machine takes to deliver them.
  std::string marker;
  if (filter.ends_with("#")) marker = filter.substr(0, filter.size() - 1) + "harness-readback-marker";
  for (auto at = marker.find('+'); at != std::string::npos; at = marker.find('+')) marker[at] = 'x';
  if (!marker.empty()) {
    static int markers = 0;
    const std::string token = std::to_string(getpid()) + "-" + std::to_string(++markers);
    reader.publish(marker, token, false);
    if (reader.wait_for(marker, token, 5s)) {
      std::map<std::string, std::string> out;
      for (auto& [topic, m] : reader.snapshot())
        if (m.retained) out[topic] = m.payload;
      return out;
    }
  }
  // An exact topic: stop once none came for 300 ms — or, while none came at all, for 1.2 s.
  std::size_t seen = 0;
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + 10s;
  for (;;) {
    std::this_thread::sleep_for(300ms);
    auto now = reader.snapshot().size();
    auto waited = std::chrono::steady_clock::now() - start;
    if ((now == seen && (now > 0 || waited >= 1200ms)) || std::chrono::steady_clock::now() > deadline) break;
    seen = now;
  }
  std::map<std::string, std::string> out;
  for (auto& [topic, m] : reader.snapshot())
    if (m.retained) out[topic] = m.payload;
  return out;
}

std::string write_config(const temp_dir& dir, const cloud& sim, const broker& mqtt, const std::string& wyze_extra,
                         const std::string& extra) {
  return write_config(dir, sim, mqtt.url(), wyze_extra, extra);
}

std::string write_config(const temp_dir& dir, const cloud& sim, const std::string& mqtt_url,
                         const std::string& wyze_extra, const std::string& extra) {
  std::string path = dir.file("config.yaml");
  std::ofstream(path) << "wyze:\n"
                      << "  email: demo@example.com\n  password: demo-password\n"
                      << "  key_id: demo-key-id\n  api_key: demo-api-key\n"
                      << "  auth_url: " << sim.url() << "\n  api_url: " << sim.url() << "\n"
                      << "  devicemgmt_url: " << sim.url() << "\n  toggle_url: " << sim.url() << "\n"
                      << "  ca_file: " << sim.ca_file()
                      << "\n"
                      // (each key once: the bridge refuses a key given twice)
                      << (wyze_extra.find("  timeout:") == std::string::npos ? "  timeout: 5s\n" : "")
                      << "  state_dir: " << dir.file("state") << "\n"
                      << wyze_extra << "mqtt:\n  url: " << mqtt_url << "\n"
                      << extra
                      // Pictures (on by default) download every camera's thumbnail: only the tests
                      // of events and pictures want that.
                      << (extra.find("events:") == std::string::npos ? "events:\n  pictures: false\n" : "");
  return path;
}

std::size_t sim_state_topics(std::size_t cameras) {
  std::size_t topics = 0;
  for (std::size_t i = 0; i < cameras; ++i) {
    wyze::Camera cam{.mac = sim::account::generated_mac(i)};
    cam.product_model = sim::account::generated_model(i);
    // The simulator reports every one of these for every camera (a battery level for the battery
    // models, and for some wired ones, which is not theirs).
    cam.online = cam.power = cam.notifications = cam.motion_detection = true;
    cam.battery = 50;
    // And the property read gives the siren's and the accessories' states (sim/account.cpp).
    cam.siren = cam.light = cam.garage_open = false;
    // The device-management models' get_iot_prop gives their charging, signal and memory card too
    // (sim/account_devicemgmt.cpp).
    if (wyze::uses_devicemgmt(cam)) {
      cam.charging = false;
      cam.signal = -57;
      cam.sd_card = wyze::sd_card_state{30436, 5120, 1};
    }
    topics += ::broker::camera_states("wyze", cam, {}).size();
  }
  return topics;
}

void forget_last_login(const temp_dir& dir) {
  std::string path = dir.file("state") + "/tokens.json";
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  auto state = boost::json::parse(text.str()).as_object();
  state["last_login_ms"] = 0;
  std::ofstream(path) << boost::json::serialize(state);
}

std::unique_ptr<process> run_once(const temp_dir& dir, const std::string& config, std::chrono::milliseconds timeout) {
  auto bridge = start_bridge(dir, {"--once", "--config", config});
  if (bridge->wait_exit(timeout) != 0) throw std::runtime_error("wyze-mqtt-bridge --once failed: " + bridge->output());
  return bridge;
}

std::unique_ptr<process> start_bridge(const temp_dir& dir, std::vector<std::string> args,
                                      std::vector<std::string> env) {
  args.insert(args.begin(), BRIDGE_BINARY);
  return std::make_unique<process>(std::move(args), dir.file("bridge.log"), std::move(env));
}

}  // namespace harness

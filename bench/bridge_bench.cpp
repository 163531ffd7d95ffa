// The end-to-end benchmark of issues #6 and #15: the real wyze-mqtt-bridge against the real
// wyze-cloud-sim and a real mosquitto, measured from outside, next to the floors measured in the
// same run on the same broker:
//   (a) the same device-list bytes parsed by Boost.JSON alone;
//   (b) a bare Paho client publishing the same messages at the same QoS;
//   (c) a pipelined MQTT client of our own on a plain socket: every PUBLISH written at once, the
//       PUBACKs read as they come; what the broker itself can take, with no client library.
// script/bench runs it and turns its output into BENCHMARKS.md.
//
//   bridge_bench [--cameras 10,1000,10000] [--runs 3] [--out results.json] [--markdown table.md]
//   bridge_bench --floor paho|pipelined SIM_URL CA_FILE BROKER_PORT MESSAGES_FILE   (internal)
#include "empty_handler.hpp"
#include "tests/harness.hpp"
#include "wyze/https_client.hpp"
#include "wyze/password.hpp"
#include "wyze/protocol.hpp"

#include <arpa/inet.h>
#include <mqtt/async_client.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace json = boost::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

double ms_since(steady::time_point start) {
  return std::chrono::duration<double, std::milli>(steady::now() - start).count();
}

/// CPU time of every thread of `pid` (user + system), in ms, with nanosecond precision:
/// /proc/PID/task/*/schedstat, whose first field is the time spent on a CPU.
double cpu_ms(pid_t pid) {
  double total_ns = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "schedstat");
    double ns = 0;
    if (in >> ns) total_ns += ns;
  }
  return total_ns / 1e6;
}

/// A field of /proc/PID/status in KiB (VmRSS, VmHWM).
long status_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with(field + ":")) return std::stol(line.substr(field.size() + 1));
  return 0;
}

struct recorded_message {
  std::string topic, payload;
  bool retained;
};

bool is_camera_topic(const std::string& topic) {
  return !topic.starts_with("wyze/bridge/") && !topic.starts_with("homeassistant/device/wyze_mqtt_bridge_") &&
         topic != "homeassistant/status";
}

/// A subscriber on '#' that counts what arrives, and optionally keeps it (to replay for floor b).
class counting_subscriber {
 public:
  counting_subscriber(std::uint16_t port, bool keep)
      : client_("mqtt://127.0.0.1:" + std::to_string(port), "bench-sub-" + std::to_string(::getpid())), keep_(keep) {
    client_.set_message_callback([this](const mqtt::const_message_ptr& m) {
      std::lock_guard lock(mutex_);
      ++messages_;
      bytes_ += m->get_topic().size() + m->get_payload().size();
      if (is_camera_topic(m->get_topic())) {
        ++camera_messages_;
        last_camera_message_ = steady::now();
        if (marked_ && !first_after_mark_) first_after_mark_ = last_camera_message_;
        if (!m->get_payload().empty()) camera_topics_.insert(m->get_topic());
      }
      if (m->get_topic() == "wyze/bridge/response/poll") ++responses_;
      if (m->get_topic() == "wyze/bridge/state" && m->to_string() == "online" && !online_at_)
        online_at_ = steady::now();
      if (keep_) kept_.push_back({m->get_topic(), m->to_string(), m->is_retained()});
    });
    client_.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait_for(10s);
    client_.subscribe("#", 1)->wait_for(10s);
  }
  ~counting_subscriber() {
    try {
      client_.disconnect()->wait_for(5s);
    } catch (const mqtt::exception&) {
    }
  }

  struct counts {
    std::size_t messages = 0, bytes = 0, camera_messages = 0, camera_topics = 0, responses = 0;
  };
  counts now() {
    std::lock_guard lock(mutex_);
    return {messages_, bytes_, camera_messages_, camera_topics_.size(), responses_};
  }
  std::optional<steady::time_point> online_at() {
    std::lock_guard lock(mutex_);
    return online_at_;
  }
  /// From now on, the arrival times of the next camera message and of the latest one.
  void mark() {
    std::lock_guard lock(mutex_);
    marked_ = true;
    first_after_mark_.reset();
  }
  std::pair<std::optional<steady::time_point>, steady::time_point> since_mark() {
    std::lock_guard lock(mutex_);
    return {first_after_mark_, last_camera_message_};
  }
  std::vector<recorded_message> kept() {
    std::lock_guard lock(mutex_);
    return kept_;
  }
  /// Waits (polling every 2 ms) until `condition` holds on the counts.
  bool wait(const std::function<bool(const counts&)>& condition, std::chrono::milliseconds timeout) {
    auto deadline = steady::now() + timeout;
    while (steady::now() < deadline) {
      if (condition(now())) return true;
      std::this_thread::sleep_for(2ms);
    }
    return condition(now());
  }
  void publish(const std::string& topic, const std::string& payload) {
    client_.publish(topic, payload.data(), payload.size(), 1, false)->wait_for(5s);
  }

 private:
  mqtt::async_client client_;
  bool keep_;
  std::mutex mutex_;
  std::size_t messages_ = 0, bytes_ = 0, camera_messages_ = 0, responses_ = 0;
  std::set<std::string> camera_topics_;
  std::optional<steady::time_point> online_at_;
  bool marked_ = false;
  std::optional<steady::time_point> first_after_mark_;
  steady::time_point last_camera_message_;
  std::vector<recorded_message> kept_;
};

// ---- the floor client: log in, fetch and parse the list, burst the same messages ----

void write_messages(const std::string& path, const std::vector<recorded_message>& messages) {
  std::ofstream out(path, std::ios::binary);
  for (const auto& m : messages)
    out << m.topic.size() << ' ' << m.payload.size() << ' ' << m.retained << '\n' << m.topic << m.payload;
}

std::vector<recorded_message> read_messages(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<recorded_message> out;
  std::size_t topic_size = 0, payload_size = 0;
  bool retained = false;
  while (in >> topic_size >> payload_size >> retained) {
    in.get();
    recorded_message m{std::string(topic_size, '\0'), std::string(payload_size, '\0'), retained};
    in.read(m.topic.data(), static_cast<std::streamsize>(topic_size));
    in.read(m.payload.data(), static_cast<std::streamsize>(payload_size));
    out.push_back(std::move(m));
  }
  return out;
}

/// CPU time of this process (user + system), in ms, threads that have ended included: Paho's
/// threads end with the client's disconnect, and /proc/PID/task would no longer show them.
double own_cpu_ms() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto ms = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3; };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
}

double thread_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// One HTTPS exchange on `io`, run to completion.
wyze::http_response exchange(boost::asio::io_context& io, wyze::https_client& https, wyze::http_request request) {
  std::optional<wyze::result<wyze::http_response>> answer;
  https.send(std::move(request), [&](wyze::result<wyze::http_response> r) { answer.emplace(std::move(r)); });
  io.restart();
  io.run();
  if (!answer || !*answer) throw std::runtime_error("floor: HTTPS exchange failed");
  return std::move(answer->value());
}

// ---- floor (c): a pipelined MQTT 3.1.1 client on a plain socket ----

void put_u16(std::string& out, std::size_t n) {
  out += static_cast<char>((n >> 8) & 0xff);
  out += static_cast<char>(n & 0xff);
}

// A packet: its fixed header (type and flags, remaining length) and `body`.
void put_packet(std::string& out, unsigned char type_and_flags, const std::string& body) {
  out += static_cast<char>(type_and_flags);
  std::size_t length = body.size();
  do {
    auto digit = static_cast<unsigned char>(length % 128);
    length /= 128;
    if (length > 0) digit |= 0x80;
    out += static_cast<char>(digit);
  } while (length > 0);
  out += body;
}

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("floor: writing to the broker failed");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::size_t read_some(int fd, char* buffer, std::size_t size) {
  for (;;) {
    auto n = ::recv(fd, buffer, size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("floor: the broker closed the connection");
    return static_cast<std::size_t>(n);
  }
}

// Connects, writes every message as a QoS 1 PUBLISH in one go (packets encoded as they are
// written, in 256 KiB writes) while a reader thread counts the PUBACKs, and returns when all
// are acknowledged. Packet ids wrap at 65,535: the broker keeps no state for a QoS 1 id it
// received, so an id may be reused once it was acknowledged or not.
void pipelined_publish(std::uint16_t port, const std::vector<recorded_message>& messages) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("floor: no socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
    throw std::runtime_error("floor: cannot connect to the broker");
  std::string connect_body;
  put_u16(connect_body, 4);
  connect_body += "MQTT";
  connect_body += static_cast<char>(4);     // protocol level 3.1.1
  connect_body += static_cast<char>(0x02);  // clean session
  put_u16(connect_body, 60);                // keepalive
  std::string id = "bench-pipelined-" + std::to_string(::getpid());
  put_u16(connect_body, id.size());
  connect_body += id;
  std::string packet;
  put_packet(packet, 0x10, connect_body);
  write_all(fd, packet);
  char connack[4];
  std::size_t got = 0;
  while (got < sizeof connack) got += read_some(fd, connack + got, sizeof connack - got);
  if (connack[0] != 0x20 || connack[3] != 0) throw std::runtime_error("floor: the broker refused the connection");

  // The reader's failure (the broker closed, a packet that is not a PUBACK) is rethrown here.
  std::exception_ptr reader_failure;
  std::thread reader([&] {
    try {
      std::vector<char> buffer(1 << 16);
      std::size_t pending = 0, acknowledged = 0;  // pending: bytes of a PUBACK cut by the read
      while (acknowledged < messages.size()) {
        std::size_t n = read_some(fd, buffer.data() + pending, buffer.size() - pending) + pending;
        std::size_t at = 0;
        for (; at + 4 <= n; at += 4) {
          if (buffer[at] != 0x40) throw std::runtime_error("floor: expected a PUBACK");
          ++acknowledged;
        }
        pending = n - at;
        std::copy(buffer.begin() + static_cast<std::ptrdiff_t>(at), buffer.begin() + static_cast<std::ptrdiff_t>(n),
                  buffer.begin());
      }
    } catch (...) {
      reader_failure = std::current_exception();
    }
  });
  try {
    std::string out, body;
    out.reserve(std::size_t{1} << 18);
    std::size_t packet_id = 0;
    for (const auto& m : messages) {
      body.clear();
      put_u16(body, m.topic.size());
      body += m.topic;
      packet_id = packet_id % 65535 + 1;
      put_u16(body, packet_id);
      body += m.payload;
      put_packet(out, static_cast<unsigned char>(0x32 | (m.retained ? 1 : 0)), body);  // QoS 1
      if (out.size() >= (std::size_t{1} << 18)) {
        write_all(fd, out);
        out.clear();
      }
    }
    write_all(fd, out);
  } catch (...) {
    ::shutdown(fd, SHUT_RDWR);  // ends the reader's recv
    reader.join();
    ::close(fd);
    throw;
  }
  reader.join();
  if (reader_failure) {
    ::close(fd);
    std::rethrow_exception(reader_failure);
  }
  std::string disconnect;
  put_packet(disconnect, 0xe0, "");
  write_all(fd, disconnect);
  ::close(fd);
}

int floor_client(const std::string& mode, const std::string& sim_url, const std::string& ca_file,
                 std::uint16_t broker_port, const std::string& messages_file) {
  auto messages = read_messages(messages_file);
  boost::asio::io_context io;
  wyze::https_client https(io.get_executor(), {ca_file, 60s, 256u << 20, "bridge-bench-floor"});
  auto login = exchange(
      io, https,
      {"POST",
       sim_url + std::string(wyze::paths::api_key_login),
       {{"Keyid", "demo-key-id"}, {"Apikey", "demo-api-key"}},
       wyze::api_key_login_body("demo@example.com", wyze::hash_password("demo-password", wyze::api_key_login_rounds))});
  auto tokens = wyze::parse_api_key_login(login.status, login.body);
  if (!tokens) throw std::runtime_error("floor: login refused: " + tokens.error().message);
  wyze::app_context context{tokens.value().access_token, "bench-phone", 0};
  auto fetch_and_parse = [&](double& parse_cpu) {
    auto list = exchange(io, https,
                         {"POST",
                          sim_url + std::string(wyze::paths::object_list),
                          {},
                          wyze::device_list_body(wyze::auth_mode::api_key, context)});
    double before = thread_cpu_ms();
    auto document = json::parse(list.body);
    parse_cpu = thread_cpu_ms() - before;
    if (!document.is_object()) throw std::runtime_error("floor: the list is not a JSON object");
    return list.body.size();
  };
  double parse_cpu = 0;
  std::size_t body_bytes = fetch_and_parse(parse_cpu);

  double publish_cpu_before = own_cpu_ms();
  std::string prefix = mode == "paho" ? "paho_" : "pipelined_";
  if (mode == "paho") {
    // (b) the bare client: every message at QoS 1, as fast as Paho takes them.
    auto paho_options = mqtt::create_options(MQTTVERSION_DEFAULT, static_cast<int>(messages.size()) + 16);
    mqtt::async_client publisher("mqtt://127.0.0.1:" + std::to_string(broker_port),
                                 "bench-floor-" + std::to_string(::getpid()), paho_options);
    publisher.connect(mqtt::connect_options_builder().clean_session(true).max_inflight(1024).finalize())->wait();
    std::vector<mqtt::delivery_token_ptr> tokens_out;
    tokens_out.reserve(messages.size());
    for (const auto& m : messages)
      tokens_out.push_back(publisher.publish(m.topic, m.payload.data(), m.payload.size(), 1, true));
    for (auto& t : tokens_out) t->wait();
    publisher.disconnect()->wait();
  } else {
    // (c) the pipelined client of our own.
    pipelined_publish(broker_port, messages);
  }
  double first_cpu = own_cpu_ms();
  json::object out{{prefix + "first_cpu_ms", first_cpu}, {prefix + "publish_cpu_ms", first_cpu - publish_cpu_before}};

  if (mode == "paho") {
    // A steady poll's floor: the same list fetched and parsed once more, and fetched and scanned
    // by the parser with a handler that keeps nothing.
    std::this_thread::sleep_for(300ms);
    double steady_parse = 0;
    double before_steady = own_cpu_ms();
    fetch_and_parse(steady_parse);
    out["steady_cpu_ms"] = own_cpu_ms() - before_steady;
    std::this_thread::sleep_for(300ms);
    double before_scan = own_cpu_ms();
    auto list = exchange(io, https,
                         {"POST",
                          sim_url + std::string(wyze::paths::object_list),
                          {},
                          wyze::device_list_body(wyze::auth_mode::api_key, context)});
    bench::scan_json(list.body);
    out["steady_scan_cpu_ms"] = own_cpu_ms() - before_scan;
    out["body_bytes"] = body_bytes;
    out["parse_cpu_ms"] = parse_cpu;
    out["max_rss_kib"] = status_kib(::getpid(), "VmHWM");
  }
  std::cout << json::serialize(out) << std::endl;
  return 0;
}

// ---- the driver ----

struct run_result {
  std::map<std::string, double> values;
};

std::string mac_of(std::size_t index) {
  char mac[16];
  std::snprintf(mac, sizeof mac, "2CAA8E%06zX", index + 1);
  return mac;
}

/// Asks for a poll and measures the bridge's CPU and the messages it caused.
struct poll_cost {
  double cpu_ms = 0;
  double wall_ms = 0;
  std::size_t messages = 0, camera_messages = 0;
};

poll_cost measured_poll(counting_subscriber& sub, pid_t bridge) {
  auto before = sub.now();
  double cpu_before = cpu_ms(bridge);
  auto start = steady::now();
  sub.publish("wyze/bridge/request/poll", "");
  if (!sub.wait([&](const auto& c) { return c.responses > before.responses; }, 120s))
    throw std::runtime_error("the bridge did not answer a poll request within 120 s");
  double wall = ms_since(start);
  // Whatever the poll publishes is sent before the answer; let the last acknowledgements settle.
  std::this_thread::sleep_for(500ms);
  auto after = sub.now();
  poll_cost cost{cpu_ms(bridge) - cpu_before, wall, 0, after.camera_messages - before.camera_messages};
  // The request's own echo and the answer are not the poll's publications.
  cost.messages = after.messages - before.messages - 2;
  return cost;
}

run_result run_once_at(std::size_t cameras, const std::string& self) {
  using namespace harness;
  run_result r;
  auto& v = r.values;
  temp_dir dir;
  cloud sim(dir, static_cast<int>(cameras));
  const std::size_t expected_topics = cameras + harness::sim_state_topics(cameras);  // configs and states
  std::vector<recorded_message> first_messages;
  {
    broker mqtt(dir);
    counting_subscriber sub(mqtt.port(), true);
    auto config = write_config(dir, sim, mqtt, "  poll_interval: 1h\n  max_response: 256MiB\n");
    auto start = steady::now();
    auto bridge = start_bridge(dir, {"--config", config, "--log-level", "warn"});
    // VmHWM counts the shared libraries' pages too; the bridge's own memory is its anonymous
    // RSS, whose peak is sampled here.
    std::atomic<bool> sampling{true};
    std::atomic<long> anon_peak{0};
    // BRIDGE_BENCH_PERF=FILE profiles the bridge's first publish with perf (for BENCHMARKS.md).
    std::unique_ptr<process> profiler;
    if (const char* perf_file = std::getenv("BRIDGE_BENCH_PERF"))
      profiler = std::make_unique<process>(
          std::vector<std::string>{"perf", "record", "-F", "499", "--call-graph", "dwarf,16384", "-o", perf_file, "-p",
                                   std::to_string(bridge->pid())},
          dir.file("perf.log"));
    // (The stop token ends it when an exception leaves this block before `sampling` is cleared.)
    std::jthread sampler([&, pid = bridge->pid()](const std::stop_token& stop) {
      while (sampling && !stop.stop_requested()) {
        anon_peak = std::max(anon_peak.load(), status_kib(pid, "RssAnon"));
        std::this_thread::sleep_for(5ms);
      }
    });
    if (!sub.wait([&](const auto& c) { return c.camera_topics >= expected_topics; }, 180s))
      throw std::runtime_error("the bridge did not publish every camera topic: " + bridge->output());
    v["first_publish_ms"] = ms_since(start);
    v["first_publish_cpu_ms"] = cpu_ms(bridge->pid());
    if (profiler) {
      profiler->signal(SIGINT);
      profiler->wait_exit(30s);
    }
    if (auto online = sub.online_at())
      v["startup_ms"] = std::chrono::duration<double, std::milli>(*online - start).count();
    auto first = sub.now();
    v["first_messages"] = static_cast<double>(first.messages);
    v["first_camera_messages"] = static_cast<double>(first.camera_messages);
    v["camera_topics"] = static_cast<double>(expected_topics);
    v["first_bytes"] = static_cast<double>(first.bytes);
    v["rss_after_first_kib"] = static_cast<double>(status_kib(bridge->pid(), "VmRSS"));

    // Idle: past the 3 s read-back window, nothing may run between polls.
    std::this_thread::sleep_for(3500ms);
    double idle_before = cpu_ms(bridge->pid());
    std::this_thread::sleep_for(5s);
    v["idle_cpu_ms_per_s"] = (cpu_ms(bridge->pid()) - idle_before) / 5.0;

    auto steady_poll = measured_poll(sub, bridge->pid());
    v["steady_poll_cpu_ms"] = steady_poll.cpu_ms;
    v["steady_poll_wall_ms"] = steady_poll.wall_ms;
    v["steady_poll_messages"] = static_cast<double>(steady_poll.messages);
    v["steady_poll_camera_messages"] = static_cast<double>(steady_poll.camera_messages);

    std::size_t changed = std::max<std::size_t>(1, cameras / 100);
    for (std::size_t i = 0; i < changed; ++i)
      sim.control("POST", "/sim/cameras/" + mac_of(i * (cameras / changed)),
                  R"({"ip":"10.99.)" + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + R"("})");
    auto changed_poll = measured_poll(sub, bridge->pid());
    v["changed_cameras"] = static_cast<double>(changed);
    v["changed_poll_cpu_ms"] = changed_poll.cpu_ms;
    v["changed_poll_camera_messages"] = static_cast<double>(changed_poll.camera_messages);

    // Home Assistant restarts: after its birth message and a random 1-5 s delay, the bridge
    // publishes every discovery config and state again. CPU from the birth until all arrived,
    // wall from the first republished message to the last.
    {
      auto before = sub.now();
      double cpu_before = cpu_ms(bridge->pid());
      sub.mark();
      sub.publish("homeassistant/status", "online");
      // Every topic once: the first publish may have sent some twice (a device-management camera's
      // config and states again once its get_iot_prop answered).
      if (!sub.wait([&](const auto& c) { return c.camera_messages >= before.camera_messages + expected_topics; }, 180s))
        throw std::runtime_error("the bridge did not republish everything after a Home Assistant birth");
      auto [first_at, last_at] = sub.since_mark();
      std::this_thread::sleep_for(500ms);
      v["republish_cpu_ms"] = cpu_ms(bridge->pid()) - cpu_before;
      if (first_at) v["republish_ms"] = std::chrono::duration<double, std::milli>(last_at - *first_at).count();
      v["republish_camera_messages"] = static_cast<double>(sub.now().camera_messages - before.camera_messages);
    }

    // BRIDGE_BENCH_PERF_POLLS=FILE profiles these three steady polls.
    std::unique_ptr<process> poll_profiler;
    if (const char* perf_file = std::getenv("BRIDGE_BENCH_PERF_POLLS")) {
      poll_profiler = std::make_unique<process>(
          std::vector<std::string>{"perf", "record", "-F", "2000", "--call-graph", "dwarf,16384", "-o", perf_file, "-p",
                                   std::to_string(bridge->pid())},
          dir.file("perf-polls.log"));
      std::this_thread::sleep_for(1s);
    }
    for (int i = 0; i < 3; ++i) measured_poll(sub, bridge->pid());
    if (poll_profiler) {
      poll_profiler->signal(SIGINT);
      poll_profiler->wait_exit(30s);
    }
    v["rss_steady_kib"] = static_cast<double>(status_kib(bridge->pid(), "VmRSS"));
    v["rss_peak_kib"] = static_cast<double>(status_kib(bridge->pid(), "VmHWM"));
    v["rss_anon_steady_kib"] = static_cast<double>(status_kib(bridge->pid(), "RssAnon"));
    sampling = false;
    sampler.join();
    v["rss_anon_peak_kib"] = static_cast<double>(anon_peak);
    bridge->signal(SIGTERM);
    bridge->wait_exit(10s);
    first_messages = sub.kept();
    first_messages.resize(std::min(first_messages.size(), first.messages));
  }

  // The batched property read (siren, light, garage door: SPEC §10), every 2 s on a fresh bridge
  // that polls the device list once: its calls and the bridge's CPU over 10 s of nothing else.
  {
    temp_dir property_dir;
    cloud property_sim(property_dir, static_cast<int>(cameras));
    broker mqtt(property_dir);
    counting_subscriber sub(mqtt.port(), false);
    auto config = write_config(property_dir, property_sim, mqtt,
                               "  poll_interval: 1h\n  property_interval: 2s\n  max_response: 256MiB\n");
    auto bridge = start_bridge(property_dir, {"--config", config, "--log-level", "warn"});
    if (!sub.wait([&](const auto& c) { return c.camera_topics >= expected_topics; }, 180s))
      throw std::runtime_error("the property bridge did not publish every camera topic: " + bridge->output());
    std::this_thread::sleep_for(3500ms);  // past the read-back window
    auto calls_before = property_sim.stat("device_list_property_calls");
    auto devices_before = property_sim.stat("device_list_property_devices");
    double cpu_before = cpu_ms(bridge->pid());
    std::this_thread::sleep_for(10s);
    auto calls = static_cast<double>(property_sim.stat("device_list_property_calls") - calls_before);
    v["property_calls_10s"] = calls;
    v["property_devices_per_call"] =
        calls > 0 ? static_cast<double>(property_sim.stat("device_list_property_devices") - devices_before) / calls : 0;
    v["property_read_cpu_ms"] = calls > 0 ? (cpu_ms(bridge->pid()) - cpu_before) / calls : 0;
    bridge->signal(SIGTERM);
    bridge->wait_exit(10s);
  }

  // The floors, each on a fresh broker of the same configuration.
  // Everything the bridge published is retained (a live subscriber sees the retain flag cleared);
  // the subscriber's own poll requests are not part of what the floor publishes.
  std::erase_if(first_messages, [](const auto& m) { return m.topic.starts_with("wyze/bridge/request"); });
  std::string messages_file = dir.file("messages.bin");
  write_messages(messages_file, first_messages);
  for (std::string mode : {"paho", "pipelined"}) {
    broker mqtt(dir);
    counting_subscriber sub(mqtt.port(), false);
    auto start = steady::now();
    process floor({self, "--floor", mode, sim.url(), sim.ca_file(), std::to_string(mqtt.port()), messages_file},
                  dir.file("floor-" + mode + ".log"));
    if (!sub.wait([&](const auto& c) { return c.camera_topics >= expected_topics; }, 180s))
      throw std::runtime_error("the " + mode + " floor did not publish every camera topic: " + floor.output());
    v["floor_" + mode + "_first_publish_ms"] = ms_since(start);
    if (floor.wait_exit(60s) != 0) throw std::runtime_error("the " + mode + " floor failed: " + floor.output());
    auto output = floor.output();
    auto floor_result = json::parse(output.substr(output.find('{'))).as_object();
    for (const auto& [key, value] : floor_result) v["floor_" + std::string(key)] = value.to_number<double>();
  }
  return r;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  auto n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// The results as the table of BENCHMARKS.md: one column per account size, targets of issues #6
// and #15.
std::string markdown(const std::map<std::size_t, std::map<std::string, double>>& all, int runs) {
  auto fmt = [](double v, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, v);
    return std::string(text);
  };
  std::ostringstream out;
  out << "| median of " << runs << " runs |";
  for (const auto& [cameras, v] : all) out << " " << cameras << " cameras |";
  out << " target (10,000 cameras) |\n|---|";
  for (std::size_t i = 0; i < all.size(); ++i) out << "---:|";
  out << "---|\n";
  auto row = [&](const std::string& name, const std::string& target, auto cell) {
    out << "| " << name << " |";
    for (const auto& [cameras, v] : all) out << " " << cell(v) << " |";
    out << " " << target << " |\n";
  };
  auto at = [](const std::map<std::string, double>& v, const std::string& key) {
    auto it = v.find(key);
    return it == v.end() ? 0.0 : it->second;
  };
  auto ratio = [&](const std::string& a, const std::string& b) {
    return [&, a, b](auto& v) { return "**" + fmt(at(v, a) / at(v, b), 2) + "×**"; };
  };
  row("first full publish, wall (ms)", "", [&](auto& v) { return fmt(at(v, "first_publish_ms"), 0); });
  row("floor (b): login + list + bare Paho burst, wall (ms)", "",
      [&](auto& v) { return fmt(at(v, "floor_paho_first_publish_ms"), 0); });
  row("floor (c): login + list + pipelined client, wall (ms)", "",
      [&](auto& v) { return fmt(at(v, "floor_pipelined_first_publish_ms"), 0); });
  row("**first publish / floor (b), wall**", "≤ 1.2×", ratio("first_publish_ms", "floor_paho_first_publish_ms"));
  row("**first publish / floor (c), wall**", "≤ 1.6×", ratio("first_publish_ms", "floor_pipelined_first_publish_ms"));
  row("Paho's floor (b) / pipelined floor (c), wall", "", [&](auto& v) {
    return fmt(at(v, "floor_paho_first_publish_ms") / at(v, "floor_pipelined_first_publish_ms"), 2) + "×";
  });
  row("first publish: messages / MiB sent", "",
      [&](auto& v) { return fmt(at(v, "first_messages"), 0) + " / " + fmt(at(v, "first_bytes") / 1048576.0, 1); });
  row("first publish, CPU (ms)", "≤ 1000 ms", [&](auto& v) { return fmt(at(v, "first_publish_cpu_ms"), 0); });
  row("floor (a)+(b): fetch, Boost.JSON parse, bare Paho publish, CPU (ms)", "",
      [&](auto& v) { return fmt(at(v, "floor_paho_first_cpu_ms"), 0); });
  row("floor (a)+(c): fetch, Boost.JSON parse, pipelined publish, CPU (ms)", "",
      [&](auto& v) { return fmt(at(v, "floor_pipelined_first_cpu_ms"), 0); });
  row("**first publish / floor (a)+(b), CPU**", "≤ 1.5×", ratio("first_publish_cpu_ms", "floor_paho_first_cpu_ms"));
  row("publishing alone, CPU (ms): bare Paho (b) / pipelined (c)", "", [&](auto& v) {
    return fmt(at(v, "floor_paho_publish_cpu_ms"), 0) + " / " + fmt(at(v, "floor_pipelined_publish_cpu_ms"), 0);
  });
  row("CPU per message (µs): bridge / bare Paho / pipelined", "", [&](auto& v) {
    double n = std::max(1.0, at(v, "first_messages"));
    return fmt(at(v, "first_publish_cpu_ms") * 1000 / n, 0) + " / " +
           fmt(at(v, "floor_paho_publish_cpu_ms") * 1000 / n, 0) + " / " +
           fmt(at(v, "floor_pipelined_publish_cpu_ms") * 1000 / n, 1);
  });
  row("Home Assistant birth: republish, wall from first to last message (ms)", "",
      [&](auto& v) { return fmt(at(v, "republish_ms"), 0); });
  row("Home Assistant birth: republish, CPU (ms) / camera messages", "",
      [&](auto& v) { return fmt(at(v, "republish_cpu_ms"), 0) + " / " + fmt(at(v, "republish_camera_messages"), 0); });
  row("start-up to `bridge/state` online (ms)", "", [&](auto& v) { return fmt(at(v, "startup_ms"), 0); });
  row("device-list body (MiB)", "", [&](auto& v) { return fmt(at(v, "floor_body_bytes") / 1048576.0, 2); });
  row("floor (a): Boost.JSON parse of that body, CPU (ms)", "",
      [&](auto& v) { return fmt(at(v, "floor_parse_cpu_ms"), 1); });
  row("steady poll, no change: CPU (ms)", "≤ 60 ms", [&](auto& v) { return fmt(at(v, "steady_poll_cpu_ms"), 1); });
  row("floor: the same fetch + Boost.JSON parse, CPU (ms)", "",
      [&](auto& v) { return fmt(at(v, "floor_steady_cpu_ms"), 1); });
  row("floor: the same fetch + a scan that keeps nothing, CPU (ms)", "",
      [&](auto& v) { return fmt(at(v, "floor_steady_scan_cpu_ms"), 1); });
  row("**steady poll / floor (fetch + parse), CPU**", "≤ 1.5×", ratio("steady_poll_cpu_ms", "floor_steady_cpu_ms"));
  row("steady poll: messages (camera messages)", "only `bridge/info`", [&](auto& v) {
    return fmt(at(v, "steady_poll_messages"), 0) + " (" + fmt(at(v, "steady_poll_camera_messages"), 0) + ")";
  });
  row("device list at the default 60 s: calls per hour / CPU per hour (ms)", "",
      [&](auto& v) { return "60 / " + fmt(60 * at(v, "steady_poll_cpu_ms"), 0); });
  row("property read every 2 s: calls in 10 s / cameras named per call", "5 / the cameras with a siren or accessory",
      [&](auto& v) {
        return fmt(at(v, "property_calls_10s"), 0) + " / " + fmt(at(v, "property_devices_per_call"), 0);
      });
  row("property read: CPU per read (ms)", "", [&](auto& v) { return fmt(at(v, "property_read_cpu_ms"), 1); });
  row("property read at the default 5 min: calls per hour / CPU per hour (ms)", "12, whatever the cameras",
      [&](auto& v) { return "12 / " + fmt(12 * at(v, "property_read_cpu_ms"), 0); });
  row("1 % changed (IP): CPU (ms)", "≤ 30 ms", [&](auto& v) { return fmt(at(v, "changed_poll_cpu_ms"), 1); });
  row("1 % changed: cameras changed / camera messages", "2 per camera (ip, attributes)", [&](auto& v) {
    return fmt(at(v, "changed_cameras"), 0) + " / " + fmt(at(v, "changed_poll_camera_messages"), 0);
  });
  row("peak RSS, VmHWM (MiB)", "≤ 32 MiB (≤ 8 MiB at 10)",
      [&](auto& v) { return fmt(at(v, "rss_peak_kib") / 1024, 1); });
  row("peak private memory, RssAnon (MiB)", "", [&](auto& v) { return fmt(at(v, "rss_anon_peak_kib") / 1024, 1); });
  row("steady RSS / RssAnon after 5 polls (MiB)", "", [&](auto& v) {
    return fmt(at(v, "rss_steady_kib") / 1024, 1) + " / " + fmt(at(v, "rss_anon_steady_kib") / 1024, 1);
  });
  row("CPU while idle between polls (ms per s)", "0 (no busy loop)",
      [&](auto& v) { return fmt(at(v, "idle_cpu_ms_per_s"), 2); });
  row("floor client's own peak RSS (MiB)", "", [&](auto& v) { return fmt(at(v, "floor_max_rss_kib") / 1024, 1); });
  return out.str();
}

std::vector<std::size_t> parse_sizes(const std::string& text) {
  std::vector<std::size_t> sizes;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) sizes.push_back(std::stoul(item));
  return sizes;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 6 && args[0] == "--floor")
      return floor_client(args[1], args[2], args[3], static_cast<std::uint16_t>(std::stoul(args[4])), args[5]);
    std::vector<std::size_t> sizes{10, 1000, 10000};
    int runs = 3;
    std::string out_file, markdown_file;
    for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
      if (args[i] == "--cameras")
        sizes = parse_sizes(args[i + 1]);
      else if (args[i] == "--runs")
        runs = std::stoi(args[i + 1]);
      else if (args[i] == "--out")
        out_file = args[i + 1];
      else if (args[i] == "--markdown")
        markdown_file = args[i + 1];
      else
        throw std::runtime_error("unknown option " + args[i] + " (try --cameras 10,1000 --runs 3 --out FILE)");
    }
    std::string self = std::filesystem::canonical("/proc/self/exe").string();
    json::object all;
    std::map<std::size_t, std::map<std::string, double>> table;
    for (auto cameras : sizes) {
      std::map<std::string, std::vector<double>> samples;
      for (int run = 0; run < runs; ++run) {
        std::cerr << "bridge_bench: " << cameras << " cameras, run " << run + 1 << " of " << runs << "\n";
        for (auto& [name, value] : run_once_at(cameras, self).values) samples[name].push_back(value);
      }
      json::object medians;
      std::string line;
      for (auto& [name, values] : samples) {
        double m = std::round(median(values) * 100) / 100;
        medians[name] = m;
        table[cameras][name] = m;
        char number[64];
        std::snprintf(number, sizeof number, "%.2f", m);
        std::string text = number;
        text.erase(text.find_last_not_of('0') + 1);
        if (text.back() == '.') text.pop_back();
        line += (line.empty() ? "{\"" : ",\"") + name + "\":" + text;
      }
      // Printed as people read numbers (Boost.JSON would print 1.5E0).
      std::cout << cameras << " cameras: " << line << "}" << std::endl;
      all[std::to_string(cameras)] = std::move(medians);
    }
    if (!out_file.empty()) std::ofstream(out_file) << json::serialize(all) << "\n";
    if (!markdown_file.empty()) std::ofstream(markdown_file) << markdown(table, runs);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bridge_bench: " << e.what() << "\n";
    return 1;
  }
}

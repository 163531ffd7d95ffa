// The soak of issue #7 (script/soak; not in CI): the real bridge against the simulator for
// MINUTES, polling every second, while cameras change, come and go, the cloud fails in every way
// the simulator knows and the broker is killed and restarted. It reports the bridge's memory over
// time, every state it published that the camera never had (wrong states), and at the end every
// retained topic that is missing or differs from the account (lost messages).
//
//   soak [MINUTES]        default 30; exit status 0 only when nothing was wrong or lost
#include "tests/harness.hpp"

#include <mqtt/async_client.h>
#include <signal.h>
#include <boost/json.hpp>

#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace json = boost::json;
using namespace std::chrono_literals;
using namespace harness;

namespace {

long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  return 0;
}

/// What a camera is, and every value each of its state topics ever had (published values must be
/// among them).
struct camera_model {
  bool present = true;
  std::map<std::string, std::string> now;                ///< topic suffix → payload
  std::map<std::string, std::set<std::string>> history;  ///< topic suffix → every payload it had
  void set(const std::string& suffix, const std::string& value) {
    now[suffix] = value;
    history[suffix].insert(value);
  }
};

/// A subscriber on `wyze/#` that checks every camera state against the model as it arrives.
class checking_subscriber {
 public:
  checking_subscriber(std::uint16_t port, std::mutex& mutex, std::map<std::string, camera_model>& model)
      : client_("mqtt://127.0.0.1:" + std::to_string(port), "soak-check"), mutex_(mutex), model_(model) {
    client_.set_message_callback([this](const mqtt::const_message_ptr& m) { check(m->get_topic(), m->to_string()); });
    client_.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait_for(10s);
    client_.subscribe("wyze/#", 1)->wait_for(10s);
  }
  ~checking_subscriber() {
    try {
      client_.disconnect()->wait_for(5s);
    } catch (const mqtt::exception&) {
    }
  }
  std::vector<std::string> wrong() {
    std::lock_guard lock(mutex_);
    return wrong_;
  }
  std::size_t messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  void check(const std::string& topic, const std::string& payload) {
    std::lock_guard lock(mutex_);
    ++messages_;
    auto slash = topic.find('/', 5);
    if (slash == std::string::npos || topic.starts_with("wyze/bridge/") || payload.empty()) return;
    std::string id = topic.substr(5, slash - 5), suffix = topic.substr(slash + 1);
    if (suffix == "attributes") return;  // JSON of the same values; checked through the others
    auto camera = model_.find(id);
    if (camera == model_.end()) return;  // not yet in the model: a camera being added
    auto seen = camera->second.history.find(suffix);
    if (seen != camera->second.history.end() && !seen->second.count(payload)) wrong_.push_back(topic + " = " + payload);
  }

  mqtt::async_client client_;
  std::mutex& mutex_;
  std::map<std::string, camera_model>& model_;
  std::vector<std::string> wrong_;
  std::size_t messages_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const int minutes = argc > 1 ? std::stoi(argv[1]) : 30;
  const auto end = std::chrono::steady_clock::now() + std::chrono::minutes(minutes);
  temp_dir dir;
  broker mqtt(dir);
  cloud sim(dir, 40);
  auto config = write_config(dir, sim, mqtt, "  poll_interval: 1s\n  timeout: 3s\n");
  auto bridge = start_bridge(dir, {"--config", config, "--log-level", "warn"});

  std::mutex mutex;
  std::map<std::string, camera_model> model;
  // The starting point: what the bridge published for the account the simulator generated.
  if (!eventually([&] { return retained(mqtt.port(), "wyze/+/ip").size() == 40; }, 30s)) {
    std::cerr << "soak: the bridge did not publish the account: " << bridge->output() << "\n";
    return 1;
  }
  for (const auto& [topic, payload] : retained(mqtt.port(), "wyze/#")) {
    auto slash = topic.find('/', 5);
    if (topic.starts_with("wyze/bridge/") || slash == std::string::npos) continue;
    std::string suffix = topic.substr(slash + 1);
    if (suffix != "attributes") model[topic.substr(5, slash - 5)].set(suffix, payload);
  }
  auto checker = std::make_unique<checking_subscriber>(mqtt.port(), mutex, model);

  std::mt19937 random(42);
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); };
  // (Rate limits are left out: their pause of up to 5 minutes would only make the soak idle.)
  const char* faults[] = {"http500", "garbage", "drop-connection", "slow"};
  std::size_t changes = 0, added = 0, removed = 0, faults_injected = 0, broker_restarts = 0;
  // What the checkers of earlier broker lifetimes saw (a checker is replaced at each restart).
  std::vector<std::string> wrong;
  std::size_t checked = 0;
  std::vector<std::pair<int, long>> memory;  // seconds since start → RSS
  auto start = std::chrono::steady_clock::now();
  for (int second = 0; std::chrono::steady_clock::now() < end; ++second) {
    {
      std::lock_guard lock(mutex);
      std::vector<std::string> present;
      for (auto& [id, camera] : model)
        if (camera.present) present.push_back(id);
      // A few cameras change every second.
      for (int i = 0; i < 3 && !present.empty(); ++i) {
        auto& id = present[pick(present.size())];
        auto& camera = model[id];
        std::string ip = "10.7." + std::to_string(pick(250)) + "." + std::to_string(1 + pick(250));
        bool online = pick(2) == 1;
        std::string firmware = "4.36." + std::to_string(pick(20)) + ".1";
        sim.control(
            "POST", "/sim/cameras/" + id,
            json::serialize(json::object{{"ip", ip}, {"conn_state", online ? 1 : 0}, {"firmware_ver", firmware}}));
        camera.set("ip", ip);
        camera.set("conn_state", online ? "online" : "offline");
        camera.set("firmware", firmware);
        ++changes;
      }
      // Now and then a camera leaves, or a new one comes.
      if (second % 20 == 7 && present.size() > 30) {
        auto& id = present[pick(present.size())];
        sim.control("DELETE", "/sim/cameras/" + id);
        model[id].present = false;
        ++removed;
      }
      if (second % 20 == 17) {
        std::string ip = "10.8.0." + std::to_string(1 + added % 250);
        auto answer =
            json::parse(
                sim.control("POST", "/sim/cameras",
                            json::serialize(json::object{{"ip", ip}, {"conn_state", 1}, {"firmware_ver", "4.36.1.1"}}))
                    .body)
                .as_object();
        std::string id(answer.at("mac").as_string());
        auto& camera = model[id];
        camera = camera_model{};
        camera.set("ip", ip);
        camera.set("conn_state", "online");
        camera.set("firmware", "4.36.1.1");
        ++added;
      }
    }
    // Every 45 s the cloud fails for a few calls, a different way each time.
    if (second % 45 == 30) {
      const char* kind = faults[faults_injected++ % std::size(faults)];
      sim.control("POST", "/sim/fault",
                  json::serialize(json::object{{"kind", kind}, {"count", 3}, {"delay_ms", 4000}}));
    }
    // Every 5 minutes the broker is killed (no persistence) and started again.
    if (second % 300 == 150) {
      auto seen = checker->wrong();
      wrong.insert(wrong.end(), seen.begin(), seen.end());
      checked += checker->messages();
      checker.reset();
      mqtt.kill_hard();
      std::this_thread::sleep_for(2s);
      mqtt.restart();
      checker = std::make_unique<checking_subscriber>(mqtt.port(), mutex, model);
      ++broker_restarts;
    }
    if (second % 30 == 0) {
      memory.emplace_back(second, rss_kib(bridge->pid()));
      std::cerr << "soak: " << second / 60 << " min, RSS " << memory.back().second << " KiB, "
                << checked + checker->messages() << " messages checked\n";
    }
    if (!bridge->running()) break;
    std::this_thread::sleep_until(start + std::chrono::seconds(second + 1));
  }

  // Quiet: the last changes and any pause from a rate limit must settle (the pause is 5 min at most
  // for a 1011 without a reset time, so wait for the picture rather than a fixed time).
  bool alive = bridge->running();
  std::vector<std::string> lost;
  auto compare = [&] {
    lost.clear();
    auto topics = retained(mqtt.port(), "wyze/#");
    std::lock_guard lock(mutex);
    for (const auto& [id, camera] : model)
      for (const auto& [suffix, value] : camera.now) {
        auto it = topics.find("wyze/" + id + "/" + suffix);
        if (camera.present && (it == topics.end() || it->second != value))
          lost.push_back("wyze/" + id + "/" + suffix + " should be " + value + ", is " +
                         (it == topics.end() ? "missing" : it->second));
        if (!camera.present && it != topics.end()) lost.push_back("wyze/" + id + "/" + suffix + " of a removed camera");
      }
    return lost.empty();
  };
  bool settled = alive && eventually(compare, 6min);
  auto seen = checker->wrong();
  wrong.insert(wrong.end(), seen.begin(), seen.end());
  checked += checker->messages();

  std::cout << "# soak: " << minutes << " min, 1 s polls, " << changes << " camera changes, " << added << " added, "
            << removed << " removed, " << faults_injected << " cloud faults, " << broker_restarts
            << " broker restarts\n\n| minute | bridge RSS (KiB) |\n|---:|---:|\n";
  for (const auto& [second, kib] : memory)
    if (second % 300 == 0 || second == memory.back().first) std::cout << "| " << second / 60 << " | " << kib << " |\n";
  std::cout << "\nbridge alive at the end: " << (alive ? "yes" : "no") << "\n";
  std::cout << "camera states checked as they were published: " << checked << "\n";
  std::cout << "wrong states seen: " << wrong.size() << "\n";
  for (std::size_t i = 0; i < wrong.size() && i < 10; ++i) std::cout << "  " << wrong[i] << "\n";
  std::cout << "messages lost (retained topics missing or stale at the end): " << lost.size() << "\n";
  for (std::size_t i = 0; i < lost.size() && i < 10; ++i) std::cout << "  " << lost[i] << "\n";
  bridge->signal(SIGTERM);
  bridge->wait_exit(10s);
  return alive && settled && wrong.empty() ? 0 : 1;
}

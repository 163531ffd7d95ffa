// Event latency and cost (issue #12, SPEC §8): the real bridge with events on, the simulator
// creating events at random moments, mosquitto, and a subscriber that notes when each camera's
// motion turns on and its picture arrives. Prints p50/p95/max of both latencies, the event-list
// calls per hour during the run and during a quiet stretch, and docker-wyze-bridge's documented
// setting beside them.
//   events_bench [--events 50] [--interval 15s] [--quiet 60] [--markdown FILE]
#include "sim/account.hpp"
#include "tests/harness.hpp"

#include <mqtt/async_client.h>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace json = boost::json;
using namespace harness;
using clock_type = std::chrono::steady_clock;

namespace {

// When each topic first carried a given payload (or, with an empty `payload`, any payload).
class arrivals {
 public:
  arrivals(std::uint16_t port, const std::string& filter)
      : client_("mqtt://127.0.0.1:" + std::to_string(port), "events-bench-" + std::to_string(::getpid())) {
    client_.set_message_callback([this](const mqtt::const_message_ptr& m) {
      std::lock_guard lock(mutex_);
      auto now = clock_type::now();
      const std::string& topic = m->get_topic();
      if (topic.ends_with("/motion") && m->to_string() == "on") motion_on_.try_emplace(topic, now);
      if (topic.ends_with("/picture") && !m->to_string().empty() && !m->is_retained()) picture_.try_emplace(topic, now);
    });
    client_.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait_for(10s);
    client_.subscribe(filter, 1)->wait_for(10s);
  }
  ~arrivals() {
    try {
      client_.disconnect()->wait_for(5s);
    } catch (const mqtt::exception&) {
    }
  }
  std::optional<clock_type::time_point> motion_on(const std::string& topic) { return find(motion_on_, topic); }
  std::optional<clock_type::time_point> picture(const std::string& topic) { return find(picture_, topic); }

 private:
  std::optional<clock_type::time_point> find(const std::map<std::string, clock_type::time_point>& in,
                                             const std::string& topic) {
    std::lock_guard lock(mutex_);
    auto it = in.find(topic);
    if (it == in.end()) return std::nullopt;
    return it->second;
  }
  mqtt::async_client client_;
  std::mutex mutex_;
  std::map<std::string, clock_type::time_point> motion_on_, picture_;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100 * static_cast<double>(v.size()))) - 1;
  return v[std::min(rank, v.size() - 1)];
}

std::string seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", s);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  int events = 50, interval_s = 15, quiet_s = 60;
  std::string markdown_file;
  for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
    if (args[i] == "--events")
      events = std::stoi(args[i + 1]);
    else if (args[i] == "--interval")
      interval_s = std::stoi(args[i + 1]);
    else if (args[i] == "--quiet")
      quiet_s = std::stoi(args[i + 1]);
    else if (args[i] == "--markdown")
      markdown_file = args[i + 1];
    else {
      std::cerr << "events_bench: unknown option " << args[i] << " (try --events 50 --interval 15)\n";
      return 2;
    }
  }
  try {
    temp_dir dir;
    broker mqtt(dir);
    cloud sim(dir, events);  // one camera per event: each motion goes from off to on once
    auto config = write_config(dir, sim, mqtt, "  poll_interval: 1h\n",
                               "events:\n  enabled: true\n  interval: " + std::to_string(interval_s) +
                                   "s\n  api_url: " + sim.url() + "\n  motion_off_after: 1h\n  pictures: true\n");
    arrivals seen(mqtt.port(), "wyze/#");
    auto bridge = start_bridge(dir, {"--config", config});
    if (!eventually([&] { return sim.stat("event_list_calls") >= 1; }, 30s))
      throw std::runtime_error("the bridge made no event call:\n" + bridge->output());

    // Calls are counted from one call to another, so a window's edges do not round the rate: waits
    // for the next call and says when it came and how many there were by then.
    const auto call_wait = std::chrono::seconds(interval_s * 2 + 10);
    auto next_call = [&] {
      auto before = sim.stat("event_list_calls");
      if (!eventually([&] { return sim.stat("event_list_calls") > before; }, call_wait))
        throw std::runtime_error("no event call within two intervals:\n" + bridge->output());
      return std::pair{clock_type::now(), sim.stat("event_list_calls")};
    };
    auto per_hour = [](std::pair<clock_type::time_point, std::int64_t> from,
                       std::pair<clock_type::time_point, std::int64_t> to) {
      return static_cast<double>(to.second - from.second) /
             std::chrono::duration<double>(to.first - from.first).count() * 3600;
    };

    // Quiet: no event, so the calls are the interval's alone.
    std::cerr << "events_bench: " << quiet_s << " s without events\n";
    auto quiet_from = next_call();
    std::this_thread::sleep_for(std::chrono::seconds(quiet_s));
    auto quiet_to = next_call();
    double quiet_per_hour = per_hour(quiet_from, quiet_to);
    auto quiet_calls = quiet_to.second - quiet_from.second;
    auto quiet_seconds = std::chrono::duration<double>(quiet_to.first - quiet_from.first).count();

    // Events at uniformly random moments over events/5 intervals (about 5 an interval).
    const auto span = std::chrono::milliseconds(std::max(1, events / 5) * interval_s * 1000);
    std::mt19937 random(12);
    std::vector<std::chrono::milliseconds> at;
    at.reserve(static_cast<std::size_t>(events));
    for (int i = 0; i < events; ++i)
      at.emplace_back(std::uniform_int_distribution<std::int64_t>(0, span.count() - 1)(random));
    std::sort(at.begin(), at.end());
    std::cerr << "events_bench: " << events << " events over " << span.count() / 1000 << " s\n";
    auto events_from = next_call();
    auto start = clock_type::now();
    std::vector<clock_type::time_point> created(static_cast<std::size_t>(events));
    for (int i = 0; i < events; ++i) {
      std::this_thread::sleep_until(start + at[static_cast<std::size_t>(i)]);
      created[static_cast<std::size_t>(i)] = clock_type::now();
      auto answer = sim.control("POST", "/sim/events",
                                R"({"mac":")" + sim::account::generated_mac(static_cast<std::size_t>(i)) +
                                    R"(","value":1,"picture_size":40000})");
      if (answer.status != 200) throw std::runtime_error("creating an event failed: " + answer.body);
    }
    auto topic = [](int i, const char* key) {
      return "wyze/" + sim::account::generated_mac(static_cast<std::size_t>(i)) + "/" + key;
    };
    bool complete = eventually(
        [&] {
          for (int i = 0; i < events; ++i)
            if (!seen.motion_on(topic(i, "motion")) || !seen.picture(topic(i, "picture"))) return false;
          return true;
        },
        std::chrono::seconds(interval_s * 3 + 30));
    auto events_to = next_call();
    auto calls = events_to.second - events_from.second;
    auto elapsed = std::chrono::duration<double>(events_to.first - events_from.first).count();
    std::vector<double> motion, picture;
    for (int i = 0; i < events; ++i) {
      auto c = created[static_cast<std::size_t>(i)];
      if (auto t = seen.motion_on(topic(i, "motion"))) motion.push_back(std::chrono::duration<double>(*t - c).count());
      if (auto t = seen.picture(topic(i, "picture"))) picture.push_back(std::chrono::duration<double>(*t - c).count());
    }
    bridge->signal(SIGTERM);
    bridge->wait_exit(10s);
    if (!complete)
      std::cerr << "events_bench: only " << motion.size() << " motions and " << picture.size() << " pictures of "
                << events << " arrived\n";

    double events_per_hour = per_hour(events_from, events_to);
    char line[512];
    std::string md;
    md += "| what | p50 | p95 | max | event-list calls an hour |\n| --- | --- | --- | --- | --- |\n";
    std::snprintf(line, sizeof line,
                  "| `motion` `on`, from the event's creation (%zu of %d) | %s | %s | %s | %.0f (%lld calls in %.0f s, "
                  "from call to call) |\n",
                  motion.size(), events, seconds(percentile(motion, 50)).c_str(),
                  seconds(percentile(motion, 95)).c_str(), seconds(percentile(motion, 100)).c_str(), events_per_hour,
                  static_cast<long long>(calls), elapsed);
    md += line;
    std::snprintf(
        line, sizeof line,
        "| `picture` on the broker (%zu of %d, 40 KB JPEGs) | %s | %s | %s | (the same calls; %lld downloads) |\n",
        picture.size(), events, seconds(percentile(picture, 50)).c_str(), seconds(percentile(picture, 95)).c_str(),
        seconds(percentile(picture, 100)).c_str(), static_cast<long long>(sim.stat("picture_downloads")));
    md += line;
    std::snprintf(line, sizeof line,
                  "| nothing happens | – | – | – | %.0f (%lld calls in %.0f s; 3,600 / %d s = %d) |\n", quiet_per_hour,
                  static_cast<long long>(quiet_calls), quiet_seconds, interval_s, 3600 / interval_s);
    md += line;
    md += "| docker-wyze-bridge's documented default (`MOTION_INT` 1.5 s) | – | – | – | 2,400 |\n";
    std::snprintf(line, sizeof line,
                  "\nTarget: p95 of `motion` ≤ `events.interval` + 1 s = %d s at one call per interval: **%s**.\n",
                  interval_s + 1, percentile(motion, 95) <= interval_s + 1 && complete ? "met" : "not met");
    md += line;
    std::cout << md;
    if (!markdown_file.empty()) std::ofstream(markdown_file) << md;
    return complete ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "events_bench: " << e.what() << "\n";
    return 1;
  }
}

// Latency on the wire (issue #27): a `/set` published on the broker → the camera's new state on a
// subscriber, and → the answer on bridge/response/command; an event list's answer → the event's
// message on a subscriber. With the real wyze-mqtt-bridge,
// wyze-cloud-sim and mosquitto on loopback (the simulator answers at once). The bridge's own work is
// about 3 ms (strace); whatever is above that is waiting on the wire.
//
//   commands_bench [--commands 50] [--events 10] [--broker-nodelay] [--bridge PATH] [--markdown table.md]
//   --broker-nodelay: mosquitto with `set_tcp_nodelay true` (its default is Nagle's algorithm on)
//   --bridge: another build of the bridge, e.g. one from before a change, to compare
#include "mqtt/broker_client.hpp"
#include "tests/harness.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <thread>

using namespace harness;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto index = static_cast<std::size_t>(std::lround(p * static_cast<double>(v.size() - 1)));
  return v[std::min(index, v.size() - 1)];
}

// A row of the table script/bench puts under its header:
// | broker | from the /set to | commands | p50 ms | p95 ms | max ms | target |
std::string row(const std::string& broker_kind, const std::string& what, const std::vector<double>& ms,
                const std::string& target) {
  char line[512];
  std::snprintf(line, sizeof line, "| %s | %s | %zu | %.1f | %.1f | %.1f | %s |", broker_kind.c_str(), what.c_str(),
                ms.size(), percentile(ms, 0.5), percentile(ms, 0.95), percentile(ms, 1.0), target.c_str());
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  int commands = 50;
  int events = 10;
  std::string bridge_binary;
  std::string markdown;
  bool broker_nodelay = false;
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--broker-nodelay") {
      broker_nodelay = true;
      --i;
    } else if (i + 1 >= argc) {
      std::cerr << "commands_bench: " << flag << " needs a value\n";
      return 2;
    } else if (flag == "--commands")
      commands = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--events")
      events = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--bridge")
      bridge_binary = argv[i + 1];
    else if (flag == "--markdown")
      markdown = argv[i + 1];
    else {
      std::cerr
          << "usage: commands_bench [--commands N] [--events N] [--broker-nodelay] [--bridge PATH] [--markdown FILE]\n";
      return 2;
    }
  }
  temp_dir dir;
  harness::broker mqtt(dir, broker_nodelay ? "set_tcp_nodelay true\n" : "");
  cloud sim(dir, 2);
  auto config =
      write_config(dir, sim, mqtt, "  poll_interval: 1h\n",
                   "events:\n  enabled: true\n  interval: 1s\n  pictures: false\n  api_url: " + sim.url() + "\n");
  std::unique_ptr<process> bridge =
      bridge_binary.empty() ? start_bridge(dir, {"--config", config})
                            : std::make_unique<process>(std::vector<std::string>{bridge_binary, "--config", config},
                                                        dir.file("bridge.log"));
  // As Home Assistant subscribes: to the state topics and the answers, not to the /set topics.
  subscriber watch(mqtt.port(), "wyze/+/+");
  subscriber answers(mqtt.port(), "wyze/bridge/response/+");
  // Home Assistant's MQTT client (paho-mqtt for Python) writes without Nagle's delay; so does this
  // one, or its own /set would wait 40 ms for the broker's ACK of its previous packet.
  ::broker::no_delay_towards(mqtt.port());
  const std::string state = "wyze/2CAA8E000001/notifications";
  const std::string answer = "wyze/bridge/response/command";
  if (!watch.wait_until([&](const auto& last) { return last.count(state) > 0; }, 20s)) {
    std::cerr << "commands_bench: the bridge did not publish " << state << ":\n" << bridge->output();
    return 1;
  }
  std::this_thread::sleep_for(500ms);
  std::vector<double> to_state, to_answer;
  std::string value = watch.last(state)->payload;
  for (int i = 0; i < commands; ++i) {
    value = value == "on" ? "off" : "on";
    answers.publish(answer, "");
    answers.wait_for(answer, "");
    auto sent = steady::now();
    watch.publish(state + "/set", value);
    if (!watch.wait_for(state, value, 10s)) {
      std::cerr << "commands_bench: command " << i << " got no state\n" << bridge->output();
      return 1;
    }
    to_state.push_back(std::chrono::duration<double, std::milli>(steady::now() - sent).count());
    if (!answers.wait_until(
            [&](const auto& last) {
              auto it = last.find(answer);
              return it != last.end() && !it->second.payload.empty();
            },
            10s)) {
      std::cerr << "commands_bench: command " << i << " got no answer\n";
      return 1;
    }
    to_answer.push_back(std::chrono::duration<double, std::milli>(steady::now() - sent).count());
    std::this_thread::sleep_for(100ms);
  }
  // Events: from the event list's answer that first carried the event (the simulator's wall clock,
  // the same machine's) to the last of the event's messages on the subscriber.
  std::vector<double> to_event;
  const std::string event_topic = "wyze/2CAA8E000001/event";
  const std::string last_event_topic = "wyze/2CAA8E000001/last_event";
  for (int i = 0; i < events; ++i) {
    auto before = watch.last(last_event_topic);
    std::string previous = before ? before->payload : "";
    auto made = sim.control("POST", "/sim/events", R"({"mac":"2CAA8E000001","picture":false})");
    auto id = std::string(boost::json::parse(made.body).at("events").at(0).at("event_id").as_string());
    // Both of the event's messages: the event itself and the camera's new last_event (and motion,
    // when it was off).
    if (!watch.wait_until(
            [&](const auto& last) {
              auto it = last.find(event_topic);
              auto at = last.find(last_event_topic);
              return it != last.end() && it->second.payload.find(id) != std::string::npos && at != last.end() &&
                     at->second.payload != previous;
            },
            10s)) {
      std::cerr << "commands_bench: event " << id << " never arrived\n" << bridge->output();
      return 1;
    }
    auto arrived = std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch());
    to_event.push_back(arrived.count() - static_cast<double>(sim.stat("events_first_answered_ms")));
    std::this_thread::sleep_for(1200ms);  // the next event in an answer of its own
  }
  std::string broker_kind = broker_nodelay ? "mosquitto, `set_tcp_nodelay true`" : "mosquitto, its defaults";
  std::string table = row(broker_kind, "the state on a subscriber", to_state, "p95 ≤ 10 ms") + "\n" +
                      row(broker_kind, "the answer on bridge/response/command", to_answer, "—") + "\n" +
                      row(broker_kind, "an event's messages, from the event list's answer", to_event, "p95 ≤ 10 ms") +
                      "\n";
  std::cout << table;
  if (!markdown.empty()) std::ofstream(markdown) << table;
  return 0;
}

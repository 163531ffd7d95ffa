// Micro-benchmarks (Google Benchmark) of the bridge's own work per poll: parsing the device list
// (ours, streamed with no document, next to Boost.JSON's document parse and its bare scan with a
// handler that keeps nothing, on the same bytes), diffing a poll against the last
// one, and building discovery payloads. The bytes are the simulator's answer for N cameras.
#include "bridge/retained_state.hpp"
#include "empty_handler.hpp"
#include "mqtt/discovery.hpp"
#include "sim/account.hpp"
#include "wyze/device_list_stream.hpp"
#include "wyze/password.hpp"
#include "wyze/protocol.hpp"

#include <benchmark/benchmark.h>
#include <boost/json.hpp>

#include <map>
#include <stdexcept>

namespace {

// The get_object_list answer of a simulated account with `cameras` cameras (cached per size).
const std::string& device_list_body(std::size_t cameras) {
  static std::map<std::size_t, std::string> bodies;
  if (auto it = bodies.find(cameras); it != bodies.end()) return it->second;
  sim::account account({}, cameras);
  sim::credentials creds;
  auto login = account.handle({"POST",
                               std::string(wyze::paths::api_key_login),
                               {{"keyid", creds.key_id}, {"apikey", creds.api_key}},
                               wyze::api_key_login_body(creds.email, wyze::hash_password(creds.password, 3))});
  auto tokens = wyze::parse_api_key_login(login.status, login.body);
  if (!tokens) throw std::runtime_error("the simulated login failed: " + tokens.error().message);
  auto list =
      account.handle({"POST",
                      std::string(wyze::paths::object_list),
                      {},
                      wyze::device_list_body(wyze::auth_mode::api_key, {tokens.value().access_token, "bench", 0})});
  return bodies.emplace(cameras, std::move(list.body)).first->second;
}

wyze::camera_list cameras_of(std::size_t count) {
  wyze::device_list_stream stream;
  stream.write(device_list_body(count));
  stream.finish();
  auto list = stream.take(200);
  if (!list) throw std::runtime_error(list.error().message);
  return std::move(list.value().cameras);
}

bridge::publish_settings publishing() {
  bridge::publish_settings s;
  s.discovery_settings.version = "1.0.0";
  s.discovery_settings.support_url = "https://example.com";
  return s;
}

// Our parser, fed in 64 KiB pieces as the HTTPS client reads them.
void parse_device_list_streamed(benchmark::State& state) {
  const auto& body = device_list_body(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    wyze::device_list_stream stream;
    for (std::size_t at = 0; at < body.size(); at += 65536) stream.write(std::string_view(body).substr(at, 65536));
    stream.finish();
    auto list = stream.take(200);
    benchmark::DoNotOptimize(list);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}

// The floor: the same bytes into a Boost.JSON document, nothing else.
void parse_boost_json_only(benchmark::State& state) {
  const auto& body = device_list_body(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto document = boost::json::parse(body);
    benchmark::DoNotOptimize(document);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}

// The floor of any parse of these bytes: Boost.JSON's basic_parser with the empty handler, in
// the same 64 KiB pieces and with the same options as ours.
void parse_empty_handler_floor(benchmark::State& state) {
  const auto& body = device_list_body(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) bench::scan_json(body);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}

// A poll where nothing changed: compare every camera, queue nothing.
void diff_no_change(benchmark::State& state) {
  auto cameras = cameras_of(static_cast<std::size_t>(state.range(0)));
  bridge::retained_state retained(publishing());
  retained.update(cameras);
  retained.take_queued();
  for (auto _ : state) {
    state.PauseTiming();
    auto copy = cameras;
    state.ResumeTiming();
    benchmark::DoNotOptimize(retained.update(std::move(copy)));
  }
}

// A poll where 1 % of the cameras changed their IP: diff, then make the messages to send.
void diff_one_percent_changed(benchmark::State& state) {
  auto cameras = cameras_of(static_cast<std::size_t>(state.range(0)));
  bridge::retained_state retained(publishing());
  retained.update(cameras);
  retained.take_queued();
  int round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto copy = cameras;
    ++round;
    for (std::size_t i = 0; i < copy.size(); i += 100) copy[i].ip = "10.99.0." + std::to_string(round % 250);
    state.ResumeTiming();
    retained.update(std::move(copy));
    auto messages = retained.take_queued();
    benchmark::DoNotOptimize(messages);
  }
}

// One camera's discovery config (device mode), as published after every reconnect.
void discovery_payload(benchmark::State& state) {
  auto camera = cameras_of(1).front();
  auto settings = publishing().discovery_settings;
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto messages = broker::camera_discovery(settings, camera);
    bytes += messages.front().payload.size();
    benchmark::DoNotOptimize(messages);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

}  // namespace

BENCHMARK(parse_device_list_streamed)->Arg(10)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(parse_empty_handler_floor)->Arg(10)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(parse_boost_json_only)->Arg(10)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(diff_no_change)->Arg(10)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(diff_one_percent_changed)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(discovery_payload)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();

#include "bridge/metrics.hpp"

#include <cstdio>

namespace bridge {
namespace {

// Prometheus wants plain decimal numbers (Boost.JSON and iostreams would print 1.5E0 or 1e+01).
std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

// Times and CPU seconds: %g would round 1795687200.5 to 1.79569e+09.
std::string decimal(double v) {
  char text[40];
  std::snprintf(text, sizeof text, "%.3f", v);
  return text;
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void sample(std::string& out, const std::string& name, std::uint64_t value) {
  out += name + " " + std::to_string(value) + "\n";
}

}  // namespace

void duration_histogram::observe(std::chrono::duration<double> d) {
  double seconds = d.count();
  for (std::size_t i = 0; i < bounds.size(); ++i)
    if (seconds <= bounds[i]) ++cumulative_[i];
  ++count_;
  sum_ += seconds;
}

std::string render_prometheus(const metrics& m, std::string_view version) {
  std::string out;
  family(out, "wyze_bridge_polls_total", "counter", "Polls of the Wyze cloud by result.");
  sample(out, "wyze_bridge_polls_total{result=\"ok\"}", m.polls_ok);
  sample(out, "wyze_bridge_polls_total{result=\"error\"}", m.polls_error);
  family(out, "wyze_bridge_poll_duration_seconds", "histogram", "Duration of polls, login and refresh included.");
  const auto& buckets = m.poll_duration.cumulative();
  for (std::size_t i = 0; i < buckets.size(); ++i)
    sample(out, "wyze_bridge_poll_duration_seconds_bucket{le=\"" + number(duration_histogram::bounds[i]) + "\"}",
           buckets[i]);
  sample(out, "wyze_bridge_poll_duration_seconds_bucket{le=\"+Inf\"}", m.poll_duration.count());
  out += "wyze_bridge_poll_duration_seconds_sum " + number(m.poll_duration.sum()) + "\n";
  sample(out, "wyze_bridge_poll_duration_seconds_count", m.poll_duration.count());
  family(out, "wyze_bridge_cameras", "gauge", "Cameras published.");
  sample(out, "wyze_bridge_cameras", m.cameras);
  family(out, "wyze_bridge_cameras_online", "gauge", "Published cameras the cloud reports online.");
  sample(out, "wyze_bridge_cameras_online", m.cameras_online);
  family(out, "wyze_bridge_mqtt_connected", "gauge", "1 while connected to the MQTT broker.");
  sample(out, "wyze_bridge_mqtt_connected", m.mqtt_connected ? 1 : 0);
  family(out, "wyze_bridge_logins_total", "counter", "Logins to the Wyze cloud.");
  sample(out, "wyze_bridge_logins_total", m.logins);
  family(out, "wyze_bridge_token_refreshes_total", "counter", "Access token refreshes.");
  sample(out, "wyze_bridge_token_refreshes_total", m.token_refreshes);
  family(out, "wyze_bridge_messages_published_total", "counter", "MQTT messages published.");
  sample(out, "wyze_bridge_messages_published_total", m.messages_published);
  family(out, "wyze_bridge_rate_limited_total", "counter", "Polls Wyze refused for its rate limit (1011, HTTP 429).");
  sample(out, "wyze_bridge_rate_limited_total", m.rate_limited);
  family(out, "wyze_bridge_commands_total", "counter", "Camera commands by entity and result.");
  for (const auto& [labels, count] : m.commands)
    sample(out, "wyze_bridge_commands_total{entity=\"" + labels.first + "\",result=\"" + labels.second + "\"}", count);
  family(out, "wyze_bridge_event_calls_total", "counter", "Calls of the event list, by result.");
  for (const auto& [result, count] : m.event_calls)
    sample(out, "wyze_bridge_event_calls_total{result=\"" + result + "\"}", count);
  family(out, "wyze_bridge_property_reads_total", "counter",
         "Batched reads of the accessories' states (siren, light, garage door), by result.");
  for (const auto& [result, count] : m.property_reads)
    sample(out, "wyze_bridge_property_reads_total{result=\"" + result + "\"}", count);
  family(out, "wyze_bridge_events_total", "counter", "Camera events received, by type.");
  for (const auto& [type, count] : m.events) sample(out, "wyze_bridge_events_total{type=\"" + type + "\"}", count);
  family(out, "wyze_bridge_pictures_total", "counter", "Picture downloads, by result.");
  for (const auto& [result, count] : m.pictures)
    sample(out, "wyze_bridge_pictures_total{result=\"" + result + "\"}", count);
  family(out, "wyze_bridge_cloud_requests_total", "counter", "Requests sent to the Wyze cloud, by endpoint.");
  for (const auto& [endpoint, count] : m.cloud_requests)
    sample(out, "wyze_bridge_cloud_requests_total{endpoint=\"" + endpoint + "\"}", count);
  family(out, "wyze_bridge_cloud_calls_last_hour", "gauge",
         "Calls to the Wyze cloud in the last hour, by kind (what bridge/budget shows).");
  for (std::size_t k = 0; k < wyze::call_kinds; ++k)
    sample(out, "wyze_bridge_cloud_calls_last_hour{kind=\"" + std::string(wyze::call_kind_names[k]) + "\"}",
           m.cloud_calls_last_hour[k]);
  family(out, "wyze_bridge_last_success_timestamp_seconds", "gauge",
         "When the last poll succeeded (seconds since 1970); absent before the first.");
  if (m.last_success)
    out += "wyze_bridge_last_success_timestamp_seconds " +
           decimal(std::chrono::duration<double>(m.last_success->time_since_epoch()).count()) + "\n";
  if (m.process) {
    family(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
    out += "process_cpu_seconds_total " + decimal(m.process->cpu_seconds) + "\n";
    family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    sample(out, "process_resident_memory_bytes", m.process->resident_bytes);
    family(out, "process_open_fds", "gauge", "Number of open file descriptors.");
    sample(out, "process_open_fds", m.process->open_fds);
    family(out, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
    out += "process_start_time_seconds " + decimal(m.process->start_time_seconds) + "\n";
  }
  family(out, "wyze_bridge_build_info", "gauge", "The running version.");
  sample(out, "wyze_bridge_build_info{version=\"" + std::string(version) + "\"}", 1);
  return out;
}

health check_health(const metrics& m, std::chrono::system_clock::time_point now) {
  if (!m.mqtt_connected) return {false, "mqtt: disconnected"};
  if (!m.last_success) return {false, "wyze: no successful poll yet"};
  auto age = std::chrono::duration_cast<std::chrono::seconds>(now - *m.last_success);
  if (age > 3 * m.poll_interval)
    return {false, "wyze: last successful poll " + std::to_string(age.count()) + " s ago (more than 3 intervals)"};
  return {true, "ok"};
}

}  // namespace bridge

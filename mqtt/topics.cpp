#include "mqtt/topics.hpp"

#include "common/utc_time.hpp"
#include "mqtt/entities.hpp"

#include <cctype>

namespace broker {

std::string topic_segment(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '_';
  return out;
}

std::string iso8601_utc(std::int64_t epoch_ms) { return common::format_utc(epoch_ms, "%Y-%m-%dT%H:%M:%SZ"); }

std::vector<message> camera_states(std::string_view base, const wyze::Camera& camera, const feature_flags& on) {
  std::string id = camera.id();
  std::vector<message> out;
  for (const auto& row : camera_entities())
    if (has_state(row, camera, on)) out.push_back({camera_topic(base, id, row), row.state(camera)});
  return out;
}

}  // namespace broker

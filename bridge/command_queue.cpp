#include "bridge/command_queue.hpp"

#include <algorithm>

namespace bridge {

std::optional<std::string> command_queue::add(const std::string& camera, std::string entity, std::string value) {
  auto& queue = cameras_[camera];
  auto same = std::find_if(queue.queued.begin(), queue.queued.end(),
                           [&](const command& waiting) { return waiting.entity == entity; });
  if (same == queue.queued.end()) {
    queue.queued.push_back({std::move(entity), std::move(value)});
    return std::nullopt;
  }
  return std::exchange(same->value, std::move(value));
}

std::optional<command_queue::command> command_queue::next(const std::string& camera) {
  auto queue = cameras_.find(camera);
  if (queue == cameras_.end() || queue->second.in_flight) return std::nullopt;
  if (queue->second.queued.empty()) {
    cameras_.erase(queue);
    return std::nullopt;
  }
  queue->second.in_flight = std::move(queue->second.queued.front());
  queue->second.queued.erase(queue->second.queued.begin());
  return queue->second.in_flight;
}

std::optional<command_queue::command> command_queue::finish(const std::string& camera) {
  auto queue = cameras_.find(camera);
  if (queue == cameras_.end() || !queue->second.in_flight) return std::nullopt;
  auto done = std::exchange(queue->second.in_flight, std::nullopt);
  if (queue->second.queued.empty()) cameras_.erase(queue);
  return done;
}

void command_queue::expect(const std::string& camera, const std::string& entity,
                           std::optional<bool> wyze::Camera::*field, bool on, std::int64_t until_ms) {
  expected_[{camera, entity}] = {field, on, until_ms};
}

bool command_queue::believe(const std::string& camera, const std::string& entity, bool on, std::int64_t now_ms) {
  if (auto c = cameras_.find(camera);
      c != cameras_.end() && c->second.in_flight && c->second.in_flight->entity == entity)
    return false;
  auto it = expected_.find({camera, entity});
  if (it == expected_.end()) return true;
  if (now_ms > it->second.until_ms || it->second.on == on) {
    expected_.erase(it);
    return true;
  }
  return false;
}

void command_queue::hold(wyze::camera_list& cameras, std::int64_t now_ms) {
  std::erase_if(expected_, [&](const auto& entry) { return now_ms > entry.second.until_ms; });
  if (expected_.empty()) return;
  for (auto& camera : cameras) {
    std::string id = camera.id();
    for (auto it = expected_.lower_bound({id, ""}); it != expected_.end() && it->first.first == id;) {
      auto field = it->second.field;
      if (camera.*field == it->second.on) {
        it = expected_.erase(it);  // the cloud agrees now
        continue;
      }
      camera.*field = it->second.on;
      ++it;
    }
  }
}

}  // namespace bridge

#include "bridge/picture_queue.hpp"

#include <algorithm>

namespace bridge {

void picture_queue::add(const std::string& camera, std::string url, std::int64_t time_ms) {
  if (running_ && running_->camera == camera && running_->time_ms >= time_ms) return;
  auto queued = std::find_if(waiting_.begin(), waiting_.end(), [&](const auto& j) { return j.camera == camera; });
  if (queued != waiting_.end()) {
    if (queued->time_ms >= time_ms) return;
    *queued = {camera, std::move(url), time_ms, 1};
    return;
  }
  waiting_.push_back({camera, std::move(url), time_ms, 1});
}

bool picture_queue::start(actions& out, std::size_t max_bytes) {
  if (running_) return true;
  if (waiting_.empty()) return false;
  running_ = std::move(waiting_.front());
  waiting_.pop_front();
  out.push_back(act::download{running_->camera, running_->url, max_bytes});
  return true;
}

std::optional<picture_queue::job> picture_queue::finish(const std::string& camera) {
  if (!running_ || running_->camera != camera) return std::nullopt;
  auto done = std::move(running_);
  running_.reset();
  return done;
}

bool picture_queue::retry(job failed_job, const wyze::error& failed) {
  // Too large or not an image will not change on a second try; anything else is tried once more.
  if (failed_job.attempt > 1 || failed.kind == wyze::failure::too_large || failed.kind == wyze::failure::bad_response)
    return false;
  failed_job.attempt = 2;
  waiting_.push_back(std::move(failed_job));
  return true;
}

}  // namespace bridge

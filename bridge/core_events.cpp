// Camera events and pictures (SPEC §8): one event-list call per interval for the whole account,
// motion that always turns off again, the event entity, and the newest picture of each camera.
#include "bridge/core.hpp"

#include "bridge/log_line.hpp"
#include "mqtt/json_text.hpp"
#include "mqtt/topics.hpp"

#include <algorithm>

namespace bridge {
namespace {

using common::logging::level;

std::string megabytes(std::size_t bytes) {
  if (bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes >> 10) + " KiB";
}

}  // namespace

void core::schedule_events(actions& out) {
  if (settings_.once) return;
  out.push_back(act::start_timer{timer::events, settings_.events.interval});
}

// One call for every selected camera, from just after the newest event seen.
void core::poll_events(actions& out, std::int64_t now_ms) {
  if (!settings_.events.enabled || events_polling_ || settings_.once) return;
  events_started_ = true;
  std::vector<std::string> macs;
  macs.reserve(retained_.size());
  for (const auto& [id, camera] : retained_.cameras()) macs.push_back(camera.mac);
  if (macs.empty()) {
    event_pages_ = 0;
    return schedule_events(out);  // no camera: no call
  }
  events_polling_ = true;
  out.push_back(act::fetch_events{events_.query(now_ms, std::move(macs))});
}

void core::handle(actions& out, ev::events_done& done, std::int64_t now_ms) {
  auto& list = done.list;
  events_polling_ = false;
  if (!list) {
    const auto& failed = list.error();
    // A call the pause kept from leaving is counted apart: it cost the account nothing.
    ++stats_.event_calls[failed.not_sent                              ? "paused"
                         : failed.kind == wyze::failure::rate_limited ? "rate_limited"
                                                                      : "error"];
    if (last_event_error_ != failed.message)
      out.push_back(
          line(level::warn, "wyze", "event poll failed: ", failed.message, " (the device list is polled as usual)"));
    else
      out.push_back(line(level::debug, "wyze", "event poll failed again: ", failed.message));
    last_event_error_ = failed.message;
    event_pages_ = 0;
    schedule_events(out);
    return;
  }
  ++stats_.event_calls["ok"];
  if (last_event_error_) out.push_back(line(level::info, "wyze", "event polls work again"));
  last_event_error_.reset();
  if (list.value().skipped > 0)
    out.push_back(line(level::debug, "wyze", "event list: ", list.value().skipped,
                       " entries without an id, a camera or a time were skipped"));
  const std::size_t got = list.value().events.size();
  auto page = events_.take(std::move(list.value().events));
  if (got > 0) out.push_back(line(level::debug, "wyze", "event poll: ", got, " events, ", page.fresh.size(), " new"));
  bool motion = false;
  for (const auto& event : page.fresh) motion = take_event(out, event, now_ms) || motion;
  if (motion) end_motion(out, now_ms);  // (re)starts the timer for the earliest end
  if (!page.fresh.empty()) {
    events_dirty_ = true;
    out.push_back(act::flush{});
  }
  start_download(out);
  // More events than one answer holds: the rest at once, up to max_event_pages calls an interval.
  if (page.full && ++event_pages_ < max_event_pages) return poll_events(out, now_ms);
  if (page.full)
    out.push_back(line(level::info, "wyze", "more than ", max_event_pages * event_state::page_size,
                       " new events in one interval; the rest come with the next event poll"));
  event_pages_ = 0;
  save_events(out);
  schedule_events(out);
}

bool core::take_event(actions& out, const wyze::camera_event& event, std::int64_t now_ms) {
  std::string id = wyze::camera_id(event.mac);
  if (!retained_.find(id)) return false;  // not a selected camera of the account
  std::string type = wyze::event_type_of(event);
  ++stats_.events[type];
  const bool fresh = now_ms - event.time_ms <= event_fresh_ms;
  const bool motion = fresh && wyze::is_motion(event);
  retained_.set_events(id, [&](wyze::camera_events& e) {
    if (!e.last_event_ms || event.time_ms > *e.last_event_ms) e.last_event_ms = event.time_ms;
    if (motion) e.motion = true;
  });
  if (motion) motion_until_[id] = now_ms + settings_.events.motion_off_after.count();
  if (fresh) {
    std::string tags = "[";
    for (long tag : event.tags) tags.append(tags.size() > 1 ? "," : "").append(std::to_string(tag));
    tags += ']';
    const auto* row = broker::camera_row("event");
    broker::message m{broker::camera_topic(settings_.publishing.base_topic, id, *row),
                      broker::json_members()
                          .string("event_type", type)
                          .string("event_id", event.id)
                          .string("time", broker::iso8601_utc(event.time_ms))
                          .raw("tags", tags)
                          .object(),
                      false};
    if (connected()) {
      out.push_back(act::publish{std::move(m)});
    } else {
      // Not retained, so the broker cannot keep it: held until the broker is back (the newest ones).
      if (held_events_.size() >= max_held_events) held_events_.pop_front();
      held_events_.push_back(std::move(m));
    }
  }
  if (settings_.events.pictures && !event.picture_url.empty() && event.time_ms > events_.picture_time(id))
    queue_picture(id, event.picture_url, event.time_ms);
  return motion;
}

// Turns off the motion of every camera whose time is up, and sets the timer for the next one.
void core::end_motion(actions& out, std::int64_t now_ms) {
  std::optional<std::int64_t> next;
  for (auto it = motion_until_.begin(); it != motion_until_.end();) {
    if (it->second <= now_ms) {
      retained_.set_events(it->first, [](wyze::camera_events& e) { e.motion = false; });
      it = motion_until_.erase(it);
      continue;
    }
    next = next ? std::min(*next, it->second) : it->second;
    ++it;
  }
  out.push_back(act::flush{});
  if (next)
    out.push_back(act::start_timer{timer::motion, std::chrono::milliseconds(*next - now_ms)});
  else
    out.push_back(act::cancel_timer{timer::motion});
}

// The newest picture of a camera replaces one still waiting for it.
void core::queue_picture(const std::string& camera, std::string url, std::int64_t time_ms) {
  if (downloading_ && downloading_->camera == camera && downloading_->time_ms >= time_ms) return;
  auto queued = std::find_if(pictures_.begin(), pictures_.end(), [&](const auto& j) { return j.camera == camera; });
  if (queued != pictures_.end()) {
    if (queued->time_ms >= time_ms) return;
    *queued = {camera, std::move(url), time_ms, 1};
    return;
  }
  pictures_.push_back({camera, std::move(url), time_ms, 1});
}

// Without events, the device list's thumbnails are the pictures: one download per new one.
void core::queue_thumbnails() {
  if (!settings_.events.pictures || settings_.events.enabled || settings_.once) return;
  for (const auto& [id, camera] : retained_.cameras())
    if (camera.thumbnail && !camera.thumbnail->url.empty() && camera.thumbnail->ts > events_.picture_time(id))
      queue_picture(id, camera.thumbnail->url, camera.thumbnail->ts);
}

// One download at a time: a burst of pictures never becomes a burst of connections.
void core::start_download(actions& out) {
  if (downloading_) return;
  if (pictures_.empty()) return save_events(out);
  downloading_ = std::move(pictures_.front());
  pictures_.pop_front();
  out.push_back(act::download{downloading_->camera, downloading_->url, settings_.events.max_picture});
}

void core::handle(actions& out, ev::picture_done& done, std::int64_t) {
  const auto& camera = done.camera;
  auto& picture = done.picture;
  if (!downloading_ || downloading_->camera != camera) return;
  auto job = std::move(*downloading_);
  downloading_.reset();
  if (picture) {
    ++stats_.pictures["ok"];
    auto bytes = std::make_shared<const std::string>(std::move(picture.value().bytes));
    auto type = std::move(picture.value().content_type);
    retained_.set_events(camera, [&](wyze::camera_events& e) {
      e.picture = bytes;
      e.picture_type = type;
    });
    events_.set_picture_time(camera, job.time_ms);
    events_dirty_ = true;
    out.push_back(act::flush{});
  } else {
    const auto& failed = picture.error();
    // Too large or not an image will not change on a second try; anything else is tried once more.
    bool final =
        job.attempt > 1 || failed.kind == wyze::failure::too_large || failed.kind == wyze::failure::bad_response;
    if (!final) {
      out.push_back(line(level::debug, "bridge", "the picture of camera ", camera, " failed (", failed.message,
                         "); trying once more"));
      job.attempt = 2;
      pictures_.push_back(std::move(job));
    } else {
      const char* result = failed.kind == wyze::failure::too_large      ? "too_large"
                           : failed.kind == wyze::failure::bad_response ? "not_image"
                                                                        : "error";
      ++stats_.pictures[result];
      if (failed.kind == wyze::failure::too_large)
        out.push_back(line(level::warn, "bridge", "the picture of camera ", camera,
                           " was refused: it is larger than events.max_picture (",
                           megabytes(settings_.events.max_picture), "); the previous picture stays"));
      else
        out.push_back(line(level::warn, "bridge", "the picture of camera ", camera,
                           " could not be downloaded: ", failed.message, "; the previous picture stays"));
      // Not tried again: the next new picture is.
      events_.set_picture_time(camera, job.time_ms);
      events_dirty_ = true;
    }
  }
  start_download(out);
}

void core::save_events(actions& out) {
  if (!events_dirty_ || settings_.once) return;
  events_dirty_ = false;
  out.push_back(act::save_events{events_.serialize()});
}

}  // namespace bridge

// Camera events and pictures (SPEC §8): one event-list call per interval for the whole account,
// motion that always turns off again, the event entity, and the newest picture of each camera.
#include "bridge/core.hpp"

#include "bridge/log_line.hpp"
#include "mqtt/json_text.hpp"
#include "mqtt/topics.hpp"

namespace bridge {
namespace {

using common::logging::level;

std::string megabytes(std::size_t bytes) {
  if (bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes >> 10) + " KiB";
}

}  // namespace

// One call for every selected camera (bridge/event_poll.hpp).
void core::poll_events(actions& out, std::int64_t now_ms) {
  std::vector<std::string> macs;
  macs.reserve(retained_.size());
  for (const auto& [id, camera] : retained_.cameras()) macs.push_back(camera.mac);
  event_poll_.poll(out, events_, std::move(macs), now_ms);
}

void core::handle(actions& out, ev::events_done& done, std::int64_t now_ms) {
  auto& list = done.list;
  if (!list) {
    const auto& failed = list.error();
    // A call the pause kept from leaving is counted apart: it cost the account nothing.
    ++stats_.event_calls[failed.not_sent                              ? "paused"
                         : failed.kind == wyze::failure::rate_limited ? "rate_limited"
                                                                      : "error"];
    return event_poll_.failed(out, failed);
  }
  ++stats_.event_calls["ok"];
  event_poll_.answered(out, list.value().skipped);
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
  if (event_poll_.next_page(out, page.full)) return poll_events(out, now_ms);
  save_events(out);
  event_poll_.schedule(out);
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
  if (motion) motion_.start(id, now_ms + settings_.events.motion_off_after.count());
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
    std::vector<broker::message> messages{std::move(m)};
    // A doorbell's press is also a press of its doorbell entity (SPEC 8b).
    const auto* doorbell = broker::camera_row("doorbell");
    if (event.value == wyze::doorbell_press_value && broker::has_entity(*doorbell, *retained_.find(id), features()))
      messages.push_back({broker::camera_topic(settings_.publishing.base_topic, id, *doorbell),
                          broker::json_members()
                              .string("event_type", "press")
                              .string("event_id", event.id)
                              .string("time", broker::iso8601_utc(event.time_ms))
                              .object(),
                          false});
    for (auto& message : messages) {
      if (connected()) {
        out.push_back(act::publish{std::move(message)});
      } else {
        // Not retained, so the broker cannot keep it: held until the broker is back (the newest ones).
        if (held_events_.size() >= max_held_events) held_events_.pop_front();
        held_events_.push_back(std::move(message));
      }
    }
  }
  if (features().pictures && !event.picture_url.empty() && event.time_ms > events_.picture_time(id))
    pictures_.add(id, event.picture_url, event.time_ms);
  return motion;
}

// Turns off the motion of every camera whose time is up, and sets the timer for the next one.
void core::end_motion(actions& out, std::int64_t now_ms) {
  for (const auto& id : motion_.due(now_ms)) retained_.set_events(id, [](wyze::camera_events& e) { e.motion = false; });
  out.push_back(act::flush{});
  motion_.time_next(out, now_ms);
}

// Without events, the device list's thumbnails are the pictures: one download per new one.
void core::queue_thumbnails() {
  if (!features().pictures || features().events || settings_.once) return;
  for (const auto& [id, camera] : retained_.cameras())
    if (camera.thumbnail && !camera.thumbnail->url.empty() && camera.thumbnail->ts > events_.picture_time(id))
      pictures_.add(id, camera.thumbnail->url, camera.thumbnail->ts);
}

// One download at a time (bridge/picture_queue.hpp); the state is saved once none is left.
void core::start_download(actions& out) {
  if (!pictures_.start(out, settings_.events.max_picture)) save_events(out);
}

void core::handle(actions& out, ev::picture_done& done, std::int64_t) {
  const auto& camera = done.camera;
  auto& picture = done.picture;
  auto job = pictures_.finish(camera);
  if (!job) return;
  if (picture) {
    ++stats_.pictures["ok"];
    auto bytes = std::make_shared<const std::string>(std::move(picture.value().bytes));
    auto type = std::move(picture.value().content_type);
    retained_.set_events(camera, [&](wyze::camera_events& e) {
      e.picture = bytes;
      e.picture_type = type;
    });
    events_.set_picture_time(camera, job->time_ms);
    events_dirty_ = true;
    out.push_back(act::flush{});
  } else if (const auto& failed = picture.error(); pictures_.retry(*job, failed)) {
    out.push_back(line(level::debug, "bridge", "the picture of camera ", camera, " failed (", failed.message,
                       "); trying once more"));
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
    events_.set_picture_time(camera, job->time_ms);
    events_dirty_ = true;
  }
  start_download(out);
}

void core::save_events(actions& out) {
  if (!events_dirty_ || settings_.once) return;
  events_dirty_ = false;
  out.push_back(act::save_events{events_.serialize()});
}

}  // namespace bridge

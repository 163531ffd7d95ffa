// The core's sub-machines for the read-back and clean-up, the event poll, motion and pictures,
// each alone: every action it returns, in order (printed by core_helpers::printed).
#include "bridge/event_poll.hpp"
#include "bridge/picture_queue.hpp"
#include "bridge/readback.hpp"
#include "tests/core_helpers.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace std::chrono_literals;
using core_helpers::printed;
using lines = std::vector<std::string>;

namespace {

constexpr std::int64_t t0 = 1795687200000;  // 2026-11-26T10:00:00Z

bridge::publish_settings settings() {
  bridge::publish_settings s;
  s.base_topic = "wyze";
  s.discovery_settings = {"homeassistant", "wyze", broker::discovery_mode::device, "1.0.0", "https://example.com", {}};
  return s;
}

wyze::Camera camera(std::string mac) {
  wyze::Camera cam{.mac = std::move(mac)};
  cam.ip = "192.168.1.20";
  cam.online = true;
  cam.firmware_ver = "4.36.1";
  return cam;
}

/// The retained topics a bridge with `ids` has published: what a broker gives back at start.
std::vector<broker::message> published_by(const std::vector<std::string>& macs) {
  bridge::retained_state state(settings());
  wyze::camera_list cameras;
  for (const auto& mac : macs) cameras.push_back(camera(mac));
  state.update(std::move(cameras));
  return state.take_queued();
}

lines with_filters(const bridge::retained_state& retained, const char* verb, lines tail) {
  lines out;
  for (const auto& filter : retained.readback_filters()) out.push_back(std::string(verb) + " " + filter);
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

}  // namespace

TEST_CASE("read-back: subscribes to our topics and the marker's, publishes the marker and times the window, once") {
  bridge::retained_state retained(settings());
  bridge::readback readback("wyze/bridge/readback", 3s);
  bridge::actions out;
  readback.start(out, retained, "42");
  CHECK(printed(out) == with_filters(retained, "subscribe",
                                     {"subscribe wyze/bridge/readback", "publish wyze/bridge/readback 42",
                                      "start_timer readback 3000 ms"}));
  CHECK(readback.reading());
  bridge::actions again;
  readback.start(again, retained, "43");  // a reconnect: no second read-back
  CHECK(again.empty());
}

TEST_CASE("read-back: our retained topics are remembered until the marker, and the end unsubscribes") {
  bridge::retained_state retained(settings());
  bridge::readback readback("wyze/bridge/readback", 3s);
  bridge::actions out;
  readback.start(out, retained, "42");
  auto earlier = published_by({"AA:BB:CC:00:00:01"});
  std::size_t ours = 0;
  for (const auto& m : earlier) {
    CHECK_FALSE(readback.message(retained, m.topic, m.payload));
    ours += retained.is_ours(m.topic, m.payload) ? 1 : 0;
  }
  REQUIRE(ours > 0);
  CHECK_FALSE(readback.message(retained, "zigbee2mqtt/lamp", "{}"));      // not ours
  CHECK_FALSE(readback.message(retained, "wyze/bridge/readback", "41"));  // another run's marker
  CHECK(readback.found() == ours);
  CHECK(readback.message(retained, "wyze/bridge/readback", "42"));
  bridge::actions end;
  readback.finish(end, retained);
  lines expected{"cancel_timer readback"};
  auto unsubscribes =
      with_filters(retained, "unsubscribe",
                   {"unsubscribe wyze/bridge/readback",
                    "log debug bridge: read back " + std::to_string(ours) + " retained topics of earlier runs"});
  expected.insert(expected.end(), unsubscribes.begin(), unsubscribes.end());
  CHECK(printed(end) == expected);
  CHECK(readback.current() == bridge::readback::phase::read);
  CHECK_FALSE(readback.message(retained, earlier.front().topic, earlier.front().payload));
  CHECK(readback.found() == ours);
}

TEST_CASE("clean-up: only after a good poll, once, it clears what is gone and keeps what is still there") {
  bridge::retained_state retained(settings());
  bridge::readback readback("wyze/bridge/readback", 3s);
  bridge::actions ignored;
  readback.start(ignored, retained, "42");
  for (const auto& m : published_by({"AA:BB:CC:00:00:01", "AA:BB:CC:00:00:02"}))
    readback.message(retained, m.topic, m.payload);
  readback.finish(ignored, retained);
  retained.update({camera("AA:BB:CC:00:00:01")});  // camera 2 left while the bridge was down
  retained.take_queued();
  bridge::actions before_poll;
  readback.clear(before_poll, retained, {}, false, false, false);
  CHECK(before_poll.empty());
  bridge::actions out;
  readback.clear(out, retained, {}, false, false, true);
  auto seen = printed(out);
  REQUIRE(seen.size() > 1);
  CHECK(seen.front() ==
        "log info bridge: clearing " + std::to_string(seen.size() - 1) + " retained topics of cameras that are gone");
  for (std::size_t i = 1; i < seen.size(); ++i) {
    CHECK(seen[i].find("AABBCC000002") != std::string::npos);
    CHECK(seen[i].ends_with(" <cleared>"));
  }
  CHECK(readback.current() == bridge::readback::phase::cleared);
  bridge::actions twice;
  readback.clear(twice, retained, {}, false, false, true);
  CHECK(twice.empty());
}

TEST_CASE(
    "clean-up: recorded cameras are cleared though the broker gave nothing back, and so are features turned off") {
  bridge::retained_state retained(settings());
  bridge::readback readback("wyze/bridge/readback", 3s);
  bridge::actions ignored;
  readback.start(ignored, retained, "42");
  readback.finish(ignored, retained);  // the window ran out with nothing read back
  retained.update({camera("AA:BB:CC:00:00:01")});
  retained.take_queued();
  bridge::earlier_run before{{"AABBCC000001", "AABBCC000002"}, true, false};
  bridge::actions out;
  readback.clear(out, retained, before, false, false, true);
  auto seen = printed(out);
  REQUIRE(seen.size() > 1);
  std::size_t gone = 0, events = 0;
  for (std::size_t i = 1; i < seen.size(); ++i) {
    if (seen[i].find("AABBCC000002") != std::string::npos) ++gone;
    if (seen[i].find("AABBCC000001") != std::string::npos) ++events;  // only its event topics
    CHECK(seen[i].ends_with(" <cleared>"));
  }
  CHECK(gone > 0);
  CHECK(events == retained.feature_topics("AABBCC000001", "events").size());
  CHECK(events > 0);

  // Events still on: the camera that stays keeps its event topics.
  bridge::readback again("wyze/bridge/readback", 3s);
  again.start(ignored, retained, "43");
  again.finish(ignored, retained);
  bridge::actions kept;
  again.clear(kept, retained, before, true, false, true);
  for (const auto& line : printed(kept)) CHECK(line.find("AABBCC000001") == std::string::npos);
}

TEST_CASE("event poll: one call at a time, none with events off or --once, the interval without cameras") {
  bridge::event_state seen;
  bridge::event_poll poll(true, 15s, false);
  bridge::actions out;
  poll.poll(out, seen, {"AABBCC000001"}, t0);
  CHECK(printed(out) == lines{"fetch_events"});
  CHECK(poll.started());
  bridge::actions running;
  poll.poll(running, seen, {"AABBCC000001"}, t0);
  CHECK(running.empty());

  bridge::event_poll empty(true, 15s, false);
  bridge::actions none;
  empty.poll(none, seen, {}, t0);
  CHECK(printed(none) == lines{"start_timer events 15000 ms"});

  for (auto [enabled, once] : {std::pair{false, false}, std::pair{true, true}}) {
    bridge::event_poll off(enabled, 15s, once);
    bridge::actions nothing;
    off.poll(nothing, seen, {"AABBCC000001"}, t0);
    CHECK(nothing.empty());
    CHECK_FALSE(off.started());
  }
}

TEST_CASE("event poll: a failure is said once until it changes, and recovery once") {
  bridge::event_state seen;
  bridge::event_poll poll(true, 15s, false);
  bridge::actions ignored;
  poll.poll(ignored, seen, {"AABBCC000001"}, t0);
  bridge::actions first;
  poll.failed(first, {wyze::failure::transport, "list: timed out"});
  CHECK(printed(first) ==
        lines{"log warn wyze: event poll failed: list: timed out (the device list is polled as usual)",
              "start_timer events 15000 ms"});
  poll.poll(ignored, seen, {"AABBCC000001"}, t0);
  bridge::actions second;
  poll.failed(second, {wyze::failure::transport, "list: timed out"});
  CHECK(printed(second) ==
        lines{"log debug wyze: event poll failed again: list: timed out", "start_timer events 15000 ms"});
  poll.poll(ignored, seen, {"AABBCC000001"}, t0);
  bridge::actions back;
  poll.answered(back, 2);
  CHECK(printed(back) == lines{"log info wyze: event polls work again",
                               "log debug wyze: event list: 2 entries without an id, a camera or a time were skipped"});
  bridge::actions quiet;
  poll.answered(quiet, 0);
  CHECK(quiet.empty());
}

TEST_CASE("event poll: full answers fetch the next page at once, up to 10 calls an interval") {
  bridge::event_poll poll(true, 15s, false);
  bridge::actions out;
  int pages = 1;
  while (poll.next_page(out, true)) ++pages;
  CHECK(pages == bridge::event_poll::max_pages);
  CHECK(printed(out) ==
        lines{"log info wyze: more than 200 new events in one interval; the rest come with the next event poll"});
  bridge::actions fresh;
  CHECK(poll.next_page(fresh, true));  // the count starts again with the next interval
  CHECK_FALSE(poll.next_page(fresh, false));
  CHECK(fresh.empty());
}

TEST_CASE("motion timers: each camera's motion ends at its time, and the timer is for the earliest end") {
  bridge::motion_timers motion;
  motion.start("cam1", t0 + 60'000);
  motion.start("cam2", t0 + 30'000);
  bridge::actions out;
  motion.time_next(out, t0);
  CHECK(printed(out) == lines{"start_timer motion 30000 ms"});
  CHECK(motion.due(t0 + 29'999).empty());
  CHECK(motion.due(t0 + 30'000) == std::vector<std::string>{"cam2"});
  motion.start("cam1", t0 + 90'000);  // a later event moves it
  CHECK(motion.due(t0 + 60'000).empty());
  bridge::actions next;
  motion.time_next(next, t0 + 60'000);
  CHECK(printed(next) == lines{"start_timer motion 30000 ms"});
  CHECK(motion.due(t0 + 90'000) == std::vector<std::string>{"cam1"});
  bridge::actions none;
  motion.time_next(none, t0 + 90'000);
  CHECK(printed(none) == lines{"cancel_timer motion"});
  CHECK(motion.size() == 0);
}

TEST_CASE("pictures: one download at a time, the newest per camera, late answers ignored") {
  bridge::picture_queue pictures;
  pictures.add("cam1", "https://picture/1a", t0);
  pictures.add("cam2", "https://picture/2", t0);
  pictures.add("cam1", "https://picture/1b", t0 + 1000);  // replaces 1a
  pictures.add("cam1", "https://picture/1-old", t0 - 1000);
  CHECK(pictures.waiting() == 2);
  bridge::actions out;
  CHECK(pictures.start(out, 1024));
  CHECK(pictures.start(out, 1024));  // one runs: no second download
  CHECK(printed(out) == lines{"download cam1"});
  CHECK(std::get<bridge::act::download>(out.front()).url == "https://picture/1b");
  pictures.add("cam1", "https://picture/1b-again", t0 + 1000);  // as new as the one downloading
  CHECK(pictures.waiting() == 1);
  CHECK_FALSE(pictures.finish("cam2"));  // not the one running
  auto done = pictures.finish("cam1");
  REQUIRE(done);
  CHECK(done->time_ms == t0 + 1000);
  bridge::actions next;
  CHECK(pictures.start(next, 1024));
  CHECK(printed(next) == lines{"download cam2"});
  pictures.finish("cam2");
  bridge::actions empty;
  CHECK_FALSE(pictures.start(empty, 1024));
  CHECK(empty.empty());
}

TEST_CASE("pictures: a failure is tried once more, unless it is too large or not an image") {
  bridge::picture_queue pictures;
  pictures.add("cam1", "https://picture/1", t0);
  bridge::actions out;
  pictures.start(out, 1024);
  auto first = pictures.finish("cam1");
  REQUIRE(first);
  CHECK(pictures.retry(*first, {wyze::failure::http_status, "HTTP 503"}));
  pictures.start(out, 1024);
  auto second = pictures.finish("cam1");
  REQUIRE(second);
  CHECK(second->attempt == 2);
  CHECK_FALSE(pictures.retry(*second, {wyze::failure::http_status, "HTTP 503"}));
  CHECK_FALSE(pictures.retry({"cam2", "u", t0, 1}, {wyze::failure::too_large, "too large"}));
  CHECK_FALSE(pictures.retry({"cam2", "u", t0, 1}, {wyze::failure::bad_response, "not an image"}));
  CHECK(pictures.waiting() == 0);
}

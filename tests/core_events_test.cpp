// Events in the bridge's decisions (SPEC §8), with no sockets or clocks: the event window and its
// de-duplication, motion that turns off on time (also after a restart), follow-up calls, failures
// that touch only the event poll, and pictures downloaded one at a time and retried once.
#include "bridge/core.hpp"
#include "bridge/event_state.hpp"
#include "tests/core_helpers.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <map>

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

using core_helpers::all_of;
using core_helpers::listing;
using core_helpers::published_to;

constexpr std::int64_t t0 = 1795687200000;  // 2026-11-26T10:00:00Z
constexpr std::int64_t minute = 60'000;

wyze::camera_event event(std::string id, std::int64_t time_ms, int value = 1, std::string mac = "AA01") {
  wyze::camera_event e;
  e.id = std::move(id);
  e.mac = std::move(mac);
  e.time_ms = time_ms;
  e.value = value;
  return e;
}

wyze::result<wyze::event_list> answer(std::vector<wyze::camera_event> events) {
  wyze::event_list list;
  list.events = std::move(events);
  return list;
}

bridge::core_settings settings(bool events = true, bool pictures = false) {
  bridge::core_settings s;
  s.publishing = {"wyze",
                  true,
                  {"homeassistant",
                   "wyze",
                   broker::discovery_mode::device,
                   "1.0.0",
                   "https://example.com",
                   {true, events, pictures}}};
  s.poll_interval = 60s;
  s.version = "1.0.0";
  s.events.interval = 15s;
  s.events.motion_off_after = 60s;
  return s;
}

wyze::Camera camera(std::string mac) {
  wyze::Camera cam{.mac = std::move(mac)};
  cam.online = true;
  cam.firmware_ver = "4.36.1";
  return cam;
}

std::function<std::uint64_t()> fixed_random() {
  return [] { return std::uint64_t{0}; };
}

// What the retained queue holds now, by topic.
std::map<std::string, std::string> drained(bridge::core& core) {
  std::map<std::string, std::string> out;
  for (auto& m : core_helpers::window(core)) out[m.topic] = m.payload;
  return out;
}

bool logged(const bridge::actions& actions, const std::string& part) {
  for (const auto& l : all_of<bridge::act::log>(actions))
    if (l.text.find(part) != std::string::npos) return true;
  return false;
}

// A core with camera AA01 known and connected, its first event call made at t0.
struct started {
  explicit started(bridge::core_settings s = settings()) : core(std::move(s), fixed_random()) {
    core.on(bridge::ev::started{}, t0);
    first_poll = core.on(bridge::ev::poll_done{listing({camera("AA01"), camera("AA02")})}, t0);
    core.on(bridge::ev::broker_up{}, t0);
    core.on(bridge::ev::message{"wyze/bridge/readback", "0"}, t0);  // the read-back marker came back
    drained(core);
  }
  bridge::core core;
  bridge::actions first_poll;
};

}  // namespace

TEST_CASE("the first event window looks 5 minutes back, later ones start at the newest event seen") {
  bridge::event_state state;
  auto q = state.query(t0, {"AA01", "AA02"});
  CHECK(q.begin_ms == t0 - 5 * minute);
  CHECK(q.end_ms == t0 + 60'000);
  CHECK(q.count == 20);
  CHECK(q.macs == std::vector<std::string>{"AA01", "AA02"});
  auto page = state.take({event("a", t0 - 1000), event("b", t0 - 500)});
  CHECK(page.fresh.size() == 2);
  CHECK_FALSE(page.full);
  CHECK(state.query(t0 + 15'000, {"AA01"}).begin_ms == t0 - 500);
  // A state saved long ago never asks for more than Wyze keeps (14 days).
  CHECK(state.query(t0 + 30LL * 24 * 3600 * 1000, {"AA01"}).begin_ms == t0 + 16LL * 24 * 3600 * 1000);
}

TEST_CASE("events are de-duplicated by id: the same answer twice gives nothing new, nor does an older event") {
  bridge::event_state state;
  state.take({event("a", t0), event("b", t0 + 1)});
  // The window starts at the newest time: its event comes again, with a new one at the same time.
  auto again = state.take({event("b", t0 + 1), event("c", t0 + 1)});
  REQUIRE(again.fresh.size() == 1);
  CHECK(again.fresh[0].id == "c");
  CHECK(state.take({event("a", t0), event("b", t0 + 1), event("c", t0 + 1)}).fresh.empty());
  // A full answer with something new asks for a follow-up; one with nothing new does not (it
  // would come back the same).
  std::vector<wyze::camera_event> twenty, same;
  for (int i = 0; i < 20; ++i) twenty.push_back(event(std::string("n") + std::to_string(i), t0 + 10 + i));
  same = twenty;
  CHECK(state.take(std::move(twenty)).full);
  auto repeated = state.take(std::move(same));
  CHECK(repeated.fresh.empty());
  CHECK_FALSE(repeated.full);
}

TEST_CASE("the event state survives a restart through events.json, and a damaged file starts afresh") {
  bridge::event_state state;
  state.take({event("a", t0), event("b", t0)});
  state.set_picture_time("AA01", t0 - 5);
  auto parsed = bridge::event_state::parse(state.serialize());
  REQUIRE(parsed);
  auto& back = parsed.value();
  CHECK(back == state);
  CHECK(back.take({event("a", t0), event("b", t0)}).fresh.empty());
  CHECK(back.picture_time("AA01") == t0 - 5);
  auto damaged = bridge::event_state::parse("{not json");
  REQUIRE_FALSE(damaged);
  CHECK(damaged.error().message == "events.json is not a JSON object; starting from the last 5 minutes of events");
  auto none = bridge::event_state::parse("");
  REQUIRE(none);
  CHECK_FALSE(none.value().newest_ms());
}

TEST_CASE("the event poll starts with the first device list and asks for every camera in one call") {
  started s;
  auto calls = all_of<bridge::act::fetch_events>(s.first_poll);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].query.macs == std::vector<std::string>{"AA01", "AA02"});
  CHECK(calls[0].query.begin_ms == t0 - 5 * minute);
  // Nothing new: the next call one interval later, and no other call meanwhile.
  auto quiet = s.core.on(bridge::ev::events_done{answer({})}, t0 + 200);
  CHECK(all_of<bridge::act::fetch_events>(quiet).empty());
  CHECK(all_of<bridge::act::start_timer>(quiet) == std::vector<bridge::act::start_timer>{{bridge::timer::events, 15s}});
  CHECK(all_of<bridge::act::save_events>(quiet).empty());  // nothing changed
  CHECK(all_of<bridge::act::fetch_events>(s.core.on(bridge::ev::timer_fired{bridge::timer::events}, t0 + 15'200))
            .size() == 1);
}

TEST_CASE("a motion event turns motion on, and it turns off motion_off_after the last motion event") {
  started s;
  auto first = s.core.on(bridge::ev::events_done{answer({event("e1", t0 - 2000)})}, t0);
  auto queued = drained(s.core);
  CHECK(queued["wyze/AA01/motion"] == "on");
  CHECK(queued["wyze/AA01/last_event"] == "2026-11-26T09:59:58Z");
  CHECK(queued.count("wyze/AA02/motion") == 0);
  auto events = published_to(first, "wyze/AA01/event");
  REQUIRE(events.size() == 1);
  CHECK(events[0] == R"({"event_type":"motion","event_id":"e1","time":"2026-11-26T09:59:58Z","tags":[]})");
  CHECK(all_of<bridge::act::start_timer>(first).at(0) == bridge::act::start_timer{bridge::timer::motion, 60s});
  CHECK(all_of<bridge::act::save_events>(first).size() == 1);

  // Another motion 30 s later: off 60 s after that one, not after the first.
  s.core.on(bridge::ev::timer_fired{bridge::timer::events}, t0 + 30'000);
  auto second = s.core.on(bridge::ev::events_done{answer({event("e2", t0 + 29'000)})}, t0 + 30'000);
  CHECK(all_of<bridge::act::start_timer>(second).at(0) == bridge::act::start_timer{bridge::timer::motion, 60s});
  drained(s.core);
  s.core.on(bridge::ev::timer_fired{bridge::timer::motion}, t0 + 60'000);  // a stale wake-up: still on
  CHECK(drained(s.core).count("wyze/AA01/motion") == 0);
  s.core.on(bridge::ev::timer_fired{bridge::timer::motion}, t0 + 90'000);
  CHECK(drained(s.core)["wyze/AA01/motion"] == "off");
}

TEST_CASE("motion left on when the bridge stopped is off at the next start") {
  auto restarted = settings();
  bridge::event_state saved;
  saved.take({event("e1", t0 - 1000)});
  restarted.events.saved = saved;
  restarted.recorded_ids = {"AA01"};
  restarted.events.recorded_events = true;
  bridge::core core(restarted, fixed_random());
  core.on(bridge::ev::started{}, t0);
  core.on(bridge::ev::poll_done{listing({camera("AA01")})}, t0);
  CHECK(drained(core)["wyze/AA01/motion"] == "off");
}

TEST_CASE("an event older than 5 minutes updates last_event, not motion, and is not announced") {
  started s;
  auto old = s.core.on(bridge::ev::events_done{answer({event("e1", t0 - 6 * minute)})}, t0);
  auto queued = drained(s.core);
  CHECK(queued["wyze/AA01/last_event"] == "2026-11-26T09:54:00Z");
  CHECK(queued.count("wyze/AA01/motion") == 0);
  CHECK(published_to(old, "wyze/AA01/event").empty());
}

TEST_CASE("a sound event is announced and sets last_event without motion, and a person is a person") {
  started s;
  auto person = event("p1", t0 - 100);
  person.tags = {101};
  auto done = s.core.on(bridge::ev::events_done{answer({event("s1", t0 - 200, 2), person})}, t0);
  auto events = published_to(done, "wyze/AA01/event");
  REQUIRE(events.size() == 2);
  CHECK(json::parse(events[0]).at("event_type") == "sound");
  CHECK(json::parse(events[1]).at("event_type") == "person");
  CHECK(json::parse(events[1]).at("tags").as_array().at(0) == 101);
  CHECK(s.core.stats().events.at("sound") == 1);
  CHECK(s.core.stats().events.at("person") == 1);
}

TEST_CASE("a full answer is followed at once by the next page, and a failure waits for the next interval") {
  started s;
  std::vector<wyze::camera_event> page;
  page.reserve(20);
  for (int i = 0; i < 20; ++i) page.push_back(event(std::string("b") + std::to_string(i), t0 - 100 + i));
  auto full = s.core.on(bridge::ev::events_done{answer(page)}, t0);
  auto next = all_of<bridge::act::fetch_events>(full);
  REQUIRE(next.size() == 1);
  CHECK(next[0].query.begin_ms == t0 - 100 + 19);
  CHECK(all_of<bridge::act::start_timer>(full).size() == 1);  // only the motion timer
  auto failed =
      s.core.on(bridge::ev::events_done{wyze::error{wyze::failure::transport, "get_event_list: timed out"}}, t0 + 100);
  CHECK(logged(failed, "event poll failed: get_event_list: timed out (the device list is polled as usual)"));
  CHECK(all_of<bridge::act::start_timer>(failed) ==
        std::vector<bridge::act::start_timer>{{bridge::timer::events, 15s}});
  CHECK(all_of<bridge::act::fetch>(failed).empty());
  // The same failure again is not said again at warn level.
  s.core.on(bridge::ev::timer_fired{bridge::timer::events}, t0 + 15'100);
  auto again = s.core.on(bridge::ev::events_done{wyze::error{wyze::failure::transport, "get_event_list: timed out"}},
                         t0 + 15'200);
  for (const auto& l : all_of<bridge::act::log>(again)) CHECK(l.level != common::logging::level::warn);
  CHECK(s.core.stats().event_calls.at("error") == 2);
  // A device-list poll is due on its own timer, whatever the event poll does.
  CHECK(all_of<bridge::act::fetch>(s.core.on(bridge::ev::timer_fired{bridge::timer::poll}, t0 + 60'000)).size() == 1);
}

TEST_CASE("pictures download one at a time, the newest per camera, and a failed one is tried once more") {
  started s(settings(true, true));
  auto a = event("e1", t0 - 300);
  a.picture_url = "https://pictures.example/e1.jpg?X-Amz-Signature=secret1";
  auto b = event("e2", t0 - 200, 1, "AA02");
  b.picture_url = "https://pictures.example/e2.jpg?X-Amz-Signature=secret2";
  auto c = event("e3", t0 - 100);
  c.picture_url = "https://pictures.example/e3.jpg?X-Amz-Signature=secret3";
  auto done = s.core.on(bridge::ev::events_done{answer({a, b, c})}, t0);
  auto downloads = all_of<bridge::act::download>(done);
  REQUIRE(downloads.size() == 1);
  CHECK(downloads[0] == bridge::act::download{"AA01", c.picture_url, 1u << 20});  // e1 was replaced by e3
  for (const auto& l : all_of<bridge::act::log>(done)) CHECK(l.text.find("secret") == std::string::npos);

  auto ok = s.core.on(bridge::ev::picture_done{"AA01", wyze::picture{"\xFF\xD8\xFF jpeg", "image/jpeg"}}, t0 + 100);
  CHECK(drained(s.core)["wyze/AA01/picture"] == "\xFF\xD8\xFF jpeg");
  auto next = all_of<bridge::act::download>(ok);
  REQUIRE(next.size() == 1);
  CHECK(next[0].camera == "AA02");

  auto failed =
      s.core.on(bridge::ev::picture_done{"AA02", wyze::error{wyze::failure::http_status, "HTTP 503"}}, t0 + 200);
  REQUIRE(all_of<bridge::act::download>(failed).size() == 1);  // once more
  auto twice =
      s.core.on(bridge::ev::picture_done{"AA02", wyze::error{wyze::failure::http_status, "HTTP 503"}}, t0 + 300);
  CHECK(all_of<bridge::act::download>(twice).empty());
  CHECK(logged(twice, "the picture of camera AA02 could not be downloaded: HTTP 503; the previous picture stays"));
  CHECK(s.core.stats().pictures.at("ok") == 1);
  CHECK(s.core.stats().pictures.at("error") == 1);
  // The queue is empty: the picture times are saved.
  CHECK(all_of<bridge::act::save_events>(twice).size() == 1);
  // The same events again download nothing.
  s.core.on(bridge::ev::timer_fired{bridge::timer::events}, t0 + 15'000);
  CHECK(all_of<bridge::act::download>(s.core.on(bridge::ev::events_done{answer({a, b, c})}, t0 + 15'000)).empty());
}

TEST_CASE("a picture larger than events.max_picture is refused once, with a clear line, and not tried again") {
  started s(settings(true, true));
  auto a = event("e1", t0 - 300);
  a.picture_url = "https://pictures.example/e1.jpg";
  s.core.on(bridge::ev::events_done{answer({a})}, t0);
  auto refused = s.core.on(bridge::ev::picture_done{"AA01", wyze::error{wyze::failure::too_large,
                                                                        "the answer is larger than 1048576 bytes"}},
                           t0 + 100);
  CHECK(all_of<bridge::act::download>(refused).empty());
  CHECK(logged(refused, "the picture of camera AA01 was refused: it is larger than events.max_picture (1 MiB)"));
  CHECK(s.core.stats().pictures.at("too_large") == 1);
}

TEST_CASE("event messages that come while the broker is away are sent when it is back") {
  bridge::core core(settings(), fixed_random());
  core.on(bridge::ev::started{}, t0);
  core.on(bridge::ev::poll_done{listing({camera("AA01")})}, t0);
  auto early = core.on(bridge::ev::events_done{answer({event("e1", t0 - 10)})}, t0);
  CHECK(published_to(early, "wyze/AA01/event").empty());
  auto connected = core.on(bridge::ev::broker_up{}, t0 + 500);
  CHECK(published_to(connected, "wyze/AA01/event").size() == 1);
}

TEST_CASE("with events off there is no event call, and without pictures no download") {
  bridge::core core(settings(false, false), fixed_random());
  core.on(bridge::ev::started{}, t0);
  auto cam = camera("AA01");
  cam.thumbnail = wyze::shared_value(wyze::camera_thumbnail{t0, "https://pictures.example/thumb.jpg"});
  auto polled = core.on(bridge::ev::poll_done{listing({cam})}, t0);
  CHECK(all_of<bridge::act::fetch_events>(polled).empty());
  CHECK(all_of<bridge::act::download>(polled).empty());
  auto topics = drained(core);
  CHECK(topics.count("wyze/AA01/motion") == 0);
  CHECK(topics.count("wyze/AA01/picture") == 0);

  bridge::core thumbnails(settings(false, true), fixed_random());
  thumbnails.on(bridge::ev::started{}, t0);
  auto first = thumbnails.on(bridge::ev::poll_done{listing({cam})}, t0);
  REQUIRE(all_of<bridge::act::download>(first).size() == 1);
  thumbnails.on(bridge::ev::picture_done{"AA01", wyze::picture{"\x89PNG\r\n\x1A\n png", "image/png"}}, t0 + 100);
  auto published = drained(thumbnails);
  CHECK(published["wyze/AA01/picture"] == "\x89PNG\r\n\x1A\n png");
  // The image entity says what the picture is.
  auto config = json::parse(published["homeassistant/device/wyze_AA01/config"]);
  CHECK(config.at("cmps").at("picture").at("content_type") == "image/png");
  // The same thumbnail in the next list: no second download.
  thumbnails.on(bridge::ev::timer_fired{bridge::timer::poll}, t0 + 60'000);
  CHECK(all_of<bridge::act::download>(thumbnails.on(bridge::ev::poll_done{listing({cam})}, t0 + 60'000)).empty());
}

TEST_CASE(
    "a doorbell press is a doorbell message besides the event, and its motion, a stale press or a camera is none") {
  bridge::core core(settings(), fixed_random());
  core.on(bridge::ev::started{}, t0);
  auto bell = camera("DB01");
  bell.product_model = "WYZEDB3";
  auto cam = camera("AA01");
  cam.product_model = "WYZE_CAKP2JFUS";
  core.on(bridge::ev::poll_done{listing({bell, cam})}, t0);
  core.on(bridge::ev::broker_up{}, t0);
  core.on(bridge::ev::message{"wyze/bridge/readback", "0"}, t0);
  drained(core);
  auto done = core.on(bridge::ev::events_done{answer(
                          {event("press1", t0 - 100, 10, "DB01"), event("motion1", t0 - 90, 1, "DB01"),
                           event("press-old", t0 - 6 * minute, 10, "DB01"), event("value10", t0 - 80, 10, "AA01")})},
                      t0);
  auto presses = published_to(done, "wyze/DB01/doorbell");
  REQUIRE(presses.size() == 1);
  CHECK(json::parse(presses[0]) ==
        json::object{{"event_type", "press"}, {"event_id", "press1"}, {"time", "2026-11-26T09:59:59Z"}});
  CHECK(published_to(done, "wyze/DB01/event").size() == 2);  // the press and the motion
  CHECK(published_to(done, "wyze/AA01/doorbell").empty());   // a Cam v3 has no doorbell entity
  // The same answer again (as after a restart that kept events.json): nothing new.
  auto again = core.on(bridge::ev::events_done{answer({event("press1", t0 - 100, 10, "DB01")})}, t0 + 15'000);
  CHECK(published_to(again, "wyze/DB01/doorbell").empty());
}

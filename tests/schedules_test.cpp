// The core's scheduling sub-machines alone: when the device list is polled (requests, spacing,
// waiters) and when Home Assistant's birth is answered. Each test asserts every action, in order.
#include "bridge/birth_schedule.hpp"
#include "bridge/poll_schedule.hpp"
#include "tests/core_helpers.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace std::chrono_literals;
using core_helpers::printed;
using lines = std::vector<std::string>;

namespace {

constexpr std::int64_t t0 = 1795687200000;  // 2026-11-26T10:00:00Z

bridge::actions polled(bridge::poll_schedule& polls, std::int64_t now_ms) {
  bridge::actions out;
  polls.poll(out, now_ms);
  return out;
}

bridge::actions requested(bridge::poll_schedule& polls, std::string transaction, std::int64_t now_ms) {
  bridge::actions out;
  polls.request(out, std::move(transaction), now_ms);
  return out;
}

}  // namespace

TEST_CASE("a poll starts at once, and no second one while it runs") {
  bridge::poll_schedule polls(60s, 1s, false);
  CHECK(printed(polled(polls, t0)) == lines{"cancel_timer poll", "fetch"});
  CHECK(printed(polled(polls, t0 + 10)).empty());
  CHECK(polls.last_poll() == t0);
  auto answers = polls.ended();
  CHECK(answers.transactions.empty());
  CHECK(printed(polled(polls, t0 + 20)) == lines{"cancel_timer poll", "fetch"});
}

TEST_CASE("the next regular poll comes poll_interval after the last one ended, and none with --once") {
  bridge::poll_schedule polls(60s, 1s, false);
  bridge::actions out;
  polls.schedule_next(out);
  CHECK(printed(out) == lines{"start_timer poll 60000 ms"});
  bridge::poll_schedule once(60s, 1s, true);
  bridge::actions none;
  once.schedule_next(none);
  CHECK(none.empty());
}

TEST_CASE("a poll request right after a poll waits for the spacing, and the requests until then share one poll") {
  bridge::poll_schedule polls(60s, 10s, false);
  polled(polls, t0);
  polls.ended();
  CHECK(printed(requested(polls, "1", t0 + 3'000)) == lines{"start_timer poll 7000 ms"});
  CHECK(printed(requested(polls, "2", t0 + 4'000)) == lines{"start_timer poll 6000 ms"});
  CHECK(printed(polled(polls, t0 + 10'000)) == lines{"cancel_timer poll", "fetch"});
  CHECK(polls.ended().transactions == lines{"1", "2"});
  // Once the spacing has passed, a request polls at once.
  CHECK(printed(requested(polls, "3", t0 + 20'000)) == lines{"cancel_timer poll", "fetch"});
  CHECK(polls.ended().transactions == lines{"3"});
}

TEST_CASE("a poll request while a poll runs is answered by that poll, with no call of its own") {
  bridge::poll_schedule polls(60s, 1s, false);
  polled(polls, t0);
  CHECK(requested(polls, "{\"id\":7}", t0 + 100).empty());
  CHECK(polls.ended().transactions == lines{"{\"id\":7}"});
}

TEST_CASE("more poll requests than one poll answers share it unanswered, and are counted for the warning") {
  bridge::poll_schedule polls(60s, 1s, false);
  polled(polls, t0);
  for (int i = 0; i < 105; ++i) requested(polls, std::to_string(i), t0 + 1);
  auto answers = polls.ended();
  CHECK(answers.transactions.size() == bridge::poll_schedule::max_waiters);
  CHECK(answers.transactions.front() == "0");
  CHECK(answers.unanswered == 5);
  auto next = polls.ended();  // counted again from nothing
  CHECK(next.transactions.empty());
  CHECK(next.unanswered == 0);
}

namespace {

// A random source that gives `value` and counts its draws.
struct counted_random {
  std::uint64_t value = 0;
  int draws = 0;
  std::function<std::uint64_t()> source() {
    return [this] {
      ++draws;
      return value;
    };
  }
};

}  // namespace

TEST_CASE("Home Assistant's birth is answered after a random delay of 1 to 5 s, and births meanwhile share it") {
  bridge::birth_schedule births;
  counted_random random{2'500};
  auto source = random.source();
  bridge::actions out;
  births.birth(out, t0, source);
  CHECK(printed(out) == lines{"log info bridge: Home Assistant started; republishing discovery and states in 3500 ms",
                              "start_timer birth 3500 ms"});
  bridge::actions again;
  births.birth(again, t0 + 1'000, source);
  CHECK(printed(again) ==
        lines{"log debug bridge: Home Assistant started again; the republish already scheduled covers it"});
  CHECK(random.draws == 1);
  // The range's ends: 4000 is the longest delay, 4001 wraps to the shortest.
  bridge::birth_schedule longest, shortest;
  counted_random r4000{4'000}, r4001{4'001};
  bridge::actions a, b;
  longest.birth(a, t0, r4000.source());
  shortest.birth(b, t0, r4001.source());
  CHECK(printed(a).back() == "start_timer birth 5000 ms");
  CHECK(printed(b).back() == "start_timer birth 1000 ms");
}

TEST_CASE("repeated births republish at most once a minute") {
  bridge::birth_schedule births;
  counted_random random{0};
  auto source = random.source();
  bridge::actions first;
  births.birth(first, t0, source);
  births.fired(t0 + 1'000);
  bridge::actions second;
  births.birth(second, t0 + 10'000, source);
  // A minute after the last republish (t0 + 61 s), not the 1 s the draw gave.
  CHECK(printed(second) ==
        lines{"log info bridge: Home Assistant started; republishing discovery and states in 51000 ms",
              "start_timer birth 51000 ms"});
  births.fired(t0 + 61'000);
  bridge::actions third;
  births.birth(third, t0 + 200'000, source);
  CHECK(printed(third).back() == "start_timer birth 1000 ms");
}

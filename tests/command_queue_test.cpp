// The camera command queue alone: one call in flight per camera, newer commands replacing waiting
// ones, and commanded values held against device lists that lag behind.
#include "bridge/command_queue.hpp"

#include <doctest/doctest.h>

using command = bridge::command_queue::command;

TEST_CASE("one command in flight per camera, and the others wait in the order they came") {
  bridge::command_queue queue;
  CHECK_FALSE(queue.add("AA01", "power", "off"));
  CHECK_FALSE(queue.add("AA01", "notifications", "on"));
  CHECK(queue.next("AA01") == command{"power", "off"});
  CHECK_FALSE(queue.next("AA01"));  // in flight
  CHECK(queue.finish("AA01") == command{"power", "off"});
  CHECK(queue.next("AA01") == command{"notifications", "on"});
  CHECK(queue.finish("AA01") == command{"notifications", "on"});
  CHECK_FALSE(queue.next("AA01"));
  CHECK(queue.cameras() == 0);  // nothing is kept once a camera's commands are done
}

TEST_CASE("a newer command for an entity replaces the one waiting, never the one in flight") {
  bridge::command_queue queue;
  queue.add("AA01", "power", "off");
  queue.next("AA01");                                // off is in flight
  CHECK_FALSE(queue.add("AA01", "power", "on"));     // waits behind it
  CHECK(queue.add("AA01", "power", "off") == "on");  // replaces the waiting on
  CHECK(queue.add("AA01", "power", "on") == "off");
  CHECK(queue.finish("AA01") == command{"power", "off"});  // the one in flight
  CHECK(queue.next("AA01") == command{"power", "on"});     // the last word
  queue.finish("AA01");
  CHECK_FALSE(queue.next("AA01"));
}

TEST_CASE("cameras do not wait for each other, and an answer for a camera with nothing in flight is nothing") {
  bridge::command_queue queue;
  queue.add("AA01", "power", "off");
  queue.add("AA02", "restart", "press");
  CHECK(queue.next("AA01") == command{"power", "off"});
  CHECK(queue.next("AA02") == command{"restart", "press"});
  CHECK_FALSE(queue.finish("AA03"));
  CHECK(queue.finish("AA02") == command{"restart", "press"});
  CHECK_FALSE(queue.finish("AA02"));
  CHECK(queue.cameras() == 1);
}

TEST_CASE("a carried-out value is held against lists that still show the old one, until they agree or time is up") {
  bridge::command_queue queue;
  queue.expect("AA01", "power", &wyze::Camera::power, false, 1'000);
  queue.expect("AA02", "motion_detection", &wyze::Camera::motion_detection, true, 1'000);
  wyze::camera_list lagging{wyze::Camera{.mac = "AA01", .power = true}, wyze::Camera{.mac = "AA02"}};
  queue.hold(lagging, 500);
  CHECK(lagging[0].power == false);  // held
  CHECK(lagging[1].motion_detection == true);
  CHECK(queue.expectations() == 2);
  // The list agrees for AA01: its expectation ends, and a later change of the camera is believed.
  wyze::camera_list agreeing{wyze::Camera{.mac = "AA01", .power = false}, wyze::Camera{.mac = "AA02"}};
  queue.hold(agreeing, 600);
  CHECK(queue.expectations() == 1);
  wyze::camera_list later{wyze::Camera{.mac = "AA01", .power = true}, wyze::Camera{.mac = "AA02"}};
  queue.hold(later, 700);
  CHECK(later[0].power == true);
  CHECK(later[1].motion_detection == true);  // still held: not yet agreed, not yet past
  // Past its time, the list is believed again.
  wyze::camera_list past{wyze::Camera{.mac = "AA02", .motion_detection = false}};
  queue.hold(past, 1'001);
  CHECK(past[0].motion_detection == false);
  CHECK(queue.expectations() == 0);
}

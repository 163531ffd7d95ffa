#pragma once
// The camera commands waiting and in flight (SPEC §7): one cloud call in flight per camera, at most
// one command waiting per entity (a newer one replaces it), and the values the cloud carried out,
// held against device lists that still show the old one (Wyze's list lags behind the camera).
#include "wyze/camera.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bridge {

class command_queue {
 public:
  struct command {
    std::string entity;  ///< a row key
    std::string value;   ///< "on", "off", or "press"
    bool operator==(const command&) const = default;
  };

  /// Queues `value` for `entity` of `camera`: the value it replaced when one was waiting for the
  /// same entity (the in-flight one is never replaced).
  std::optional<std::string> add(const std::string& camera, std::string entity, std::string value);

  /// The camera's next command, now in flight; nullopt while one is in flight or when none waits.
  std::optional<command> next(const std::string& camera);

  /// The camera's in-flight command is over (answered, or never sent): it, or nullopt if none was.
  std::optional<command> finish(const std::string& camera);

  /// The cloud carried `entity` out to `on`: device lists showing otherwise are not believed for
  /// that `field` until `until_ms`.
  void expect(const std::string& camera, const std::string& entity, std::optional<bool> wyze::Camera::*field, bool on,
              std::int64_t until_ms);

  /// Gives the cameras of a device list the values still expected; an expectation ends once the
  /// list agrees or its time is up.
  void hold(wyze::camera_list& cameras, std::int64_t now_ms);

  /// Whether a property read's `on` for `entity` of `camera` is to be believed: not while a command
  /// for it is in flight, nor while the cloud carried one out and `on` still differs (until its time
  /// is up). A read that agrees ends the expectation.
  bool believe(const std::string& camera, const std::string& entity, bool on, std::int64_t now_ms);

  /// Cameras with a command waiting or in flight, and expectations held: nothing is kept longer.
  std::size_t cameras() const { return cameras_.size(); }
  std::size_t expectations() const { return expected_.size(); }

 private:
  struct camera_commands {
    std::optional<command> in_flight;
    std::vector<command> queued;  ///< at most one per entity, in the order they came
  };
  struct expectation {
    std::optional<bool> wyze::Camera::*field;
    bool on;
    std::int64_t until_ms;
  };
  std::map<std::string, camera_commands> cameras_;                       ///< by camera id
  std::map<std::pair<std::string, std::string>, expectation> expected_;  ///< by (camera id, entity)
};

}  // namespace bridge

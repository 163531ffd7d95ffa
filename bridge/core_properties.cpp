// The property reads, every wyze.property_interval: the batched one (SPEC §10), one call for every
// camera whose entities have states the device list does not carry (siren, light, garage door),
// and one get_iot_prop for each device-management camera (SPEC §11), whose states all come from
// it; none while no camera needs one. Their values become those entities' states.
#include "bridge/core.hpp"
#include "bridge/log_line.hpp"
#include "mqtt/discovery.hpp"

#include <algorithm>

namespace bridge {
namespace {

using common::logging::level;

// "1" is on (open); "0" and "2" are off (closed: wyzeapy camera_service.py, ha-wyzeapi cover.py);
// any other value is no state.
std::optional<bool> property_state(std::string_view value) {
  if (value == "1") return true;
  if (value == "0" || value == "2") return false;
  return std::nullopt;
}

}  // namespace

void core::read_properties(actions& out) {
  // One read at a time, one an interval (--once starts no timer: it reads once, before it finishes).
  if (properties_busy_) return;
  act::read_properties read;
  for (const auto& [id, camera] : retained_.cameras()) {
    if (wyze::uses_devicemgmt(camera)) {
      read.iot.push_back({camera.mac, camera.product_model.value_or("")});
      continue;
    }
    auto pids = broker::property_pids(camera, features());
    if (pids.empty()) continue;
    read.devices.push_back({camera.mac, camera.product_model.value_or("")});
    for (auto pid : pids)
      if (std::find(read.pids.begin(), read.pids.end(), pid) == read.pids.end()) read.pids.emplace_back(pid);
  }
  // No camera needs one: no call, and no timer (the next poll looks again).
  if (read.devices.empty() && read.iot.empty()) return;
  std::sort(read.pids.begin(), read.pids.end());
  properties_busy_ = properties_in_flight_ = true;
  asked_properties_ = read.devices.size();
  out.push_back(std::move(read));
}

void core::handle(actions& out, ev::properties_done& done, std::int64_t now_ms) {
  properties_in_flight_ = false;
  // The next read one interval after this one ended, whatever it brought (--once: it is done).
  if (!settings_.once) out.push_back(act::start_timer{timer::properties, settings_.property_interval});
  std::size_t changed = 0;
  std::optional<wyze::error> failed;
  if (asked_properties_ > 0) {
    if (done.values)
      changed += take_properties(out, done.values.value(), now_ms);
    else
      failed = done.values.error();
  }
  for (const auto& answer : done.iot) {
    if (answer.state) {
      ++stats_.property_reads["ok"];
      changed += take_iot(answer.mac, answer.state.value(), now_ms);
    } else if (!failed) {
      failed = answer.state.error();
    } else {
      count_failure(answer.state.error());
    }
  }
  if (failed)
    property_read_failed(out, *failed);
  else if (last_property_error_) {
    out.push_back(line(level::info, "wyze", "the accessories' states are read again"));
    last_property_error_.reset();
  }
  if (changed > 0) out.push_back(act::flush{});
  finish_once_when_published(out);
}

void core::count_failure(const wyze::error& failed) {
  ++stats_.property_reads[failed.not_sent                              ? "paused"
                          : failed.kind == wyze::failure::rate_limited ? "rate_limited"
                                                                       : "error"];
}

void core::property_read_failed(actions& out, const wyze::error& failed) {
  count_failure(failed);
  // The states stay as last read; the same failure read after read is said once.
  if (last_property_error_ != failed.message)
    out.push_back(line(level::warn, "wyze",
                       "reading the accessories' states failed (they keep their last value): ", failed.message));
  last_property_error_ = failed.message;
}

std::size_t core::take_properties(actions& out, const wyze::property_values& cameras, std::int64_t now_ms) {
  ++stats_.property_reads["ok"];
  std::size_t changed = 0, known = 0;
  for (const auto& [mac, values] : cameras) {
    std::string id = wyze::camera_id(mac);
    // (set_state changes the camera in place: the pointer stays good.)
    const wyze::Camera* camera = retained_.find(id);
    if (!camera) continue;  // not a selected camera of the account (any more)
    ++known;
    for (const auto& row : broker::camera_entities()) {
      if (row.property_pid.empty() || !broker::has_entity(row, *camera, features())) continue;
      auto read =
          std::find_if(values.begin(), values.end(), [&](const auto& v) { return v.first == row.property_pid; });
      if (read == values.end()) continue;
      auto on = property_state(read->second);
      if (!on || (*camera).*row.value == on || !commands_.believe(id, std::string(row.key), *on, now_ms)) continue;
      retained_.set_state(id, row, *on);
      ++changed;
    }
  }
  // An answer that names none of the cameras asked for cannot be read: said once, as a failure is.
  if (known == 0 && !unreadable_properties_said_) {
    out.push_back(line(level::warn, "wyze", "the property read's answer named none of the ", asked_properties_,
                       " cameras asked for (", cameras.size(), " entries): the siren, light and garage door states ",
                       "stay unknown; please report this with a debug log"));
    unreadable_properties_said_ = true;
  }
  out.push_back(
      line(level::debug, "wyze", "property read: ", cameras.size(), " cameras, ", changed, " changed states"));
  return changed;
}

std::size_t core::take_iot(const std::string& mac, const wyze::iot_state& read, std::int64_t now_ms) {
  std::string id = wyze::camera_id(mac);
  const wyze::Camera* camera = retained_.find(id);
  if (!camera) return 0;  // gone from the account since the read was asked for
  wyze::Camera next = *camera;
  std::size_t changed = 0;
  // A switch's value that disagrees with a command just carried out is not believed yet.
  auto take = [&](std::string_view key, std::optional<bool> wyze::Camera::*field, std::optional<bool> value) {
    if (!value || next.*field == value || !commands_.believe(id, std::string(key), *value, now_ms)) return;
    next.*field = value;
    ++changed;
  };
  take("power", &wyze::Camera::power, read.power);
  take("notifications", &wyze::Camera::notifications, read.notifications);
  take("motion_detection", &wyze::Camera::motion_detection, read.motion_detection);
  take("siren", &wyze::Camera::siren, read.siren);
  take("light", &wyze::Camera::light, read.light);
  // A sensor keeps its last value when an answer leaves it out: its entity does not come and go.
  auto keep = [&](auto wyze::Camera::*field, const auto& value) {
    if (!value || next.*field == value) return;
    next.*field = value;
    ++changed;
  };
  keep(&wyze::Camera::battery, read.battery);
  keep(&wyze::Camera::charging, read.charging);
  keep(&wyze::Camera::signal, read.signal);
  keep(&wyze::Camera::sd_card, read.sd_card);
  if (changed > 0) retained_.replace(id, std::move(next));
  return changed;
}

}  // namespace bridge

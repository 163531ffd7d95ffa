#include "wyze/capabilities.hpp"

#include <array>

namespace wyze {
namespace {

// Motion detection: P1047 and P1001 together on most cameras (newer ones need both, older ones
// ignore the second); P1029 on the battery-powered Outdoor cameras.
constexpr std::array<std::string_view, 2> motion_pids_common{"P1047", "P1001"};
constexpr std::array<std::string_view, 2> motion_pids_outdoor{"P1029", ""};
constexpr std::array<std::string_view, 2> no_motion{"", ""};

struct model_controls {
  std::string_view model;
  bool power;          ///< run_action power_on / power_off
  bool restart;        ///< run_action restart
  bool notifications;  ///< set_property P1
  std::array<std::string_view, 2> motion;
};

// Every model not listed here gets no control at all: the Cam OG family, the Floodlight Pro, the
// Battery Cam Pro, the Cam Pan v4 and the Solar Cam Pan answer run_action without acting on it
// (GW_GC1 says `result: 3`) and are controlled through Wyze's device-management API, which this
// bridge does not speak; models Wyze releases later are added once their calls are known.
constexpr model_controls table[] = {
    // Mains-powered cameras: run_action and set_property work (ha-wyzeapi, wyzeapy, docker-wyze-bridge).
    {"WYZEC1", true, true, true, motion_pids_common},
    {"WYZEC1-JZ", true, true, true, motion_pids_common},
    {"WYZE_CAKP2JFUS", true, true, true, motion_pids_common},
    {"HL_CAM3P", true, true, true, motion_pids_common},
    {"HL_CAM4", true, true, true, motion_pids_common},
    {"WYZECP1_JEF", true, true, true, motion_pids_common},
    {"HL_PAN2", true, true, true, motion_pids_common},
    {"HL_PAN3", true, true, true, motion_pids_common},
    {"HL_PANP", true, true, true, motion_pids_common},
    {"HL_CFL2", true, true, true, motion_pids_common},
    {"WYZEDB3", true, true, true, motion_pids_common},
    {"HL_DB2", true, true, true, motion_pids_common},
    // Battery cameras sleep: no power off, no restart (ha-wyzeapi switch.py, CAMERAS_WITH_BATTERIES).
    {"WVOD1", false, false, true, motion_pids_outdoor},
    {"HL_WCO2", false, false, true, motion_pids_outdoor},
    // Doorbell Pro: no off function, no motion switch (ha-wyzeapi POWER_/MOTION_SWITCH_UNSUPPORTED).
    {"GW_BE1", false, false, true, no_motion},
};

const model_controls* controls_of(std::string_view model) {
  for (const auto& entry : table)
    if (entry.model == model) return &entry;
  return nullptr;
}

}  // namespace

std::string_view control_name(control which) {
  switch (which) {
    case control::power:
      return "power";
    case control::restart:
      return "restart";
    case control::notifications:
      return "notifications";
    case control::motion_detection:
      return "motion_detection";
  }
  return "";
}

std::optional<bool> Camera::*state_of(control which) {
  switch (which) {
    case control::power:
      return &Camera::power;
    case control::notifications:
      return &Camera::notifications;
    case control::motion_detection:
      return &Camera::motion_detection;
    case control::restart:
      break;
  }
  return nullptr;
}

bool supports(std::string_view product_model, control which) {
  const auto* entry = controls_of(product_model);
  if (!entry) return false;
  switch (which) {
    case control::power:
      return entry->power;
    case control::restart:
      return entry->restart;
    case control::notifications:
      return entry->notifications;
    case control::motion_detection:
      return !entry->motion[0].empty();
  }
  return false;
}

bool supports(const Camera& camera, control which) {
  return camera.product_model && supports(*camera.product_model, which);
}

std::optional<camera_command> command_for(const Camera& camera, control which, bool on) {
  if (!supports(camera, which)) return std::nullopt;
  camera_command command{camera.mac, *camera.product_model, {}, {}};
  const std::string value = on ? "1" : "0";
  switch (which) {
    case control::power:
      command.action = on ? "power_on" : "power_off";
      break;
    case control::restart:
      command.action = "restart";
      break;
    case control::notifications:
      // "0" is off; "2" looks off in the app while notifications go on (docker-wyze-bridge #1313).
      command.properties.emplace_back("P1", value);
      break;
    case control::motion_detection:
      for (auto pid : controls_of(*camera.product_model)->motion)
        if (!pid.empty()) command.properties.emplace_back(std::string(pid), value);
      break;
  }
  return command;
}

}  // namespace wyze

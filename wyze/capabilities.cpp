#include "wyze/capabilities.hpp"

#include <algorithm>

namespace wyze {
bool is_model(const Camera& camera, std::span<const std::string_view> models) {
  return camera.product_model && std::find(models.begin(), models.end(), *camera.product_model) != models.end();
}

const app_call* call_for(const Camera& camera, std::span<const model_call> table) {
  for (const auto& entry : table)
    if (is_model(camera, entry.models)) return &entry.call;
  return nullptr;
}

std::string_view light_kind(const Camera& camera) {
  const std::string model = camera.product_model.value_or("");
  const std::string dongle = camera.accessory.value_or("");
  if (model == "HL_CFL2" || (model == "WYZE_CAKP2JFUS" && dongle == "HL_CFL")) return "Floodlight";
  if ((model == "WYZE_CAKP2JFUS" || model == "HL_CAM4") && dongle == "HL_CAM3SS") return "Lamp";
  if (model == "HL_BC") return "Light";
  if (model == "LD_CFP") return "Floodlight";
  if (model == "AN_RSCW" || model == "HL_PAN4") return "Spotlight";
  return {};
}

bool has_garage_door(const Camera& camera) { return camera.accessory == "HL_CGDC"; }

bool uses_devicemgmt(const Camera& camera) { return is_model(camera, capability::devicemgmt_models); }

void copy_read_states(Camera& to, const Camera& from) {
  to.power = from.power;
  to.notifications = from.notifications;
  to.motion_detection = from.motion_detection;
  to.siren = from.siren;
  to.light = from.light;
  to.battery = from.battery;
  to.charging = from.charging;
  to.signal = from.signal;
  to.sd_card = from.sd_card;
}

camera_command command_for(const Camera& camera, const app_call& call, bool on) {
  camera_command command{camera.mac, camera.product_model.value_or(""), {}, {}, call.as_list};
  command.via = call.via;
  command.capability = call.capability;
  if (!call.action_on.empty()) {
    command.action = on || call.action_off.empty() ? call.action_on : call.action_off;
    return command;
  }
  for (auto pid : call.pids)
    if (!pid.empty()) command.properties.emplace_back(std::string(pid), on ? call.value_on : call.value_off);
  return command;
}

}  // namespace wyze

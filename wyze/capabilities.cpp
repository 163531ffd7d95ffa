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

camera_command command_for(const Camera& camera, const app_call& call, bool on) {
  camera_command command{camera.mac, camera.product_model.value_or(""), {}, {}};
  if (!call.action_on.empty()) {
    command.action = on || call.action_off.empty() ? call.action_on : call.action_off;
    return command;
  }
  for (auto pid : call.pids)
    if (!pid.empty()) command.properties.emplace_back(std::string(pid), on ? "1" : "0");
  return command;
}

}  // namespace wyze

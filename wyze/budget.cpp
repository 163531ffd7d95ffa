#include "wyze/budget.hpp"

#include <numeric>

namespace wyze {

call_kind kind_of(std::string_view path) {
  std::string_view name = path.substr(path.rfind('/') + 1);
  if (name == "login") return call_kind::login;  // /api/user/login, /user/login, /app/user/login
  if (name == "refresh_token") return call_kind::refresh;
  if (name == "get_object_list" || name == "get_device_list") return call_kind::device_list;
  if (name == "get_event_list") return call_kind::events;
  if (name.starts_with("get_")) return call_kind::properties;
  return call_kind::commands;
}

void call_counter::count(call_kind kind, std::int64_t now_ms) {
  std::int64_t index = now_ms / 60000;
  auto& slot = minutes_[static_cast<std::size_t>((index % 60 + 60) % 60)];
  if (slot.index != index) slot = {index, {}};
  ++slot.calls[static_cast<std::size_t>(kind)];
}

std::array<std::uint32_t, call_kinds> call_counter::last_hour(std::int64_t now_ms) const {
  std::int64_t index = now_ms / 60000;
  std::array<std::uint32_t, call_kinds> total{};
  for (const auto& slot : minutes_)
    if (slot.index >= 0 && slot.index > index - 60 && slot.index <= index)
      for (std::size_t k = 0; k < call_kinds; ++k) total[k] += slot.calls[k];
  return total;
}

std::uint64_t cloud_budget::calls_last_hour() const {
  return std::accumulate(last_hour.begin(), last_hour.end(), std::uint64_t{0});
}

}  // namespace wyze

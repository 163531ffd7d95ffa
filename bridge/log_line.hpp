#pragma once
// The core's log lines as actions: parts streamed into one text.
#include "bridge/actions.hpp"

#include <sstream>

namespace bridge {

/// The parts streamed into one text (also for answers and refusals: no "…" + std::string&&, on
/// which GCC 12 at -O3 warns -Wrestrict, falsely).
template <class... Args>
std::string text(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

template <class... Args>
act::log line(common::logging::level level, std::string component, const Args&... args) {
  return {level, std::move(component), text(args...)};
}

}  // namespace bridge

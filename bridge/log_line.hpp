#pragma once
// The core's log lines as actions: parts streamed into one text.
#include "bridge/actions.hpp"

#include <sstream>

namespace bridge {

template <class... Args>
act::log line(common::logging::level level, std::string component, const Args&... args) {
  std::ostringstream text;
  (text << ... << args);
  return {level, std::move(component), text.str()};
}

}  // namespace bridge

#pragma once
#include <string_view>

namespace bridge {

/// Tells systemd about the service state ("READY=1", "STOPPING=1") when started with
/// Type=notify ($NOTIFY_SOCKET set); does nothing otherwise.
void notify_systemd(std::string_view state);

}  // namespace bridge

// SystemdNotifier's messages to systemd through libsystemd's sd_notify(3) (daemon/systemd_notify.h).
#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <cstring>

#include "base/log.h"
#include "daemon/systemd_notify.h"

namespace ipvsd::daemon {

SystemdNotifier::SystemdNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, names this process.
  if (enabled_ && sd_watchdog_enabled(0, &usec) > 0) watchdog_usec_ = usec;
}

void SystemdNotifier::Send(const std::string& message) {
  if (!enabled_) return;
  if (int r = sd_notify(0, message.c_str()); r < 0) {
    Log(LogLevel::kWarning, "sd_notify %s: %s", message.c_str(), std::strerror(-r));
  }
}

}  // namespace ipvsd::daemon

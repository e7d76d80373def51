#include "daemon/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <cstring>

#include "base/log.h"

namespace ipvsd::daemon {
namespace {

std::string Counted(uint64_t n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

}  // namespace

std::string StatusLine(size_t services, uint64_t connections, size_t workers) {
  return Counted(services, "service") + ", " + Counted(connections, "connection") + ", " + Counted(workers, "worker");
}

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

void SystemdNotifier::Ready(const std::string& status) {
  status_ = status;
  Send("READY=1\nSTATUS=" + status);
}

void SystemdNotifier::Status(const std::string& status) {
  if (status == status_) return;
  status_ = status;
  Send("STATUS=" + status);
}

void SystemdNotifier::Heartbeat(const std::vector<uint64_t>& worker_polls) {
  if (!watchdog_enabled()) return;
  bool every_worker_moved = last_polls_ && last_polls_->size() == worker_polls.size();
  for (size_t i = 0; every_worker_moved && i < worker_polls.size(); ++i) {
    every_worker_moved = worker_polls[i] != (*last_polls_)[i];
  }
  last_polls_ = worker_polls;
  if (every_worker_moved) Send("WATCHDOG=1");
}

void SystemdNotifier::Stopping() { Send("STOPPING=1"); }

void SystemdNotifier::MainPid(uint32_t pid) { Send("MAINPID=" + std::to_string(pid)); }

}  // namespace ipvsd::daemon

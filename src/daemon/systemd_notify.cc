// What SystemdNotifier says and when, in every build; how it reaches systemd is
// systemd_notify_linux.cc's (libsystemd), and the portable build has no systemd to tell
// (systemd_notify_portable.cc).
#include "daemon/systemd_notify.h"

namespace ipvsd::daemon {
namespace {

std::string Counted(uint64_t n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

}  // namespace

std::string StatusLine(size_t services, uint64_t connections, size_t workers) {
  return Counted(services, "service") + ", " + Counted(connections, "connection") + ", " + Counted(workers, "worker");
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

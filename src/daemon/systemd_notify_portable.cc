// The portable build's SystemdNotifier: systemd and libsystemd are Linux's, so there is no
// NOTIFY_SOCKET to answer and the notifier stays disabled (docs/portability.md).
#include "daemon/systemd_notify.h"

namespace ipvsd::daemon {

SystemdNotifier::SystemdNotifier() = default;

void SystemdNotifier::Send(const std::string&) {}

}  // namespace ipvsd::daemon

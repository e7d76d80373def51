// File: daemon/systemd_notify.h
//
// ipvsd's side of systemd's service notification protocol (sd_notify(3)), for ipvsd.service's
// Type=notify and WatchdogSec= (docs/operations.md): READY=1 once start-up is complete,
// STATUS= with a one-line summary, WATCHDOG=1 only while every worker makes progress,
// STOPPING=1 on shutdown. Without NOTIFY_SOCKET in the environment (not started by systemd)
// nothing is sent, and without WATCHDOG_USEC no watchdog ping.
//
//   SystemdNotifier notifier;
//   notifier.Ready(StatusLine(services, connections, workers));
//   notifier.Heartbeat(polls);  // baseline
//   ... every notifier.heartbeat_interval(): notifier.Heartbeat(polls);
//   notifier.Stopping();
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ipvsd::daemon {

// "3 services, 120 connections, 2 workers": what `systemctl status ipvsd` shows.
std::string StatusLine(size_t services, uint64_t connections, size_t workers);

class SystemdNotifier {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID once.
  SystemdNotifier();

  bool enabled() const { return enabled_; }
  bool watchdog_enabled() const { return watchdog_usec_ != 0; }
  // Half the watchdog timeout, as sd_watchdog_enabled(3) advises: one late check still
  // arrives in time. Zero without a watchdog.
  std::chrono::microseconds heartbeat_interval() const { return std::chrono::microseconds(watchdog_usec_ / 2); }

  void Ready(const std::string& status);
  // Sends STATUS= when it differs from the last one sent.
  void Status(const std::string& status);
  // `worker_polls` holds each worker's poll counter (dataplane::WorkerCounters::polls). Pings
  // the watchdog when every counter moved since the previous call (so also with no worker);
  // the first call only takes the baseline. A worker stuck anywhere stops the pings, and
  // systemd restarts ipvsd one timeout later.
  void Heartbeat(const std::vector<uint64_t>& worker_polls);
  void Stopping();
  // MAINPID=pid: another process (ipvsd --takeover) is the service's main one from now on.
  void MainPid(uint32_t pid);

 private:
  void Send(const std::string& message);

  bool enabled_ = false;
  uint64_t watchdog_usec_ = 0;
  std::string status_;
  std::optional<std::vector<uint64_t>> last_polls_;
};

}  // namespace ipvsd::daemon

// The sd_notify messages ipvsd sends, read from a real datagram socket standing in for
// systemd's NOTIFY_SOCKET: READY=1 only once start-up is complete, the STATUS= line, and
// WATCHDOG=1 only while every worker's poll counter moves.
#include "daemon/systemd_notify.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/daemon.h"

namespace ipvsd::daemon {
namespace {

// A bound AF_UNIX datagram socket in a temporary directory, exported as NOTIFY_SOCKET.
class NotifySocket {
 public:
  NotifySocket() {
    char dir_template[] = "/tmp/ipvsd-notify-XXXXXX";
    dir_ = ::mkdtemp(dir_template);
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = dir_ + "/notify";
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
  }
  ~NotifySocket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::close(fd_);
    std::filesystem::remove_all(dir_);
  }

  bool bound() const { return bound_; }
  const std::string& dir() const { return dir_; }

  // The next datagram, or nullopt when none arrives within `timeout`.
  std::optional<std::string> Receive(std::chrono::milliseconds timeout = std::chrono::milliseconds(200)) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
  }
  // Waits up to `timeout` for `message`, skipping others.
  bool WaitFor(const std::string& message, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      std::optional<std::string> m = Receive(left);
      if (m && *m == message) return true;
    }
  }
  void Drain() {
    while (Receive(std::chrono::milliseconds(0))) {
    }
  }

 private:
  std::string dir_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST(StatusLine, CountsServicesConnectionsWorkers) {
  EXPECT_EQ(StatusLine(3, 120, 2), "3 services, 120 connections, 2 workers");
  EXPECT_EQ(StatusLine(1, 1, 1), "1 service, 1 connection, 1 worker");
  EXPECT_EQ(StatusLine(0, 0, 0), "0 services, 0 connections, 0 workers");
}

TEST(SystemdNotifier, SilentWithoutNotifySocket) {
  ::unsetenv("NOTIFY_SOCKET");
  ::setenv("WATCHDOG_USEC", "1000000", 1);
  SystemdNotifier notifier;
  EXPECT_FALSE(notifier.enabled());
  EXPECT_FALSE(notifier.watchdog_enabled());
  ::unsetenv("WATCHDOG_USEC");
}

TEST(SystemdNotifier, ReadyCarriesTheStatusAndStatusIsSentOnChange) {
  NotifySocket sock;
  ASSERT_TRUE(sock.bound());
  SystemdNotifier notifier;
  ASSERT_TRUE(notifier.enabled());
  notifier.Ready("1 service, 0 connections, 2 workers");
  EXPECT_EQ(sock.Receive(), "READY=1\nSTATUS=1 service, 0 connections, 2 workers");
  notifier.Status("1 service, 0 connections, 2 workers");
  EXPECT_EQ(sock.Receive(), std::nullopt);
  notifier.Status("1 service, 7 connections, 2 workers");
  EXPECT_EQ(sock.Receive(), "STATUS=1 service, 7 connections, 2 workers");
  notifier.Stopping();
  EXPECT_EQ(sock.Receive(), "STOPPING=1");
}

TEST(SystemdNotifier, WatchdogOnlyWhileEveryWorkerProgresses) {
  NotifySocket sock;
  ASSERT_TRUE(sock.bound());
  ::setenv("WATCHDOG_USEC", "4000000", 1);
  SystemdNotifier notifier;
  ASSERT_TRUE(notifier.watchdog_enabled());
  EXPECT_EQ(notifier.heartbeat_interval(), std::chrono::seconds(2));

  notifier.Heartbeat({10, 20});  // baseline only
  EXPECT_EQ(sock.Receive(), std::nullopt);
  notifier.Heartbeat({11, 25});
  EXPECT_EQ(sock.Receive(), "WATCHDOG=1");
  notifier.Heartbeat({12, 25});  // the second worker is stuck
  EXPECT_EQ(sock.Receive(), std::nullopt);
  notifier.Heartbeat({13, 25});
  EXPECT_EQ(sock.Receive(), std::nullopt);
  notifier.Heartbeat({14, 26});  // moving again
  EXPECT_EQ(sock.Receive(), "WATCHDOG=1");
}

TEST(SystemdNotifier, NoWatchdogWithoutWatchdogUsec) {
  NotifySocket sock;
  ASSERT_TRUE(sock.bound());
  SystemdNotifier notifier;
  EXPECT_FALSE(notifier.watchdog_enabled());
  notifier.Heartbeat({1});
  notifier.Heartbeat({2});
  EXPECT_EQ(sock.Receive(), std::nullopt);
}

TEST(SystemdNotifier, WatchdogOfAnotherProcessIsIgnored) {
  NotifySocket sock;
  ASSERT_TRUE(sock.bound());
  ::setenv("WATCHDOG_USEC", "4000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  SystemdNotifier notifier;
  EXPECT_FALSE(notifier.watchdog_enabled());
  ::unsetenv("WATCHDOG_PID");
}

// Two workers whose poll counters move on every observation unless the test stalls one.
class FakeWorkers final : public DataPlane {
 public:
  ctl::ConnList ListConns(const ctl::ConnCursor&) override { return {}; }
  ctl::DataPlaneInfo Describe() override { return {}; }
  std::vector<WorkerView> ObserveWorkers() override {
    ++moving_;
    if (!stalled_) ++stallable_;
    std::vector<WorkerView> workers(2);
    workers[0].polls = moving_;
    workers[0].connections = 3;
    workers[1].polls = stallable_;
    workers[1].connections = 4;
    return workers;
  }
  BackendView ObserveBackend() override { return {}; }
  uint64_t OldestGeneration() override { return 0; }
  void OnServicesChanged(const core::ServiceTable&, const std::vector<net::IpAddr>&) override {}
  size_t SyncWorkerCount() override { return 0; }
  size_t PopSyncOut(size_t, std::span<core::SyncRecord>) override { return 0; }
  bool PushSyncIn(const core::SyncRecord&) override { return true; }
  SyncSlice SyncDumpSlice(const ctl::ConnCursor&, size_t) override { return {}; }

  std::atomic<bool> stalled_{false};

 private:
  std::atomic<uint64_t> moving_{0};
  std::atomic<uint64_t> stallable_{0};
};

// The whole daemon: nothing before NotifyReady (Start alone is not ready), then pings every
// half-timeout while both workers poll, none while one is stuck, STOPPING=1 on SIGTERM.
TEST(DaemonNotify, ReadyAfterStartWatchdogFollowsTheWorkers) {
  NotifySocket sock;
  ASSERT_TRUE(sock.bound());
  ::setenv("WATCHDOG_USEC", "200000", 1);  // a heartbeat check every 100 ms
  Options options;
  options.socket_path = sock.dir() + "/ipvsd.sock";
  options.metrics.reset();
  FakeWorkers workers;
  Daemon d(options);
  d.AttachDataPlane(&workers);
  ASSERT_TRUE(d.Start());
  EXPECT_EQ(sock.Receive(), std::nullopt);
  d.NotifyReady();
  EXPECT_EQ(sock.Receive(), "READY=1\nSTATUS=0 services, 7 connections, 2 workers");

  // Start() blocked SIGTERM here; the thread inherits that and takes it only inside Run().
  std::thread run([&d] { EXPECT_TRUE(d.Run()); });
  EXPECT_TRUE(sock.WaitFor("WATCHDOG=1", std::chrono::seconds(2)));

  workers.stalled_ = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(250));  // a check in flight may still ping
  sock.Drain();
  EXPECT_FALSE(sock.WaitFor("WATCHDOG=1", std::chrono::milliseconds(600)));

  workers.stalled_ = false;
  EXPECT_TRUE(sock.WaitFor("WATCHDOG=1", std::chrono::seconds(2)));

  ::kill(::getpid(), SIGTERM);
  EXPECT_TRUE(sock.WaitFor("STOPPING=1", std::chrono::seconds(5)));
  run.join();
}

}  // namespace
}  // namespace ipvsd::daemon

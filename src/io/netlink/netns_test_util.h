// File: io/netlink/netns_test_util.h
//
// Network-namespace fixtures for the io tests that need real interfaces (NetlinkRouter,
// AfPacketIo): a namespace that exists for the lifetime of a guard object, and a guard that
// moves the calling thread into a namespace and back. Commands run through `ip -n NAME`, so
// they act on the namespace whatever the calling thread's own namespace is. Everything is
// undone in destructors, so a failing assertion still cleans up; names carry a prefix and
// the test's pid, so concurrent runs never collide.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace ipvsd::io::testing {

// Runs a shell command quietly; true on exit status 0.
inline bool Sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

// Polls `pred` every 10 ms until it holds or `limit` passes.
template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit = std::chrono::milliseconds(3000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// `ip netns add` on construction, `ip netns del` (which also deletes its interfaces) on
// destruction.
class Netns {
 public:
  explicit Netns(std::string name) : name_(std::move(name)) {
    Sh("ip netns del " + name_);  // a leftover of a killed run with the same pid
    ok_ = Sh("ip netns add " + name_);
  }
  ~Netns() {
    if (ok_) Sh("ip netns del " + name_);
  }
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }
  // Runs an `ip` subcommand inside the namespace, e.g. Ip("link set n0 up").
  bool Ip(const std::string& args) const { return Sh("ip -n " + name_ + " " + args); }
  // Runs any command inside the namespace.
  bool Exec(const std::string& cmd) const { return Sh("ip netns exec " + name_ + " " + cmd); }

 private:
  std::string name_;
  bool ok_ = false;
};

// Moves the calling thread into a namespace; moves it back on destruction. Sockets opened
// meanwhile (and threads started meanwhile) belong to that namespace.
class NetnsEnter {
 public:
  explicit NetnsEnter(const Netns& ns) {
    home_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = open(("/run/netns/" + ns.name()).c_str(), O_RDONLY | O_CLOEXEC);
    ok_ = home_ >= 0 && target >= 0 && setns(target, CLONE_NEWNET) == 0;
    if (target >= 0) close(target);
  }
  ~NetnsEnter() {
    if (home_ < 0) return;
    if (ok_ && setns(home_, CLONE_NEWNET) != 0) std::perror("returning to the test's network namespace");
    close(home_);
  }
  NetnsEnter(const NetnsEnter&) = delete;
  NetnsEnter& operator=(const NetnsEnter&) = delete;

  bool ok() const { return ok_; }

 private:
  int home_ = -1;
  bool ok_ = false;
};

}  // namespace ipvsd::io::testing

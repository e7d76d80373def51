// File: health/probe.h
//
// The asynchronous attempts behind the checkers and the feedback poller, driven by the
// daemon's single poll loop: nothing here blocks, and every probe has a deadline after which
// the loop calls OnTimeout (which closes the socket or kills the child).
//
//   StreamProbe  non-blocking connect, optionally send a request and read the reply to EOF
//                (TCP_CHECK: connect only; HTTP_GET: one request per url; agent polls)
//   CommandProbe /bin/sh -c CMD in its own process group (MISC_CHECK); the exit status comes
//                through the daemon's SIGCHLD handling (OnChildExit) and is judged by
//                JudgeMiscExit; MiscRunLog keeps "the script cannot run" to one log line
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "health/config.h"
#include "net/ip_addr.h"

namespace ipvsd::health {

struct ProbeOutcome {
  bool ok = false;
  std::string detail;    // why it failed, for the log
  std::string reply;     // StreamProbe: the bytes read
  int exit_status = -1;  // CommandProbe: 0..255, or -1 when killed by a signal / timed out
  // CommandProbe with misc_dynamic: the weight a passing exit status sets.
  std::optional<int> weight;
  // FILE_CHECK: what the file's value adds to the weight now (none: a value that cannot be
  // read as a number, which changes nothing).
  std::optional<int> weight_share;
  // CommandProbe: the command gave no verdict of its own (it could not be started, the shell
  // could not find or execute it, it was killed, it timed out).
  bool not_run = false;
};

class Probe {
 public:
  explicit Probe(uint64_t deadline_ns) : deadline_ns_(deadline_ns) {}
  virtual ~Probe() = default;
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  // The descriptor to poll and for what; -1 when the probe waits for a child process.
  virtual int fd() const = 0;
  virtual short events() const = 0;
  // Progress after poll reported REVENTS; an outcome once the probe is finished.
  virtual std::optional<ProbeOutcome> OnReady(short revents) = 0;
  // A child exited (PID, wait status); an outcome if it was this probe's.
  virtual std::optional<ProbeOutcome> OnChildExit(pid_t pid, int status);
  // The deadline passed: release everything, report the failure.
  virtual ProbeOutcome OnTimeout() = 0;

  uint64_t deadline_ns() const { return deadline_ns_; }

 private:
  uint64_t deadline_ns_;
};

class StreamProbe final : public Probe {
 public:
  // REQUEST empty and READ_REPLY false: success once the connection is established. The
  // connection comes from SOURCE (a checker's bindto, bind_port, bind_if).
  static std::unique_ptr<Probe> Start(const net::Endpoint& to, std::string request, bool read_reply,
                                      size_t max_reply, uint64_t deadline_ns, const SourceBinding& source = {});
  ~StreamProbe() override;
  int fd() const override { return fd_; }
  short events() const override;
  std::optional<ProbeOutcome> OnReady(short revents) override;
  ProbeOutcome OnTimeout() override;

 private:
  StreamProbe(int fd, std::string request, bool read_reply, size_t max_reply, uint64_t deadline_ns)
      : Probe(deadline_ns), fd_(fd), request_(std::move(request)), read_reply_(read_reply), max_reply_(max_reply) {}
  // An already-finished probe (socket() or connect() failed at once).
  static std::unique_ptr<Probe> Failed(std::string detail, uint64_t deadline_ns);

  enum class Phase : uint8_t { kConnecting, kSending, kReading };
  int fd_ = -1;
  std::string request_;
  bool read_reply_;
  size_t max_reply_;
  size_t sent_ = 0;
  std::string reply_;
  Phase phase_ = Phase::kConnecting;
};

// `/bin/sh -c command` in a process group of its own (so that a timeout can kill it with what
// it started), with stdin, stdout and stderr on /dev/null and no signal blocked; the pid, or
// -1 when fork fails (errno). The caller reaps it (Healthd reaps every child). With RUN_AS the
// child takes that uid, gid and only that group before the shell starts, or exits 126 (as the
// shell does for what it cannot execute) when it cannot.
pid_t SpawnShell(const std::string& command, const std::optional<RunAs>& run_as = std::nullopt);

class CommandProbe final : public Probe {
 public:
  // DYNAMIC selects misc_dynamic's exit rule (JudgeMiscExit). The command's stdout and stderr
  // go to /dev/null, as a daemonised keepalived's scripts' do: a missing script would
  // otherwise have the shell print "not found" every round.
  // RUN_AS: MISC_CHECK's user (SpawnShell).
  static std::unique_ptr<Probe> Start(const std::string& command, uint64_t deadline_ns, bool dynamic,
                                      const std::optional<RunAs>& run_as = std::nullopt);
  ~CommandProbe() override;
  int fd() const override { return -1; }
  short events() const override { return 0; }
  std::optional<ProbeOutcome> OnReady(short) override { return std::nullopt; }
  std::optional<ProbeOutcome> OnChildExit(pid_t pid, int status) override;
  ProbeOutcome OnTimeout() override;

 private:
  CommandProbe(pid_t pid, uint64_t deadline_ns, bool dynamic, bool switches_user)
      : Probe(deadline_ns), pid_(pid), dynamic_(dynamic), switches_user_(switches_user) {}
  pid_t pid_;
  bool dynamic_;
  bool switches_user_;
};

// How a MISC_CHECK command ended (WAIT_STATUS as waitpid gives it), judged as keepalived's
// misc_check_child_thread (keepalived/check/check_misc.c) judges it: exit 0 passes; with
// DYNAMIC (misc_dynamic), 2..255 pass too and set the weight to status - 2 (0..253); every
// other status, 1 included, and death by a signal fail. One addition: the command runs under
// /bin/sh -c, whose 126 (found but not executable) and 127 (not found) mean the script never
// ran (keepalived's lib/notify.c reads a shell's statuses the same way: "Insufficient
// privilege to exec command", "Couldn't find command"), so they fail (not_run) even with
// misc_dynamic.
ProbeOutcome JudgeMiscExit(int wait_status, bool dynamic);

// One MISC_CHECK's "cannot run" log line: a missing script (or one that always times out)
// would otherwise be reported every delay_loop. The caller keeps one per checker and logs an
// outcome only when ShouldLog says so: the first not_run outcome, and the next one only after
// a run in between gave a verdict of its own (any exit status but the shell's 126 and 127).
class MiscRunLog {
 public:
  bool ShouldLog(const ProbeOutcome& outcome);

 private:
  bool reported_ = false;
};

// Judges an HTTP/1.x reply against one url { }: status in the ranges (any 2xx without
// status_code), with a digest the MD5 of the body, with a regex a match in the body (none
// with regex_no_match).
ProbeOutcome EvaluateHttp(const std::string& reply, const UrlCheck& url);
// "GET PATH HTTP/VERSION" with Host, as keepalived's checker sends (VERSION from
// http_protocol: 1.0; 1.0C, which is 1.0 with "Connection: close"; 1.1, with it too).
std::string HttpRequest(const UrlCheck& url, const std::string& host, const std::string& version = "1.0");

// A probe that already has its OUTCOME (a socket that could not be made, say); it reports at
// the first poll round.
std::unique_ptr<Probe> FinishedProbe(ProbeOutcome outcome, uint64_t deadline_ns);
// EP as a sockaddr in SS; returns its length.
socklen_t ToSockaddr(const net::Endpoint& ep, sockaddr_storage* ss);
// Binds FD (a socket of FAMILY, not yet connected) to SOURCE: SO_BINDTODEVICE for its
// interface, bind() for its address and port (the family's any-address when only a port is
// given; SO_REUSEADDR with a port, so that each round can reuse it). The error, or empty.
std::string BindSource(int fd, net::Family family, const SourceBinding& source);

}  // namespace ipvsd::health

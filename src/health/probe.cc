// File: health/probe.cc
#include "health/probe.h"

#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "health/md5.h"

namespace ipvsd::health {
namespace {

// A probe that is finished before it starts reports at the first poll round: poll on a
// descriptor that is always readable is the cheapest way to get there without special cases.
class FailedProbe final : public Probe {
 public:
  FailedProbe(ProbeOutcome outcome, uint64_t deadline_ns) : Probe(deadline_ns), outcome_(std::move(outcome)) {
    if (pipe2(fds_, O_CLOEXEC | O_NONBLOCK) == 0) close(fds_[1]);
  }
  ~FailedProbe() override {
    if (fds_[0] >= 0) close(fds_[0]);
  }
  int fd() const override { return fds_[0]; }
  short events() const override { return POLLIN; }
  std::optional<ProbeOutcome> OnReady(short) override { return outcome_; }
  ProbeOutcome OnTimeout() override { return outcome_; }

 private:
  ProbeOutcome outcome_;
  int fds_[2] = {-1, -1};
};

}  // namespace

std::unique_ptr<Probe> FinishedProbe(ProbeOutcome outcome, uint64_t deadline_ns) {
  return std::make_unique<FailedProbe>(std::move(outcome), deadline_ns);
}

socklen_t ToSockaddr(const net::Endpoint& ep, sockaddr_storage* ss) {
  std::memset(ss, 0, sizeof(*ss));
  if (ep.addr.is_v6()) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(ep.port);
    std::memcpy(&s6->sin6_addr, ep.addr.raw.bytes.data(), 16);
    return sizeof(sockaddr_in6);
  }
  auto* s4 = reinterpret_cast<sockaddr_in*>(ss);
  s4->sin_family = AF_INET;
  s4->sin_port = htons(ep.port);
  std::memcpy(&s4->sin_addr, ep.addr.raw.bytes.data(), 4);
  return sizeof(sockaddr_in);
}

std::string BindSource(int fd, net::Family family, const SourceBinding& source) {
  if (!source.interface.empty() && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, source.interface.data(),
                                              static_cast<socklen_t>(source.interface.size())) < 0) {
    return "bind_if " + source.interface + ": " + std::strerror(errno);
  }
  if (!source.addr.has_value() && source.port == 0) return "";
  const net::Endpoint from{source.addr.value_or(net::IpAddr{net::RawAddr{}, family}), source.port};
  sockaddr_storage ss;
  const socklen_t len = ToSockaddr(from, &ss);
  if (!source.interface.empty() && ss.ss_family == AF_INET6) {
    // The scope of a link-local address; ignored by the kernel for any other.
    reinterpret_cast<sockaddr_in6*>(&ss)->sin6_scope_id = if_nametoindex(source.interface.c_str());
  }
  const int one = 1;
  if (source.port != 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
    return std::string("SO_REUSEADDR: ") + std::strerror(errno);
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) < 0) {
    return "bindto " + from.ToString() + ": " + std::strerror(errno);
  }
  return "";
}

std::optional<ProbeOutcome> Probe::OnChildExit(pid_t, int) { return std::nullopt; }

std::unique_ptr<Probe> StreamProbe::Failed(std::string detail, uint64_t deadline_ns) {
  return std::make_unique<FailedProbe>(ProbeOutcome{false, std::move(detail), {}, -1}, deadline_ns);
}

std::unique_ptr<Probe> StreamProbe::Start(const net::Endpoint& to, std::string request, bool read_reply,
                                          size_t max_reply, uint64_t deadline_ns, const SourceBinding& source) {
  sockaddr_storage ss;
  const socklen_t len = ToSockaddr(to, &ss);
  const int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Failed(std::string("socket: ") + std::strerror(errno), deadline_ns);
  if (std::string error = BindSource(fd, to.addr.family, source); !error.empty()) {
    close(fd);
    return Failed(std::move(error), deadline_ns);
  }
  if (connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) < 0 && errno != EINPROGRESS) {
    const int e = errno;
    close(fd);
    return Failed("connect " + to.ToString() + ": " + std::strerror(e), deadline_ns);
  }
  return std::unique_ptr<Probe>(new StreamProbe(fd, std::move(request), read_reply, max_reply, deadline_ns));
}

StreamProbe::~StreamProbe() {
  if (fd_ >= 0) close(fd_);
}

short StreamProbe::events() const {
  switch (phase_) {
    case Phase::kConnecting:
    case Phase::kSending: return POLLOUT;
    default: return POLLIN;
  }
}

std::optional<ProbeOutcome> StreamProbe::OnReady(short revents) {
  if (phase_ == Phase::kConnecting) {
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err != 0) return ProbeOutcome{false, std::string("connect: ") + std::strerror(err), {}, -1};
    if (!(revents & POLLOUT)) return std::nullopt;
    if (request_.empty() && !read_reply_) return ProbeOutcome{true, "connected", {}, -1};
    phase_ = request_.empty() ? Phase::kReading : Phase::kSending;
    return std::nullopt;
  }
  if (phase_ == Phase::kSending) {
    const ssize_t n = send(fd_, request_.data() + sent_, request_.size() - sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return std::nullopt;
      return ProbeOutcome{false, std::string("send: ") + std::strerror(errno), {}, -1};
    }
    sent_ += static_cast<size_t>(n);
    if (sent_ == request_.size()) {
      if (!read_reply_) return ProbeOutcome{true, "sent", {}, -1};
      phase_ = Phase::kReading;
    }
    return std::nullopt;
  }
  char buf[4096];
  for (;;) {
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n == 0) return ProbeOutcome{true, "reply read", std::move(reply_), -1};
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return std::nullopt;
      return ProbeOutcome{false, std::string("recv: ") + std::strerror(errno), {}, -1};
    }
    reply_.append(buf, static_cast<size_t>(n));
    // A peer that keeps sending is cut off; what came so far is judged as it is.
    if (reply_.size() >= max_reply_) {
      reply_.resize(max_reply_);
      return ProbeOutcome{true, "reply truncated", std::move(reply_), -1};
    }
  }
}

ProbeOutcome StreamProbe::OnTimeout() {
  const char* what = phase_ == Phase::kConnecting ? "connect timed out" : "reply timed out";
  return {false, what, {}, -1};
}

pid_t SpawnShell(const std::string& command, const std::optional<RunAs>& run_as) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    // Own process group, so a timeout kills the script and whatever it started.
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    const int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, STDIN_FILENO);
      dup2(devnull, STDOUT_FILENO);
      dup2(devnull, STDERR_FILENO);
    }
    // Groups first: after setuid there is no right left to change them. A script that cannot
    // become its user must not run as ours.
    if (run_as.has_value() &&
        (setgroups(1, &run_as->gid) != 0 || setgid(run_as->gid) != 0 || setuid(run_as->uid) != 0)) {
      _exit(126);  // the shell's "cannot execute", which JudgeMiscExit reads as "did not run"
    }
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);  // what the shell itself exits with for a command it cannot find
  }
  setpgid(pid, pid);
  return pid;
}

std::unique_ptr<Probe> CommandProbe::Start(const std::string& command, uint64_t deadline_ns, bool dynamic,
                                           const std::optional<RunAs>& run_as) {
  const pid_t pid = SpawnShell(command, run_as);
  if (pid < 0) {
    ProbeOutcome failed{false, std::string("fork: ") + std::strerror(errno), {}, -1};
    failed.not_run = true;
    return std::make_unique<FailedProbe>(std::move(failed), deadline_ns);
  }
  return std::unique_ptr<Probe>(new CommandProbe(pid, deadline_ns, dynamic, run_as.has_value()));
}

CommandProbe::~CommandProbe() {
  if (pid_ > 0) {
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::optional<ProbeOutcome> CommandProbe::OnChildExit(pid_t pid, int status) {
  if (pid != pid_) return std::nullopt;
  pid_ = -1;
  ProbeOutcome out = JudgeMiscExit(status, dynamic_);
  if (switches_user_ && out.exit_status == 126) out.detail += " or cannot switch to its user";
  return out;
}

ProbeOutcome CommandProbe::OnTimeout() {
  kill(-pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  ProbeOutcome out{false, "timed out", {}, -1};
  out.not_run = true;
  return out;
}

ProbeOutcome JudgeMiscExit(int wait_status, bool dynamic) {
  ProbeOutcome out;
  if (!WIFEXITED(wait_status)) {
    out.detail = "killed by signal " + std::to_string(WTERMSIG(wait_status));
    out.not_run = true;
    return out;
  }
  const int code = WEXITSTATUS(wait_status);
  out.exit_status = code;
  out.detail = "exit status " + std::to_string(code);
  if (code == 126 || code == 127) {
    out.detail += code == 126 ? " (the shell cannot execute it)" : " (the shell cannot find it)";
    out.not_run = true;
    return out;
  }
  out.ok = code == 0 || (dynamic && code >= 2);
  // keepalived: "exit 0 with misc_dynamic" is the legacy form and leaves the weight alone.
  if (out.ok && dynamic && code != 0) out.weight = code - 2;
  return out;
}

bool MiscRunLog::ShouldLog(const ProbeOutcome& outcome) {
  if (!outcome.not_run) {
    reported_ = false;
    return false;
  }
  const bool first = !reported_;
  reported_ = true;
  return first;
}

std::string HttpRequest(const UrlCheck& url, const std::string& host, const std::string& version) {
  // keepalived's http_protocol: 1.0C is 1.0 with "Connection: close", which 1.1 sends too.
  const bool close = version != "1.0";
  return "GET " + url.path + " HTTP/" + (version == "1.1" ? "1.1" : "1.0") +
         "\r\nUser-Agent: KeepAliveClient\r\nHost: " + host + "\r\n" + (close ? "Connection: close\r\n" : "") +
         "\r\n";
}

namespace {

// Whether BODY holds a match of URL's regex starting in [regex_min_offset, regex_max_offset].
bool BodyMatches(std::string_view body, const UrlCheck& url) {
  if (url.regex_min_offset > body.size()) return false;
  regex_t compiled;
  if (regcomp(&compiled, url.regex.c_str(), REG_EXTENDED | (url.regex_caseless ? REG_ICASE : 0)) != 0) return false;
  // REG_STARTEND: the body is searched as bytes (it may hold NULs) from the minimum offset.
  regmatch_t match[1];
  match[0].rm_so = static_cast<regoff_t>(url.regex_min_offset);
  match[0].rm_eo = static_cast<regoff_t>(body.size());
  const bool found = regexec(&compiled, body.data(), 1, match, REG_STARTEND) == 0 &&
                     static_cast<size_t>(match[0].rm_so) <= url.regex_max_offset;
  regfree(&compiled);
  return found;
}

}  // namespace

ProbeOutcome EvaluateHttp(const std::string& reply, const UrlCheck& url) {
  // "HTTP/1.x NNN reason"
  if (reply.compare(0, 5, "HTTP/") != 0) return {false, "not an HTTP reply", {}, -1};
  const size_t sp = reply.find(' ');
  if (sp == std::string::npos || sp + 4 > reply.size()) return {false, "no HTTP status", {}, -1};
  int status = 0;
  for (size_t i = sp + 1; i < sp + 4; ++i) {
    if (reply[i] < '0' || reply[i] > '9') return {false, "bad HTTP status", {}, -1};
    status = status * 10 + (reply[i] - '0');
  }
  bool status_ok = false;
  if (url.statuses.empty()) {
    status_ok = status >= 200 && status <= 299;
  } else {
    for (const auto& [lo, hi] : url.statuses) status_ok = status_ok || (status >= lo && status <= hi);
  }
  if (!status_ok) return {false, "HTTP status " + std::to_string(status), {}, -1};
  if (!url.digest.empty() || !url.regex.empty()) {
    size_t body = reply.find("\r\n\r\n");
    size_t skip = 4;
    if (body == std::string::npos) {
      body = reply.find("\n\n");
      skip = 2;
    }
    if (body == std::string::npos) return {false, "HTTP reply without a body", {}, -1};
    const std::string_view content = std::string_view(reply).substr(body + skip);
    if (!url.digest.empty()) {
      const std::string digest = Md5Hex(content);
      if (digest != url.digest) return {false, "MD5 digest " + digest + " differs", {}, -1};
    }
    if (!url.regex.empty() && BodyMatches(content, url) == url.regex_no_match) {
      return {false, std::string(url.regex_no_match ? "body matches" : "body does not match") + " regex '" + url.regex + "'",
              {}, -1};
    }
  }
  return {true, "HTTP status " + std::to_string(status), {}, -1};
}

}  // namespace ipvsd::health

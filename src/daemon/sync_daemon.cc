#include "daemon/sync_daemon.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <map>
#include <random>
#include <string>

#include "base/log.h"
#include "daemon/daemon.h"
#include "daemon/sync_socket.h"
#include "sync/pull_request.h"
#include "sync/sync_packer.h"

namespace ipvsd::daemon {
namespace {

using SteadyClock = std::chrono::steady_clock;

// How often the master thread drains the workers' queues when they were empty, and how long
// a backup waits on its socket before it looks at its stop flag.
constexpr int kMasterPollMs = 10;
constexpr int kBackupPollMs = 100;
constexpr size_t kMaxDatagram = 65535;
// A master answers a pull request a slice of kPullSlice connections per round of its loop,
// between drains of the workers' queues, and pauses after every kPullBurst messages so that
// the backups' receive buffers keep up.
constexpr size_t kPullSlice = 512;
constexpr size_t kPullBurst = 64;
constexpr auto kPullPause = std::chrono::milliseconds(2);
// One requester is answered at most this often (the answer goes to the whole group anyway).
constexpr auto kPullRequesterInterval = std::chrono::seconds(30);
constexpr size_t kPullRequestersRemembered = 256;

net::IpAddr SenderOf(const sockaddr_storage& from) {
  if (from.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&from);
    return net::IpAddr{net::RawAddr::FromBytes(a->sin6_addr.s6_addr, net::Family::kInet6), net::Family::kInet6};
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(&from);
  return net::IpAddr::V4(ntohl(a->sin_addr.s_addr));
}

// recv() that also says who sent the datagram.
ssize_t ReceiveFrom(int fd, uint8_t* buf, size_t size, net::IpAddr* sender) {
  sockaddr_storage from{};
  socklen_t len = sizeof from;
  ssize_t n = ::recvfrom(fd, buf, size, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
  if (n >= 0) *sender = SenderOf(from);
  return n;
}

const char* StateName(uint32_t state) { return state == ctl::kStateMaster ? "master" : "backup"; }

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

Status SyncDaemon::Start(const ctl::DaemonConfig& config) {
  bool master = config.state == ctl::kStateMaster;
  std::unique_ptr<Thread>& slot = master ? master_ : backup_;
  if (slot) return MakeError(EEXIST, std::string("sync ") + StateName(config.state) + " already running");
  auto t = std::make_unique<Thread>();
  t->config = config;
  auto fd = master ? OpenSyncSender(config) : OpenSyncReceiver(config);
  if (!fd) return fd.error();
  t->fd = *fd;
  if (master && pull_) {
    auto pull_fd = OpenSyncReceiver(config);
    if (!pull_fd) {
      CloseFd(t->fd);
      return pull_fd.error();
    }
    t->pull_fd = *pull_fd;
  }
  Thread* raw = t.get();
  if (master) settings_.sync_master_running.store(true, std::memory_order_relaxed);
  (master ? master_running_ : backup_running_).store(true, std::memory_order_relaxed);
  t->thread = std::thread([this, raw] { RunGuarded(*raw); });
  Log(LogLevel::kInfo, "sync %s started on %s (syncid %u, group %s:%u, maxlen %u)%s%s", StateName(config.state),
      config.mcast_ifn.c_str(), config.syncid, config.mcast_group.ToString().c_str(), config.mcast_port,
      config.sync_maxlen, key_ ? ", authenticated" : "", pull_ ? ", pull" : "");
  slot = std::move(t);
  return Ok();
}

Status SyncDaemon::Stop(uint32_t state) {
  std::unique_ptr<Thread>& slot = state == ctl::kStateMaster ? master_ : backup_;
  if (!slot) return MakeError(ESRCH, std::string("no sync ") + StateName(state) + " running");
  Join(slot);
  return Ok();
}

void SyncDaemon::StopAll() {
  if (master_) Join(master_);
  if (backup_) Join(backup_);
}

void SyncDaemon::Join(std::unique_ptr<Thread>& t) {
  bool master = t->config.state == ctl::kStateMaster;
  if (master) settings_.sync_master_running.store(false, std::memory_order_relaxed);
  (master ? master_running_ : backup_running_).store(false, std::memory_order_relaxed);
  t->stop.store(true, std::memory_order_relaxed);
  t->thread.join();
  CloseFd(t->fd);
  CloseFd(t->pull_fd);
  t.reset();
  if (master) {
    LogMaster();
  } else {
    LogBackup();
  }
}

void SyncDaemon::RunGuarded(Thread& t) {
  const bool master = t.config.state == ctl::kStateMaster;
  // An exception leaving a thread would end the process, data plane and all: the sync thread
  // stops alone instead, says why, and the workers stop queueing for it.
  try {
    if (master) {
      RunMaster(t);
    } else {
      RunBackup(t);
    }
  } catch (const std::exception& e) {
    Log(LogLevel::kError, "sync %s stopped on an error: %s", StateName(t.config.state), e.what());
    if (master) settings_.sync_master_running.store(false, std::memory_order_relaxed);
    (master ? master_running_ : backup_running_).store(false, std::memory_order_relaxed);
  }
}

void SyncDaemon::SendMessage(Thread& t, const std::vector<uint8_t>& msg) {
  const size_t conns = msg[sync::kHeaderNrConnsOffset];
  bool sent;
  if (key_) {
    std::vector<uint8_t> tagged = key_->Sign(msg, sequencer_.Next());
    sent = SendToGroup(t.fd, t.config, tagged.data(), tagged.size());
  } else {
    sent = SendToGroup(t.fd, t.config, msg.data(), msg.size());
  }
  if (!sent) {
    master_counters_.send_errors.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  master_counters_.messages_sent.fetch_add(1, std::memory_order_relaxed);
  master_counters_.conns_sent.fetch_add(conns, std::memory_order_relaxed);
}

size_t SyncDaemon::MessageMaxlen(const ctl::DaemonConfig& c) const {
  // A UDP datagram's payload ends at 65535 less the IP and UDP headers (the kernel clamps
  // sync-maxlen so too), and the HMAC tag must fit inside sync-maxlen, not push a full
  // message past the MTU into fragments.
  const size_t udp_max = 65535 - (c.mcast_group.is_v6() ? 40 : 20) - 8;
  const size_t maxlen = std::min<size_t>(c.sync_maxlen, udp_max);
  const size_t tag = key_ ? sync::kSyncAuthSize : 0;
  // A sync-maxlen below the trailer leaves no room: messages then carry one connection each.
  return maxlen > tag ? maxlen - tag : 0;
}

void SyncDaemon::RunMaster(Thread& t) {
  sync::SyncPacker packer(static_cast<uint8_t>(t.config.syncid), MessageMaxlen(t.config));
  SteadyClock::time_point first_packed{};  // when the partly filled message got its first connection
  SteadyClock::time_point last_pull_answer = SteadyClock::now() - kPullAnswerInterval;
  std::optional<PullAnswer> answering;
  std::map<net::IpAddr, SteadyClock::time_point> requesters;  // when each was last answered
  sync::ReplayWindow replay;
  core::SyncRecord batch[256];
  while (!t.stop.load(std::memory_order_relaxed)) {
    size_t drained = 0;
    size_t workers = data_plane_ ? data_plane_->SyncWorkerCount() : 0;
    for (size_t w = 0; w < workers; ++w) {
      size_t n = data_plane_->PopSyncOut(w, batch);
      drained += n;
      for (size_t i = 0; i < n; ++i) {
        bool was_empty = packer.empty();
        auto full = packer.Add(batch[i]);
        if (full) SendMessage(t, *full);
        if ((was_empty || full) && !packer.empty()) first_packed = SteadyClock::now();
      }
    }
    if (!packer.empty() && SteadyClock::now() - first_packed >= sync::kSyncFlushTime) {
      SendMessage(t, *packer.Flush());
    }
    master_counters_.too_big.store(packer.too_big(), std::memory_order_relaxed);
    if (answering) {
      if (!AnswerPullSlice(t, *answering)) {
        answering.reset();
        last_pull_answer = SteadyClock::now();
        master_counters_.pulls_answered.fetch_add(1, std::memory_order_relaxed);
      }
      drained += kPullSlice;  // busy: no sleep this round
    }
    if (t.pull_fd < 0) {
      if (drained == 0) std::this_thread::sleep_for(std::chrono::milliseconds(kMasterPollMs));
      continue;
    }
    // Looked at on every round, busy or not, so that a pull request is not starved by traffic.
    if (drained == 0) {
      pollfd p{t.pull_fd, POLLIN, 0};
      if (::poll(&p, 1, kMasterPollMs) <= 0) continue;
    }
    uint8_t buf[kMaxDatagram];
    net::IpAddr requester;
    ssize_t n = ReceiveFrom(t.pull_fd, buf, sizeof(buf), &requester);
    // The group also carries the other masters' messages: only a datagram of a pull request's
    // size (with its trailer, under a key) is worth decoding.
    const size_t pull_size = sync::kPullRequestSize + (key_ ? sync::kSyncAuthSize : 0);
    if (n != static_cast<ssize_t>(pull_size)) continue;
    sync::ReceivedDatagram d = sync::ReadDatagram(std::span<const uint8_t>(buf, static_cast<size_t>(n)),
                                                  static_cast<uint8_t>(t.config.syncid),
                                                  sync::Authentication{key_ ? &*key_ : nullptr, &replay, requester});
    if (d.kind != sync::DatagramKind::kPullRequest) continue;  // other masters' messages, replays
    const SteadyClock::time_point now = SteadyClock::now();
    auto asked = requesters.find(requester);
    if (answering || now - last_pull_answer < kPullAnswerInterval ||
        (asked != requesters.end() && now - asked->second < kPullRequesterInterval)) {
      master_counters_.pulls_limited.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (requesters.size() >= kPullRequestersRemembered) {
      std::erase_if(requesters, [&](const auto& r) { return now - r.second >= kPullRequesterInterval; });
      if (requesters.size() >= kPullRequestersRemembered) requesters.erase(requesters.begin());
    }
    requesters[requester] = now;
    Log(LogLevel::kInfo, "sync master: pull request %08x from %s: sending the connection table", d.pull.nonce,
        requester.ToString().c_str());
    answering.emplace(static_cast<uint8_t>(t.config.syncid), MessageMaxlen(t.config));
  }
  if (auto msg = packer.Flush()) SendMessage(t, *msg);
}

bool SyncDaemon::AnswerPullSlice(Thread& t, PullAnswer& answer) {
  if (!data_plane_) return false;
  SyncSlice slice = data_plane_->SyncDumpSlice(answer.next, kPullSlice);
  for (const core::SyncRecord& r : slice.records) {
    if (auto full = answer.packer.Add(r)) {
      SendMessage(t, *full);
      if (++answer.sent % kPullBurst == 0) std::this_thread::sleep_for(kPullPause);
    }
  }
  answer.next = slice.next;
  if (slice.more) return true;
  if (auto msg = answer.packer.Flush()) SendMessage(t, *msg);
  return false;
}

void SyncDaemon::RunBackup(Thread& t) {
  const uint8_t syncid = static_cast<uint8_t>(t.config.syncid);
  const sync::SyncKey* key = key_ ? &*key_ : nullptr;
  sync::ReplayWindow replay;
  if (pull_) {
    std::vector<uint8_t> req = sync::EncodePullRequest(sync::PullRequest{syncid, std::random_device{}()});
    if (key) req = key->Sign(req, sequencer_.Next());
    if (SendToGroup(t.fd, t.config, req.data(), req.size())) {
      backup_counters_.pulls_sent.fetch_add(1, std::memory_order_relaxed);
    } else {
      Log(LogLevel::kWarning, "sync backup: cannot send the pull request: %s", std::strerror(errno));
    }
  }
  std::vector<uint8_t> buf(kMaxDatagram);
  while (!t.stop.load(std::memory_order_relaxed)) {
    pollfd p{t.fd, POLLIN, 0};
    if (::poll(&p, 1, kBackupPollMs) <= 0) continue;
    net::IpAddr sender;
    ssize_t n = ReceiveFrom(t.fd, buf.data(), buf.size(), &sender);
    if (n <= 0) continue;
    sync::ReceivedDatagram d = sync::ReadDatagram(std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)),
                                                  syncid, sync::Authentication{key, &replay, sender});
    backup_counters_.datagrams[static_cast<int>(d.kind)].fetch_add(1, std::memory_order_relaxed);
    backup_counters_.entries_skipped.fetch_add(d.skipped, std::memory_order_relaxed);
    if (d.kind != sync::DatagramKind::kConns) continue;
    backup_counters_.conns_received.fetch_add(d.conns.size(), std::memory_order_relaxed);
    if (!data_plane_) continue;
    for (const core::SyncRecord& r : d.conns) {
      if (!data_plane_->PushSyncIn(r)) backup_counters_.handover_full.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

void SyncDaemon::LogMaster() const {
  const SyncMasterCounters& c = master_counters_;
  Log(LogLevel::kInfo,
      "sync master stopped: messages_sent=%llu conns_sent=%llu send_errors=%llu too_big=%llu pulls_answered=%llu "
      "pulls_limited=%llu",
      static_cast<unsigned long long>(c.messages_sent.load()), static_cast<unsigned long long>(c.conns_sent.load()),
      static_cast<unsigned long long>(c.send_errors.load()), static_cast<unsigned long long>(c.too_big.load()),
      static_cast<unsigned long long>(c.pulls_answered.load()),
      static_cast<unsigned long long>(c.pulls_limited.load()));
}

void SyncDaemon::LogBackup() const {
  const SyncBackupCounters& c = backup_counters_;
  std::string datagrams;
  for (int k = 0; k < sync::kDatagramKindCount; ++k) {
    datagrams += std::string(" ") + sync::DatagramKindName(static_cast<sync::DatagramKind>(k)) + "=" +
                 std::to_string(c.datagrams[static_cast<size_t>(k)].load());
  }
  Log(LogLevel::kInfo,
      "sync backup stopped: datagrams:%s conns_received=%llu entries_skipped=%llu handover_full=%llu pulls_sent=%llu",
      datagrams.c_str(), static_cast<unsigned long long>(c.conns_received.load()),
      static_cast<unsigned long long>(c.entries_skipped.load()),
      static_cast<unsigned long long>(c.handover_full.load()), static_cast<unsigned long long>(c.pulls_sent.load()));
}

}  // namespace ipvsd::daemon

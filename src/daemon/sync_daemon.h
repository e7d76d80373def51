// File: daemon/sync_daemon.h
//
// SyncDaemon runs the IPVS connection sync protocol (docs/sync.md): `ipvsadm --start-daemon
// master` starts a master thread, `--start-daemon backup` a backup thread; a director may run
// both (each director of a group backs up the others).
//  - Master: while it runs, workers queue the connections the kernel's rules pick
//    (core/sync_rules.h) into their SPSC queues; the thread drains them every few
//    milliseconds, packs version-1 messages of at most sync-maxlen bytes and multicasts each
//    when full, a partly filled one after kSyncFlushTime. With --sync-pull it also listens
//    for pull requests and answers one by sending the whole table, a slice at a time between
//    drains of the workers' queues; one answer at a time, at most one per
//    kPullAnswerInterval, and at most one per requester every 30 s.
//  - Backup: joins the group on the interface, checks and decodes each datagram
//    (sync/sync_receiver.h) and hands the connections to every worker's queue (a flow may
//    arrive on any worker after a takeover; core/conn.h). With --sync-pull it multicasts a
//    pull request when it starts.
// Counters are logged when a thread stops (ipvsadm --stop-daemon, SIGTERM).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "base/result.h"
#include "core/settings.h"
#include "ctl/handlers.h"
#include "sync/sync_auth.h"
#include "sync/sync_packer.h"
#include "sync/sync_receiver.h"

namespace ipvsd::daemon {

class DataPlane;

inline constexpr auto kPullAnswerInterval = std::chrono::seconds(5);

struct SyncMasterCounters {
  std::atomic<uint64_t> messages_sent{0};
  std::atomic<uint64_t> conns_sent{0};
  std::atomic<uint64_t> send_errors{0};
  std::atomic<uint64_t> too_big{0};         // a connection larger than sync-maxlen
  std::atomic<uint64_t> pulls_answered{0};
  std::atomic<uint64_t> pulls_limited{0};   // pull requests inside kPullAnswerInterval
};

struct SyncBackupCounters {
  std::array<std::atomic<uint64_t>, sync::kDatagramKindCount> datagrams{};  // by DatagramKind
  std::atomic<uint64_t> conns_received{0};
  std::atomic<uint64_t> entries_skipped{0};   // entries ipvsd cannot take (unknown options, PE data)
  std::atomic<uint64_t> handover_full{0};     // a worker's queue was full
  std::atomic<uint64_t> pulls_sent{0};
};

class SyncDaemon final : public ctl::SyncControl {
 public:
  explicit SyncDaemon(core::Settings& settings) : settings_(settings) {}
  ~SyncDaemon() override { StopAll(); }

  void AttachDataPlane(DataPlane* data_plane) { data_plane_ = data_plane; }
  // The extensions (docs/sync.md); before any Start().
  void Configure(std::optional<sync::SyncKey> key, bool pull) {
    key_ = std::move(key);
    pull_ = pull;
  }

  Status Start(const ctl::DaemonConfig& config) override;
  Status Stop(uint32_t state) override;
  // Stops whatever runs (shutdown).
  void StopAll();

  const SyncMasterCounters& master_counters() const { return master_counters_; }
  const SyncBackupCounters& backup_counters() const { return backup_counters_; }
  // Whether a master / a backup runs (any thread).
  bool master_running() const { return master_running_.load(std::memory_order_relaxed); }
  bool backup_running() const { return backup_running_.load(std::memory_order_relaxed); }

 private:
  struct Thread {
    ctl::DaemonConfig config;
    int fd = -1;       // master: the sender; backup: the receiver
    int pull_fd = -1;  // master with --sync-pull: listens for pull requests
    std::atomic<bool> stop{false};
    std::thread thread;
  };

  // The thread's body: RunMaster or RunBackup, stopping the thread alone on an exception.
  void RunGuarded(Thread& t);
  void RunMaster(Thread& t);
  void RunBackup(Thread& t);
  // The largest message the packer may build for `c`: sync-maxlen within UDP's limit, less the
  // HMAC tag under a key.
  size_t MessageMaxlen(const ctl::DaemonConfig& c) const;
  // A pull request being answered, a slice per round of the master's loop.
  struct PullAnswer {
    PullAnswer(uint8_t syncid, size_t maxlen) : packer(syncid, maxlen) {}
    sync::SyncPacker packer;
    ctl::ConnCursor next;
    size_t sent = 0;  // messages
  };

  void SendMessage(Thread& t, const std::vector<uint8_t>& msg);
  // Sends the next slice of the answer; false once it is complete.
  bool AnswerPullSlice(Thread& t, PullAnswer& answer);
  void Join(std::unique_ptr<Thread>& t);
  void LogMaster() const;
  void LogBackup() const;

  core::Settings& settings_;
  DataPlane* data_plane_ = nullptr;
  std::optional<sync::SyncKey> key_;
  sync::SyncSequencer sequencer_;  // numbers this director's signed datagrams
  bool pull_ = false;
  std::unique_ptr<Thread> master_;
  std::unique_ptr<Thread> backup_;
  std::atomic<bool> master_running_{false};
  std::atomic<bool> backup_running_{false};
  SyncMasterCounters master_counters_;
  SyncBackupCounters backup_counters_;
};

}  // namespace ipvsd::daemon

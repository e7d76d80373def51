// File: dataplane/worker.h
//
// Worker is one data-plane thread's pipeline, DPDK l3fwd's run-to-completion loop as an
// object: receive a burst, parse every frame, look its connection up (client side, then
// real-server side for NAT replies), on a miss find the virtual service and schedule a new
// connection, apply the state machine and counters, rewrite by forwarding method, fill in
// the next hop's MAC addresses, and hand the burst back as transmit / pass / drop.
// Each worker owns its ConnTable shard and timers: the connections whose client side hashes to
// it (dataplane/handoff.h). A packet that finds its connection here is handled with no lock; one
// that belongs to another worker is handed to it and comes back with its verdict. Persistence
// templates are shared by all workers (core/template_table.h). Configuration arrives as
// ServiceTable snapshots, checked once per burst. Before any lookup, frames the kernel would
// drop on receipt (bad IPv4 header checksum, martian addresses: net/rx_checks.h) are dropped;
// the resets and ICMP errors a worker sends are limited (dataplane/reply_limiter.h).
// With a flow offload below (io/flow_offload.h), the worker hands each established NAT or DR
// flow down after forwarding one of its packets, takes it back on a FIN or RST, on expiry or
// when its real server or next hop goes, and once a second reads what the forwarder did into
// the statistics, the timers and the sync master's queue (dataplane/offloaded_flows.h).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "base/clock.h"
#include "core/conn_sync.h"
#include "core/conn_table.h"
#include "core/proto_state.h"
#include "core/service_manager.h"
#include "core/settings.h"
#include "core/spsc_ring.h"
#include "core/table_defence.h"
#include "core/template_table.h"
#include "core/timeouts.h"
#include "dataplane/conn_listing.h"
#include "dataplane/counters.h"
#include "dataplane/handoff.h"
#include "dataplane/offloaded_flows.h"
#include "dataplane/reply_limiter.h"
#include "dataplane/verdict.h"
#include "io/packet_io.h"
#include "net/next_hop_cache.h"
#include "net/packet_view.h"
#include "net/route.h"

namespace ipvsd::dataplane {

// The hashed entries of `table` as a sync master sends them.
void AppendSyncRecords(const core::ConnTable& table, const core::Timeouts& timeouts,
                       std::vector<core::SyncRecord>* out);

class Worker {
 public:
  struct Options {
    int id = 0;                       // 0 .. core::kMaxWorkers-1: the stats shard it writes
    uint32_t conn_capacity = 1u << 16;
    // Keys the hashes of the worker's tables: random in production (RandomHashKey()), or
    // clients could aim their addresses at one bucket.
    HashKey hash_key{{0x1ee7, 0}};
    // Keys the SYN proxy's cookies (net/syn_cookie.h). One for the whole director: the ACK
    // that returns a cookie may reach another worker than the SYN it answered.
    HashKey syn_cookie_key{{0x5eed, 0}};
    // Where the connection table's entries live (core/conn_store.h); nullptr: anonymous
    // memory. Its capacity must be ConnTable::RoundCapacity(conn_capacity).
    core::ConnStore* conn_store = nullptr;
  };
  struct Env {
    const core::ServiceManager* services;
    const core::Timeouts* timeouts;
    const core::Settings* settings;
    core::Stats* total_stats;
    net::Router* router;
    const Clock* clock;
    // With other workers: the rings between them (Options::id is this worker's index there)
    // and the templates they share. nullptr: a worker alone, with templates of its own.
    Handoff* handoff = nullptr;
    core::TemplateTable* templates = nullptr;
    // Forwards established flows below user space; nullptr: every packet comes here.
    io::FlowOffload* flow_offload = nullptr;
  };

  Worker(const Options& options, const Env& env);

  // One poll: take back the frames other workers processed for this one and hand them to io;
  // process the frames other workers handed over; receive up to a burst from io, process it,
  // hand off what belongs elsewhere and return the rest to io; run the timers and posted
  // tasks. Returns the number of frames received and handled for others.
  size_t Poll(io::PacketIo& io);
  // Processes a burst in place: each frame gets a verdict, frames to transmit are rewritten
  // (with ifindex set to the output interface); Poll hands kHandoff frames to their owners.
  // Exposed for tests and benchmarks.
  void Process(std::span<net::Frame> frames, std::span<Verdict> verdicts);
  // Runs connection timers up to `now`.
  void RunTimers(Ticks now);

  // Runs f on this worker's thread at its next poll (listing, flushing, ...).
  void Post(std::function<void(Worker&)> f);
  // Connections of this shard (and the templates, when they are the worker's own); call on
  // the worker's thread (through Post) or when stopped.
  std::vector<ConnSnapshot> ListConns(Ticks now) const;

  // Connection sync. While a master runs (Settings::sync_master_running), the worker queues
  // the connections the sync rules pick (core/sync_rules.h) for the master thread, which
  // takes them with PopSyncOut; a full queue loses the record and counts it. The backup
  // thread hands received connections over with PushSyncIn; the worker installs them at its
  // next poll (core/conn_sync.h). One producer and one consumer per queue.
  static constexpr size_t kSyncQueueSize = 4096;
  size_t PopSyncOut(std::span<core::SyncRecord> out) { return sync_out_.PopMany(out); }
  bool PushSyncIn(const core::SyncRecord& r) { return sync_in_.TryPush(r); }
  // Installs what the backup thread handed over (Poll does it; exposed for tests).
  void InstallSynced(Ticks now);
  // Every connection of the shard (and template, when they are the worker's own) as the
  // master would send it (a backup's pull request); call on the worker's thread (through Post).
  std::vector<core::SyncRecord> SyncDump() const;

  core::ConnTable& conns() { return conns_; }
  const WorkerCounters& counters() const { return counters_; }
  // The ServiceTable generation this worker has loaded (ServiceManager::PurgeTrash).
  uint64_t seen_generation() const { return seen_generation_.load(std::memory_order_acquire); }
  int id() const { return id_; }

 private:
  // handed_in: frames another worker received, to be handled here whatever their hash.
  void ProcessBurst(std::span<net::Frame> frames, std::span<Verdict> verdicts, bool handed_in);
  // Frames the owners processed for this worker go out through io; frames other workers
  // handed over are processed and sent back. Return how many frames they moved.
  size_t TakeBack(io::PacketIo& io);
  size_t ServeHandedIn();
  // Returns a processed burst to io, or hands its kHandoff frames to their owners.
  void Dispatch(io::PacketIo& io, std::span<net::Frame> frames, std::span<const Verdict> verdicts);
  // A client side whose connections another worker owns (its index in handoff_owner_[i]).
  bool Elsewhere(const net::RawAddr& caddr, uint16_t cport);
  Verdict Handle(net::Frame& f, net::PacketView& v, uint32_t cursor, Ticks now);
  Verdict HandleIcmpError(net::Frame& f, net::PacketView& v, Ticks now);
  Verdict HandleNew(net::Frame& f, net::PacketView& v, const core::Service& svc, Ticks now);
  // A new connection of svc for the packet v (under the template lock when persistent), and
  // the verdict for the packet when none could be made: no real server, or a full table.
  core::ScheduleResult Schedule(const net::PacketView& v, const core::Service& svc, Ticks now);
  Verdict Unscheduled(net::Frame& f, const net::PacketView& v, core::ScheduleStatus status);
  Verdict ForwardIn(net::Frame& f, net::PacketView& v, core::ConnEntry* c, Ticks now, bool icmp);
  Verdict ForwardOut(net::Frame& f, net::PacketView& v, core::ConnEntry* c, Ticks now, bool icmp);
  // Sets the next hop's Ethernet addresses and the output interface.
  Verdict Transmit(net::Frame& f, const net::NextHop& hop);
  // Turns the frame into an ICMP error back to its sender, unless the reply limits hold it.
  Verdict ReplyIcmp(net::Frame& f, const net::PacketView& v, uint8_t type, uint8_t code, uint32_t mtu,
                    DropReason reason);
  // Whether the reply limits let one more reply of ours go to v's sender now (and charge it).
  bool MayReply(const net::PacketView& v);
  bool MayReplyTo(net::Family family, const net::RawAddr& addr);
  // The SYN proxy (docs/synproxy.md): whether it serves the service; a client's SYN answered
  // with a cookie; an ACK without a connection, opened if it returns a valid cookie; the real
  // server's SYN-ACK to a connection still opening.
  bool UsesSynproxy(const core::Service& svc) const;
  Verdict AnswerSynWithCookie(net::Frame& f, const net::PacketView& v);
  Verdict OpenFromCookie(net::Frame& f, net::PacketView& v, const core::Service& svc, Ticks now);
  Verdict ServerHandshakeReply(net::Frame& f, net::PacketView& v, core::ConnEntry* c, Ticks now);
  void RefreshTable();
  void RunTasks();
  // After a client packet of c: queue what the sync rules pick for the master (`pkts`: the
  // packet count the rules see).
  void QueueSync(core::ConnEntry& c, Ticks now, uint32_t pkts);
  // Flow offload: after a packet of c went out through hop, hand that direction down if it
  // may be; take c's flows back (their counters applied); apply what the forwarder counted
  // to c's statistics, packet count and expiry; once a second, read every offloaded flow and
  // take back those whose connection no longer holds.
  void MaybeOffload(const core::ConnEntry& c, FlowDir dir, const net::PacketView& v, const net::NextHop& hop,
                    Ticks now);
  void WithdrawFlows(core::ConnEntry& c, Ticks now);
  void ApplyFolded(core::ConnEntry& c, const FoldedFlow& folded, Ticks now);
  void SweepOffloaded(Ticks now);
  // After the Router changed: takes back the offloaded flows whose next hop is not the one
  // they were installed with any more.
  void RecheckOffloadedHops(Ticks now);
  // Once a second: the table-full defences' state from the shard's free entries, and
  // drop_entry's pass while it is on (core/table_defence.h).
  void RunDefence(Ticks now);
  // The TCP state table of the moment: the secure one while secure_tcp is on.
  core::TcpStateTable TcpTableNow() const;

  const int id_;
  Env env_;
  core::ConnTable conns_;
  std::unique_ptr<core::TemplateTable> own_templates_;  // a worker alone
  core::TemplateTable* templates_;
  Ticks templates_run_ = 0;  // the tick this worker last ran the templates' timers
  core::TableDefence defence_;
  core::EntryDropper entry_dropper_;
  Ticks defence_run_ = 0;  // the tick of the last RunDefence
  OffloadedFlows offloads_;
  Ticks offload_sweep_run_ = 0;      // the tick of the last SweepOffloaded
  uint64_t offload_table_generation_ = 0;  // the ServiceTable generation it saw
  Ticks offload_refused_until_ = 0;  // no install asked before this tick (the forwarder refused one)
  uint64_t offload_hops_generation_ = 0;  // the Router generation RecheckOffloadedHops last saw
  // Handoff: whether this burst may hand frames off (not when serving other workers), the
  // owner found for the frame at hand and for each frame of the burst, and the frames out at
  // each owner.
  bool may_hand_off_ = false;
  size_t owner_ = 0;
  uint8_t handoff_owner_[net::kMaxBurst] = {};
  uint32_t outstanding_[core::kMaxWorkers] = {};
  net::NextHopCache next_hops_;
  uint64_t now_ns_ = 0;  // the clock as the burst at hand began
  ReplyLimiter reply_limiter_;
  ReplyLimiter syn_cookie_limiter_;  // the SYN proxy's SYN-ACKs (Settings::synproxy_*)
  const HashKey syn_cookie_key_;
  std::shared_ptr<const core::ServiceTable> table_;
  std::atomic<uint64_t> seen_generation_{0};
  WorkerCounters counters_;
  std::atomic<bool> has_tasks_{false};
  std::mutex tasks_mu_;
  std::vector<std::function<void(Worker&)>> tasks_;
  core::SpscRing<core::SyncRecord, kSyncQueueSize> sync_out_;
  core::SpscRing<core::SyncRecord, kSyncQueueSize> sync_in_;
};

}  // namespace ipvsd::dataplane

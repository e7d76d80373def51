#include "dataplane/worker.h"

#include <cstring>

#include "core/conn_setup.h"
#include "core/proto_state.h"
#include "core/sync_rules.h"
#include "fwd/dr.h"
#include "fwd/nat.h"
#include "fwd/synproxy.h"
#include "fwd/tun.h"
#include "net/headers.h"
#include "net/icmp_error.h"
#include "net/partial_checksum.h"
#include "net/reply.h"
#include "net/rx_checks.h"
#include "net/syn_cookie.h"
#include "net/tcp_reset.h"

namespace ipvsd::dataplane {
namespace {

DropReason DropOf(net::ParseStatus s) {
  switch (s) {
    case net::ParseStatus::kTruncated: return DropReason::kTruncated;
    case net::ParseStatus::kBadIpHeader: return DropReason::kBadIpHeader;
    case net::ParseStatus::kBadL4Header: return DropReason::kBadL4Header;
    default: return DropReason::kFragment;
  }
}

DropReason DropOf(net::RxCheck c) {
  switch (c) {
    case net::RxCheck::kBadIpChecksum: return DropReason::kBadIpChecksum;
    case net::RxCheck::kMartianSource: return DropReason::kMartianSource;
    default: return DropReason::kMartianDestination;
  }
}

// Whether Parse's status leaves the IP header's fields valid (net/packet_view.h).
bool HasIpHeader(net::ParseStatus s) {
  return s == net::ParseStatus::kOk || s == net::ParseStatus::kFragment || s == net::ParseStatus::kBadL4Header;
}

bool IsV6(net::Family f) { return f == net::Family::kInet6; }

// Path MTU discovery is never rate limited: icmpv4_mask_allow ("Don't limit PMTU
// discovery") and ICMPv6's default ratemask, which leaves out Packet Too Big. A client that
// does not learn the path MTU stalls its connection for good.
bool IsPmtuError(net::Family f, uint8_t type, uint8_t code) {
  return IsV6(f) ? type == net::kIcmpv6PacketTooBig : type == net::kIcmpDestUnreach && code == net::kIcmpFragNeeded;
}

// A key of its own for each of the worker's tables, from the worker's key.
HashKey DeriveKey(const HashKey& key, uint64_t purpose) {
  return HashKey{{SipHash13Words(key, purpose, uint64_t{0}), SipHash13Words(key, purpose, uint64_t{1})}};
}

// A forwarded frame with offload state (AF_PACKET --gso) leaves with it: the kernel finishes
// its checksum, and cuts an aggregate into segments, from the partial field, which is redone
// here for the addresses the packet carries now.
void KeepOffload(net::Frame& f, const net::PacketView& v) {
  f.csum_offset = net::SetPartialL4Checksum(v);
  f.csum_partial = f.csum_offset != 0;
  f.csum_start = v.l4_offset;
}

// A frame turned into a reply of ours (ICMP error, TCP reset) is an ordinary packet.
void ClearOffload(net::Frame& f) {
  f.gso_size = 0;
  f.csum_partial = false;
}

}  // namespace

Worker::Worker(const Options& options, const Env& env)
    : id_(options.id),
      env_(env),
      conns_(options.conn_capacity, DeriveKey(options.hash_key, 1), env.clock->NowTicks(),
             core::ConnTable::Entries::kPrefaulted, options.conn_store),
      own_templates_(env.templates ? nullptr
                                   : std::make_unique<core::TemplateTable>(
                                         options.conn_capacity, DeriveKey(options.hash_key, 2), env.clock->NowTicks())),
      templates_(env.templates ? env.templates : own_templates_.get()),
      entry_dropper_(DeriveKey(options.hash_key, 4).k[0]),
      offloads_(env.flow_offload, conns_.capacity()),
      offload_hops_generation_(env.router ? env.router->generation() : 0),
      next_hops_(env.router),
      reply_limiter_(DeriveKey(options.hash_key, 3)),
      syn_cookie_limiter_(DeriveKey(options.hash_key, 5)),
      syn_cookie_key_(options.syn_cookie_key) {
  RefreshTable();
}

core::TcpStateTable Worker::TcpTableNow() const {
  return defence_.secure_tcp() ? core::TcpStateTable::kSecure : core::TcpStateTable::kNormal;
}

void Worker::RefreshTable() {
  if (table_ && env_.services->generation() == table_->generation()) return;
  table_ = env_.services->table();
  seen_generation_.store(table_->generation(), std::memory_order_release);
}

size_t Worker::Poll(io::PacketIo& io) {
  WorkerCounters::Bump(counters_.polls);
  size_t moved = 0;
  if (env_.handoff) moved = TakeBack(io) + ServeHandedIn();
  net::Frame frames[net::kMaxBurst];
  Verdict verdicts[net::kMaxBurst];
  size_t n = io.Receive(frames);
  if (n > 0) {
    Process(std::span(frames, n), std::span(verdicts, n));
    Dispatch(io, std::span(frames, n), std::span(verdicts, n));
  }
  Ticks now = env_.clock->NowTicks();
  InstallSynced(now);
  RunTimers(now);
  if (now - defence_run_ >= kTicksPerSecond) RunDefence(now);
  if (offloads_.enabled()) {
    if (env_.router->generation() != offload_hops_generation_) RecheckOffloadedHops(now);
    // A new configuration may have taken a real server away: its flows come back at once
    // (at most once a tick), not at the next once-a-second read.
    const bool reconfigured = env_.services->generation() != offload_table_generation_;
    if (now - offload_sweep_run_ >= kTicksPerSecond || (reconfigured && now != offload_sweep_run_)) {
      SweepOffloaded(now);
    }
  }
  counters_.connections.store(conns_.size(), std::memory_order_relaxed);
  if (has_tasks_.load(std::memory_order_acquire)) RunTasks();
  return n + moved;
}

void Worker::Dispatch(io::PacketIo& io, std::span<net::Frame> frames, std::span<const Verdict> verdicts) {
  net::Frame tx[net::kMaxBurst], pass[net::kMaxBurst], drop[net::kMaxBurst];
  size_t ntx = 0, npass = 0, ndrop = 0;
  uint32_t woken = 0;  // bit per owner handed a frame in this burst
  for (size_t i = 0; i < frames.size(); ++i) {
    switch (verdicts[i]) {
      case Verdict::kTx: tx[ntx++] = frames[i]; break;
      case Verdict::kPass: pass[npass++] = frames[i]; break;
      case Verdict::kDrop: drop[ndrop++] = frames[i]; break;
      case Verdict::kHandoff: {
        const size_t owner = handoff_owner_[i];
        if (outstanding_[owner] < Handoff::kRingSize &&
            env_.handoff->ToOwner(static_cast<size_t>(id_), owner).TryPush(HandedFrame{frames[i], Verdict::kDrop})) {
          ++outstanding_[owner];
          woken |= 1u << owner;
          WorkerCounters::Bump(counters_.handed_off);
        } else {
          counters_.Drop(DropReason::kHandoffFull);
          drop[ndrop++] = frames[i];
        }
        break;
      }
    }
  }
  for (size_t owner = 0; woken; ++owner, woken >>= 1) {
    if (woken & 1) env_.handoff->Wake(owner);
  }
  if (ntx) io.Send(std::span(tx, ntx));
  if (npass) io.Pass(std::span(pass, npass));
  if (ndrop) io.Drop(std::span(drop, ndrop));
}

size_t Worker::TakeBack(io::PacketIo& io) {
  size_t moved = 0;
  const size_t self = static_cast<size_t>(id_);
  for (size_t owner = 0; owner < env_.handoff->workers(); ++owner) {
    if (owner == self) continue;
    Handoff::Ring& ring = env_.handoff->ToOrigin(owner, self);
    if (ring.Empty()) continue;
    HandedFrame back[net::kMaxBurst];
    size_t n = ring.PopMany(back);
    outstanding_[owner] -= static_cast<uint32_t>(n);
    net::Frame frames[net::kMaxBurst];
    Verdict verdicts[net::kMaxBurst];
    for (size_t i = 0; i < n; ++i) {
      frames[i] = back[i].frame;
      verdicts[i] = back[i].verdict;
    }
    Dispatch(io, std::span(frames, n), std::span(verdicts, n));
    moved += n;
  }
  return moved;
}

size_t Worker::ServeHandedIn() {
  size_t moved = 0;
  const size_t self = static_cast<size_t>(id_);
  for (size_t origin = 0; origin < env_.handoff->workers(); ++origin) {
    if (origin == self) continue;
    Handoff::Ring& ring = env_.handoff->ToOwner(origin, self);
    if (ring.Empty()) continue;
    HandedFrame in[net::kMaxBurst];
    size_t n = ring.PopMany(in);
    net::Frame frames[net::kMaxBurst];
    Verdict verdicts[net::kMaxBurst];
    for (size_t i = 0; i < n; ++i) frames[i] = in[i].frame;
    ProcessBurst(std::span(frames, n), std::span(verdicts, n), true);
    Handoff::Ring& back = env_.handoff->ToOrigin(self, origin);
    for (size_t i = 0; i < n; ++i) {
      // Never full: the origin has at most kRingSize frames out here (Dispatch).
      [[maybe_unused]] bool pushed = back.TryPush(HandedFrame{frames[i], verdicts[i]});
    }
    env_.handoff->Wake(origin);
    WorkerCounters::Bump(counters_.handed_in, n);
    moved += n;
  }
  return moved;
}

bool Worker::Elsewhere(const net::RawAddr& caddr, uint16_t cport) {
  if (!may_hand_off_) return false;
  owner_ = env_.handoff->OwnerOf(caddr, cport);
  return owner_ != static_cast<size_t>(id_);
}

void Worker::Process(std::span<net::Frame> frames, std::span<Verdict> verdicts) {
  ProcessBurst(frames, verdicts, false);
}

void Worker::ProcessBurst(std::span<net::Frame> frames, std::span<Verdict> verdicts, bool handed_in) {
  // What another worker handed over is at home here, whatever the hash says.
  may_hand_off_ = !handed_in && env_.handoff && env_.handoff->workers() > 1;
  RefreshTable();
  next_hops_.Refresh();
  now_ns_ = env_.clock->NowNs();
  const auto now = static_cast<Ticks>(now_ns_ / kNsPerTick);
  net::PacketView views[net::kMaxBurst];
  net::ParseStatus status[net::kMaxBurst];
  net::RxCheck checks[net::kMaxBurst];
  uint64_t hashes[net::kMaxBurst];
  uint32_t cursors[net::kMaxBurst];
  size_t n = frames.size() < net::kMaxBurst ? frames.size() : net::kMaxBurst;
  // The connection lookups of a burst go in stages so that their cache misses overlap:
  // parse and hash every frame, prefetching its bucket; then prefetch every bucket's first
  // entry; then step past first entries that are not the packet's connection, prefetching
  // the next; then handle each frame, whose lines are by now on their way or in cache.
  auto looked_up = [&](size_t i) {
    return status[i] == net::ParseStatus::kOk && checks[i] == net::RxCheck::kOk && !views[i].icmp_error;
  };
  for (size_t i = 0; i < n; ++i) {
    status[i] = net::Parse(frames[i].data(), frames[i].len, &views[i]);
    views[i].gso_size = frames[i].gso_size;
    // What the kernel drops on receipt, before it reaches any hook, goes before any lookup.
    checks[i] = HasIpHeader(status[i]) ? net::CheckReceived(views[i]) : net::RxCheck::kOk;
    if (looked_up(i)) {
      const net::PacketView& v = views[i];
      hashes[i] = conns_.HashIn(v.family, v.protocol, v.src, v.sport, v.dst, v.dport);
      conns_.PrefetchBucket(hashes[i]);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (!looked_up(i)) continue;
    cursors[i] = conns_.InChain(hashes[i]);
    conns_.PrefetchEntry(cursors[i]);
  }
  for (size_t i = 0; i < n; ++i) {
    if (!looked_up(i)) continue;
    const net::PacketView& v = views[i];
    cursors[i] = conns_.SkipIn(cursors[i], v.family, v.protocol, v.src, v.sport, v.dst, v.dport);
  }
  // Frames handed over by other workers were counted by the worker that received them.
  if (!handed_in) WorkerCounters::Bump(counters_.rx, n);
  const uint64_t staged = conns_.changes();
  for (size_t i = 0; i < n; ++i) {
    Verdict verdict;
    if (checks[i] != net::RxCheck::kOk) {
      counters_.Drop(DropOf(checks[i]));
      verdict = Verdict::kDrop;
    } else if (status[i] == net::ParseStatus::kOk) {
      // An earlier packet of the burst made or removed a connection: the staged cursor may miss
      // it, the bucket's chain as it is now does not.
      if (looked_up(i) && conns_.changes() != staged) cursors[i] = conns_.InChain(hashes[i]);
      verdict = Handle(frames[i], views[i], cursors[i], now);
    } else if (status[i] == net::ParseStatus::kNotIp) {
      verdict = Verdict::kPass;
    } else {
      counters_.Drop(DropOf(status[i]));
      verdict = Verdict::kDrop;
    }
    verdicts[i] = verdict;
    if (verdict == Verdict::kTx) WorkerCounters::Bump(counters_.tx);
    if (verdict == Verdict::kPass) WorkerCounters::Bump(counters_.passed);
    if (verdict == Verdict::kHandoff) handoff_owner_[i] = static_cast<uint8_t>(owner_);
  }
  conns_.LinkPendingOut();
}

Verdict Worker::Handle(net::Frame& f, net::PacketView& v, uint32_t cursor, Ticks now) {
  if (v.icmp_error) return HandleIcmpError(f, v, now);
  core::ConnEntry* c = conns_.FindInFrom(cursor, v.family, v.protocol, v.src, v.sport, v.dst, v.dport);
  if (c) {
    // conn_reuse_mode / expire_nodest_conn (ip_vs_in): a SYN over a finished connection, or
    // over one whose real server is gone, starts a new connection instead.
    int reuse = env_.settings->conn_reuse_mode.load(std::memory_order_relaxed);
    if (reuse && c->control == core::kNoIndex && core::IsNewConnPacket(v)) {
      bool dest_gone = c->dest && !c->dest->available() &&
                       env_.settings->expire_nodest_conn.load(std::memory_order_relaxed);
      bool finished = false;
      if (c->protocol == net::kProtoTcp) {
        auto s = static_cast<core::TcpState>(c->state);
        finished = s == core::TcpState::kTimeWait || s == core::TcpState::kClose ||
                   ((reuse & 2) && s == core::TcpState::kFinWait && (c->flags & core::kConnNoOutput));
      } else if (c->protocol == net::kProtoSctp) {
        finished = static_cast<core::SctpState>(c->state) == core::SctpState::kClosed;
      }
      const core::Service* svc = table_->Find(f.mark, v.family, v.protocol, v.dst, v.dport);
      if (svc && (dest_gone || finished)) {
        core::ExpireConnNow(conns_, c, now);
        if (v.protocol == net::kProtoTcp && UsesSynproxy(*svc)) return AnswerSynWithCookie(f, v);
        return HandleNew(f, v, *svc, now);
      }
    }
    // The SYN proxy opens the real server's side first; the client retransmits.
    if (c->flags & core::kConnSynproxyPending) {
      counters_.Drop(DropReason::kSynproxyPending);
      return Verdict::kDrop;
    }
    return ForwardIn(f, v, c, now, false);
  }
  // A packet to a virtual service is never a NAT reply (kernel IPVS sees the two at different
  // hooks: LOCAL_IN for the VIP, FORWARD for replies), so the real-server-side lookup is only
  // for the rest.
  if (const core::Service* svc = table_->Find(f.mark, v.family, v.protocol, v.dst, v.dport)) {
    const bool synproxy = v.protocol == net::kProtoTcp && UsesSynproxy(*svc);
    const uint8_t handshake = v.tcp_flags & (net::kTcpSyn | net::kTcpAck | net::kTcpRst);
    // A cookie keeps no state, so whichever worker a SYN reaches answers it.
    if (synproxy && handshake == net::kTcpSyn) return AnswerSynWithCookie(f, v);
    if (Elsewhere(v.src, v.sport)) return Verdict::kHandoff;
    if (synproxy && handshake == net::kTcpAck) return OpenFromCookie(f, v, *svc, now);
    return HandleNew(f, v, *svc, now);
  }
  c = conns_.FindOut(v.family, v.protocol, v.src, v.sport, v.dst, v.dport);
  if (c) return ForwardOut(f, v, c, now, false);
  // A NAT reply's client is its destination.
  if (Elsewhere(v.dst, v.dport)) return Verdict::kHandoff;
  return Verdict::kPass;  // neither ours nor a reply: the kernel's business
}

Verdict Worker::HandleNew(net::Frame& f, net::PacketView& v, const core::Service& svc, Ticks now) {
  // Sloppy: a mid-stream packet of a flow this director has not seen (another director had it
  // until the router rehashed) is scheduled like a first packet.
  const bool sloppy_svc = svc.config.flags & core::kSvcSloppy;
  if (!core::MayCreateConn(v, sloppy_svc || env_.settings->sloppy_tcp.load(std::memory_order_relaxed),
                           sloppy_svc || env_.settings->sloppy_sctp.load(std::memory_order_relaxed))) {
    // ip_vs_in leaves such packets to the local stack, which has no socket for them and
    // answers a stray TCP segment with a reset; so does ipvsd (the kernel never sees them:
    // the backends keep service traffic from it).
    if (net::MayReset(v) && !MayReply(v)) {
      counters_.Drop(DropReason::kReplyRateLimited);
      return Verdict::kDrop;
    }
    counters_.Drop(DropReason::kNotNewConn);
    ClearOffload(f);
    if (!net::BuildTcpReset(f, v)) return Verdict::kDrop;
    WorkerCounters::Bump(counters_.resets_sent);
    return Verdict::kTx;
  }
  if (defence_.DropNewConnPacket()) {
    counters_.Drop(DropReason::kDefenceDropPacket);
    return Verdict::kDrop;
  }
  core::ScheduleResult r = Schedule(v, svc, now);
  if (r.status != core::ScheduleStatus::kOk) return Unscheduled(f, v, r.status);
  if (r.conn->fwd() == core::FwdMethod::kMasq) {
    // The replies will go back to this client: have its next hop resolved while the real
    // server answers, so that the first reply is not the packet that waits for ARP/ND.
    net::NextHop back;
    next_hops_.Lookup(v.family, v.src, &back);
  }
  Verdict verdict = ForwardIn(f, v, r.conn, now, false);
  if (r.conn->flags & core::kConnOnePacket) {
    auto lock = templates_->LockIf(r.conn->control != core::kNoIndex);
    core::ReleaseOnePacketConn(conns_, templates_->table(), r.conn);
  }
  return verdict;
}

core::ScheduleResult Worker::Schedule(const net::PacketView& v, const core::Service& svc, Ticks now) {
  auto lock = templates_->LockIf(svc.config.persistent());
  return core::ScheduleConn(conns_, templates_->table(), svc, v, *env_.settings, now, id_, *env_.total_stats);
}

Verdict Worker::Unscheduled(net::Frame& f, const net::PacketView& v, core::ScheduleStatus status) {
  if (status == core::ScheduleStatus::kNoDest) {
    // ip_vs_leave: "the destination is unreachable" as ICMP port unreachable, whatever the
    // protocol (no TCP socket exists to send a RST).
    return IsV6(v.family) ? ReplyIcmp(f, v, net::kIcmpv6DestUnreach, net::kIcmpv6PortUnreach, 0, DropReason::kNoDest)
                          : ReplyIcmp(f, v, net::kIcmpDestUnreach, net::kIcmpPortUnreach, 0, DropReason::kNoDest);
  }
  counters_.Drop(DropReason::kTableFull);
  return Verdict::kDrop;
}

Verdict Worker::HandleIcmpError(net::Frame& f, net::PacketView& v, Ticks now) {
  const net::InnerPacket& in = v.inner;
  // An error from the client side about a packet we sent it (a NAT reply, quoted as
  // vip:vport -> client:cport): it belongs to the connection's client side.
  core::ConnEntry* c = conns_.FindIn(in.family, in.protocol, in.dst, in.dport, in.src, in.sport);
  if (c) return ForwardIn(f, v, c, now, true);
  // An error from the real-server side about a packet the client sent (quoted as
  // client:cport -> rs:dport).
  c = conns_.FindOut(in.family, in.protocol, in.dst, in.dport, in.src, in.sport);
  if (c) return ForwardOut(f, v, c, now, true);
  // Not here: the connection's client is the quoted packet's destination when that packet
  // came from a virtual service, else its source.
  if (may_hand_off_) {
    const bool to_client = table_->Find(f.mark, in.family, in.protocol, in.src, in.sport) != nullptr;
    if (to_client ? Elsewhere(in.dst, in.dport) : Elsewhere(in.src, in.sport)) return Verdict::kHandoff;
  }
  return Verdict::kPass;
}

Verdict Worker::ForwardIn(net::Frame& f, net::PacketView& v, core::ConnEntry* c, Ticks now, bool icmp) {
  core::Dest* d = c->dest;
  if (!d || !d->available()) {
    if (d && env_.settings->expire_nodest_conn.load(std::memory_order_relaxed)) core::ExpireConnNow(conns_, c, now);
    counters_.Drop(DropReason::kDestUnavailable);
    return Verdict::kDrop;
  }
  if (!icmp) {
    core::UpdateConnState(*c, core::Direction::kInput, v, *env_.timeouts, now, TcpTableNow());
    ++c->in_pkts;
    // A SYN proxy connection is never synced: a backup could not translate its sequence numbers.
    if (env_.settings->sync_master_running.load(std::memory_order_relaxed) && !(c->flags & core::kConnSynproxy)) {
      QueueSync(*c, now, c->in_pkts);
    }
    if (offloads_.any(conns_.IndexOf(c)) && !OffloadedFlows::Offloadable(*c, FlowDir::kIn, v)) WithdrawFlows(*c, now);
  }
  d->stats().AddIn(id_, v.l3_len());
  if (core::Stats* ss = d->service_stats()) ss->AddIn(id_, v.l3_len());
  env_.total_stats->AddIn(id_, v.l3_len());

  net::NextHop hop;
  if (!next_hops_.Lookup(c->daf, c->daddr, &hop)) {
    counters_.Drop(DropReason::kNoRoute);
    return Verdict::kDrop;
  }
  if (!icmp && !f.offloaded() && net::CompletePartialChecksum(v)) {
    WorkerCounters::Bump(counters_.checksums_completed);
  }
  uint32_t mtu_report = 0;
  fwd::FwdStatus st;
  switch (c->fwd()) {
    case core::FwdMethod::kMasq:
      if (!icmp && (c->flags & (core::kConnSynproxy | core::kConnSynproxyPending)) == core::kConnSynproxy) {
        fwd::TranslateIn(v, *c);
      }
      st = icmp ? fwd::NatIcmpIn(v, *c) : fwd::NatIn(v, *c, hop.mtu, &mtu_report);
      break;
    case core::FwdMethod::kTunnel:
      // virtio-net headers cannot ask the kernel to cut an aggregate inside a tunnel.
      if (f.gso_size) {
        counters_.Drop(DropReason::kAggregateToTunnel);
        return Verdict::kDrop;
      }
      if (f.csum_partial) {
        net::FinishL4Checksum(v);
        f.csum_partial = false;
      }
      st = fwd::TunXmit(f, v, *c, *d, hop.src_addr, hop.mtu, &mtu_report);
      break;
    case core::FwdMethod::kLocal:
      return Verdict::kPass;
    case core::FwdMethod::kRoute:
    default:
      st = fwd::DrXmit(v, hop.mtu, &mtu_report);
      break;
  }
  switch (st) {
    case fwd::FwdStatus::kOk:
      break;
    case fwd::FwdStatus::kTooBig:
      return IsV6(v.family) ? ReplyIcmp(f, v, net::kIcmpv6PacketTooBig, 0, mtu_report, DropReason::kTooBig)
                            : ReplyIcmp(f, v, net::kIcmpDestUnreach, net::kIcmpFragNeeded, mtu_report, DropReason::kTooBig);
    case fwd::FwdStatus::kTtlExceeded:
      return IsV6(v.family) ? ReplyIcmp(f, v, net::kIcmpv6TimeExceeded, 0, 0, DropReason::kTtlExceeded)
                            : ReplyIcmp(f, v, net::kIcmpTimeExceeded, 0, 0, DropReason::kTtlExceeded);
    case fwd::FwdStatus::kNoHeadroom:
      counters_.Drop(DropReason::kNoHeadroom);
      return Verdict::kDrop;
    default:
      counters_.Drop(DropReason::kUnsupported);
      return Verdict::kDrop;
  }
  if (f.offloaded()) KeepOffload(f, v);
  if (!icmp && offloads_.enabled()) MaybeOffload(*c, FlowDir::kIn, v, hop, now);
  return Transmit(f, hop);
}

Verdict Worker::ForwardOut(net::Frame& f, net::PacketView& v, core::ConnEntry* c, Ticks now, bool icmp) {
  if (!icmp && (c->flags & core::kConnSynproxyPending)) {
    if (!(v.tcp_flags & net::kTcpRst)) return ServerHandshakeReply(f, v, c, now);
    // The real server refused the connection: the client, which believes it open, is reset.
    if (!MayReplyTo(c->af, c->caddr)) {
      counters_.Drop(DropReason::kReplyRateLimited);
      return Verdict::kDrop;
    }
    WorkerCounters::Bump(counters_.resets_sent);
  }
  if (!icmp) {
    core::UpdateConnState(*c, core::Direction::kOutput, v, *env_.timeouts, now, TcpTableNow());
    if (offloads_.any(conns_.IndexOf(c)) && !OffloadedFlows::Offloadable(*c, FlowDir::kOut, v)) WithdrawFlows(*c, now);
  }
  if (c->dest) {
    c->dest->stats().AddOut(id_, v.l3_len());
    if (core::Stats* ss = c->dest->service_stats()) ss->AddOut(id_, v.l3_len());
  }
  env_.total_stats->AddOut(id_, v.l3_len());
  net::NextHop hop;
  if (!next_hops_.Lookup(c->af, c->caddr, &hop)) {
    counters_.Drop(DropReason::kNoRoute);
    return Verdict::kDrop;
  }
  if (!icmp && !f.offloaded() && net::CompletePartialChecksum(v)) {
    WorkerCounters::Bump(counters_.checksums_completed);
  }
  uint32_t mtu_report = 0;
  if (!icmp && (c->flags & core::kConnSynproxy)) fwd::TranslateOut(v, *c);
  fwd::FwdStatus st = icmp ? fwd::NatIcmpOut(v, *c) : fwd::NatOut(v, *c, hop.mtu, &mtu_report);
  if (st == fwd::FwdStatus::kTooBig) {
    return IsV6(v.family) ? ReplyIcmp(f, v, net::kIcmpv6PacketTooBig, 0, mtu_report, DropReason::kTooBig)
                          : ReplyIcmp(f, v, net::kIcmpDestUnreach, net::kIcmpFragNeeded, mtu_report, DropReason::kTooBig);
  }
  if (st == fwd::FwdStatus::kTtlExceeded) {
    return IsV6(v.family) ? ReplyIcmp(f, v, net::kIcmpv6TimeExceeded, 0, 0, DropReason::kTtlExceeded)
                          : ReplyIcmp(f, v, net::kIcmpTimeExceeded, 0, 0, DropReason::kTtlExceeded);
  }
  if (st != fwd::FwdStatus::kOk) {
    counters_.Drop(DropReason::kUnsupported);
    return Verdict::kDrop;
  }
  if (f.offloaded()) KeepOffload(f, v);
  if (!icmp && offloads_.enabled()) MaybeOffload(*c, FlowDir::kOut, v, hop, now);
  return Transmit(f, hop);
}

Verdict Worker::Transmit(net::Frame& f, const net::NextHop& hop) {
  auto* eth = net::HeaderAt<net::EthHdr>(f.data());
  eth->dst = hop.dst_mac;
  eth->src = hop.src_mac;
  f.ifindex = hop.ifindex;
  return Verdict::kTx;
}

Verdict Worker::ReplyIcmp(net::Frame& f, const net::PacketView& v, uint8_t type, uint8_t code, uint32_t mtu,
                          DropReason reason) {
  // Only an error that would go out is charged (icmp_send checks what it may answer first).
  if (!IsPmtuError(v.family, type, code) && net::MayAnswer(v) && !MayReply(v)) {
    counters_.Drop(DropReason::kReplyRateLimited);
    return Verdict::kDrop;
  }
  counters_.Drop(reason);
  ClearOffload(f);
  if (!net::BuildIcmpError(f, v, type, code, mtu)) return Verdict::kDrop;
  WorkerCounters::Bump(counters_.icmp_sent);
  return Verdict::kTx;  // back out of the interface it came in on, MACs swapped
}

bool Worker::MayReply(const net::PacketView& v) { return MayReplyTo(v.family, v.src); }

bool Worker::MayReplyTo(net::Family family, const net::RawAddr& addr) {
  const auto workers = static_cast<uint32_t>(env_.handoff ? env_.handoff->workers() : 1);
  return reply_limiter_.Allow(family, addr, now_ns_, ReplyLimits::From(*env_.settings, workers));
}

bool Worker::UsesSynproxy(const core::Service& svc) const {
  if (svc.config.flags & core::kSvcSynproxy) return true;
  return env_.settings->synproxy.load(std::memory_order_relaxed) && svc.SynproxyCapable();
}

Verdict Worker::AnswerSynWithCookie(net::Frame& f, const net::PacketView& v) {
  if (!net::MayAnswer(v)) {
    counters_.Drop(DropReason::kUnsupported);
    return Verdict::kDrop;
  }
  // A SYN-ACK is a reply of ours like a reset: forged sources must not turn the director into
  // a reflector. It has limits of its own: under the ICMP ones a flood would leave no answer
  // for the real clients.
  const auto workers = static_cast<uint32_t>(env_.handoff ? env_.handoff->workers() : 1);
  if (!syn_cookie_limiter_.Allow(v.family, v.src, now_ns_, ReplyLimits::ForSynCookies(*env_.settings, workers))) {
    counters_.Drop(DropReason::kReplyRateLimited);
    return Verdict::kDrop;
  }
  ClearOffload(f);
  if (fwd::AnswerSyn(f, v, syn_cookie_key_, now_ns_) == 0) {
    counters_.Drop(DropReason::kNoHeadroom);
    return Verdict::kDrop;
  }
  WorkerCounters::Bump(counters_.syn_cookies_sent);
  return Verdict::kTx;  // back out of the interface it came in on, MACs swapped
}

Verdict Worker::OpenFromCookie(net::Frame& f, net::PacketView& v, const core::Service& svc, Ticks now) {
  const auto* tcp = net::HeaderAt<net::TcpHdr>(v.l4());
  const net::CookieTuple tuple{v.family, v.src, v.dst, v.sport, v.dport};
  const std::optional<net::TcpOptions> client = net::RedeemSynCookie(
      syn_cookie_key_, tuple, tcp->seq.get(), tcp->ack_seq.get(), net::ParseTcpOptions(tcp), now_ns_);
  if (!client) {
    counters_.Drop(DropReason::kSynCookieInvalid);
    return Verdict::kDrop;
  }
  core::ScheduleResult r = Schedule(v, svc, now);
  if (r.status != core::ScheduleStatus::kOk) return Unscheduled(f, v, r.status);
  ClearOffload(f);
  net::PacketView syn;
  // A real server switched away from NAT since the check is left to time out unused.
  if (r.conn->fwd() != core::FwdMethod::kMasq || fwd::OpenToServer(f, v, *client, *r.conn) == 0 ||
      net::Parse(f.data(), f.len, &syn) != net::ParseStatus::kOk) {
    counters_.Drop(DropReason::kUnsupported);
    return Verdict::kDrop;
  }
  WorkerCounters::Bump(counters_.synproxy_opened);
  // As HandleNew: the client's next hop resolved while the real server answers.
  net::NextHop back;
  next_hops_.Lookup(v.family, v.src, &back);
  return ForwardIn(f, syn, r.conn, now, false);
}

Verdict Worker::ServerHandshakeReply(net::Frame& f, net::PacketView& v, core::ConnEntry* c, Ticks now) {
  if ((v.tcp_flags & (net::kTcpSyn | net::kTcpAck)) != (net::kTcpSyn | net::kTcpAck)) {
    counters_.Drop(DropReason::kSynproxyPending);
    return Verdict::kDrop;
  }
  // The SYN-ACK never reaches the client (it had the director's): it becomes the ACK the
  // client would send, which takes the inbound path, translated, to the real server.
  ClearOffload(f);
  net::PacketView ack;
  if (fwd::CompleteHandshake(f, v, *c) == 0 || net::Parse(f.data(), f.len, &ack) != net::ParseStatus::kOk) {
    counters_.Drop(DropReason::kUnsupported);
    return Verdict::kDrop;
  }
  return ForwardIn(f, ack, c, now, false);
}

void Worker::QueueSync(core::ConnEntry& c, Ticks now, uint32_t pkts) {
  core::SyncParams params = core::SyncParams::From(*env_.settings);
  // ip_vs_in: a one-packet connection counts as at the threshold (it is not sent itself).
  if (c.flags & core::kConnOnePacket) pkts = static_cast<uint32_t>(params.threshold);
  auto lock = templates_->LockIf(c.control != core::kNoIndex);
  core::SyncPick pick = core::PickForSync(templates_->table(), c, pkts, *env_.timeouts, now, params);
  auto queue = [&](const core::ConnEntry& e) {
    if (sync_out_.TryPush(core::MakeSyncRecord(e, core::EntryTimeout(e, *env_.timeouts)))) {
      WorkerCounters::Bump(counters_.sync_queued);
    } else {
      WorkerCounters::Bump(counters_.sync_queue_full);
    }
  };
  if (pick.conn) queue(c);
  if (pick.tmpl) queue(*pick.tmpl);
}

void Worker::InstallSynced(Ticks now) {
  // Every poll comes here: without a backup running, only this look.
  if (sync_in_.Empty()) return;
  RefreshTable();
  int threshold = env_.settings->sync_threshold.load(std::memory_order_relaxed);
  std::lock_guard lock(templates_->mutex());
  core::SyncRecord batch[net::kMaxBurst];
  // Up to a whole ring per poll: a master answering a pull request sends far more than one
  // batch per idle wait of the worker.
  for (size_t done = 0; done < sync_in_.capacity();) {
    size_t n = sync_in_.PopMany(batch);
    if (n == 0) break;
    for (size_t i = 0; i < n; ++i) {
      core::InstallResult r = core::InstallSyncConn(conns_, templates_->table(), *table_, batch[i], *env_.timeouts,
                                                    threshold, now);
      WorkerCounters::Bump(counters_.sync_installs[static_cast<int>(r)]);
    }
    done += n;
  }
}

std::vector<core::SyncRecord> Worker::SyncDump() const {
  std::vector<core::SyncRecord> out;
  AppendSyncRecords(conns_, *env_.timeouts, &out);
  if (own_templates_) {
    std::lock_guard lock(own_templates_->mutex());
    AppendSyncRecords(own_templates_->table(), *env_.timeouts, &out);
  }
  return out;
}

void Worker::MaybeOffload(const core::ConnEntry& c, FlowDir dir, const net::PacketView& v, const net::NextHop& hop,
                          Ticks now) {
  if (!OffloadedFlows::Offloadable(c, dir, v)) return;
  // A forwarder that refused one (its table full) is asked again a second later, not at every
  // packet: each ask is a system call.
  if (static_cast<int32_t>(offload_refused_until_ - now) > 0) return;
  switch (offloads_.Install(c, conns_.IndexOf(&c), dir, hop, v)) {
    case OffloadedFlows::InstallResult::kInstalled: WorkerCounters::Bump(counters_.flows_offloaded); break;
    case OffloadedFlows::InstallResult::kRefused: offload_refused_until_ = now + kTicksPerSecond; break;
    case OffloadedFlows::InstallResult::kAlready: break;
  }
}

void Worker::WithdrawFlows(core::ConnEntry& c, Ticks now) {
  uint32_t withdrawn = 0;
  ApplyFolded(c, offloads_.Withdraw(c, conns_.IndexOf(&c), &withdrawn), now);
  WorkerCounters::Bump(counters_.flows_withdrawn, withdrawn);
}

void Worker::ApplyFolded(core::ConnEntry& c, const FoldedFlow& folded, Ticks now) {
  const int in = static_cast<int>(FlowDir::kIn), out = static_cast<int>(FlowDir::kOut);
  WorkerCounters::Bump(counters_.offloaded_packets, folded.packets[in] + folded.packets[out]);
  if (folded.packets[in]) {
    if (c.dest) {
      c.dest->stats().AddIn(id_, folded.packets[in], folded.bytes[in]);
      if (core::Stats* ss = c.dest->service_stats()) ss->AddIn(id_, folded.packets[in], folded.bytes[in]);
    }
    env_.total_stats->AddIn(id_, folded.packets[in], folded.bytes[in]);
    const uint32_t before = c.in_pkts;
    c.in_pkts += static_cast<uint32_t>(folded.packets[in]);
    // The sync rules count client packets one by one (pkts % period == threshold): ask them
    // with the count at which the last such packet went by, if one did.
    if (env_.settings->sync_master_running.load(std::memory_order_relaxed)) {
      const core::SyncParams p = core::SyncParams::From(*env_.settings);
      const auto period = static_cast<uint32_t>(p.period > 0 ? p.period : 1);
      const auto threshold = static_cast<uint32_t>(p.threshold) % period;
      // The last count k <= in_pkts with k % period == threshold.
      const uint32_t last_match = c.in_pkts < threshold ? 0 : c.in_pkts - (c.in_pkts - threshold) % period;
      if (last_match > before) QueueSync(c, now, last_match);
    }
  }
  if (folded.packets[out]) {
    if (c.dest) {
      c.dest->stats().AddOut(id_, folded.packets[out], folded.bytes[out]);
      if (core::Stats* ss = c.dest->service_stats()) ss->AddOut(id_, folded.packets[out], folded.bytes[out]);
    }
    env_.total_stats->AddOut(id_, folded.packets[out], folded.bytes[out]);
  }
  if (folded.idle_ns != UINT64_MAX && (c.flags & core::kConnHashed)) {
    // Renewed as the packets the forwarder saw would have renewed it: its timeout from the last.
    const uint64_t idle_ticks = folded.idle_ns / kNsPerTick;
    const Ticks last_seen = idle_ticks >= now ? 0 : now - static_cast<Ticks>(idle_ticks);
    const Ticks until = last_seen + core::EntryTimeout(c, *env_.timeouts);
    if (static_cast<int32_t>(until - c.expires) > 0) c.expires = until;
  }
}

void Worker::RecheckOffloadedHops(Ticks now) {
  offload_hops_generation_ = env_.router->generation();
  next_hops_.Refresh();
  auto hop_of = [&](net::Family family, const net::RawAddr& addr, net::NextHop* hop) {
    return next_hops_.Lookup(family, addr, hop);
  };
  conns_.ForEach([&](const core::ConnEntry& e) {
    const uint32_t index = conns_.IndexOf(&e);
    if (offloads_.any(index) && !offloads_.SameNextHops(e, index, hop_of)) WithdrawFlows(*conns_.At(index), now);
  });
}

void Worker::SweepOffloaded(Ticks now) {
  offload_sweep_run_ = now;
  offload_table_generation_ = env_.services->generation();
  conns_.ForEach([&](const core::ConnEntry& e) {
    const uint32_t index = conns_.IndexOf(&e);
    if (!offloads_.any(index)) return;
    core::ConnEntry* c = conns_.At(index);
    const bool holds = (c->flags & core::kConnHashed) && c->dest && c->dest->available() &&
                       offloads_.SameTunnel(*c, index);
    if (holds) {
      ApplyFolded(*c, offloads_.Fold(*c, index), now);
    } else {
      WithdrawFlows(*c, now);
    }
  });
}

void Worker::RunTimers(Ticks now) {
  core::ConnTable& templates = templates_->table();
  conns_.Expire(now, [&](core::ConnEntry* e, Ticks at) {
    const uint32_t index = conns_.IndexOf(e);
    if (offloads_.any(index)) {
      // Its packets may have gone by below: its expiry counts from the last of them.
      ApplyFolded(*e, offloads_.Fold(*e, index), now);
      if (static_cast<int32_t>(e->expires - at) > 0) return false;
      WithdrawFlows(*e, now);
    }
    // Only a connection placed by a template touches the template table.
    auto lock = templates_->LockIf(e->control != core::kNoIndex);
    return core::OnConnExpire(templates, e, at);
  });
  // The templates' wheel moves once per tick, by whichever worker comes first.
  if (now != templates_run_) {
    templates_run_ = now;
    templates_->Expire(now);
  }
}

void Worker::RunDefence(Ticks now) {
  defence_run_ = now;
  // The shard's share of amemthresh, as the table is shared out.
  const uint32_t workers = env_.handoff ? static_cast<uint32_t>(env_.handoff->workers()) : 1;
  const uint32_t threshold = env_.settings->amemthresh.load(std::memory_order_relaxed) / workers;
  defence_.Update(*env_.settings, conns_.capacity() - conns_.size(), threshold);
  counters_.table_short.store(defence_.short_of_entries() ? 1 : 0, std::memory_order_relaxed);
  if (!defence_.drop_entry()) return;
  core::ConnTable& templates = templates_->table();
  const uint32_t dropped = entry_dropper_.Run(conns_, *env_.timeouts, now, [&](core::ConnEntry& e) {
    core::ExpireConnNow(conns_, &e, now);
    if (e.control == core::kNoIndex) return;
    auto lock = templates_->LockIf(true);
    core::ExpireConnNow(templates, templates.At(e.control), now);
  });
  WorkerCounters::Bump(counters_.entries_dropped, dropped);
}

void Worker::Post(std::function<void(Worker&)> f) {
  std::lock_guard lock(tasks_mu_);
  tasks_.push_back(std::move(f));
  has_tasks_.store(true, std::memory_order_release);
}

void Worker::RunTasks() {
  std::vector<std::function<void(Worker&)>> tasks;
  {
    std::lock_guard lock(tasks_mu_);
    tasks.swap(tasks_);
    has_tasks_.store(false, std::memory_order_release);
  }
  for (auto& t : tasks) t(*this);
}

std::vector<ConnSnapshot> Worker::ListConns(Ticks now) const {
  std::vector<ConnSnapshot> out;
  auto append = [&](const core::ConnTable& table) {
    table.ForEach([&](const core::ConnEntry& e) {
      if (e.flags & core::kConnHashed) out.push_back(SnapshotOf(e, now));
    });
  };
  append(conns_);
  if (own_templates_) {
    std::lock_guard lock(own_templates_->mutex());
    append(own_templates_->table());
  }
  return out;
}

void AppendSyncRecords(const core::ConnTable& table, const core::Timeouts& timeouts,
                       std::vector<core::SyncRecord>* out) {
  out->reserve(out->size() + table.size());
  table.ForEach([&](const core::ConnEntry& e) {
    // Live entries only. The timeout sent is the entry's full one, as in every sync message
    // (the kernel's cp->timeout): a template's is its persistence timeout.
    if (!(e.flags & core::kConnHashed) || (e.flags & core::kConnSynproxy)) return;
    out->push_back(core::MakeSyncRecord(e, core::EntryTimeout(e, timeouts)));
  });
}

}  // namespace ipvsd::dataplane

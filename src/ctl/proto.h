// File: ctl/proto.h
//
// The ipvsd control protocol (docs/ctl-protocol.md is the normative description): every
// message is a 16-byte header followed by a payload, both in network byte order.
//
//   offset 0  uint32 magic    kMagic ("IPVD")
//   offset 4  uint16 version  kVersion
//   offset 6  uint16 type     a MsgType; replies set kReplyBit
//   offset 8  uint32 length   payload bytes that follow
//   offset 12 uint32 errcode  0 in requests; an errno value in replies (0 = success)
//
// Payloads are encoded field by field by codec.h, never as raw structs: integers big-endian,
// strings as uint16 length + bytes, addresses as uint8 family + 16 bytes, lists as uint32
// count + elements. The message ids below are part of the wire format and never move; new
// messages take new numbers.
//
// The structs here are the protocol's own value types. ipvsadm and ipvs-healthd see only
// these (never core's types), so the tools stay independent of the engine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "net/ip_addr.h"

namespace ipvsd::ctl {

inline constexpr uint32_t kMagic = 0x49505644;  // "IPVD"
inline constexpr uint16_t kVersion = 1;
inline constexpr size_t kHeaderSize = 16;
inline constexpr uint16_t kReplyBit = 0x8000;
// Requests are small (the largest is a service with two names); anything bigger is an attack
// or a bug, and the server drops the connection before buffering it.
inline constexpr uint32_t kMaxRequestPayload = 64 * 1024;
// A batch carries a whole saved table (10 000 services of 10 real servers take about 6 MB).
inline constexpr uint32_t kMaxBatchPayload = 64u << 20;
// Replies carry whole service tables (a connection listing comes in pages); the client
// refuses more.
inline constexpr uint32_t kMaxReplyPayload = 512u << 20;
// The longest timeout any request may set, in seconds: ipvsadm's MAX_TIMEOUT (31 days). The
// data plane counts time in 1/16 s in 32 bits, so a far larger one would wrap to "expired".
inline constexpr uint32_t kMaxTimeout = 86400 * 31;
// The largest sync message: a UDP datagram over IPv4 (ipvsadm's limit for --sync-maxlen).
inline constexpr uint16_t kMaxSyncMaxlen = 65535 - 20 - 8;
// Longest scheduler / persistence-engine / interface names, as the kernel's
// IP_VS_SCHEDNAME_MAXLEN, IP_VS_PENAME_MAXLEN and IP_VS_IFNAME_MAXLEN (including the NUL).
inline constexpr size_t kSchedNameMax = 16;
inline constexpr size_t kPeNameMax = 16;
inline constexpr size_t kIfNameMax = 16;

// IPVS version reported by kGetInfo, as the kernel's IP_VS_VERSION_CODE (1.2.1).
inline constexpr uint32_t kIpvsVersionCode = 0x010201;

enum class MsgType : uint16_t {
  kGetInfo = 1,       // Empty -> InfoReply
  kAddService = 2,    // ServiceSpec -> Empty
  kEditService = 3,   // ServiceSpec -> Empty
  kDelService = 4,    // ServiceKey -> Empty
  kFlush = 5,         // Empty -> Empty
  kAddDest = 6,       // DestRequest -> Empty
  kEditDest = 7,      // DestRequest -> Empty
  kDelDest = 8,       // DestRequest -> Empty
  kZero = 9,          // ZeroRequest -> Empty
  kGetServices = 10,  // Empty -> ServiceList
  kGetService = 11,   // ServiceKey -> ServiceEntry
  kGetTimeouts = 12,  // Empty -> TimeoutsMsg
  kSetTimeouts = 13,  // TimeoutsMsg -> Empty
  kStartDaemon = 14,  // DaemonConfig -> Empty
  kStopDaemon = 15,   // DaemonStop -> Empty
  kGetDaemons = 16,   // Empty -> DaemonList
  kGetConns = 17,     // ConnCursor -> ConnList (one page)
  kGetDataPlane = 18, // Empty -> DataPlaneInfo
  kBatch = 19,        // BatchRequest -> BatchReply
  kReportHealth = 20, // HealthReport -> Empty
  kHandover = 21,     // Handover (the new process) -> Handover (the old one): ipvsd --takeover
};
inline constexpr uint16_t kFirstMsgType = 1;
inline constexpr uint16_t kLastMsgType = 21;

struct Header {
  uint32_t magic = kMagic;
  uint16_t version = kVersion;
  uint16_t type = 0;
  uint32_t length = 0;
  uint32_t errcode = 0;
};

struct Empty {
  friend bool operator==(const Empty&, const Empty&) = default;
};

// Service identity: a firewall mark (fwmark != 0; protocol, addr and port are 0) or
// (protocol, address, port). Ports are in host order.
struct ServiceKey {
  uint32_t fwmark = 0;
  net::Family family = net::Family::kInet;
  uint8_t protocol = 0;
  net::RawAddr addr;
  uint16_t port = 0;
  friend bool operator==(const ServiceKey&, const ServiceKey&) = default;
};

// Service flags, with the kernel's IP_VS_SVC_F_* values.
inline constexpr uint32_t kSvcPersistent = 0x0001;
inline constexpr uint32_t kSvcHashed = 0x0002;
inline constexpr uint32_t kSvcOnePacket = 0x0004;
inline constexpr uint32_t kSvcSched1 = 0x0008;
inline constexpr uint32_t kSvcSched2 = 0x0010;
inline constexpr uint32_t kSvcSched3 = 0x0020;
// ipvsd's extension (ipvsadm --sloppy): sloppy_tcp/sloppy_sctp for this service alone.
inline constexpr uint32_t kSvcSloppy = 0x00010000;
// ipvsd's extension (ipvsadm --synproxy): SYN cookies and sequence splicing, TCP + NAT only.
inline constexpr uint32_t kSvcSynproxy = 0x00020000;

struct ServiceSpec {
  ServiceKey key;
  std::string sched_name;
  uint32_t flags = 0;
  uint32_t timeout = 0;            // persistence timeout, seconds
  uint32_t netmask = 0xffffffffu;  // IPv4: mask in host order; IPv6: prefix length
  std::string pe_name;
  friend bool operator==(const ServiceSpec&, const ServiceSpec&) = default;
};

// Forwarding methods with the kernel's IP_VS_CONN_F_* values.
enum class Fwd : uint8_t { kMasq = 0, kLocal = 1, kTunnel = 2, kRoute = 3 };
inline constexpr uint8_t kFwdMax = 3;
// --tun-type: IP_VS_CONN_F_TUNNEL_TYPE_*.
enum class TunType : uint8_t { kIpip = 0, kGue = 1, kGre = 2 };
inline constexpr uint8_t kTunTypeMax = 2;
// --tun-nocsum / --tun-csum / --tun-remcsum: IP_VS_TUNNEL_ENCAP_FLAG_*.
enum class TunCsum : uint8_t { kNoCsum = 0, kCsum = 1, kRemCsum = 2 };
inline constexpr uint8_t kTunCsumMax = 2;

struct DestSpec {
  net::IpAddr addr;
  uint16_t port = 0;
  Fwd fwd = Fwd::kRoute;
  int32_t weight = 1;
  uint32_t u_threshold = 0;
  uint32_t l_threshold = 0;
  TunType tun_type = TunType::kIpip;
  uint16_t tun_port = 0;
  TunCsum tun_csum = TunCsum::kNoCsum;
  friend bool operator==(const DestSpec&, const DestSpec&) = default;
};

struct DestRequest {
  ServiceKey service;
  DestSpec dest;
  friend bool operator==(const DestRequest&, const DestRequest&) = default;
};

// Zero one service's counters, or (all != 0) every service's and the totals.
struct ZeroRequest {
  uint8_t all = 0;
  ServiceKey service;
  friend bool operator==(const ZeroRequest&, const ZeroRequest&) = default;
};

// Counters since the last zeroing and the estimator's rates, as ipvsadm's stats64.
struct StatsBlock {
  uint64_t conns = 0;
  uint64_t inpkts = 0;
  uint64_t outpkts = 0;
  uint64_t inbytes = 0;
  uint64_t outbytes = 0;
  uint64_t cps = 0;
  uint64_t inpps = 0;
  uint64_t outpps = 0;
  uint64_t inbps = 0;
  uint64_t outbps = 0;
  friend bool operator==(const StatsBlock&, const StatsBlock&) = default;
};

struct DestEntry {
  DestSpec spec;
  uint32_t activeconns = 0;
  uint32_t inactconns = 0;
  uint32_t persistconns = 0;
  StatsBlock stats;
  friend bool operator==(const DestEntry&, const DestEntry&) = default;
};

// A service with its destinations in the daemon's list order (newest first).
struct ServiceEntry {
  ServiceSpec spec;
  StatsBlock stats;
  std::vector<DestEntry> dests;
  friend bool operator==(const ServiceEntry&, const ServiceEntry&) = default;
};

// Services in the daemon's table order (the order they were added).
struct ServiceList {
  std::vector<ServiceEntry> services;
  friend bool operator==(const ServiceList&, const ServiceList&) = default;
};

struct InfoReply {
  uint32_t version_code = kIpvsVersionCode;
  uint32_t conn_tab_size = 0;
  uint32_t num_services = 0;
  friend bool operator==(const InfoReply&, const InfoReply&) = default;
};

// ipvsadm --set / -L --timeout, seconds; 0 in a set request keeps the current value.
struct TimeoutsMsg {
  uint32_t tcp = 0;
  uint32_t tcp_fin = 0;
  uint32_t udp = 0;
  friend bool operator==(const TimeoutsMsg&, const TimeoutsMsg&) = default;
};

// Sync daemon states (IP_VS_STATE_*).
inline constexpr uint32_t kStateMaster = 1;
inline constexpr uint32_t kStateBackup = 2;

// A sync daemon's configuration. Zero / kUnspec fields ask for the defaults, which the
// daemon fills in and reports back.
struct DaemonConfig {
  uint32_t state = 0;
  std::string mcast_ifn;
  uint32_t syncid = 0;
  uint16_t sync_maxlen = 0;
  net::IpAddr mcast_group;  // family kUnspec = default group
  uint16_t mcast_port = 0;
  uint8_t mcast_ttl = 0;
  friend bool operator==(const DaemonConfig&, const DaemonConfig&) = default;
};

struct DaemonStop {
  uint32_t state = 0;
  friend bool operator==(const DaemonStop&, const DaemonStop&) = default;
};

struct DaemonList {
  std::vector<DaemonConfig> daemons;  // at most one master and one backup
  friend bool operator==(const DaemonList&, const DaemonList&) = default;
};

// One connection (or persistence template) as /proc/net/ip_vs_conn shows it.
struct ConnRecord {
  uint8_t protocol = 0;  // IP protocol number; 0 for fwmark templates
  net::Endpoint client;
  net::Endpoint vaddr;
  net::Endpoint dest;
  std::string state;     // "ESTABLISHED", "UDP", "NONE", ...
  uint32_t expires = 0;  // seconds left
  std::string pe_name;   // empty without a persistence engine
  std::string pe_data;
  friend bool operator==(const ConnRecord&, const ConnRecord&) = default;
};

// Where a page of the connection listing starts: the daemon's own position in its tables
// (part: the template table, then one per worker; slot: an entry index), opaque to clients.
// A listing is paged so that neither side ever holds a whole table of millions of entries as
// one reply; like /proc/net/ip_vs_conn read in pieces, entries that come or go between pages
// may be missed or shown twice.
struct ConnCursor {
  uint32_t part = 0;
  uint32_t slot = 0;
  uint32_t max = 0;  // the most entries wanted; 0 or more than kConnPageMax: kConnPageMax
  friend bool operator==(const ConnCursor&, const ConnCursor&) = default;
};
inline constexpr uint32_t kConnPageMax = 4096;

struct ConnList {
  std::vector<ConnRecord> conns;
  uint8_t more = 0;  // another page follows, from `next`
  ConnCursor next;
  friend bool operator==(const ConnList&, const ConnList&) = default;
};

// One change of a batch, as the request of that type would carry it alone: kAddService,
// kEditService, kDelService, kFlush, kAddDest, kEditDest, kDelDest, kZero or kSetTimeouts.
struct BatchStep {
  uint16_t type = 0;
  std::vector<uint8_t> payload;
  friend bool operator==(const BatchStep&, const BatchStep&) = default;
};

// Changes applied as one transaction (ipvsadm -R, ipvs-healthd's rounds): all of them, or,
// when one fails, none.
struct BatchRequest {
  std::vector<BatchStep> steps;
  friend bool operator==(const BatchRequest&, const BatchRequest&) = default;
};

// Which step failed and why (errcode and detail as that request's error reply would carry
// them); failed_step kBatchApplied when every step was applied.
inline constexpr uint32_t kBatchApplied = 0xffffffffu;
struct BatchReply {
  uint32_t failed_step = kBatchApplied;
  uint32_t errcode = 0;
  std::string detail;
  friend bool operator==(const BatchReply&, const BatchReply&) = default;
};

// What ipvs-healthd last learned of real servers, for ipvsd's status page and metrics (a
// server healthd took out of the table is still shown, as down). Each entry replaces the
// previous report of its (service, server); ipvsd forgets those of services that are gone.
inline constexpr uint8_t kHealthUp = 0;
inline constexpr uint8_t kHealthDown = 1;       // failed its checks, removed from the table
inline constexpr uint8_t kHealthInhibited = 2;  // failed its checks, kept at weight 0
inline constexpr uint8_t kHealthStateMax = 2;
struct HealthEntry {
  ServiceKey service;
  net::IpAddr addr;
  uint16_t port = 0;
  uint8_t state = kHealthUp;
  friend bool operator==(const HealthEntry&, const HealthEntry&) = default;
};
struct HealthReport {
  std::vector<HealthEntry> entries;
  friend bool operator==(const HealthReport&, const HealthReport&) = default;
};

// ipvsd --takeover (docs/operations.md "Upgrades"): the new process names itself in the
// request; the running one, which then stops and leaves it its tables, in the reply.
struct Handover {
  uint32_t pid = 0;
  std::string version;
  friend bool operator==(const Handover&, const Handover&) = default;
};

// The largest payload a request of `type` may have: batches and health reports carry a table.
inline uint32_t MaxRequestPayload(uint16_t type) {
  const bool table = type == static_cast<uint16_t>(MsgType::kBatch) || type == static_cast<uint16_t>(MsgType::kReportHealth);
  return table ? kMaxBatchPayload : kMaxRequestPayload;
}

// The types a BatchStep may have.
inline bool IsBatchStepType(uint16_t type) {
  switch (static_cast<MsgType>(type)) {
    case MsgType::kAddService:
    case MsgType::kEditService:
    case MsgType::kDelService:
    case MsgType::kFlush:
    case MsgType::kAddDest:
    case MsgType::kEditDest:
    case MsgType::kDelDest:
    case MsgType::kZero:
    case MsgType::kSetTimeouts:
      return true;
    default:
      return false;
  }
}

// An rx queue a worker receives from; kEveryQueue: all of them, shared with the other workers
// by the kernel (AF_PACKET fanout).
inline constexpr uint32_t kEveryQueue = 0xffffffffu;
struct WorkerQueue {
  std::string iface;
  uint32_t queue = 0;
  friend bool operator==(const WorkerQueue&, const WorkerQueue&) = default;
};

// Frames a worker dropped for one reason ("no_route", "handoff_full", ...).
struct DropCount {
  std::string reason;
  uint64_t count = 0;
  friend bool operator==(const DropCount&, const DropCount&) = default;
};

// One data-plane worker: what it serves and what it did with the frames it received.
struct WorkerInfo {
  uint32_t id = 0;
  std::vector<WorkerQueue> queues;
  uint32_t conns = 0;  // connections it owns
  uint64_t rx = 0;
  uint64_t tx = 0;
  uint64_t dropped = 0;
  uint64_t handed_off = 0;  // to the worker owning their connection
  uint64_t handed_in = 0;   // processed for other workers
  std::vector<DropCount> drops;  // `dropped` by reason, the non-zero ones
  friend bool operator==(const WorkerInfo&, const WorkerInfo&) = default;
};

// ipvsd's data plane (`ipvsadm -L --json`): the packet I/O ("" for a control plane only) and
// the workers.
struct DataPlaneInfo {
  std::string io;
  std::vector<WorkerInfo> workers;
  friend bool operator==(const DataPlaneInfo&, const DataPlaneInfo&) = default;
};

}  // namespace ipvsd::ctl

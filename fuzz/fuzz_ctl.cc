// File: fuzz/fuzz_ctl.cc
//
// The control protocol as ipvsd's server takes it: the input is the byte stream one client
// sends on the unix socket, cut into frames as UnixServer::ProcessInput cuts it (header
// checked with the per-type size limit, unknown types answered with EBADRQC) and every known
// request handled by ctl::Handlers over a real ServiceManager with the real schedulers, so a
// series of requests builds up a table (services, real servers, batches, timeouts, sync
// daemons, health reports) that later requests read back.
//
// Checked beyond the sanitizers:
//  - every reply is a well-formed frame (ctl/codec.h) a client accepts: reply bit set, length
//    matching, and on success a payload that decodes as the reply type of the request;
//  - every payload decoder (requests and replies, as ipvsadm decodes what ipvsd sends) run on
//    each payload either rejects it or yields a value that encodes and decodes to itself.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "base/log.h"
#include "core/service_manager.h"
#include "core/timeouts.h"
#include "ctl/codec.h"
#include "ctl/handlers.h"
#include "ctl/proto.h"
#include "sched/registry.h"

namespace {

namespace ctl = ipvsd::ctl;
namespace core = ipvsd::core;
using ctl::MsgType;

void Check(bool ok) {
  if (!ok) std::abort();
}

// The daemon's sync threads, without sockets: starting and stopping always works.
class NullSync final : public ctl::SyncControl {
 public:
  ipvsd::Status Start(const ctl::DaemonConfig&) override { return ipvsd::Ok(); }
  ipvsd::Status Stop(uint32_t) override { return ipvsd::Ok(); }
};

// A decoded value re-encodes to bytes that decode to the same value.
template <typename T>
void CheckRoundTrip(std::span<const uint8_t> payload) {
  ipvsd::Result<T> v = ctl::DecodePayload<T>(payload);
  if (!v) return;
  ctl::Writer w;
  ctl::Put(w, *v);
  ipvsd::Result<T> again = ctl::DecodePayload<T>(w.buffer());
  Check(again.ok() && *again == *v);
}

void DecodeAsEveryType(std::span<const uint8_t> payload) {
  CheckRoundTrip<ctl::ServiceKey>(payload);
  CheckRoundTrip<ctl::ServiceSpec>(payload);
  CheckRoundTrip<ctl::DestSpec>(payload);
  CheckRoundTrip<ctl::DestRequest>(payload);
  CheckRoundTrip<ctl::ZeroRequest>(payload);
  CheckRoundTrip<ctl::StatsBlock>(payload);
  CheckRoundTrip<ctl::DestEntry>(payload);
  CheckRoundTrip<ctl::ServiceEntry>(payload);
  CheckRoundTrip<ctl::ServiceList>(payload);
  CheckRoundTrip<ctl::InfoReply>(payload);
  CheckRoundTrip<ctl::TimeoutsMsg>(payload);
  CheckRoundTrip<ctl::DaemonConfig>(payload);
  CheckRoundTrip<ctl::DaemonStop>(payload);
  CheckRoundTrip<ctl::DaemonList>(payload);
  CheckRoundTrip<ctl::ConnRecord>(payload);
  CheckRoundTrip<ctl::ConnCursor>(payload);
  CheckRoundTrip<ctl::ConnList>(payload);
  CheckRoundTrip<ctl::DropCount>(payload);
  CheckRoundTrip<ctl::DataPlaneInfo>(payload);
  CheckRoundTrip<ctl::BatchStep>(payload);
  CheckRoundTrip<ctl::BatchRequest>(payload);
  CheckRoundTrip<ctl::BatchReply>(payload);
  CheckRoundTrip<ctl::HealthEntry>(payload);
  CheckRoundTrip<ctl::HealthReport>(payload);
  (void)ctl::DecodeErrorDetail(payload);
}

// The client's side: a successful reply's payload decodes as what the request asked for.
void CheckReplyPayload(uint16_t type, std::span<const uint8_t> payload) {
  switch (static_cast<MsgType>(type)) {
    case MsgType::kGetInfo:
      Check(ctl::DecodePayload<ctl::InfoReply>(payload).ok());
      return;
    case MsgType::kGetServices:
      Check(ctl::DecodePayload<ctl::ServiceList>(payload).ok());
      return;
    case MsgType::kGetService:
      Check(ctl::DecodePayload<ctl::ServiceEntry>(payload).ok());
      return;
    case MsgType::kGetTimeouts:
      Check(ctl::DecodePayload<ctl::TimeoutsMsg>(payload).ok());
      return;
    case MsgType::kGetDaemons:
      Check(ctl::DecodePayload<ctl::DaemonList>(payload).ok());
      return;
    case MsgType::kGetConns:
      Check(ctl::DecodePayload<ctl::ConnList>(payload).ok());
      return;
    case MsgType::kGetDataPlane:
      Check(ctl::DecodePayload<ctl::DataPlaneInfo>(payload).ok());
      return;
    case MsgType::kBatch:
      Check(ctl::DecodePayload<ctl::BatchReply>(payload).ok());
      return;
    default:
      Check(ctl::DecodePayload<ctl::Empty>(payload).ok());
      return;
  }
}

void CheckReply(uint16_t type, const std::vector<uint8_t>& reply) {
  ipvsd::Result<ctl::Header> h = ctl::DecodeHeader(reply, ctl::kMaxReplyPayload);
  Check(h.ok());
  Check(h->type == (type | ctl::kReplyBit));
  Check(reply.size() == ctl::kHeaderSize + h->length);
  std::span<const uint8_t> payload = std::span(reply).subspan(ctl::kHeaderSize);
  if (h->errcode == 0) {
    CheckReplyPayload(type, payload);
  } else {
    // An error's payload is its detail string, nothing else.
    ctl::Reader r(payload);
    (void)r.Str();
    Check(r.ok() && r.remaining() == 0);
  }
}

// One page of a listing of two connections, a page being one connection: the cursor's slot
// says which.
ctl::ConnList SomeConns(const ctl::ConnCursor& from) {
  ctl::ConnRecord c;
  c.protocol = 6;
  c.client = {*ipvsd::net::IpAddr::Parse("198.18.0.5"), 40000};
  c.vaddr = {*ipvsd::net::IpAddr::Parse("198.19.0.1"), 80};
  c.dest = {*ipvsd::net::IpAddr::Parse("198.18.1.10"), 8080};
  c.state = "ESTABLISHED";
  c.expires = 899;
  ctl::ConnList page;
  if (from.part != 0 || from.slot > 1) return page;
  c.client.port = static_cast<uint16_t>(c.client.port + from.slot);
  page.conns.push_back(c);
  page.more = from.slot == 0;
  page.next = ctl::ConnCursor{0, from.slot + 1, from.max};
  return page;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ipvsd::SetLogLevel(ipvsd::LogLevel::kOff);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  core::Timeouts timeouts;
  core::ServiceManager services(&ipvsd::sched::MakeScheduler);
  NullSync sync;
  std::vector<ctl::HealthReport> reports;
  ctl::Handlers handlers(
      services, timeouts, 4096, [](const ctl::ConnCursor& from) { return SomeConns(from); }, &sync,
      [] { return ctl::DataPlaneInfo{}; }, [&](const ctl::HealthReport& r) { reports.push_back(r); });

  std::span<const uint8_t> in(data, size);
  while (in.size() >= ctl::kHeaderSize) {
    const auto type = static_cast<uint16_t>((in[6] << 8) | in[7]);
    ipvsd::Result<ctl::Header> header = ctl::DecodeHeader(in, ctl::MaxRequestPayload(type));
    if (!header) {
      // The server answers and drops the client.
      CheckReply(type & ~ctl::kReplyBit, ctl::EncodeErrorReply(type & ~ctl::kReplyBit, header.error()));
      break;
    }
    if (in.size() - ctl::kHeaderSize < header->length) break;  // the rest never arrives
    std::span<const uint8_t> payload = in.subspan(ctl::kHeaderSize, header->length);
    DecodeAsEveryType(payload);
    if (ctl::IsKnownRequest(header->type)) {
      CheckReply(header->type, handlers.Handle(header->type, payload));
    }
    in = in.subspan(ctl::kHeaderSize + header->length);
  }
  return 0;
}

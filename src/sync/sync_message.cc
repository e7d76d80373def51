#include "sync/sync_message.h"

#include <cerrno>
#include <cstring>

namespace ipvsd::sync {
namespace {

constexpr uint8_t kTypeInet6 = 0x01;         // STYPE_F_INET6
constexpr uint16_t kSizeMask = 0x0fff;       // SVER_MASK
constexpr uint8_t kOptSeqData = 1;           // IPVS_OPT_SEQ_DATA
constexpr uint8_t kOptPeData = 2;            // IPVS_OPT_PE_DATA
constexpr uint8_t kOptPeName = 3;            // IPVS_OPT_PE_NAME
constexpr uint8_t kOptParam = 0x40;          // IPVS_OPT_F_PARAM: optional
constexpr size_t kSeqOptLen = 24;
constexpr size_t kPeNameMax = 15;            // IP_VS_PENAME_MAXLEN less the NUL
constexpr size_t kHeaderV0 = 4;
constexpr size_t kEntryV0 = 24;

void Put8(std::vector<uint8_t>& b, uint8_t v) { b.push_back(v); }
void Put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void Put32(std::vector<uint8_t>& b, uint32_t v) {
  Put16(b, static_cast<uint16_t>(v >> 16));
  Put16(b, static_cast<uint16_t>(v));
}
void PutAddr(std::vector<uint8_t>& b, const net::RawAddr& a, net::Family f) {
  b.insert(b.end(), a.bytes.begin(), a.bytes.begin() + net::AddrLength(f));
}
void PutSeq(std::vector<uint8_t>& b, const SeqAdjust& s) {
  Put32(b, s.init_seq);
  Put32(b, s.delta);
  Put32(b, s.previous_delta);
}

uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t Get32(const uint8_t* p) { return uint32_t{Get16(p)} << 16 | Get16(p + 2); }
SeqAdjust GetSeq(const uint8_t* p) { return SeqAdjust{Get32(p), Get32(p + 4), Get32(p + 8)}; }

bool HasSeq(const SyncConn& c) { return (c.flags & kConnFlagSeqMask) && c.in_seq && c.out_seq; }
bool HasPe(const SyncConn& c) { return !c.pe_data.empty() && !c.pe_name.empty(); }

// The entry's length without padding: the ver_size field.
size_t EntryLength(const SyncConn& c) {
  size_t len = c.af == net::Family::kInet6 ? kEntryV6 : kEntryV4;
  if (HasSeq(c)) len += 2 + kSeqOptLen;
  if (HasPe(c)) len += 2 + c.pe_data.size() + 2 + c.pe_name.size();
  return len;
}

enum class EntryResult { kOk, kSkip, kBad };

// ip_vs_proc_sync_conn's parsing: kSkip for entries the kernel ignores and goes past (unknown
// type, unknown mandatory option), kBad for ones that end the message.
EntryResult DecodeEntryV1(const uint8_t* p, const uint8_t* end, SyncConn* c) {
  uint8_t type = p[0];
  size_t fixed;
  if (type & kTypeInet6) {
    c->af = net::Family::kInet6;
    fixed = kEntryV6;
  } else if (type == 0) {
    c->af = net::Family::kInet;
    fixed = kEntryV4;
  } else {
    return EntryResult::kSkip;
  }
  if (p + fixed > end) return EntryResult::kBad;
  c->protocol = p[1];
  c->flags = Get32(p + 4);
  c->state = Get16(p + 8);
  c->cport = Get16(p + 10);
  c->vport = Get16(p + 12);
  c->dport = Get16(p + 14);
  c->fwmark = Get32(p + 16);
  c->timeout = Get32(p + 20);
  size_t alen = static_cast<size_t>(net::AddrLength(c->af));
  c->caddr = net::RawAddr::FromBytes(p + 24, c->af);
  c->vaddr = net::RawAddr::FromBytes(p + 24 + alen, c->af);
  c->daddr = net::RawAddr::FromBytes(p + 24 + 2 * alen, c->af);
  bool seen_seq = false, seen_data = false, seen_name = false;
  bool skip = false;
  for (const uint8_t* o = p + fixed; o < end;) {
    if (o + 2 > end) return EntryResult::kBad;
    uint8_t otype = o[0];
    size_t olen = o[1];
    o += 2;
    if (olen == 0 || o + olen > end) return EntryResult::kBad;
    switch (otype & ~kOptParam) {
      case kOptSeqData:
        if (olen != kSeqOptLen || seen_seq) return EntryResult::kBad;
        c->in_seq = GetSeq(o);
        c->out_seq = GetSeq(o + 12);
        seen_seq = true;
        break;
      case kOptPeData:
        if (seen_data) return EntryResult::kBad;
        c->pe_data.assign(reinterpret_cast<const char*>(o), olen);
        seen_data = true;
        break;
      case kOptPeName:
        if (olen > kPeNameMax || seen_name) return EntryResult::kBad;
        c->pe_name.assign(reinterpret_cast<const char*>(o), olen);
        seen_name = true;
        break;
      default:
        if (!(otype & kOptParam)) skip = true;  // an unknown mandatory option
        break;
    }
    o += olen;
  }
  return skip ? EntryResult::kSkip : EntryResult::kOk;
}

Result<SyncMessage> DecodeV0(std::span<const uint8_t> d) {
  SyncMessage m;
  m.version = 0;
  m.syncid = d[1];
  int n = d[0];
  const uint8_t* p = d.data() + kHeaderV0;
  const uint8_t* end = d.data() + d.size();
  for (int i = 0; i < n; ++i) {
    if (p + kEntryV0 > end) return MakeError(EMSGSIZE, "version-0 sync message shorter than its connections");
    SyncConn c;
    c.af = net::Family::kInet;
    c.protocol = p[1];
    c.cport = Get16(p + 2);
    c.vport = Get16(p + 4);
    c.dport = Get16(p + 6);
    c.caddr = net::RawAddr::FromBytes(p + 8, net::Family::kInet);
    c.vaddr = net::RawAddr::FromBytes(p + 12, net::Family::kInet);
    c.daddr = net::RawAddr::FromBytes(p + 16, net::Family::kInet);
    c.flags = Get16(p + 20);
    c.state = Get16(p + 22);
    p += kEntryV0;
    if (c.flags & kConnFlagSeqMask) {
      if (p + kSeqOptLen > end) return MakeError(EMSGSIZE, "version-0 sync message shorter than its connections");
      c.in_seq = GetSeq(p);
      c.out_seq = GetSeq(p + 12);
      p += kSeqOptLen;
    }
    m.conns.push_back(std::move(c));
  }
  return m;
}

}  // namespace

size_t EncodedSize(const SyncConn& c) { return (EntryLength(c) + 3) & ~size_t{3}; }

SyncMessageBuilder::SyncMessageBuilder(uint8_t syncid, size_t maxlen) : syncid_(syncid), maxlen_(maxlen) {
  buf_.reserve(maxlen);
  buf_.assign(kHeaderV1, 0);
}

bool SyncMessageBuilder::Add(const SyncConn& c) {
  size_t pad = (4 - buf_.size() % 4) % 4;
  size_t len = EntryLength(c);
  if (c.pe_name.size() > kPeNameMax || c.pe_data.size() > 255) return false;
  // A message always takes its first entry, however small sync-maxlen is (the kernel's
  // ip_vs_sync_buff_create() sizes a buffer as max(entry + header, sync_maxlen)).
  if (count_ == 255 || (count_ > 0 && buf_.size() + pad + len > maxlen_)) return false;
  buf_.insert(buf_.end(), pad, 0);
  bool v6 = c.af == net::Family::kInet6;
  Put8(buf_, v6 ? kTypeInet6 : 0);
  Put8(buf_, c.protocol);
  Put16(buf_, static_cast<uint16_t>(len & kSizeMask));
  Put32(buf_, c.flags);
  Put16(buf_, c.state);
  Put16(buf_, c.cport);
  Put16(buf_, c.vport);
  Put16(buf_, c.dport);
  Put32(buf_, c.fwmark);
  Put32(buf_, c.timeout);
  PutAddr(buf_, c.caddr, c.af);
  PutAddr(buf_, c.vaddr, c.af);
  PutAddr(buf_, c.daddr, c.af);
  if (HasSeq(c)) {
    Put8(buf_, kOptSeqData);
    Put8(buf_, kSeqOptLen);
    PutSeq(buf_, *c.in_seq);
    PutSeq(buf_, *c.out_seq);
  }
  if (HasPe(c)) {
    Put8(buf_, kOptPeData);
    Put8(buf_, static_cast<uint8_t>(c.pe_data.size()));
    buf_.insert(buf_.end(), c.pe_data.begin(), c.pe_data.end());
    Put8(buf_, kOptPeName);
    Put8(buf_, static_cast<uint8_t>(c.pe_name.size()));
    buf_.insert(buf_.end(), c.pe_name.begin(), c.pe_name.end());
  }
  ++count_;
  return true;
}

std::vector<uint8_t> SyncMessageBuilder::Finish() {
  std::vector<uint8_t> out = std::move(buf_);
  out[0] = 0;
  out[1] = syncid_;
  out[2] = static_cast<uint8_t>(out.size() >> 8);
  out[3] = static_cast<uint8_t>(out.size());
  out[4] = static_cast<uint8_t>(count_);
  out[5] = 1;  // SYNC_PROTO_VER
  out[6] = out[7] = 0;
  buf_.assign(kHeaderV1, 0);
  count_ = 0;
  return out;
}

Result<SyncMessage> DecodeSyncMessage(std::span<const uint8_t> d) {
  if (d.size() < kHeaderV0) return MakeError(EMSGSIZE, "sync message shorter than a header");
  if (Get16(d.data() + 2) != d.size()) return MakeError(EBADMSG, "sync message size field differs from its length");
  bool v1 = d.size() >= kHeaderV1 && d[0] == 0 && d[5] == 1 && Get16(d.data() + 6) == 0;
  if (!v1) return DecodeV0(d);
  SyncMessage m;
  m.syncid = d[1];
  int n = d[4];
  const uint8_t* base = d.data();
  const uint8_t* end = base + d.size();
  const uint8_t* p = base + kHeaderV1;
  for (int i = 0; i < n; ++i) {
    if (p + kEntryV4 > end) return MakeError(EMSGSIZE, "sync message shorter than its connections");
    uint16_t ver_size = Get16(p + 2);
    size_t size = ver_size & kSizeMask;
    if (p + size > end) return MakeError(EMSGSIZE, "sync connection longer than the message");
    if (ver_size >> 12) return MakeError(EBADMSG, "sync connection of an unknown version");
    SyncConn c;
    switch (DecodeEntryV1(p, p + size, &c)) {
      case EntryResult::kOk: m.conns.push_back(std::move(c)); break;
      case EntryResult::kSkip: ++m.skipped; break;
      case EntryResult::kBad: return MakeError(EBADMSG, "malformed sync connection");
    }
    p += (size + 3) & ~size_t{3};
  }
  return m;
}

}  // namespace ipvsd::sync

#include "net/syn_cookie.h"

#include <cstring>

namespace ipvsd::net {
namespace {

constexpr uint64_t kNsPerCounter = 60'000'000'000ull;  // the cookie's clock ticks once a minute
constexpr uint32_t kMssBits = 3;
constexpr uint32_t kMssMask = (1u << kMssBits) - 1;
// The options in the low bits of the TSval: window scale (4 bits, kNoWscaleBits: none), then
// SACK-permitted. Without timestamps nothing can carry them: no window scale, no SACK.
constexpr uint32_t kTsOptionBits = 5;
constexpr uint32_t kTsOptionMask = (1u << kTsOptionBits) - 1;
constexpr uint32_t kNoWscaleBits = 0xf;
constexpr uint32_t kSackBit = 0x10;
constexpr uint32_t kNoOptions = kNoWscaleBits;

uint64_t Word(const RawAddr& a, int half) {
  uint64_t w;
  std::memcpy(&w, a.bytes.data() + 8 * half, sizeof(w));
  return w;
}

// The MAC of a cookie, with its low kMssBits left for the MSS index.
uint32_t CookieMac(const HashKey& key, const CookieTuple& t, uint32_t client_isn, uint32_t counter,
                   uint32_t option_bits) {
  const uint64_t ports_isn = uint64_t{t.sport} << 48 | uint64_t{t.dport} << 32 | client_isn;
  const uint64_t rest = uint64_t{counter} << 32 | uint64_t{static_cast<uint8_t>(t.family)} << 8 | option_bits;
  const uint64_t h = SipHash13Words(key, Word(t.saddr, 0), Word(t.saddr, 1), Word(t.daddr, 0), Word(t.daddr, 1),
                                    ports_isn, rest);
  return static_cast<uint32_t>(h) & ~kMssMask;
}

uint32_t Counter(uint64_t now_ns) { return static_cast<uint32_t>(now_ns / kNsPerCounter); }

uint32_t OptionBits(const TcpOptions& syn) {
  if (!syn.has_ts) return kNoOptions;
  uint32_t bits = syn.wscale == kNoWscale ? kNoWscaleBits : syn.wscale;
  if (syn.sack_ok) bits |= kSackBit;
  return bits;
}

}  // namespace

int CookieMssIndex(uint16_t client_mss, Family family) {
  if (client_mss == 0) client_mss = family == Family::kInet6 ? 1220 : 536;
  int index = 0;
  for (int i = 0; i < static_cast<int>(kCookieMss.size()); ++i) {
    if (kCookieMss[static_cast<size_t>(i)] <= client_mss) index = i;
  }
  return index;
}

SynCookie IssueSynCookie(const HashKey& key, const CookieTuple& t, uint32_t client_isn, const TcpOptions& syn,
                         uint64_t now_ns) {
  const int mss_index = CookieMssIndex(syn.mss, t.family);
  const uint32_t bits = OptionBits(syn);
  SynCookie c;
  c.isn = CookieMac(key, t, client_isn, Counter(now_ns), bits) | static_cast<uint32_t>(mss_index);
  c.mss = kCookieMss[static_cast<size_t>(mss_index)];
  // A millisecond clock, its low bits replaced by the options.
  c.tsval = (static_cast<uint32_t>(now_ns / 1'000'000) & ~kTsOptionMask) | (syn.has_ts ? bits : 0);
  return c;
}

std::optional<TcpOptions> RedeemSynCookie(const HashKey& key, const CookieTuple& t, uint32_t seq, uint32_t ack_seq,
                                          const TcpOptions& ack, uint64_t now_ns) {
  const uint32_t client_isn = seq - 1;
  const uint32_t cookie = ack_seq - 1;
  const uint32_t bits = ack.has_ts ? ack.tsecr & kTsOptionMask : kNoOptions;
  const uint32_t now = Counter(now_ns);
  for (uint32_t counter : {now, now - 1}) {
    if (CookieMac(key, t, client_isn, counter, bits) != (cookie & ~kMssMask)) continue;
    TcpOptions o;
    o.mss = kCookieMss[cookie & kMssMask];
    o.has_ts = ack.has_ts;
    o.tsval = ack.tsval;
    o.tsecr = ack.tsecr;
    if (ack.has_ts) {
      o.wscale = (bits & kNoWscaleBits) == kNoWscaleBits ? kNoWscale : static_cast<uint8_t>(bits & kNoWscaleBits);
      o.sack_ok = bits & kSackBit;
    }
    return o;
  }
  return std::nullopt;
}

}  // namespace ipvsd::net

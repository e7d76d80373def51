#include "fwd/synproxy.h"

#include "net/checksum.h"
#include "net/headers.h"
#include "net/reply.h"
#include "net/syn_cookie.h"

namespace ipvsd::fwd {
namespace {

constexpr uint8_t kOptSack = 5;

net::TcpHdr* Tcp(const net::PacketView& v) { return net::HeaderAt<net::TcpHdr>(v.l4()); }

// Adds `delta` to the 32-bit big-endian field at p, patching the TCP checksum.
void Add32(net::TcpHdr* tcp, uint8_t* p, uint32_t delta) {
  auto* field = net::HeaderAt<net::Be32>(p);
  const uint32_t old_value = field->get();
  const uint32_t new_value = old_value + delta;
  field->set(new_value);
  tcp->check.set(net::ChecksumReplace32(tcp->check.get(), old_value, new_value));
}

// The SACK option's blocks: f(pointer to a 32-bit edge) for each edge.
template <typename F>
void ForEachSackEdge(net::TcpHdr* tcp, F f) {
  auto* h = reinterpret_cast<uint8_t*>(tcp);
  const uint32_t end = static_cast<uint32_t>(tcp->header_len());
  for (uint32_t i = sizeof(net::TcpHdr); i < end;) {
    if (h[i] == 0) return;
    if (h[i] == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= end || h[i + 1] < 2 || i + h[i + 1] > end) return;
    if (h[i] == kOptSack) {
      for (uint32_t e = i + 2; e + 4 <= i + h[i + 1]; e += 4) f(h + e);
    }
    i += h[i + 1];
  }
}

uint16_t SynWindow(uint16_t window, uint8_t wscale) {
  const uint32_t bytes = wscale == net::kNoWscale ? window : uint32_t{window} << wscale;
  return bytes > 0xffff ? 0xffff : static_cast<uint16_t>(bytes);
}

}  // namespace

uint32_t AnswerSyn(net::Frame& frame, const net::PacketView& syn, const HashKey& key, uint64_t now_ns) {
  const net::TcpHdr* in = Tcp(syn);
  const net::TcpOptions client = net::ParseTcpOptions(in);
  const net::CookieTuple tuple{syn.family, syn.src, syn.dst, syn.sport, syn.dport};
  const net::SynCookie cookie = net::IssueSynCookie(key, tuple, in->seq.get(), client, now_ns);
  net::TcpSegment s;
  s.family = syn.family;
  s.src = syn.dst;
  s.dst = syn.src;
  s.sport = syn.dport;
  s.dport = syn.sport;
  s.seq = cookie.isn;
  s.ack_seq = in->seq.get() + 1;
  s.flags = net::kTcpSyn | net::kTcpAck;
  s.window = 0xffff;
  s.options.mss = cookie.mss;
  s.options.sack_ok = client.sack_ok;
  s.options.wscale = client.wscale == net::kNoWscale ? net::kNoWscale : net::kProxyWscale;
  s.options.has_ts = client.has_ts;
  s.options.tsval = cookie.tsval;
  s.options.tsecr = client.tsval;
  const uint32_t l3_offset = syn.l3_offset;
  if (net::WriteTcpSegment(frame, l3_offset, s) == 0) return 0;
  net::SwapMacs(frame.data(), l3_offset);
  return frame.len;
}

uint32_t OpenToServer(net::Frame& frame, const net::PacketView& ack, const net::TcpOptions& client,
                      core::ConnEntry& conn) {
  const net::TcpHdr* in = Tcp(ack);
  const uint16_t window = in->window.get();
  net::TcpSegment s;
  s.family = ack.family;
  s.src = ack.src;
  s.dst = ack.dst;
  s.sport = ack.sport;
  s.dport = ack.dport;
  s.seq = in->seq.get() - 1;
  s.flags = net::kTcpSyn;
  s.window = SynWindow(window, client.wscale);
  s.options = client;
  s.options.tsecr = 0;
  conn.seq_delta = in->ack_seq.get() - 1;
  conn.ts_delta = client.tsecr;
  conn.proxy_window = core::SynproxyWindow{client.wscale == net::kNoWscale ? net::kNoWscale : uint8_t{0}, 0, window};
  conn.flags |= core::kConnSynproxy | core::kConnSynproxyPending;
  return net::WriteTcpSegment(frame, ack.l3_offset, s);
}

uint32_t CompleteHandshake(net::Frame& frame, const net::PacketView& synack, core::ConnEntry& conn) {
  const net::TcpHdr* in = Tcp(synack);
  // Everything read from the SYN-ACK before the ACK overwrites it.
  const net::TcpOptions server = net::ParseTcpOptions(in);
  const uint32_t server_isn = in->seq.get();
  const uint32_t cookie = conn.seq_delta;
  const uint32_t director_tsval = conn.ts_delta;
  net::TcpSegment s;
  s.family = conn.af;
  s.src = conn.caddr;
  s.dst = conn.vaddr;
  s.sport = conn.cport;
  s.dport = conn.vport;
  s.seq = in->ack_seq.get();
  s.ack_seq = cookie + 1;
  s.flags = net::kTcpAck;
  s.window = conn.proxy_window.client_window;
  if (server.has_ts) {
    s.options.has_ts = true;
    s.options.tsval = server.tsecr;
    s.options.tsecr = director_tsval;
  }
  const uint32_t len = net::WriteTcpSegment(frame, synack.l3_offset, s);
  if (len == 0) return 0;
  conn.seq_delta = server_isn - cookie;
  conn.ts_delta = server.has_ts ? director_tsval - server.tsval : 0;
  // The client scales (it was told kProxyWscale): from the real server's shift, or from none.
  if (conn.proxy_window.server_wscale != net::kNoWscale) {
    conn.proxy_window.server_wscale = server.wscale == net::kNoWscale ? 0 : server.wscale;
  }
  conn.flags &= static_cast<uint16_t>(~core::kConnSynproxyPending);
  return len;
}

void TranslateIn(const net::PacketView& pkt, const core::ConnEntry& conn) {
  net::TcpHdr* tcp = Tcp(pkt);
  if (pkt.tcp_flags & net::kTcpAck) Add32(tcp, reinterpret_cast<uint8_t*>(&tcp->ack_seq), conn.seq_delta);
  if (tcp->header_len() == static_cast<int>(sizeof(net::TcpHdr))) return;
  ForEachSackEdge(tcp, [&](uint8_t* edge) { Add32(tcp, edge, conn.seq_delta); });
  if (uint32_t ts = net::TimestampOffset(tcp)) Add32(tcp, reinterpret_cast<uint8_t*>(tcp) + ts + 4, -conn.ts_delta);
}

void TranslateOut(const net::PacketView& pkt, const core::ConnEntry& conn) {
  net::TcpHdr* tcp = Tcp(pkt);
  auto* seq = reinterpret_cast<uint8_t*>(&tcp->seq);
  if (conn.flags & core::kConnSynproxyPending) {
    // Only a RST passes before the handshake completes (the worker sees to it).
    Add32(tcp, seq, conn.seq_delta + 1 - tcp->seq.get());
    return;
  }
  Add32(tcp, seq, -conn.seq_delta);
  if (tcp->header_len() > static_cast<int>(sizeof(net::TcpHdr))) {
    if (uint32_t ts = net::TimestampOffset(tcp)) Add32(tcp, reinterpret_cast<uint8_t*>(tcp) + ts, conn.ts_delta);
  }
  const uint8_t from = conn.proxy_window.server_wscale;
  if (from == net::kNoWscale || from == net::kProxyWscale) return;
  const uint16_t old_window = tcp->window.get();
  const uint64_t bytes = uint64_t{old_window} << from;
  // Rounded up: a small window must not reach the client as a zero window.
  const uint64_t scaled = (bytes + (uint64_t{1} << net::kProxyWscale) - 1) >> net::kProxyWscale;
  const uint16_t new_window = scaled > 0xffff ? 0xffff : static_cast<uint16_t>(scaled);
  tcp->window.set(new_window);
  tcp->check.set(net::ChecksumReplace16(tcp->check.get(), old_window, new_window));
}

}  // namespace ipvsd::fwd

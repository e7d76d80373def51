// The SYN proxy through the real Worker (docs/synproxy.md): a whole handshake with the
// client's timestamps, SACK and window scaling, then data both ways with its sequence numbers,
// SACK blocks, timestamps and windows translated; every frame compared byte for byte with
// one PacketBuilder made (whose checksums come from the independent arithmetic of
// testing/checksum_verify.h).
#include <gtest/gtest.h>

#include <vector>

#include "net/headers.h"
#include "net/syn_cookie.h"
#include "tests/golden/dataplane_fixture.h"
#include "tests/testing/hex.h"
#include "tests/testing/packet_builder.h"

namespace ipvsd {
namespace {

using dataplane::Verdict;
using testing::DataPlane;
using testing::kClientMac;
using testing::kDir1Mac;
using testing::kDir2Mac;
using testing::kRsMac;
using testing::PacketBuilder;

constexpr const char* kClient = "198.18.0.5";
constexpr const char* kVip = "198.19.0.1";
constexpr const char* kRs = "198.18.1.10";
constexpr uint16_t kCport = 40000;
constexpr uint16_t kVport = 80;
constexpr uint16_t kRsPort = 8080;
constexpr uint32_t kClientIsn = 1000;
constexpr uint32_t kServerIsn = 7000;
constexpr HashKey kDefaultCookieKey{{0x5eed, 0}};  // Worker::Options' default

std::vector<uint8_t> Be32(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),
          static_cast<uint8_t>(v)};
}

// NOP NOP TS, as Linux sends it on every segment after the handshake.
std::vector<uint8_t> Ts(uint32_t tsval, uint32_t tsecr) {
  std::vector<uint8_t> o = {1, 1, 8, 10};
  for (uint32_t v : {tsval, tsecr}) {
    auto b = Be32(v);
    o.insert(o.end(), b.begin(), b.end());
  }
  return o;
}

// MSS, SACK-permitted + TS, NOP + WS: Linux's SYN options.
std::vector<uint8_t> SynOptions(uint16_t mss, uint32_t tsval, uint32_t tsecr, uint8_t wscale) {
  std::vector<uint8_t> o = {2, 4, static_cast<uint8_t>(mss >> 8), static_cast<uint8_t>(mss), 4, 2, 8, 10};
  for (uint32_t v : {tsval, tsecr}) {
    auto b = Be32(v);
    o.insert(o.end(), b.begin(), b.end());
  }
  o.insert(o.end(), {1, 3, 3, wscale});
  return o;
}

PacketBuilder FromClient(uint8_t flags, uint32_t seq, uint32_t ack) {
  PacketBuilder b;
  b.Eth(kClientMac, kDir1Mac).Ipv4(kClient, kVip).Tcp(kCport, kVport, flags).TcpSeq(seq, ack);
  return b;
}
// What the real server receives: the client's packet NATed (TTL one less).
PacketBuilder ToServer(uint8_t flags, uint32_t seq, uint32_t ack) {
  PacketBuilder b;
  b.Eth(kDir2Mac, kRsMac).Ipv4(kClient, kRs).Ttl(63).Tcp(kCport, kRsPort, flags).TcpSeq(seq, ack);
  return b;
}
PacketBuilder FromServer(uint8_t flags, uint32_t seq, uint32_t ack) {
  PacketBuilder b;
  b.Eth(kRsMac, kDir2Mac).Ipv4(kRs, kClient).Tcp(kRsPort, kCport, flags).TcpSeq(seq, ack);
  return b;
}
PacketBuilder ToClient(uint8_t flags, uint32_t seq, uint32_t ack) {
  PacketBuilder b;
  b.Eth(kDir1Mac, kClientMac).Ipv4(kVip, kClient).Ttl(63).Tcp(kVport, kCport, flags).TcpSeq(seq, ack);
  return b;
}

class SynproxyTest : public ::testing::Test {
 protected:
  SynproxyTest() {
    svc_ = dp_.AddService(net::kProtoTcp, kVip, kVport, "rr", core::kSvcSynproxy);
    dp_.AddDest(svc_, kRs, kRsPort, core::FwdMethod::kMasq);
  }

  // The cookie the director answers the client's SYN with (client MSS 1460, TS, SACK, WS).
  net::SynCookie Cookie() const {
    net::TcpOptions syn;
    syn.mss = 1460;
    syn.sack_ok = true;
    syn.wscale = 7;
    syn.has_ts = true;
    syn.tsval = 500;
    const net::CookieTuple t{net::Family::kInet, testing::Ip(kClient).raw, testing::Ip(kVip).raw, kCport, kVport};
    return net::IssueSynCookie(kDefaultCookieKey, t, kClientIsn, syn, dp_.clock_.NowNs());
  }

  void ExpectRun(const std::vector<uint8_t>& in, const std::vector<uint8_t>& want, Verdict verdict = Verdict::kTx) {
    std::vector<uint8_t> out;
    ASSERT_EQ(dp_.Run(in, &out), verdict);
    EXPECT_EQ(ipvsd::testing::ToHex(out.data(), out.size()), ipvsd::testing::ToHex(want.data(), want.size()));
  }

  // SYN, SYN-ACK with a cookie, ACK -> SYN to the real server, its SYN-ACK -> its ACK.
  void Handshake(uint8_t server_wscale) {
    const net::SynCookie c = Cookie();
    ExpectRun(FromClient(net::kTcpSyn, kClientIsn, 0).TcpWindow(64240).TcpOptions(SynOptions(1460, 500, 0, 7)).Build(),
              PacketBuilder()
                  .Eth(kDir1Mac, kClientMac)
                  .Ipv4(kVip, kClient)
                  .Df(true)
                  .Tcp(kVport, kCport, net::kTcpSyn | net::kTcpAck)
                  .TcpSeq(c.isn, kClientIsn + 1)
                  .TcpWindow(65535)
                  .TcpOptions(SynOptions(1460, c.tsval, 500, net::kProxyWscale))
                  .Build());
    EXPECT_EQ(dp_.worker_->conns().size(), 0u) << "a cookie keeps no state";
    ExpectRun(FromClient(net::kTcpAck, kClientIsn + 1, c.isn + 1).TcpWindow(502).TcpOptions(Ts(501, c.tsval)).Build(),
              ToServer(net::kTcpSyn, kClientIsn, 0)
                  .Df(true)
                  .TcpWindow(502 << 7)
                  .TcpOptions(SynOptions(1460, 501, 0, 7))
                  .Build());
    EXPECT_EQ(dp_.worker_->conns().size(), 1u);
    // Client data before the real server answered: dropped, the client sends it again.
    std::vector<uint8_t> out;
    EXPECT_EQ(dp_.Run(FromClient(net::kTcpAck | net::kTcpPsh, kClientIsn + 1, c.isn + 1)
                          .TcpOptions(Ts(502, c.tsval))
                          .Payload("early")
                          .Build(),
                      &out),
              Verdict::kDrop);
    EXPECT_EQ(dp_.Drops("synproxy_pending"), 1u);
    // The real server's SYN-ACK becomes the ACK of its handshake; the client never sees it.
    ExpectRun(FromServer(net::kTcpSyn | net::kTcpAck, kServerIsn, kClientIsn + 1)
                  .TcpWindow(65160)
                  .TcpOptions(SynOptions(1460, 9000, 501, server_wscale))
                  .Build(),
              ToServer(net::kTcpAck, kClientIsn + 1, kServerIsn + 1).Df(true).TcpWindow(502).TcpOptions(Ts(501, 9000)).Build());
  }

  DataPlane dp_;
  core::ServiceKey svc_;
};

TEST_F(SynproxyTest, HandshakeThenDataBothWaysWithSequenceSackTimestampsAndWindowTranslated) {
  Handshake(9);
  const net::SynCookie c = Cookie();
  const uint32_t ts_delta = c.tsval - 9000;
  // Client -> server: the acknowledgement, SACK blocks and TSecr in the server's spaces.
  std::vector<uint8_t> sack = {1, 1, 5, 10};
  for (uint32_t v : {c.isn + 101, c.isn + 201}) {
    auto b = Be32(v);
    sack.insert(sack.end(), b.begin(), b.end());
  }
  std::vector<uint8_t> in_opts = Ts(502, c.tsval + 3);
  in_opts.insert(in_opts.end(), sack.begin(), sack.end());
  std::vector<uint8_t> out_opts = Ts(502, 9003);
  sack = {1, 1, 5, 10};
  for (uint32_t v : {kServerIsn + 101, kServerIsn + 201}) {
    auto b = Be32(v);
    sack.insert(sack.end(), b.begin(), b.end());
  }
  out_opts.insert(out_opts.end(), sack.begin(), sack.end());
  ExpectRun(FromClient(net::kTcpAck | net::kTcpPsh, kClientIsn + 1, c.isn + 1)
                .TcpWindow(501)
                .TcpOptions(in_opts)
                .Payload("hello")
                .Build(),
            ToServer(net::kTcpAck | net::kTcpPsh, kClientIsn + 1, kServerIsn + 1)
                .TcpWindow(501)
                .TcpOptions(out_opts)
                .Payload("hello")
                .Build());
  // Server -> client: the sequence number and TSval in the client's spaces, the window from
  // the server's scale (9) to the director's (7).
  ExpectRun(FromServer(net::kTcpAck | net::kTcpPsh, kServerIsn + 1, kClientIsn + 6)
                .TcpWindow(1000)
                .TcpOptions(Ts(9010, 502))
                .Payload("world")
                .Build(),
            ToClient(net::kTcpAck | net::kTcpPsh, c.isn + 1, kClientIsn + 6)
                .TcpWindow(4000)
                .TcpOptions(Ts(9010 + ts_delta, 502))
                .Payload("world")
                .Build());
  const dataplane::WorkerCounters& counters = dp_.worker_->counters();
  EXPECT_EQ(counters.syn_cookies_sent.load(), 1u);
  EXPECT_EQ(counters.synproxy_opened.load(), 1u);
  EXPECT_EQ(dp_.Drops("syn_cookie_invalid"), 0u);
}

TEST_F(SynproxyTest, ServerWithTheDirectorsScaleKeepsItsWindow) {
  Handshake(net::kProxyWscale);
  const net::SynCookie c = Cookie();
  ExpectRun(FromServer(net::kTcpAck, kServerIsn + 1, kClientIsn + 1).TcpWindow(1000).TcpOptions(Ts(9001, 501)).Build(),
            ToClient(net::kTcpAck, c.isn + 1, kClientIsn + 1).TcpWindow(1000).TcpOptions(Ts(c.tsval + 1, 501)).Build());
}

TEST_F(SynproxyTest, AckWithoutAValidCookieIsDroppedAndCounted) {
  const net::SynCookie c = Cookie();
  std::vector<uint8_t> out;
  EXPECT_EQ(dp_.Run(FromClient(net::kTcpAck, kClientIsn + 1, c.isn + 2).TcpOptions(Ts(501, c.tsval)).Build(), &out),
            Verdict::kDrop);
  // The option bits in the echoed TSval are covered by the cookie too.
  EXPECT_EQ(dp_.Run(FromClient(net::kTcpAck, kClientIsn + 1, c.isn + 1).TcpOptions(Ts(501, c.tsval ^ 1)).Build(), &out),
            Verdict::kDrop);
  EXPECT_EQ(dp_.Drops("syn_cookie_invalid"), 2u);
  EXPECT_EQ(dp_.worker_->conns().size(), 0u);
}

TEST_F(SynproxyTest, ServerResetDuringTheHandshakeResetsTheClient) {
  const net::SynCookie c = Cookie();
  std::vector<uint8_t> out;
  ASSERT_EQ(dp_.Run(FromClient(net::kTcpSyn, kClientIsn, 0).TcpOptions(SynOptions(1460, 500, 0, 7)).Build(), &out),
            Verdict::kTx);
  ASSERT_EQ(dp_.Run(FromClient(net::kTcpAck, kClientIsn + 1, c.isn + 1).TcpOptions(Ts(501, c.tsval)).Build(), &out),
            Verdict::kTx);
  ExpectRun(FromServer(net::kTcpRst | net::kTcpAck, 0, kClientIsn + 1).TcpWindow(0).Build(),
            ToClient(net::kTcpRst | net::kTcpAck, c.isn + 1, kClientIsn + 1).TcpWindow(0).Build());
}

TEST_F(SynproxyTest, SysctlProxiesNatServicesWithoutTheFlag) {
  core::ServiceKey plain = dp_.AddService(net::kProtoTcp, kVip, 81, "rr");
  dp_.AddDest(plain, kRs, kRsPort, core::FwdMethod::kMasq);
  std::vector<uint8_t> out;
  auto syn = PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4(kClient, kVip).Tcp(kCport, 81, net::kTcpSyn).Build();
  ASSERT_EQ(dp_.Run(syn, &out), Verdict::kTx);
  EXPECT_EQ(dp_.worker_->conns().size(), 1u) << "without the switch, a SYN opens a connection";
  dp_.settings_.synproxy = true;
  syn = PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4(kClient, kVip).Tcp(kCport + 1, 81, net::kTcpSyn).Build();
  ASSERT_EQ(dp_.Run(syn, &out), Verdict::kTx);
  EXPECT_EQ(dp_.worker_->conns().size(), 1u) << "with it, a cookie";
  EXPECT_EQ(dp_.worker_->counters().syn_cookies_sent.load(), 1u);
}

}  // namespace
}  // namespace ipvsd

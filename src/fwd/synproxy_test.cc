#include "fwd/synproxy.h"

#include <gtest/gtest.h>

#include <vector>

#include "fwd/fwd_test_util.h"
#include "net/headers.h"
#include "net/syn_cookie.h"

namespace ipvsd::fwd {
namespace {

using ipvsd::testing::PacketBuilder;
using testing::Addr;
using testing::ExpectFrame;
using testing::TestFrame;

constexpr HashKey kKey{{1, 2}};
constexpr uint64_t kNow = 5'000'000'000'000ull;

std::vector<uint8_t> Be32(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),
          static_cast<uint8_t>(v)};
}

// An IPv6 client whose SYN carries no options at all: MSS 1220 (IPv6's default), no window
// scale, no SACK, no timestamps in the answer.
TEST(SynproxyTest, AnswersAnIpv6SynWithoutOptions) {
  TestFrame f(PacketBuilder()
                  .Eth("02:00:00:00:00:01", "02:00:00:00:00:d1")
                  .Ipv6("2001:db8::5", "2001:db8:ff::1")
                  .Tcp(40000, 443, net::kTcpSyn)
                  .TcpSeq(77, 0)
                  .Build());
  net::PacketView syn = f.Parse();
  ASSERT_NE(AnswerSyn(f.frame(), syn, kKey, kNow), 0u);
  const net::CookieTuple t{net::Family::kInet6, Addr("2001:db8::5"), Addr("2001:db8:ff::1"), 40000, 443};
  const net::SynCookie c = net::IssueSynCookie(kKey, t, 77, net::TcpOptions{}, kNow);
  EXPECT_EQ(c.mss, 1220);
  ExpectFrame(PacketBuilder()
                  .Eth("02:00:00:00:00:d1", "02:00:00:00:00:01")
                  .Ipv6("2001:db8:ff::1", "2001:db8::5")
                  .Tcp(443, 40000, net::kTcpSyn | net::kTcpAck)
                  .TcpSeq(c.isn, 78)
                  .TcpWindow(65535)
                  .TcpOptions({2, 4, 0x04, 0xc4})
                  .Build(),
              f.Bytes());
}

core::ConnEntry Spliced() {
  core::ConnEntry c;
  c.af = c.daf = net::Family::kInet6;
  c.protocol = net::kProtoTcp;
  c.flags = core::kConnSynproxy;
  c.seq_delta = 0x10000000;
  c.ts_delta = 0xfffffff0;  // the director's clock 16 ms behind the server's
  c.proxy_window = core::SynproxyWindow{net::kNoWscale, 0, 0};
  return c;
}

TEST(SynproxyTest, TranslatesIpv6BothWaysAcrossTheWrap) {
  const core::ConnEntry c = Spliced();
  std::vector<uint8_t> sack_in = {1, 1, 5, 18};
  std::vector<uint8_t> sack_out = {1, 1, 5, 18};
  for (uint32_t edge : {0xf0000001u, 0xf0000101u, 0xf0000201u, 0xf0000301u}) {
    auto in = Be32(edge);
    auto out = Be32(edge + 0x10000000);  // wraps past 2^32
    sack_in.insert(sack_in.end(), in.begin(), in.end());
    sack_out.insert(sack_out.end(), out.begin(), out.end());
  }
  auto client = [&](uint32_t ack, const std::vector<uint8_t>& sack) {
    return PacketBuilder()
        .Ipv6("2001:db8::5", "2001:db8:ff::1")
        .Tcp(40000, 443, net::kTcpAck)
        .TcpSeq(5, ack)
        .TcpOptions(sack)
        .Payload("x")
        .Build();
  };
  TestFrame in(client(0xf0000001, sack_in));
  TranslateIn(in.Parse(), c);
  ExpectFrame(client(0x00000001, sack_out), in.Bytes());

  // No window scaling on this connection: the window passes as it is.
  auto server = [&](uint32_t seq, uint32_t tsval) {
    std::vector<uint8_t> ts = {1, 1, 8, 10};
    for (uint32_t v : {tsval, 9u}) {
      auto b = Be32(v);
      ts.insert(ts.end(), b.begin(), b.end());
    }
    return PacketBuilder()
        .Ipv6("2001:db8:1::10", "2001:db8::5")
        .Tcp(443, 40000, net::kTcpAck)
        .TcpSeq(seq, 6)
        .TcpWindow(3000)
        .TcpOptions(ts)
        .Build();
  };
  TestFrame out(server(0x00000005, 100));
  TranslateOut(out.Parse(), c);
  ExpectFrame(server(0xf0000005, 100 - 16), out.Bytes());
}

}  // namespace
}  // namespace ipvsd::fwd

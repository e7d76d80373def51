#include "sync/sync_message.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/testing/hex.h"

namespace ipvsd::sync {
namespace {

using ipvsd::testing::FromHex;

net::RawAddr Ip(const char* s) { return net::IpAddr::Parse(s)->raw; }

SyncConn TcpConn() {
  SyncConn c;
  c.protocol = 6;
  c.flags = 0x0100;  // INACTIVE, DR would add 0x0083
  c.state = 1;       // ESTABLISHED
  c.cport = 40000;
  c.vport = 80;
  c.dport = 8080;
  c.timeout = 900;
  c.caddr = Ip("198.18.0.5");
  c.vaddr = Ip("198.19.0.1");
  c.daddr = Ip("198.18.1.11");
  return c;
}

// The kernel's layout, byte by byte (ip_vs_sync.c: struct ip_vs_sync_mesg, ip_vs_sync_v4).
TEST(SyncMessageTest, Ipv4ConnectionEncodesAsTheKernelLaysItOut) {
  SyncMessageBuilder b(7, 1472);
  ASSERT_TRUE(b.Add(TcpConn()));
  std::vector<uint8_t> msg = b.Finish();
  EXPECT_EQ(msg, FromHex("00 07 00 2c 01 01 00 00"         // reserved, syncid 7, size 44, 1 conn, v1
                         "00 06 00 24 00 00 01 00"         // IPv4, TCP, ver_size 36, flags
                         "00 01 9c 40 00 50 1f 90"         // state, cport, vport, dport
                         "00 00 00 00 00 00 03 84"         // fwmark, timeout 900
                         "c6 12 00 05 c6 13 00 01 c6 12 01 0b"));
}

TEST(SyncMessageTest, EntriesAreFourByteAlignedAndOptionsFollowTheAddresses) {
  SyncMessageBuilder b(1, 1472);
  SyncConn sip = TcpConn();
  sip.protocol = 17;
  sip.pe_data = "abc";  // 2+3 + 2+3 bytes of options: 46, padded to 48
  sip.pe_name = "sip";
  SyncConn v6 = TcpConn();
  v6.af = net::Family::kInet6;
  v6.caddr = Ip("2001:db8::5");
  v6.vaddr = Ip("2001:db8:ff::1");
  v6.daddr = Ip("2001:db8:1::11");
  ASSERT_TRUE(b.Add(sip));
  ASSERT_TRUE(b.Add(v6));
  std::vector<uint8_t> msg = b.Finish();
  ASSERT_EQ(msg.size(), 8u + 48u + 72u);
  EXPECT_EQ(msg[8 + 2], 0x00);
  EXPECT_EQ(msg[8 + 3], 46);  // ver_size without the padding
  EXPECT_EQ(std::vector<uint8_t>(msg.begin() + 8 + 36, msg.begin() + 8 + 48),
            FromHex("02 03 61 62 63 03 03 73 69 70 00 00"));
  EXPECT_EQ(msg[56], 0x01);  // the IPv6 entry starts aligned, type IPv6
  EXPECT_EQ(msg[56 + 3], 72);
  auto decoded = DecodeSyncMessage(msg);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded->conns.size(), 2u);
  EXPECT_EQ(decoded->conns[0], sip);
  EXPECT_EQ(decoded->conns[1], v6);
}

TEST(SyncMessageTest, SequenceDataTravelsWhenTheFlagsSaySo) {
  SyncConn ftp = TcpConn();
  ftp.flags |= 0x0600;
  ftp.in_seq = SeqAdjust{1000, 5, 3};
  ftp.out_seq = SeqAdjust{2000, 7, 0};
  SyncMessageBuilder b(0, 1472);
  ASSERT_TRUE(b.Add(ftp));
  std::vector<uint8_t> msg = b.Finish();
  ASSERT_EQ(msg.size(), 8u + 36u + 2u + 24u);  // padding only ever precedes a next entry
  EXPECT_EQ(std::vector<uint8_t>(msg.begin() + 44, msg.begin() + 46), FromHex("01 18"));
  auto decoded = DecodeSyncMessage(msg);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->conns.at(0), ftp);
}

TEST(SyncMessageTest, BuilderRespectsMaxlenAndTheConnectionCount) {
  SyncMessageBuilder small(0, 8 + 36 + 36);
  EXPECT_TRUE(small.Add(TcpConn()));
  EXPECT_TRUE(small.Add(TcpConn()));
  EXPECT_FALSE(small.Add(TcpConn()));
  EXPECT_EQ(small.Finish().size(), 80u);
  EXPECT_TRUE(small.empty());
  SyncMessageBuilder big(0, 65507);
  int added = 0;
  while (big.Add(TcpConn())) ++added;
  EXPECT_EQ(added, 255);
}

TEST(SyncMessageTest, RandomConnectionsRoundTrip) {
  std::mt19937 rng(5);
  SyncMessageBuilder b(9, 65507);
  std::vector<SyncConn> sent;
  for (int i = 0; i < 200; ++i) {
    SyncConn c;
    c.af = rng() % 3 == 0 ? net::Family::kInet6 : net::Family::kInet;
    c.protocol = std::array<uint8_t, 3>{6, 17, 132}[rng() % 3];
    c.flags = rng() & 0x31ff;
    c.state = static_cast<uint16_t>(rng() % 11);
    c.cport = static_cast<uint16_t>(rng());
    c.vport = static_cast<uint16_t>(rng());
    c.dport = static_cast<uint16_t>(rng());
    c.fwmark = rng() % 4 == 0 ? rng() : 0;
    c.timeout = rng() % 100000;
    for (net::RawAddr* a : {&c.caddr, &c.vaddr, &c.daddr}) {
      for (int k = 0; k < net::AddrLength(c.af); ++k) a->bytes[static_cast<size_t>(k)] = static_cast<uint8_t>(rng());
    }
    if (rng() % 5 == 0) {
      c.pe_data = std::string(1 + rng() % 40, 'x');
      c.pe_name = "sip";
    }
    ASSERT_TRUE(b.Add(c));
    sent.push_back(c);
  }
  auto got = DecodeSyncMessage(b.Finish());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->syncid, 9);
  EXPECT_EQ(got->conns, sent);
}

TEST(SyncMessageTest, VersionZeroMessagesDecode) {
  // nr_conns 1, syncid 3, size 28; protocol UDP, ports, addresses, flags, state.
  auto m = DecodeSyncMessage(FromHex("01 03 00 1c 00 11 9c 40 00 35 00 35"
                                     "c6 12 00 05 c6 13 00 01 c6 12 01 0b 01 00 00 00"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->version, 0);
  EXPECT_EQ(m->syncid, 3);
  ASSERT_EQ(m->conns.size(), 1u);
  EXPECT_EQ(m->conns[0].protocol, 17);
  EXPECT_EQ(m->conns[0].cport, 40000);
  EXPECT_EQ(m->conns[0].daddr, Ip("198.18.1.11"));
  EXPECT_EQ(m->conns[0].flags, 0x0100u);
}

TEST(SyncMessageTest, BadMessagesAreRejected) {
  SyncMessageBuilder b(1, 1472);
  ASSERT_TRUE(b.Add(TcpConn()));
  std::vector<uint8_t> good = b.Finish();
  EXPECT_FALSE(DecodeSyncMessage(FromHex("00 01 00")).ok());  // shorter than any header
  std::vector<uint8_t> wrong_size = good;
  wrong_size[3] += 1;
  EXPECT_EQ(DecodeSyncMessage(wrong_size).error().code, EBADMSG);
  std::vector<uint8_t> truncated(good.begin(), good.end() - 4);
  truncated[3] = static_cast<uint8_t>(truncated.size());
  EXPECT_EQ(DecodeSyncMessage(truncated).error().code, EMSGSIZE);
  std::vector<uint8_t> two_claimed = good;
  two_claimed[4] = 2;  // a second connection that is not there
  EXPECT_EQ(DecodeSyncMessage(two_claimed).error().code, EMSGSIZE);
  std::vector<uint8_t> entry_version = good;
  entry_version[8 + 2] = 0x10;  // entry version 1
  EXPECT_EQ(DecodeSyncMessage(entry_version).error().code, EBADMSG);
}

TEST(SyncMessageTest, UnknownOptionsAndTypesAreSkippedAsTheKernelDoes) {
  auto with_option = [](uint8_t type) {
    std::vector<uint8_t> m = FromHex("00 01 00 30 01 01 00 00"
                                     "00 06 00 28 00 00 01 00 00 01 9c 40 00 50 1f 90"
                                     "00 00 00 00 00 00 03 84 c6 12 00 05 c6 13 00 01 c6 12 01 0b");
    m.insert(m.end(), {type, 2, 0xaa, 0xbb});
    return m;
  };
  auto optional = DecodeSyncMessage(with_option(0x40 | 9));
  ASSERT_TRUE(optional.ok());
  EXPECT_EQ(optional->conns.size(), 1u);
  auto mandatory = DecodeSyncMessage(with_option(9));
  ASSERT_TRUE(mandatory.ok());
  EXPECT_EQ(mandatory->conns.size(), 0u);
  EXPECT_EQ(mandatory->skipped, 1);
  std::vector<uint8_t> zero_len = with_option(9);
  zero_len[45] = 0;
  EXPECT_FALSE(DecodeSyncMessage(zero_len).ok());
  std::vector<uint8_t> odd_type = with_option(0x40 | 9);
  odd_type[8] = 0x02;  // neither IPv4 (0) nor IPv6 (bit 0)
  auto skipped = DecodeSyncMessage(odd_type);
  ASSERT_TRUE(skipped.ok());
  EXPECT_EQ(skipped->skipped, 1);
}

TEST(SyncMessageTest, RandomBytesNeverCrashTheDecoder) {
  std::mt19937 rng(11);
  SyncMessageBuilder b(1, 1472);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(b.Add(TcpConn()));
  std::vector<uint8_t> base = b.Finish();
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> m = base;
    for (int k = 0; k < 4; ++k) m[rng() % m.size()] = static_cast<uint8_t>(rng());
    m.resize(rng() % (m.size() + 1));
    if (m.size() >= 4) {
      m[2] = static_cast<uint8_t>(m.size() >> 8);
      m[3] = static_cast<uint8_t>(m.size());
    }
    auto r = DecodeSyncMessage(m);
    if (r.ok()) {
      EXPECT_LE(r->conns.size(), 255u);
    }
  }
}

}  // namespace
}  // namespace ipvsd::sync

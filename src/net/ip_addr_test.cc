#include "net/ip_addr.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace ipvsd::net {
namespace {

IpAddr Addr(std::string_view text) {
  Result<IpAddr> a = IpAddr::Parse(text);
  EXPECT_TRUE(a.ok()) << text;
  return a.ok() ? *a : IpAddr{};
}

TEST(IpAddrTest, ParsesIpv4) {
  IpAddr a = Addr("198.18.0.1");
  EXPECT_EQ(a.family, Family::kInet);
  EXPECT_FALSE(a.is_v6());
  EXPECT_EQ(a.raw.V4(), 0xc6120001u);
  EXPECT_EQ(a.raw.bytes[0], 198);
  EXPECT_EQ(a.raw.bytes[3], 1);
  for (size_t i = 4; i < 16; ++i) EXPECT_EQ(a.raw.bytes[i], 0) << i;
  EXPECT_EQ(a.ToString(), "198.18.0.1");
  EXPECT_EQ(a, IpAddr::V4(0xc6120001u));
}

TEST(IpAddrTest, ParsesIpv6AndPrintsCanonicalForm) {
  IpAddr a = Addr("2001:DB8:0:0:0:0:0:1");
  EXPECT_EQ(a.family, Family::kInet6);
  EXPECT_TRUE(a.is_v6());
  EXPECT_EQ(a.raw.bytes[0], 0x20);
  EXPECT_EQ(a.raw.bytes[1], 0x01);
  EXPECT_EQ(a.raw.bytes[15], 0x01);
  EXPECT_EQ(a.ToString(), "2001:db8::1");
  EXPECT_EQ(Addr("::ffff:198.18.0.1").ToString(), "::ffff:198.18.0.1");
}

TEST(IpAddrTest, RejectsMalformedText) {
  for (std::string_view bad : {"", "198.18.0", "198.18.0.256", "198.18.0.1 ", "[2001:db8::1]", "2001:db8:::1", "host",
                               "198.18.0.1/32"}) {
    Result<IpAddr> a = IpAddr::Parse(bad);
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_EQ(a.error().code, EINVAL) << bad;
  }
}

TEST(IpAddrTest, FamilyValuesAreLinuxAddressFamilies) {
  EXPECT_EQ(static_cast<int>(Family::kInet), 2);
  EXPECT_EQ(static_cast<int>(Family::kInet6), 10);
  EXPECT_EQ(AddrLength(Family::kInet), 4);
  EXPECT_EQ(AddrLength(Family::kInet6), 16);
}

TEST(RawAddrTest, WordsAndFold) {
  IpAddr v6 = Addr("2001:db8:1:2:3:4:5:6");
  EXPECT_EQ(v6.raw.Word(0), 0x20010db8u);
  EXPECT_EQ(v6.raw.Word(1), 0x00010002u);
  EXPECT_EQ(v6.raw.Word(3), 0x00050006u);
  EXPECT_EQ(v6.raw.Fold(Family::kInet6), 0x20010db8u ^ 0x00010002u ^ 0x00030004u ^ 0x00050006u);
  IpAddr v4 = Addr("198.18.0.7");
  EXPECT_EQ(v4.raw.Fold(Family::kInet), 0xc6120007u);
}

TEST(RawAddrTest, FromBytesCopiesOnlyTheFamilysLength) {
  const uint8_t bytes[16] = {10, 1, 2, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  RawAddr v4 = RawAddr::FromBytes(bytes, Family::kInet);
  EXPECT_EQ(v4, RawAddr::FromV4(0x0a010203u));
  RawAddr v6 = RawAddr::FromBytes(bytes, Family::kInet6);
  EXPECT_EQ(v6.bytes[15], 0xff);
  EXPECT_FALSE(v6.IsZero());
  EXPECT_TRUE(RawAddr{}.IsZero());
}

TEST(MaskTest, Ipv4Netmask) {
  EXPECT_EQ(MaskV4(RawAddr::FromV4(0xc6120a0bu), 0xffffff00u), RawAddr::FromV4(0xc6120a00u));
  EXPECT_EQ(MaskV4(RawAddr::FromV4(0xc6120a0bu), 0xffffffffu), RawAddr::FromV4(0xc6120a0bu));
  EXPECT_EQ(MaskV4(RawAddr::FromV4(0xc6120a0bu), 0), RawAddr{});
}

TEST(MaskTest, Ipv6PrefixLengths) {
  IpAddr a = Addr("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
  EXPECT_EQ(MaskV6(a.raw, 128), a.raw);
  EXPECT_EQ(MaskV6(a.raw, 64), Addr("2001:db8:ffff:ffff::").raw);
  EXPECT_EQ(MaskV6(a.raw, 65), Addr("2001:db8:ffff:ffff:8000::").raw);
  EXPECT_EQ(MaskV6(a.raw, 127), Addr("2001:db8:ffff:ffff:ffff:ffff:ffff:fffe").raw);
  EXPECT_EQ(MaskV6(a.raw, 33), Addr("2001:db8:8000::").raw);
  EXPECT_EQ(MaskV6(a.raw, 0), RawAddr{});
}

// ipvsadm lists services by family first (ipvs_cmp_services), then numerically by address.
TEST(IpAddrTest, OrdersByFamilyThenNumerically) {
  std::vector<IpAddr> addrs = {Addr("2001:db8::1"), Addr("198.19.0.1"), Addr("::1"), Addr("198.18.0.2"),
                               Addr("198.18.0.10"), Addr("10.0.0.1")};
  std::sort(addrs.begin(), addrs.end());
  std::vector<std::string> text;
  for (const IpAddr& a : addrs) text.push_back(a.ToString());
  EXPECT_EQ(text, (std::vector<std::string>{"10.0.0.1", "198.18.0.2", "198.18.0.10", "198.19.0.1", "::1",
                                            "2001:db8::1"}));
  EXPECT_LT(Addr("255.255.255.255"), Addr("::"));
}

TEST(EndpointTest, ToStringBracketsIpv6) {
  EXPECT_EQ((Endpoint{Addr("198.18.0.1"), 80}).ToString(), "198.18.0.1:80");
  EXPECT_EQ((Endpoint{Addr("2001:db8::1"), 443}).ToString(), "[2001:db8::1]:443");
}

TEST(EndpointTest, OrdersByAddressThenPort) {
  EXPECT_LT((Endpoint{Addr("198.18.0.1"), 80}), (Endpoint{Addr("198.18.0.1"), 443}));
  EXPECT_LT((Endpoint{Addr("198.18.0.1"), 443}), (Endpoint{Addr("198.18.0.2"), 80}));
  EXPECT_LT((Endpoint{Addr("198.18.0.2"), 80}), (Endpoint{Addr("2001:db8::1"), 1}));
  EXPECT_EQ((Endpoint{Addr("198.18.0.1"), 80}), (Endpoint{Addr("198.18.0.1"), 80}));
}

}  // namespace
}  // namespace ipvsd::net

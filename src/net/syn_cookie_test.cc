#include "net/syn_cookie.h"

#include <gtest/gtest.h>

namespace ipvsd::net {
namespace {

constexpr HashKey kKey{{0x0123456789abcdefull, 0xfedcba9876543210ull}};
constexpr uint64_t kNow = 1'000 * 60'000'000'000ull + 17'000'000'000ull;  // 17 s into a minute
constexpr uint64_t kMinute = 60'000'000'000ull;

CookieTuple Tuple() {
  return CookieTuple{Family::kInet, RawAddr::FromV4(0xc6120005), RawAddr::FromV4(0xc6130001), 40000, 80};
}

// The ACK a client sends for the SYN-ACK `c`: its next sequence number, the cookie + 1, and
// (with timestamps) the SYN-ACK's TSval echoed.
TcpOptions AckOptions(const TcpOptions& syn, const SynCookie& c) {
  TcpOptions ack;
  ack.has_ts = syn.has_ts;
  ack.tsval = syn.tsval + 1;
  ack.tsecr = c.tsval;
  return ack;
}

TEST(SynCookieTest, RoundTripOfEveryMssAndOptionCombination) {
  for (uint16_t mss : {uint16_t{0}, uint16_t{536}, uint16_t{1220}, uint16_t{1279}, uint16_t{1280}, uint16_t{1300},
                       uint16_t{1360}, uint16_t{1400}, uint16_t{1440}, uint16_t{1460}, uint16_t{9000}}) {
    for (bool ts : {false, true}) {
      for (bool sack : {false, true}) {
        for (uint8_t ws : {kNoWscale, uint8_t{0}, uint8_t{7}, uint8_t{14}}) {
          TcpOptions syn;
          syn.mss = mss;
          syn.has_ts = ts;
          syn.tsval = 123456;
          syn.sack_ok = sack;
          syn.wscale = ws;
          const SynCookie c = IssueSynCookie(kKey, Tuple(), 5000, syn, kNow);
          EXPECT_EQ(c.mss, kCookieMss[static_cast<size_t>(CookieMssIndex(mss, Family::kInet))]);
          EXPECT_LE(c.mss, mss == 0 ? 536 : (mss < 536 ? 536 : mss));
          const std::optional<TcpOptions> got =
              RedeemSynCookie(kKey, Tuple(), 5001, c.isn + 1, AckOptions(syn, c), kNow + kMinute);
          ASSERT_TRUE(got) << mss << " " << ts << " " << sack << " " << int{ws};
          EXPECT_EQ(got->mss, c.mss);
          EXPECT_EQ(got->has_ts, ts);
          // Window scale and SACK ride in the timestamp: without one, the client gets neither.
          EXPECT_EQ(got->sack_ok, ts && sack);
          EXPECT_EQ(got->wscale, ts ? ws : kNoWscale);
          if (ts) {
            EXPECT_EQ(got->tsval, 123457u);
          }
        }
      }
    }
  }
}

TEST(SynCookieTest, MssIndexIsTheLargestNotAboveTheClients) {
  EXPECT_EQ(kCookieMss[static_cast<size_t>(CookieMssIndex(1460, Family::kInet))], 1460);
  EXPECT_EQ(kCookieMss[static_cast<size_t>(CookieMssIndex(1459, Family::kInet))], 1440);
  EXPECT_EQ(kCookieMss[static_cast<size_t>(CookieMssIndex(0, Family::kInet))], 536);
  EXPECT_EQ(kCookieMss[static_cast<size_t>(CookieMssIndex(0, Family::kInet6))], 1220);
}

TEST(SynCookieTest, RejectsAnotherTupleKeyOrClientIsn) {
  TcpOptions syn;
  syn.mss = 1460;
  const SynCookie c = IssueSynCookie(kKey, Tuple(), 5000, syn, kNow);
  const TcpOptions ack;
  ASSERT_TRUE(RedeemSynCookie(kKey, Tuple(), 5001, c.isn + 1, ack, kNow));
  CookieTuple t = Tuple();
  t.sport = 40001;
  EXPECT_FALSE(RedeemSynCookie(kKey, t, 5001, c.isn + 1, ack, kNow));
  t = Tuple();
  t.saddr = RawAddr::FromV4(0xc6120006);
  EXPECT_FALSE(RedeemSynCookie(kKey, t, 5001, c.isn + 1, ack, kNow));
  t = Tuple();
  t.dport = 81;
  EXPECT_FALSE(RedeemSynCookie(kKey, t, 5001, c.isn + 1, ack, kNow));
  EXPECT_FALSE(RedeemSynCookie(kKey, Tuple(), 5002, c.isn + 1, ack, kNow));
  EXPECT_FALSE(RedeemSynCookie(HashKey{{1, 2}}, Tuple(), 5001, c.isn + 1, ack, kNow));
}

TEST(SynCookieTest, AcceptsTheCurrentAndPreviousMinuteOnly) {
  TcpOptions syn;
  const SynCookie c = IssueSynCookie(kKey, Tuple(), 5000, syn, kNow);
  const TcpOptions ack;
  EXPECT_TRUE(RedeemSynCookie(kKey, Tuple(), 5001, c.isn + 1, ack, kNow + kMinute));
  EXPECT_FALSE(RedeemSynCookie(kKey, Tuple(), 5001, c.isn + 1, ack, kNow + 2 * kMinute));
  EXPECT_FALSE(RedeemSynCookie(kKey, Tuple(), 5001, c.isn + 1, ack, kNow - kMinute));
}

TEST(SynCookieTest, RejectsEveryFlippedBitOfTheMac) {
  TcpOptions syn;
  syn.mss = 1460;
  syn.has_ts = true;
  syn.sack_ok = true;
  syn.wscale = 7;
  const SynCookie c = IssueSynCookie(kKey, Tuple(), 5000, syn, kNow);
  const TcpOptions ack = AckOptions(syn, c);
  ASSERT_TRUE(RedeemSynCookie(kKey, Tuple(), 5001, c.isn + 1, ack, kNow));
  // Bits 3..31 are the MAC; the low three the MSS index, which any value may hold.
  for (int bit = 3; bit < 32; ++bit) {
    EXPECT_FALSE(RedeemSynCookie(kKey, Tuple(), 5001, (c.isn ^ (1u << bit)) + 1, ack, kNow)) << bit;
  }
  // The options in the echoed TSval are covered as well.
  for (int bit = 0; bit < 5; ++bit) {
    TcpOptions forged = ack;
    forged.tsecr ^= 1u << bit;
    EXPECT_FALSE(RedeemSynCookie(kKey, Tuple(), 5001, c.isn + 1, forged, kNow)) << bit;
  }
  // An ACK without the timestamps the SYN had cannot be this cookie's.
  TcpOptions no_ts;
  EXPECT_FALSE(RedeemSynCookie(kKey, Tuple(), 5001, c.isn + 1, no_ts, kNow));
}

TEST(SynCookieTest, Ipv6TuplesWork) {
  CookieTuple t;
  t.family = Family::kInet6;
  t.saddr.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
  t.daddr.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  t.sport = 1234;
  t.dport = 443;
  TcpOptions syn;
  syn.mss = 1440;
  const SynCookie c = IssueSynCookie(kKey, t, 77, syn, kNow);
  EXPECT_EQ(c.mss, 1440);
  EXPECT_TRUE(RedeemSynCookie(kKey, t, 78, c.isn + 1, TcpOptions{}, kNow));
  t.saddr.bytes[15] = 6;
  EXPECT_FALSE(RedeemSynCookie(kKey, t, 78, c.isn + 1, TcpOptions{}, kNow));
}

}  // namespace
}  // namespace ipvsd::net

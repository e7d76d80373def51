#include "ctl/codec.h"

#include <gtest/gtest.h>

namespace ipvsd::ctl {
namespace {

ServiceSpec SampleSpec() {
  ServiceSpec s;
  s.key.family = net::Family::kInet6;
  s.key.protocol = 6;
  s.key.addr = net::IpAddr::Parse("2001:db8::1")->raw;
  s.key.port = 443;
  s.sched_name = "mh";
  s.flags = kSvcPersistent | kSvcSched1;
  s.timeout = 360;
  s.netmask = 64;
  s.pe_name = "sip";
  return s;
}

DestSpec SampleDest() {
  DestSpec d;
  d.addr = *net::IpAddr::Parse("198.18.0.2");
  d.port = 8080;
  d.fwd = Fwd::kTunnel;
  d.weight = 65535;
  d.u_threshold = 100;
  d.l_threshold = 10;
  d.tun_type = TunType::kGue;
  d.tun_port = 6080;
  d.tun_csum = TunCsum::kRemCsum;
  return d;
}

template <typename T>
T RoundTrip(const T& v) {
  Writer w;
  Put(w, v);
  auto r = DecodePayload<T>(w.buffer());
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : T{};
}

TEST(CodecTest, RoundTripsEveryPayload) {
  EXPECT_EQ(RoundTrip(SampleSpec()), SampleSpec());
  EXPECT_EQ(RoundTrip(SampleDest()), SampleDest());
  DestRequest dr{SampleSpec().key, SampleDest()};
  EXPECT_EQ(RoundTrip(dr), dr);
  ZeroRequest z{1, SampleSpec().key};
  EXPECT_EQ(RoundTrip(z), z);

  ServiceEntry e;
  e.spec = SampleSpec();
  e.stats = StatsBlock{1, 2, 3, 4, 5, 6, 7, 8, 9, ~0ull};
  DestEntry de{SampleDest(), 1, 2, 3, StatsBlock{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}};
  e.dests = {de, de};
  ServiceList list{{e, e}};
  EXPECT_EQ(RoundTrip(list), list);
  EXPECT_EQ(RoundTrip(e), e);

  InfoReply info{kIpvsVersionCode, 1 << 20, 7};
  EXPECT_EQ(RoundTrip(info), info);
  TimeoutsMsg t{900, 120, 300};
  EXPECT_EQ(RoundTrip(t), t);

  DaemonConfig dc;
  dc.state = kStateBackup;
  dc.mcast_ifn = "eth0";
  dc.syncid = 200;
  dc.sync_maxlen = 1472;
  dc.mcast_group = *net::IpAddr::Parse("ff02::1234");
  dc.mcast_port = 8848;
  dc.mcast_ttl = 3;
  EXPECT_EQ(RoundTrip(dc), dc);
  DaemonList dl{{dc}};
  EXPECT_EQ(RoundTrip(dl), dl);
  EXPECT_EQ(RoundTrip(DaemonStop{kStateMaster}), DaemonStop{kStateMaster});
  EXPECT_EQ(RoundTrip(Handover{4242, "1.2.3"}), (Handover{4242, "1.2.3"}));

  ConnRecord c;
  c.protocol = 17;
  c.client = {*net::IpAddr::Parse("198.18.1.1"), 40000};
  c.vaddr = {*net::IpAddr::Parse("198.18.0.1"), 53};
  c.dest = {*net::IpAddr::Parse("2001:db8::2"), 53};
  c.state = "UDP";
  c.expires = 299;
  c.pe_name = "sip";
  c.pe_data = "call-id";
  ConnList cl{{c}, 1, ConnCursor{2, 77, 4096}};
  EXPECT_EQ(RoundTrip(cl), cl);
  EXPECT_EQ(RoundTrip(ConnCursor{3, 1u << 20, 10}), (ConnCursor{3, 1u << 20, 10}));
}

template <typename T>
int DecodeError(const T& v) {
  Writer w;
  Put(w, v);
  auto r = DecodePayload<T>(w.buffer());
  return r.ok() ? 0 : r.error().code;
}

// The daemon counts time in 1/16 s in 32 bits: a timeout of 2^28 s used to wrap to immediate
// expiry. Every field is range-checked where it enters the daemon, whatever a client sends.
TEST(CodecTest, FieldsOutOfRangeAreRefusedOnDecoding) {
  EXPECT_EQ(DecodeError(TimeoutsMsg{kMaxTimeout, kMaxTimeout, kMaxTimeout}), 0);
  EXPECT_EQ(DecodeError(TimeoutsMsg{1u << 28, 0, 0}), EINVAL);
  EXPECT_EQ(DecodeError(TimeoutsMsg{0, kMaxTimeout + 1, 0}), EINVAL);
  EXPECT_EQ(DecodeError(TimeoutsMsg{0, 0, 0xffffffffu}), EINVAL);
  ServiceSpec spec = SampleSpec();
  spec.timeout = kMaxTimeout;
  EXPECT_EQ(DecodeError(spec), 0);
  spec.timeout = 1u << 28;
  EXPECT_EQ(DecodeError(spec), EINVAL);
  DaemonConfig dc;
  dc.state = kStateMaster;
  dc.syncid = 255;
  dc.sync_maxlen = kMaxSyncMaxlen;
  EXPECT_EQ(DecodeError(dc), 0);
  dc.syncid = 256;
  EXPECT_EQ(DecodeError(dc), EINVAL);
  dc.syncid = 1;
  dc.sync_maxlen = kMaxSyncMaxlen + 1;
  EXPECT_EQ(DecodeError(dc), EINVAL);
}

TEST(CodecTest, DataPlaneInfoRoundTrips) {
  WorkerInfo w0{0, {{"d0", 0}, {"d0", 2}, {"d1", 0}}, 12, 1000, 990, 10, 480, 470};
  WorkerInfo w1{1, {{"eth0", kEveryQueue}}, 3, 1ull << 40, 5, 0, 0, 0};
  DataPlaneInfo d{"AF_XDP native copy-mode", {w0, w1}};
  EXPECT_EQ(RoundTrip(d), d);
  EXPECT_EQ(RoundTrip(DataPlaneInfo{}), DataPlaneInfo{});
}

TEST(CodecTest, BatchesRoundTripAndRefuseStepsThatAreNotChanges) {
  BatchRequest b;
  b.steps.push_back(MakeBatchStep(MsgType::kAddService, SampleSpec()));
  b.steps.push_back(MakeBatchStep(MsgType::kFlush, Empty{}));
  EXPECT_EQ(RoundTrip(b), b);
  EXPECT_EQ(RoundTrip(BatchReply{3, EEXIST, "service already exists"}), (BatchReply{3, EEXIST, "service already exists"}));
  BatchRequest listing;
  listing.steps.push_back(MakeBatchStep(MsgType::kGetConns, Empty{}));
  Writer w;
  Put(w, listing);
  EXPECT_EQ(DecodePayload<BatchRequest>(w.buffer()).error().code, EINVAL);
  // A step claiming more bytes than the payload holds.
  std::vector<uint8_t> lying = {0, 0, 0, 1, 0, 2, 0, 0, 1, 0};
  EXPECT_EQ(DecodePayload<BatchRequest>(lying).error().code, EINVAL);
}

TEST(CodecTest, EncodesBigEndianFieldByField) {
  ServiceKey k;
  k.fwmark = 0x01020304;
  k.family = net::Family::kInet;
  k.protocol = 17;
  k.addr = net::RawAddr::FromV4(0xc6120001);
  k.port = 0x1234;
  Writer w;
  Put(w, k);
  std::vector<uint8_t> want = {1, 2, 3, 4, 2, 0xc6, 0x12, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17, 0x12, 0x34};
  EXPECT_EQ(w.buffer(), want);

  auto frame = EncodeRequest(MsgType::kGetInfo, Empty{});
  std::vector<uint8_t> header = {0x49, 0x50, 0x56, 0x44, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(frame, header);
}

TEST(CodecTest, HeaderRoundTrip) {
  auto frame = EncodeReply(MsgType::kGetTimeouts, TimeoutsMsg{1, 2, 3});
  auto h = DecodeHeader(frame, kMaxRequestPayload);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->type, static_cast<uint16_t>(MsgType::kGetTimeouts) | kReplyBit);
  EXPECT_EQ(h->length, 12u);
  EXPECT_EQ(h->errcode, 0u);
}

TEST(CodecTest, RejectsBadMagic) {
  auto frame = EncodeRequest(MsgType::kFlush, Empty{});
  frame[0] ^= 0xff;
  EXPECT_EQ(DecodeHeader(frame, kMaxRequestPayload).error().code, EPROTO);
}

TEST(CodecTest, RejectsBadVersion) {
  auto frame = EncodeRequest(MsgType::kFlush, Empty{});
  frame[5] = 2;
  EXPECT_EQ(DecodeHeader(frame, kMaxRequestPayload).error().code, EPROTONOSUPPORT);
}

TEST(CodecTest, RejectsLengthBeyondMaximum) {
  Writer w;
  PutHeader(w, static_cast<uint16_t>(MsgType::kAddService), kMaxRequestPayload + 1, 0);
  EXPECT_EQ(DecodeHeader(w.buffer(), kMaxRequestPayload).error().code, EMSGSIZE);
  EXPECT_TRUE(DecodeHeader(w.buffer(), kMaxReplyPayload).ok());
}

TEST(CodecTest, RejectsTruncatedHeader) {
  auto frame = EncodeRequest(MsgType::kFlush, Empty{});
  EXPECT_EQ(DecodeHeader(std::span(frame).first(kHeaderSize - 1), kMaxRequestPayload).error().code, EBADMSG);
}

TEST(CodecTest, RejectsEveryTruncationOfAPayload) {
  Writer w;
  Put(w, DestRequest{SampleSpec().key, SampleDest()});
  const auto& full = w.buffer();
  for (size_t n = 0; n < full.size(); ++n) {
    auto r = DecodePayload<DestRequest>(std::span(full).first(n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, EBADMSG) << n;
  }
}

TEST(CodecTest, RejectsTrailingBytes) {
  Writer w;
  Put(w, SampleSpec());
  w.U8(0);
  auto r = DecodePayload<ServiceSpec>(w.buffer());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, EBADMSG);
  EXPECT_EQ(DecodePayload<Empty>(std::vector<uint8_t>{1}).error().code, EBADMSG);
}

TEST(CodecTest, UnknownTypes) {
  EXPECT_FALSE(IsKnownRequest(0));
  EXPECT_TRUE(IsKnownRequest(static_cast<uint16_t>(MsgType::kGetInfo)));
  EXPECT_TRUE(IsKnownRequest(static_cast<uint16_t>(MsgType::kGetConns)));
  EXPECT_FALSE(IsKnownRequest(kLastMsgType + 1));
  // A reply sent as a request is out of order, not a request.
  EXPECT_FALSE(IsKnownRequest(static_cast<uint16_t>(MsgType::kGetInfo) | kReplyBit));
}

TEST(CodecTest, RejectsFieldsOutOfRange) {
  DestSpec d = SampleDest();
  Writer w;
  Put(w, d);
  auto bytes = w.buffer();
  bytes[17 + 2] = 9;  // forwarding method, after family + 16 address bytes + port
  EXPECT_EQ(DecodePayload<DestSpec>(bytes).error().code, EINVAL);

  Writer k;
  Put(k, SampleSpec().key);
  auto key = k.buffer();
  key[4] = 7;  // address family
  EXPECT_EQ(DecodePayload<ServiceKey>(key).error().code, EINVAL);

  ServiceSpec s = SampleSpec();
  s.sched_name = std::string(kSchedNameMax, 'x');
  Writer ws;
  Put(ws, s);
  EXPECT_EQ(DecodePayload<ServiceSpec>(ws.buffer()).error().code, EINVAL);

  Writer wd;
  Put(wd, DaemonStop{3});
  EXPECT_EQ(DecodePayload<DaemonStop>(wd.buffer()).error().code, EINVAL);
}

TEST(CodecTest, RejectsListCountsBeyondThePayload) {
  Writer w;
  w.U32(0xffffffff);
  EXPECT_FALSE(DecodePayload<ServiceList>(w.buffer()).ok());
}

TEST(CodecTest, ErrorReplyCarriesCodeAndDetail) {
  auto frame = EncodeErrorReply(static_cast<uint16_t>(MsgType::kAddService), MakeError(EEXIST, "exists"));
  auto h = DecodeHeader(frame, kMaxReplyPayload);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->errcode, static_cast<uint32_t>(EEXIST));
  EXPECT_EQ(h->type, static_cast<uint16_t>(MsgType::kAddService) | kReplyBit);
  EXPECT_EQ(DecodeErrorDetail(std::span(frame).subspan(kHeaderSize)), "exists");
}

}  // namespace
}  // namespace ipvsd::ctl

#include "ctl/handlers.h"

#include <gtest/gtest.h>

#include "ctl/codec.h"

namespace ipvsd::ctl {
namespace {

// The handlers do not care how a scheduler picks; a stand-in keeps the test within ctl + core.
class FakeScheduler : public core::Scheduler {
 public:
  explicit FakeScheduler(std::string_view name) : name_(name) {}
  std::string_view name() const override { return name_; }
  void OnDestsChanged(std::span<core::Dest* const>) override {}
  core::Dest* Pick(const core::FlowKey&, Ticks) override { return nullptr; }

 private:
  std::string name_;
};

Result<std::unique_ptr<core::Scheduler>> FakeFactory(std::string_view name, uint32_t) {
  if (name != "wlc" && name != "rr" && name != "sh") return MakeError(ENOENT, "no scheduler");
  return std::unique_ptr<core::Scheduler>(std::make_unique<FakeScheduler>(name));
}

class HandlersTest : public ::testing::Test {
 protected:
  HandlersTest() : manager_(FakeFactory), handlers_(manager_, timeouts_, 4096, [this](const ConnCursor& c) { return Page(c); }) {}

  // Sends a request through Handle() and returns (errcode, payload).
  template <typename Req>
  std::pair<uint32_t, std::vector<uint8_t>> Call(MsgType type, const Req& req) {
    Writer w;
    Put(w, req);
    auto frame = handlers_.Handle(static_cast<uint16_t>(type), w.buffer());
    auto h = DecodeHeader(frame, kMaxReplyPayload);
    EXPECT_TRUE(h.ok());
    EXPECT_EQ(h->type, static_cast<uint16_t>(type) | kReplyBit);
    return {h->errcode, std::vector<uint8_t>(frame.begin() + kHeaderSize, frame.end())};
  }

  template <typename Rep, typename Req>
  Rep Get(MsgType type, const Req& req) {
    auto [err, payload] = Call(type, req);
    EXPECT_EQ(err, 0u);
    auto r = DecodePayload<Rep>(payload);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : Rep{};
  }

  static ServiceSpec Tcp(const char* addr, uint16_t port, const char* sched = "wlc") {
    ServiceSpec s;
    s.key.protocol = 6;
    s.key.addr = net::IpAddr::Parse(addr)->raw;
    s.key.port = port;
    s.sched_name = sched;
    return s;
  }
  static DestRequest Dest(const ServiceSpec& svc, const char* addr, uint16_t port, int weight = 1) {
    DestRequest r;
    r.service = svc.key;
    r.dest.addr = *net::IpAddr::Parse(addr);
    r.dest.port = port;
    r.dest.fwd = Fwd::kMasq;
    r.dest.weight = weight;
    return r;
  }

  core::Timeouts timeouts_;
  core::ServiceManager manager_;
  // Pages of conns_ as the data plane makes them: part 0 only, slot = the index of the next.
  ConnList Page(const ConnCursor& c) {
    pages_asked_.push_back(c);
    ConnList page;
    for (uint32_t i = c.slot; i < conns_.size() && page.conns.size() < c.max; ++i) page.conns.push_back(conns_[i]);
    const uint32_t next = c.slot + static_cast<uint32_t>(page.conns.size());
    page.more = next < conns_.size();
    page.next = ConnCursor{0, next, 0};
    return page;
  }

  std::vector<ConnRecord> conns_;
  std::vector<ConnCursor> pages_asked_;
  Handlers handlers_;
};

TEST_F(HandlersTest, AddListDeleteService) {
  ServiceSpec s = Tcp("198.18.0.1", 80);
  EXPECT_EQ(Call(MsgType::kAddService, s).first, 0u);
  EXPECT_EQ(Call(MsgType::kAddService, s).first, static_cast<uint32_t>(EEXIST));
  EXPECT_EQ(Call(MsgType::kAddDest, Dest(s, "198.18.1.1", 8080)).first, 0u);
  EXPECT_EQ(Call(MsgType::kAddDest, Dest(s, "198.18.1.2", 8080, 3)).first, 0u);
  EXPECT_EQ(Call(MsgType::kAddDest, Dest(s, "198.18.1.2", 8080)).first, static_cast<uint32_t>(EEXIST));

  auto list = Get<ServiceList>(MsgType::kGetServices, Empty{});
  ASSERT_EQ(list.services.size(), 1u);
  EXPECT_EQ(list.services[0].spec.key, s.key);
  EXPECT_EQ(list.services[0].spec.sched_name, "wlc");
  ASSERT_EQ(list.services[0].dests.size(), 2u);
  // Newest first, as the kernel lists them.
  EXPECT_EQ(list.services[0].dests[0].spec.addr, *net::IpAddr::Parse("198.18.1.2"));
  EXPECT_EQ(list.services[0].dests[0].spec.weight, 3);
  EXPECT_EQ(list.services[0].dests[0].spec.fwd, Fwd::kMasq);

  auto one = Get<ServiceEntry>(MsgType::kGetService, s.key);
  EXPECT_EQ(one, list.services[0]);

  auto info = Get<InfoReply>(MsgType::kGetInfo, Empty{});
  EXPECT_EQ(info.conn_tab_size, 4096u);
  EXPECT_EQ(info.num_services, 1u);
  EXPECT_EQ(info.version_code, 0x010201u);

  EXPECT_EQ(Call(MsgType::kDelService, s.key).first, 0u);
  EXPECT_EQ(Call(MsgType::kDelService, s.key).first, static_cast<uint32_t>(ESRCH));
  EXPECT_EQ(Call(MsgType::kGetService, s.key).first, static_cast<uint32_t>(ESRCH));
}

TEST_F(HandlersTest, KernelErrnoValues) {
  ServiceSpec s = Tcp("198.18.0.1", 80);
  EXPECT_EQ(Call(MsgType::kAddService, Tcp("198.18.0.1", 80, "nope")).first, static_cast<uint32_t>(ENOENT));
  EXPECT_EQ(Call(MsgType::kEditService, s).first, static_cast<uint32_t>(ESRCH));
  EXPECT_EQ(Call(MsgType::kAddDest, Dest(s, "198.18.1.1", 80)).first, static_cast<uint32_t>(ESRCH));
  ASSERT_EQ(Call(MsgType::kAddService, s).first, 0u);
  EXPECT_EQ(Call(MsgType::kEditDest, Dest(s, "198.18.1.1", 80)).first, static_cast<uint32_t>(ENOENT));
  EXPECT_EQ(Call(MsgType::kDelDest, Dest(s, "198.18.1.1", 80)).first, static_cast<uint32_t>(ENOENT));
  DestRequest bad = Dest(s, "198.18.1.1", 80);
  bad.dest.l_threshold = 10;  // -y without -x
  EXPECT_EQ(Call(MsgType::kAddDest, bad).first, static_cast<uint32_t>(ERANGE));
  EXPECT_EQ(Call(MsgType::kAddDest, Dest(s, "0.0.0.0", 80)).first, static_cast<uint32_t>(EINVAL));
  ZeroRequest z{0, Tcp("198.18.0.9", 80).key};
  EXPECT_EQ(Call(MsgType::kZero, z).first, static_cast<uint32_t>(ESRCH));
  EXPECT_EQ(Call(MsgType::kZero, ZeroRequest{1, {}}).first, 0u);
}

TEST_F(HandlersTest, FailedRequestChangesNothing) {
  ServiceSpec s = Tcp("198.18.0.1", 80);
  ASSERT_EQ(Call(MsgType::kAddService, s).first, 0u);
  ASSERT_EQ(Call(MsgType::kAddDest, Dest(s, "198.18.1.1", 80)).first, 0u);
  auto before = Get<ServiceList>(MsgType::kGetServices, Empty{});
  ServiceSpec edit = s;
  edit.sched_name = "nope";
  EXPECT_EQ(Call(MsgType::kEditService, edit).first, static_cast<uint32_t>(ENOENT));
  DestRequest bad = Dest(s, "198.18.1.1", 80, 5);
  bad.dest.l_threshold = 10;
  EXPECT_EQ(Call(MsgType::kEditDest, bad).first, static_cast<uint32_t>(ERANGE));
  EXPECT_EQ(Get<ServiceList>(MsgType::kGetServices, Empty{}), before);
}

TEST_F(HandlersTest, MalformedPayloadsAreRejected) {
  auto frame = handlers_.Handle(static_cast<uint16_t>(MsgType::kAddService), std::vector<uint8_t>{1, 2, 3});
  EXPECT_EQ(DecodeHeader(frame, kMaxReplyPayload)->errcode, static_cast<uint32_t>(EBADMSG));
  frame = handlers_.Handle(static_cast<uint16_t>(MsgType::kFlush), std::vector<uint8_t>{0});
  EXPECT_EQ(DecodeHeader(frame, kMaxReplyPayload)->errcode, static_cast<uint32_t>(EBADMSG));
  frame = handlers_.Handle(999, {});
  EXPECT_EQ(DecodeHeader(frame, kMaxReplyPayload)->errcode, static_cast<uint32_t>(EBADRQC));
  EXPECT_EQ(manager_.table()->size(), 0u);
}

TEST_F(HandlersTest, FwmarkServicesAreKeyedByMarkAndFamily) {
  ServiceSpec s;
  s.key.fwmark = 7;
  s.key.protocol = 6;  // ipvsadm sends TCP for fwmark services; it is not part of the key
  s.sched_name = "rr";
  ASSERT_EQ(Call(MsgType::kAddService, s).first, 0u);
  ServiceSpec v6 = s;
  v6.key.family = net::Family::kInet6;
  v6.netmask = 128;
  ASSERT_EQ(Call(MsgType::kAddService, v6).first, 0u);
  ServiceKey lookup;
  lookup.fwmark = 7;
  EXPECT_EQ(Call(MsgType::kGetService, lookup).first, 0u);
  EXPECT_EQ(Get<ServiceList>(MsgType::kGetServices, Empty{}).services.size(), 2u);
}

TEST_F(HandlersTest, Timeouts) {
  EXPECT_EQ(Get<TimeoutsMsg>(MsgType::kGetTimeouts, Empty{}), (TimeoutsMsg{900, 120, 300}));
  EXPECT_EQ(Call(MsgType::kSetTimeouts, TimeoutsMsg{100, 0, 50}).first, 0u);
  EXPECT_EQ(Get<TimeoutsMsg>(MsgType::kGetTimeouts, Empty{}), (TimeoutsMsg{100, 120, 50}));
}

TEST_F(HandlersTest, SyncDaemonConfigurationIsStored) {
  DaemonConfig m;
  m.state = kStateMaster;
  m.mcast_ifn = "eth0";
  m.syncid = 5;
  EXPECT_EQ(Call(MsgType::kStartDaemon, m).first, 0u);
  EXPECT_EQ(Call(MsgType::kStartDaemon, m).first, static_cast<uint32_t>(EEXIST));
  auto list = Get<DaemonList>(MsgType::kGetDaemons, Empty{});
  ASSERT_EQ(list.daemons.size(), 1u);
  EXPECT_EQ(list.daemons[0].mcast_ifn, "eth0");
  EXPECT_EQ(list.daemons[0].sync_maxlen, 1472);
  EXPECT_EQ(list.daemons[0].mcast_port, 8848);
  EXPECT_EQ(list.daemons[0].mcast_ttl, 1);
  EXPECT_EQ(list.daemons[0].mcast_group, net::IpAddr::V4(0xe0000051));
  EXPECT_EQ(Call(MsgType::kStopDaemon, DaemonStop{kStateBackup}).first, static_cast<uint32_t>(ESRCH));
  EXPECT_EQ(Call(MsgType::kStopDaemon, DaemonStop{kStateMaster}).first, 0u);
  EXPECT_TRUE(Get<DaemonList>(MsgType::kGetDaemons, Empty{}).daemons.empty());
}

TEST_F(HandlersTest, HandoverIsRefusedWithoutASinkAndAnsweredByOne) {
  EXPECT_EQ(Call(MsgType::kHandover, Handover{4242, "0.9"}).first, static_cast<uint32_t>(EOPNOTSUPP));
  std::vector<Handover> asked;
  Handlers with_sink(manager_, timeouts_, 4096, [](const ConnCursor&) { return ConnList{}; }, nullptr, {}, {},
                     [&](const Handover& h) -> Result<Handover> {
                       asked.push_back(h);
                       return Handover{17, "1.0"};
                     });
  Writer w;
  Put(w, Handover{4242, "0.9"});
  auto frame = with_sink.Handle(static_cast<uint16_t>(MsgType::kHandover), w.buffer());
  auto h = DecodeHeader(frame, kMaxReplyPayload);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->errcode, 0u);
  auto reply = DecodePayload<Handover>(std::vector<uint8_t>(frame.begin() + kHeaderSize, frame.end()));
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(*reply, (Handover{17, "1.0"}));
  EXPECT_EQ(asked, (std::vector<Handover>{Handover{4242, "0.9"}}));
}

TEST_F(HandlersTest, ConnectionListComesFromTheHookOnePageAtATime) {
  EXPECT_TRUE(Get<ConnList>(MsgType::kGetConns, ConnCursor{}).conns.empty());
  ConnRecord c;
  c.protocol = 6;
  c.client = {*net::IpAddr::Parse("198.18.1.1"), 40000};
  c.vaddr = {*net::IpAddr::Parse("198.18.0.1"), 80};
  c.dest = {*net::IpAddr::Parse("198.18.2.1"), 80};
  c.state = "ESTABLISHED";
  c.expires = 899;
  conns_ = {c, c};
  auto list = Get<ConnList>(MsgType::kGetConns, ConnCursor{});
  ASSERT_EQ(list.conns.size(), 2u);
  EXPECT_EQ(list.conns[0], c);
  EXPECT_FALSE(list.more);

  // A page never holds more than asked, nor more than kConnPageMax whatever is asked.
  conns_.assign(kConnPageMax + 10, c);
  auto first = Get<ConnList>(MsgType::kGetConns, ConnCursor{0, 0, 100000});
  EXPECT_EQ(first.conns.size(), kConnPageMax);
  EXPECT_TRUE(first.more);
  EXPECT_EQ(pages_asked_.back().max, kConnPageMax);
  auto second = Get<ConnList>(MsgType::kGetConns, first.next);
  EXPECT_EQ(second.conns.size(), 10u);
  EXPECT_FALSE(second.more);
  EXPECT_EQ(Get<ConnList>(MsgType::kGetConns, ConnCursor{0, 0, 3}).conns.size(), 3u);
}

TEST_F(HandlersTest, DataPlaneComesFromItsHookAndIsNoneWithout) {
  EXPECT_EQ(Get<DataPlaneInfo>(MsgType::kGetDataPlane, Empty{}), DataPlaneInfo{});
  DataPlaneInfo d{"AF_PACKET fanout", {WorkerInfo{0, {{"eth0", kEveryQueue}}, 1, 2, 3, 4, 5, 6}}};
  Handlers with_data_plane(manager_, timeouts_, 4096, [](const ConnCursor&) { return ConnList{}; }, nullptr,
                           [&] { return d; });
  std::vector<uint8_t> frame = with_data_plane.Handle(static_cast<uint16_t>(MsgType::kGetDataPlane), {});
  auto got = DecodePayload<DataPlaneInfo>(std::vector<uint8_t>(frame.begin() + kHeaderSize, frame.end()));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, d);
}

TEST_F(HandlersTest, ABatchAppliesEveryStepOrNone) {
  const ServiceSpec web = Tcp("198.19.0.1", 80, "rr");
  BatchRequest ok;
  ok.steps.push_back(MakeBatchStep(MsgType::kAddService, web));
  ok.steps.push_back(MakeBatchStep(MsgType::kAddDest, Dest(web, "198.18.1.1", 80)));
  ok.steps.push_back(MakeBatchStep(MsgType::kAddDest, Dest(web, "198.18.1.2", 80)));
  ok.steps.push_back(MakeBatchStep(MsgType::kSetTimeouts, TimeoutsMsg{100, 0, 0}));
  EXPECT_EQ(Get<BatchReply>(MsgType::kBatch, ok), BatchReply{});
  EXPECT_EQ(Get<ServiceList>(MsgType::kGetServices, Empty{}).services.at(0).dests.size(), 2u);
  EXPECT_EQ(Get<TimeoutsMsg>(MsgType::kGetTimeouts, Empty{}).tcp, 100u);

  // Step 3 fails (the destination exists): neither the new service, nor the timeouts, nor
  // the deletion before it happen.
  const uint64_t gen = manager_.generation();
  BatchRequest bad;
  bad.steps.push_back(MakeBatchStep(MsgType::kAddService, Tcp("198.19.0.2", 80)));
  bad.steps.push_back(MakeBatchStep(MsgType::kSetTimeouts, TimeoutsMsg{200, 0, 0}));
  bad.steps.push_back(MakeBatchStep(MsgType::kDelDest, Dest(web, "198.18.1.2", 80)));
  bad.steps.push_back(MakeBatchStep(MsgType::kAddDest, Dest(web, "198.18.1.1", 80)));
  bad.steps.push_back(MakeBatchStep(MsgType::kFlush, Empty{}));
  BatchReply reply = Get<BatchReply>(MsgType::kBatch, bad);
  EXPECT_EQ(reply.failed_step, 3u);
  EXPECT_EQ(reply.errcode, static_cast<uint32_t>(EEXIST));
  EXPECT_EQ(manager_.generation(), gen);
  EXPECT_EQ(Get<ServiceList>(MsgType::kGetServices, Empty{}).services.size(), 1u);
  EXPECT_EQ(Get<TimeoutsMsg>(MsgType::kGetTimeouts, Empty{}).tcp, 100u);

  // A step whose payload does not decode is named the same way.
  BatchRequest garbled;
  garbled.steps.push_back(MakeBatchStep(MsgType::kAddService, Tcp("198.19.0.3", 80)));
  garbled.steps.push_back(BatchStep{static_cast<uint16_t>(MsgType::kAddDest), {1, 2, 3}});
  reply = Get<BatchReply>(MsgType::kBatch, garbled);
  EXPECT_EQ(reply.failed_step, 1u);
  EXPECT_EQ(reply.errcode, static_cast<uint32_t>(EBADMSG));
  EXPECT_EQ(manager_.generation(), gen);
}

TEST_F(HandlersTest, ABatchStepMustBeAChange) {
  BatchRequest listing;
  listing.steps.push_back(BatchStep{static_cast<uint16_t>(MsgType::kGetServices), {}});
  EXPECT_EQ(Call(MsgType::kBatch, listing).first, static_cast<uint32_t>(EINVAL));
  BatchRequest nested;
  nested.steps.push_back(MakeBatchStep(MsgType::kBatch, BatchRequest{}));
  EXPECT_EQ(Call(MsgType::kBatch, nested).first, static_cast<uint32_t>(EINVAL));
}

}  // namespace
}  // namespace ipvsd::ctl

// File: health/healthd_test.cc
//
// CtlOps against ipvsd's own control server (ctl::UnixServer + ctl::Handlers over a
// core::ServiceManager, on a background thread): a round's changes reach ipvsd as one batch, a
// step that fails is replaced by its fallback or logged and dropped, and outside a round each
// change is one request, as before rounds existed.
#include "health/healthd.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ctl/handlers.h"
#include "net/headers.h"
#include "ctl/server.h"

namespace ipvsd::health {
namespace {

using ctl::MsgType;
using Requests = std::vector<MsgType>;

ctl::ServiceKey Key(const char* vip) {
  ctl::ServiceKey key;
  key.protocol = net::kProtoTcp;
  key.addr = net::IpAddr::Parse(vip)->raw;
  key.port = 80;
  return key;
}

ctl::ServiceSpec Spec(const ctl::ServiceKey& key, const char* sched) {
  ctl::ServiceSpec spec;
  spec.key = key;
  spec.sched_name = sched;
  return spec;
}

ctl::DestSpec Dest(const char* addr, int weight) {
  ctl::DestSpec dest;
  dest.addr = *net::IpAddr::Parse(addr);
  dest.port = 80;
  dest.weight = weight;
  return dest;
}

// 198.19.0.1:80/TCP with real servers 10.0.0.1, 10.0.0.2, ... (one checker each).
VirtualServerConfig Vs(size_t servers) {
  VirtualServerConfig vs;
  vs.name = "198.19.0.1:80/TCP";
  vs.keys.push_back(Key("198.19.0.1"));
  vs.service.sched_name = "rr";
  for (size_t i = 0; i < servers; ++i) {
    RealServerConfig rs;
    rs.addr = net::IpAddr::V4(0x0a000001u + static_cast<uint32_t>(i));
    rs.port = 80;
    rs.checkers.resize(1);
    vs.real_servers.push_back(std::move(rs));
  }
  return vs;
}

// How a scheduler picks does not matter here; any name the tests use is known.
class AnyScheduler : public core::Scheduler {
 public:
  explicit AnyScheduler(std::string_view name) : name_(name) {}
  std::string_view name() const override { return name_; }
  void OnDestsChanged(std::span<core::Dest* const>) override {}
  core::Dest* Pick(const core::FlowKey&, Ticks) override { return nullptr; }

 private:
  std::string name_;
};

Result<std::unique_ptr<core::Scheduler>> AnySchedulerFactory(std::string_view name, uint32_t) {
  return std::unique_ptr<core::Scheduler>(std::make_unique<AnyScheduler>(name));
}

class CtlOpsTest : public ::testing::Test {
 protected:
  CtlOpsTest()
      : manager_(AnySchedulerFactory),
        handlers_(manager_, timeouts_, 4096, [] { return std::vector<ctl::ConnRecord>{}; }) {}

  void SetUp() override {
    // The pools' info lines (one per server) would bury the test output.
    SetLogLevel(LogLevel::kWarning);
    char tmpl[] = "/tmp/ipvs-healthd-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ctl::ServerOptions options;
    options.path = path();
    options.allowed_uid = ::getuid();
    server_ = std::make_unique<ctl::UnixServer>(options, [this](uint16_t type, std::span<const uint8_t> payload) {
      // Only the changes count; the test's own look-ups at the table do not.
      if (type == static_cast<uint16_t>(MsgType::kBatch) || ctl::IsBatchStepType(type)) {
        std::lock_guard lock(mutex_);
        requests_.push_back(static_cast<MsgType>(type));
      }
      return handlers_.Handle(type, payload);
    });
    ASSERT_TRUE(server_->Listen().ok());
    thread_ = std::thread([this] {
      while (!stop_) ASSERT_TRUE(server_->PollOnce(20).ok());
    });
  }

  void TearDown() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    server_.reset();
    ::rmdir(dir_.c_str());
    SetLogLevel(LogLevel::kInfo);
  }

  std::string path() const { return dir_ + "/ctl.sock"; }

  // The change requests ipvsd served since the last call.
  Requests TakeRequests() {
    std::lock_guard lock(mutex_);
    return std::exchange(requests_, {});
  }

  // Another client of ipvsd, standing for ipvsadm.
  ctl::Client Ipvsadm() {
    auto client = ctl::Client::Connect(path());
    EXPECT_TRUE(client.ok());
    return std::move(client).value();
  }

  // "10.0.0.1:80 w1" for each destination of the service at KEY, in address order.
  std::vector<std::string> Dests(const ctl::ServiceKey& key) {
    auto entry = Ipvsadm().GetService(key);
    EXPECT_TRUE(entry.ok());
    std::vector<std::string> dests;
    if (!entry) return dests;
    for (const ctl::DestEntry& d : entry->dests) {
      dests.push_back(net::Endpoint{d.spec.addr, d.spec.port}.ToString() + " w" + std::to_string(d.spec.weight));
    }
    std::sort(dests.begin(), dests.end());
    return dests;
  }

  std::string dir_;
  core::Timeouts timeouts_;
  core::ServiceManager manager_;
  ctl::Handlers handlers_;
  std::unique_ptr<ctl::UnixServer> server_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  Requests requests_;
};

TEST_F(CtlOpsTest, AThousandServersFailingInOneRoundAreOneBatch) {
  CtlOps ops(path());
  VirtualServerPool pool(Vs(1000), &ops);
  ops.BeginRound();
  pool.Start();
  ASSERT_TRUE(ops.EndRound().ok());
  EXPECT_EQ(TakeRequests(), Requests{MsgType::kBatch});
  EXPECT_EQ(Dests(Key("198.19.0.1")).size(), 1000u);

  ops.BeginRound();
  for (size_t i = 0; i < 1000; ++i) pool.OnCheckerChange(i, 0, false);
  ASSERT_TRUE(ops.EndRound().ok());
  EXPECT_EQ(TakeRequests(), Requests{MsgType::kBatch});
  EXPECT_EQ(Dests(Key("198.19.0.1")), std::vector<std::string>{});
}

TEST_F(CtlOpsTest, AnEmptyRoundSendsNothing) {
  CtlOps ops(path());
  ops.BeginRound();
  ASSERT_TRUE(ops.EndRound().ok());
  EXPECT_EQ(TakeRequests(), Requests{});
}

TEST_F(CtlOpsTest, AnAddOfWhatExistsEndsTheRoundAsAnEdit) {
  // What an earlier run left (--dont-release-ipvs): the service with another scheduler and
  // 10.0.0.1 at another weight.
  ctl::Client ipvsadm = Ipvsadm();
  ASSERT_TRUE(ipvsadm.AddService(Spec(Key("198.19.0.1"), "wlc")).ok());
  ASSERT_TRUE(ipvsadm.AddDest({Key("198.19.0.1"), Dest("10.0.0.1", 1)}).ok());
  TakeRequests();

  VirtualServerConfig cfg = Vs(2);
  cfg.real_servers[0].weight = 5;
  CtlOps ops(path());
  VirtualServerPool pool(cfg, &ops);
  ops.BeginRound();
  pool.Start();
  testing::internal::CaptureStderr();
  ASSERT_TRUE(ops.EndRound().ok());
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  // AddService fails, then (as EditService) AddDest of 10.0.0.1; the third batch applies.
  EXPECT_EQ(TakeRequests(), (Requests{MsgType::kBatch, MsgType::kBatch, MsgType::kBatch}));
  EXPECT_EQ(Ipvsadm().GetService(Key("198.19.0.1"))->spec.sched_name, "rr");
  EXPECT_EQ(Dests(Key("198.19.0.1")), (std::vector<std::string>{"10.0.0.1:80 w5", "10.0.0.2:80 w1"}));
}

TEST_F(CtlOpsTest, AnEditOfWhatIsMissingIsAnAddAndADeleteOfItIsDone) {
  ASSERT_TRUE(Ipvsadm().AddService(Spec(Key("198.19.0.1"), "rr")).ok());
  TakeRequests();
  CtlOps ops(path());
  ops.BeginRound();
  EXPECT_TRUE(ops.EditDest(Key("198.19.0.1"), Dest("10.0.0.7", 3)).ok());
  EXPECT_TRUE(ops.DelDest(Key("198.19.0.1"), Dest("10.0.0.8", 1)).ok());
  EXPECT_TRUE(ops.DelService(Key("198.19.0.2")).ok());
  testing::internal::CaptureStderr();
  ASSERT_TRUE(ops.EndRound().ok());
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(TakeRequests(), (Requests{MsgType::kBatch, MsgType::kBatch, MsgType::kBatch, MsgType::kBatch}));
  EXPECT_EQ(Dests(Key("198.19.0.1")), std::vector<std::string>{"10.0.0.7:80 w3"});
}

TEST_F(CtlOpsTest, AStepThatFailsIsLoggedOnceAndTheOthersAreApplied) {
  ASSERT_TRUE(Ipvsadm().AddService(Spec(Key("198.19.0.1"), "rr")).ok());
  TakeRequests();
  CtlOps ops(path());
  ops.BeginRound();
  EXPECT_TRUE(ops.AddDest(Key("198.19.0.1"), Dest("10.0.0.1", 1)).ok());
  EXPECT_TRUE(ops.AddDest(Key("198.19.0.2"), Dest("10.0.0.9", 1)).ok());  // no such service
  EXPECT_TRUE(ops.AddDest(Key("198.19.0.1"), Dest("10.0.0.2", 1)).ok());
  testing::internal::CaptureStderr();
  ASSERT_TRUE(ops.EndRound().ok());
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_EQ(log.rfind("ipvsd[error]: adding 10.0.0.9:80 to 198.19.0.2:80/TCP: ", 0), 0u) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
  EXPECT_EQ(TakeRequests(), (Requests{MsgType::kBatch, MsgType::kBatch}));
  EXPECT_EQ(Dests(Key("198.19.0.1")), (std::vector<std::string>{"10.0.0.1:80 w1", "10.0.0.2:80 w1"}));
}

TEST_F(CtlOpsTest, OutsideARoundEachChangeIsItsOwnRequest) {
  CtlOps ops(path());
  EXPECT_TRUE(ops.AddService(Spec(Key("198.19.0.1"), "rr")).ok());
  EXPECT_TRUE(ops.AddDest(Key("198.19.0.1"), Dest("10.0.0.1", 1)).ok());
  EXPECT_TRUE(ops.AddDest(Key("198.19.0.1"), Dest("10.0.0.1", 4)).ok());  // exists: edited
  EXPECT_TRUE(ops.DelService(Key("198.19.0.2")).ok());                     // not there: done
  const Status st = ops.AddDest(Key("198.19.0.2"), Dest("10.0.0.9", 1));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ESRCH);
  EXPECT_EQ(TakeRequests(), (Requests{MsgType::kAddService, MsgType::kAddDest, MsgType::kAddDest, MsgType::kEditDest,
                                      MsgType::kDelService, MsgType::kAddDest}));
  EXPECT_EQ(Dests(Key("198.19.0.1")), std::vector<std::string>{"10.0.0.1:80 w4"});
}

}  // namespace
}  // namespace ipvsd::health

// File: health/healthd_test.cc
//
// CtlOps against ipvsd's own control server (ctl::UnixServer + ctl::Handlers over a
// core::ServiceManager, on a background thread): a round's changes reach ipvsd as one batch, a
// step that fails is replaced by its fallback or logged and dropped, and outside a round each
// change is one request, as before rounds existed. HealthReporter over CtlOps: the servers
// whose state changed in a pass reach ipvsd's health sink as one report. And a whole Healthd
// checking two local ports: its reports and its /metrics.
#include "health/healthd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

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

#include "base/clock.h"
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

// healthd running a configuration on a thread of its own against a test's ipvsd. Run blocks
// the signals in its own thread only: Stop() sends SIGTERM to that thread, as a user would to
// the process, and returns what Run returned.
class RunningHealthd {
 public:
  RunningHealthd(Config config, HealthdOptions options) : options_(std::move(options)), healthd_(options_, clock_) {
    thread_ = std::thread([this, c = std::move(config)]() mutable { result_ = healthd_.Run(std::move(c)); });
  }
  // After an ASSERT that ended the test before Stop().
  ~RunningHealthd() {
    if (thread_.joinable()) (void)Stop();
  }
  Status Stop() {
    ::pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
    return result_;
  }

 private:
  HealthdOptions options_;
  MonotonicClock clock_;
  Healthd healthd_;
  Status result_ = Ok();
  std::thread thread_;
};

class CtlOpsTest : public ::testing::Test {
 protected:
  CtlOpsTest()
      : manager_(AnySchedulerFactory),
        handlers_(manager_, timeouts_, 4096, [](const ctl::ConnCursor&) { return ctl::ConnList{}; }, nullptr, {},
                  [this](const ctl::HealthReport& report) {
                    std::lock_guard lock(mutex_);
                    reports_.push_back(Describe(report));
                  }) {}

  // healthd's options for this test's ipvsd, without /metrics.
  HealthdOptions Options() const {
    HealthdOptions options;
    options.config_path = "test.conf";
    options.socket_path = path();
    options.metrics_address.reset();
    return options;
  }

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
      // Only the changes and reports count; the test's own look-ups at the table do not.
      const bool report = type == static_cast<uint16_t>(MsgType::kReportHealth);
      if (type == static_cast<uint16_t>(MsgType::kBatch) || ctl::IsBatchStepType(type) || report) {
        std::lock_guard lock(mutex_);
        requests_.push_back(static_cast<MsgType>(type));
      }
      if (report && report_error_ != 0) {
        return ctl::EncodeErrorReply(type, MakeError(report_error_, "refused by the test"));
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

  // The health reports ipvsd took since the last call, each as Describe() writes it.
  std::vector<std::vector<std::string>> TakeReports() {
    std::lock_guard lock(mutex_);
    return std::exchange(reports_, {});
  }

  // "198.19.0.1:80/TCP 10.0.0.1:80 down" for each entry.
  static std::vector<std::string> Describe(const ctl::HealthReport& report) {
    static constexpr const char* kStates[] = {"up", "down", "inhibited"};
    std::vector<std::string> entries;
    for (const ctl::HealthEntry& e : report.entries) {
      entries.push_back(ServiceKeyName(e.service) + " " + net::Endpoint{e.addr, e.port}.ToString() + " " +
                        kStates[e.state]);
    }
    return entries;
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
  std::vector<std::vector<std::string>> reports_;
  std::atomic<int> report_error_{0};  // the error ipvsd answers reports with; 0: it takes them
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

using Reports = std::vector<std::vector<std::string>>;
using Pools = std::vector<const VirtualServerPool*>;

TEST_F(CtlOpsTest, EachPassReportsTheServersWhoseStateChangedInIt) {
  VirtualServerConfig cfg = Vs(3);
  cfg.real_servers[1].inhibit_on_failure = true;
  CtlOps ops(path());
  VirtualServerPool pool(cfg, &ops);
  HealthReporter reporter([&](const ctl::HealthReport& r) { return ops.ReportHealth(r); });
  const Pools pools{&pool};
  ops.BeginRound();
  pool.Start();
  ASSERT_TRUE(ops.EndRound().ok());
  reporter.ReportAll(pools);
  EXPECT_EQ(TakeRequests(), (Requests{MsgType::kBatch, MsgType::kReportHealth}));
  EXPECT_EQ(TakeReports(), (Reports{{"198.19.0.1:80/TCP 10.0.0.1:80 up", "198.19.0.1:80/TCP 10.0.0.2:80 up",
                                     "198.19.0.1:80/TCP 10.0.0.3:80 up"}}));

  // One pass: two servers fail, one of them kept at weight 0.
  ops.BeginRound();
  pool.OnCheckerChange(0, 0, false);
  pool.OnCheckerChange(1, 0, false);
  ASSERT_TRUE(ops.EndRound().ok());
  reporter.ReportChanges(pools);
  EXPECT_EQ(TakeRequests(), (Requests{MsgType::kBatch, MsgType::kReportHealth}));
  EXPECT_EQ(TakeReports(),
            (Reports{{"198.19.0.1:80/TCP 10.0.0.1:80 down", "198.19.0.1:80/TCP 10.0.0.2:80 inhibited"}}));
  EXPECT_EQ(Dests(Key("198.19.0.1")), (std::vector<std::string>{"10.0.0.2:80 w0", "10.0.0.3:80 w1"}));

  // A pass in which no server changed sends nothing.
  reporter.ReportChanges(pools);
  EXPECT_EQ(TakeRequests(), Requests{});

  ops.BeginRound();
  pool.OnCheckerChange(0, 0, true);
  pool.OnCheckerChange(1, 0, true);
  ASSERT_TRUE(ops.EndRound().ok());
  reporter.ReportChanges(pools);
  EXPECT_EQ(TakeRequests(), (Requests{MsgType::kBatch, MsgType::kReportHealth}));
  EXPECT_EQ(TakeReports(), (Reports{{"198.19.0.1:80/TCP 10.0.0.1:80 up", "198.19.0.1:80/TCP 10.0.0.2:80 up"}}));
}

TEST_F(CtlOpsTest, EveryServiceKeyIsReportedAndTheSorryServerIsNot) {
  // alpha: every server starts down, and the sorry server is in the table at once.
  VirtualServerConfig cfg = Vs(2);
  cfg.name = "group web";
  cfg.keys.push_back(Key("198.19.0.2"));
  cfg.alpha = true;  // the parser hands it down to every checker
  for (RealServerConfig& rs : cfg.real_servers) {
    for (CheckerConfig& c : rs.checkers) c.alpha = true;
  }
  RealServerConfig sorry;
  sorry.addr = *net::IpAddr::Parse("10.0.0.9");
  sorry.port = 80;
  cfg.sorry_server = sorry;
  CtlOps ops(path());
  VirtualServerPool pool(cfg, &ops);
  HealthReporter reporter([&](const ctl::HealthReport& r) { return ops.ReportHealth(r); });
  ops.BeginRound();
  pool.Start();
  ASSERT_TRUE(ops.EndRound().ok());
  reporter.ReportAll(Pools{&pool});
  EXPECT_EQ(TakeReports(), (Reports{{"198.19.0.1:80/TCP 10.0.0.1:80 down", "198.19.0.2:80/TCP 10.0.0.1:80 down",
                                     "198.19.0.1:80/TCP 10.0.0.2:80 down", "198.19.0.2:80/TCP 10.0.0.2:80 down"}}));
}

TEST_F(CtlOpsTest, AReportThatDidNotGetThroughIsCarriedByTheNextAndLoggedOnce) {
  CtlOps ops(path());
  VirtualServerPool pool(Vs(2), &ops);
  HealthReporter reporter([&](const ctl::HealthReport& r) { return ops.ReportHealth(r); });
  const Pools pools{&pool};
  pool.Start();
  reporter.ReportAll(pools);
  TakeReports();
  report_error_ = EIO;
  testing::internal::CaptureStderr();
  pool.OnCheckerChange(0, 0, false);
  reporter.ReportChanges(pools);
  pool.OnCheckerChange(1, 0, false);
  reporter.ReportChanges(pools);
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_EQ(log.rfind("ipvsd[warning]: health report not sent to ipvsd", 0), 0u) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
  EXPECT_EQ(TakeReports(), Reports{});

  report_error_ = 0;
  pool.OnCheckerChange(1, 0, true);
  reporter.ReportChanges(pools);
  // 10.0.0.2 went down and came back while ipvsd was not told: it still holds it as up.
  EXPECT_EQ(TakeReports(), (Reports{{"198.19.0.1:80/TCP 10.0.0.1:80 down"}}));
}

TEST_F(CtlOpsTest, AnIpvsdThatDoesNotKnowReportsIsToldOnce) {
  report_error_ = EBADRQC;
  CtlOps ops(path());
  VirtualServerPool pool(Vs(1), &ops);
  HealthReporter reporter([&](const ctl::HealthReport& r) { return ops.ReportHealth(r); });
  pool.Start();
  testing::internal::CaptureStderr();
  reporter.ReportAll(Pools{&pool});
  pool.OnCheckerChange(0, 0, false);
  reporter.ReportChanges(Pools{&pool});
  reporter.ReportAll(Pools{&pool});
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("does not take health reports"), std::string::npos) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
  Requests reports = TakeRequests();
  EXPECT_EQ(std::count(reports.begin(), reports.end(), MsgType::kReportHealth), 1);
}

// A TCP socket bound to a free loopback port; listening when LISTEN.
int BoundSocket(bool listen) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  if (listen) {
    EXPECT_EQ(::listen(fd, 16), 0);
  }
  return fd;
}

uint16_t PortOf(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

TEST_F(CtlOpsTest, HealthdReportsItsServersAndServesTheirMetrics) {
  const int listening = BoundSocket(true);
  // Ports that were free a moment ago: nothing answers on the first, /metrics takes the second.
  const int closed = BoundSocket(false);
  const int free_port = BoundSocket(false);
  const uint16_t up_port = PortOf(listening);
  const uint16_t down_port = PortOf(closed);
  const uint16_t metrics_port = PortOf(free_port);
  ::close(closed);
  ::close(free_port);
  const std::string checker = " { TCP_CHECK { connect_timeout 1\n retry 0 } }\n";
  auto config = ParseConfigText("virtual_server 198.19.0.1 80 {\n delay_loop 0.1\n lb_algo rr\n"
                                " real_server 127.0.0.1 " + std::to_string(up_port) + checker +
                                " real_server 127.0.0.1 " + std::to_string(down_port) + checker + "}\n",
                                "test.conf");
  ASSERT_TRUE(config.ok()) << config.error().message;
  HealthdOptions options = Options();
  options.metrics_address = metrics::ListenAddress{"127.0.0.1", metrics_port};
  RunningHealthd healthd(std::move(*config), options);

  const std::string up = "198.19.0.1:80/TCP 127.0.0.1:" + std::to_string(up_port);
  const std::string down = "198.19.0.1:80/TCP 127.0.0.1:" + std::to_string(down_port);
  Reports reports;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (reports.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    for (std::vector<std::string>& r : TakeReports()) reports.push_back(std::move(r));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // At start every server is up; the first pass in which the closed port failed reports it alone.
  EXPECT_EQ(reports, (Reports{{up + " up", down + " up"}, {down + " down"}}));

  httplib::Client client("127.0.0.1", metrics_port);
  const std::string down_line = "ipvs_healthd_real_server_up{virtual_server=\"198.19.0.1:80/TCP\","
                                "real_server=\"127.0.0.1:" + std::to_string(down_port) + "\"} 0\n";
  std::string body;
  while (body.find(down_line) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    if (auto get = client.Get("/metrics"); get && get->status == 200) body = get->body;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(body.find(down_line), std::string::npos) << body;
  EXPECT_NE(body.find("ipvs_healthd_virtual_server_alive{virtual_server=\"198.19.0.1:80/TCP\"} 1\n"),
            std::string::npos) << body;

  const Status result = healthd.Stop();
  EXPECT_TRUE(result.ok()) << result.error().message;
  ::close(listening);
}

// The case: an HTTPS backend that accepts connections but no longer speaks TLS, and a
// UDP service whose port is closed, leave the pool (SSL_GET and UDP_CHECK used to pass always).
TEST_F(CtlOpsTest, DeadHttpsAndUdpBackendsGoDown) {
  const int silent = BoundSocket(true);  // listens, never accepts: the TLS handshake times out
  const uint16_t https_port = PortOf(silent);
  const int udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(udp, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
  socklen_t len = sizeof(sin);
  ::getsockname(udp, reinterpret_cast<sockaddr*>(&sin), &len);
  const uint16_t udp_port = ntohs(sin.sin_port);
  ::close(udp);  // nothing there: ICMP port unreachable
  auto config = ParseConfigText(
      "virtual_server 198.19.0.2 443 {\n delay_loop 0.1\n"
      " real_server 127.0.0.1 " + std::to_string(https_port) +
      " { SSL_GET { url { path /\n }\n connect_timeout 0.3\n retry 0 } }\n"
      " real_server 127.0.0.1 " + std::to_string(udp_port) +
      " { UDP_CHECK { payload 00\n connect_timeout 2\n retry 0 } }\n}\n",
      "test.conf");
  ASSERT_TRUE(config.ok()) << config.error().message;
  RunningHealthd healthd(std::move(*config), Options());

  const std::string https = "198.19.0.2:443/TCP 127.0.0.1:" + std::to_string(https_port);
  const std::string udp_rs = "198.19.0.2:443/TCP 127.0.0.1:" + std::to_string(udp_port);
  std::vector<std::string> seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto has = [&](const std::string& s) { return std::find(seen.begin(), seen.end(), s) != seen.end(); };
  while (!(has(https + " down") && has(udp_rs + " down")) && std::chrono::steady_clock::now() < deadline) {
    for (std::vector<std::string>& r : TakeReports()) seen.insert(seen.end(), r.begin(), r.end());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(has(https + " down"));
  EXPECT_TRUE(has(udp_rs + " down"));

  const Status result = healthd.Stop();
  EXPECT_TRUE(result.ok()) << result.error().message;
  ::close(silent);
}

// FILE_CHECK through the daemon: init_file creates the file at start, and each delay_loop the
// file's value reaches the table, as a weight share or, at -2^31 or below, as the server
// leaving it.
TEST_F(CtlOpsTest, AFileCheckFollowsItsFile) {
  const std::string file = dir_ + "/weight";
  auto config = ParseConfigText("track_file w {\n file " + file + "\n init_file 0\n}\n"
                                "virtual_server 198.19.0.3 80 {\n delay_loop 0.05\n"
                                " real_server 127.0.0.1 80 {\n  weight 1\n"
                                "  FILE_CHECK {\n   track_file w\n   weight 2\n  }\n }\n}\n",
                                "test.conf");
  ASSERT_TRUE(config.ok()) << config.error().message;
  RunningHealthd healthd(std::move(*config), Options());

  const ctl::ServiceKey key = Key("198.19.0.3");
  auto write = [&](const std::string& value) {
    const std::string tmp = file + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(value.c_str(), f);
    std::fclose(f);
    ASSERT_EQ(std::rename(tmp.c_str(), file.c_str()), 0);
  };
  auto wait_for = [&](const std::vector<std::string>& want) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::vector<std::string> got;
    while ((got = Dests(key)) != want && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return got;
  };
  const auto started = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!Ipvsadm().GetService(key).ok() && std::chrono::steady_clock::now() < started) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(wait_for({"127.0.0.1:80 w1"}), (std::vector<std::string>{"127.0.0.1:80 w1"}));
  FILE* created = std::fopen(file.c_str(), "r");
  ASSERT_NE(created, nullptr);
  char buf[8] = {};
  EXPECT_NE(std::fgets(buf, sizeof buf, created), nullptr);
  std::fclose(created);
  EXPECT_STREQ(buf, "0\n");
  write("3\n");
  EXPECT_EQ(wait_for({"127.0.0.1:80 w7"}), (std::vector<std::string>{"127.0.0.1:80 w7"}));
  write("-1073741824\n");  // times 2: -2^31, keepalived's fault
  EXPECT_EQ(wait_for({}), (std::vector<std::string>{}));
  write("0\n");
  EXPECT_EQ(wait_for({"127.0.0.1:80 w1"}), (std::vector<std::string>{"127.0.0.1:80 w1"}));

  const Status result = healthd.Stop();
  EXPECT_TRUE(result.ok()) << result.error().message;
}

}  // namespace
}  // namespace ipvsd::health

// File: health/healthd_metrics_test.cc
//
// ipvs-healthd's /metrics: every family with its labels and values from a pool set up by hand,
// the text served by a started HTTP server, and the --metrics option.
#include "health/healthd_metrics.h"

#include <httplib.h>

#include <strings.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "health/healthd.h"
#include "health/recording_ops_test_util.h"
#include "metrics/exposition.h"

namespace ipvsd::health {
namespace {

RealServerConfig Rs(const char* ip, uint16_t port, int weight, std::vector<CheckerKind> checkers) {
  RealServerConfig rs;
  rs.addr = *net::IpAddr::Parse(ip);
  rs.port = port;
  rs.weight = weight;
  for (CheckerKind kind : checkers) rs.checkers.emplace_back().kind = kind;
  return rs;
}

class HealthdMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override { SetLogLevel(LogLevel::kWarning); }
  void TearDown() override { SetLogLevel(LogLevel::kInfo); }

  // 198.19.0.1:80/TCP: 198.18.1.11:8080 (weight 3, TCP_CHECK and HTTP_GET, the second failed:
  // down, and the quorum of 3 with it) and [2001:db8::11]:8080 (weight 2, TCP_CHECK); fwmark 5
  // with dynamic feedback: 10.0.0.1:80 (weight 1, no checker, moved to 4 by the agent's load).
  std::vector<VirtualServerStats> Stats() {
    VirtualServerConfig web;
    web.name = "198.19.0.1:80/TCP";
    web.keys.emplace_back().port = 80;
    web.quorum = 3;
    web.real_servers = {Rs("198.18.1.11", 8080, 3, {CheckerKind::kTcp, CheckerKind::kHttp}),
                        Rs("2001:db8::11", 8080, 2, {CheckerKind::kTcp})};
    web_ = std::make_unique<VirtualServerPool>(web, &ops_);
    web_->Start();
    web_->OnCheckerChange(0, 1, false);

    VirtualServerConfig marked;
    marked.name = "fwmark 5";
    marked.keys.emplace_back().fwmark = 5;
    marked.feedback.enabled = true;
    marked.real_servers = {Rs("10.0.0.1", 80, 1, {})};
    marked_ = std::make_unique<VirtualServerPool>(marked, &ops_);
    marked_->Start();
    marked_->SetWeight(0, 4);

    std::vector<VirtualServerStats> stats(2);
    stats[0].pool = web_.get();
    stats[0].checks = {{CheckStats{0.25, 0}, CheckStats{1.5, 2}}, {CheckStats{std::nullopt, 0}}};
    stats[1].pool = marked_.get();
    stats[1].checks = {{}};
    stats[1].feedback_load = {0.625};
    return stats;
  }

  NoOps ops_;
  std::unique_ptr<VirtualServerPool> web_;
  std::unique_ptr<VirtualServerPool> marked_;
};

constexpr const char* kExpected =
    "# HELP ipvs_healthd_real_server_up Whether the real server is alive: all of its checkers pass (1) or not (0).\n"
    "# TYPE ipvs_healthd_real_server_up gauge\n"
    "ipvs_healthd_real_server_up{virtual_server=\"198.19.0.1:80/TCP\",real_server=\"198.18.1.11:8080\"} 0\n"
    "ipvs_healthd_real_server_up{virtual_server=\"198.19.0.1:80/TCP\",real_server=\"[2001:db8::11]:8080\"} 1\n"
    "ipvs_healthd_real_server_up{virtual_server=\"FWM 5\",real_server=\"10.0.0.1:80\"} 1\n"
    "# HELP ipvs_healthd_checker_up Whether the checker passes (1) or failed its last attempt and all its retries "
    "(0).\n"
    "# TYPE ipvs_healthd_checker_up gauge\n"
    "ipvs_healthd_checker_up{virtual_server=\"198.19.0.1:80/TCP\",real_server=\"198.18.1.11:8080\","
    "checker=\"TCP_CHECK#0\"} 1\n"
    "ipvs_healthd_checker_up{virtual_server=\"198.19.0.1:80/TCP\",real_server=\"198.18.1.11:8080\","
    "checker=\"HTTP_GET#1\"} 0\n"
    "ipvs_healthd_checker_up{virtual_server=\"198.19.0.1:80/TCP\",real_server=\"[2001:db8::11]:8080\","
    "checker=\"TCP_CHECK#0\"} 1\n"
    "# HELP ipvs_healthd_check_duration_seconds How long the checker's last attempt took, up to its timeout (absent "
    "before the first).\n"
    "# TYPE ipvs_healthd_check_duration_seconds gauge\n"
    "ipvs_healthd_check_duration_seconds{virtual_server=\"198.19.0.1:80/TCP\",real_server=\"198.18.1.11:8080\","
    "checker=\"TCP_CHECK#0\"} 0.25\n"
    "ipvs_healthd_check_duration_seconds{virtual_server=\"198.19.0.1:80/TCP\",real_server=\"198.18.1.11:8080\","
    "checker=\"HTTP_GET#1\"} 1.5\n"
    "# HELP ipvs_healthd_consecutive_failures Failed attempts of the checker since its last success.\n"
    "# TYPE ipvs_healthd_consecutive_failures gauge\n"
    "ipvs_healthd_consecutive_failures{virtual_server=\"198.19.0.1:80/TCP\",real_server=\"198.18.1.11:8080\","
    "checker=\"TCP_CHECK#0\"} 0\n"
    "ipvs_healthd_consecutive_failures{virtual_server=\"198.19.0.1:80/TCP\",real_server=\"198.18.1.11:8080\","
    "checker=\"HTTP_GET#1\"} 2\n"
    "ipvs_healthd_consecutive_failures{virtual_server=\"198.19.0.1:80/TCP\",real_server=\"[2001:db8::11]:8080\","
    "checker=\"TCP_CHECK#0\"} 0\n"
    "# HELP ipvs_healthd_transitions_total Times the real server went down or came back up since ipvs-healthd "
    "started.\n"
    "# TYPE ipvs_healthd_transitions_total counter\n"
    "ipvs_healthd_transitions_total{virtual_server=\"198.19.0.1:80/TCP\",real_server=\"198.18.1.11:8080\"} 1\n"
    "ipvs_healthd_transitions_total{virtual_server=\"198.19.0.1:80/TCP\",real_server=\"[2001:db8::11]:8080\"} 0\n"
    "ipvs_healthd_transitions_total{virtual_server=\"FWM 5\",real_server=\"10.0.0.1:80\"} 0\n"
    "# HELP ipvs_healthd_weight_configured The real server's weight in the configuration.\n"
    "# TYPE ipvs_healthd_weight_configured gauge\n"
    "ipvs_healthd_weight_configured{virtual_server=\"198.19.0.1:80/TCP\",real_server=\"198.18.1.11:8080\"} 3\n"
    "ipvs_healthd_weight_configured{virtual_server=\"198.19.0.1:80/TCP\",real_server=\"[2001:db8::11]:8080\"} 2\n"
    "ipvs_healthd_weight_configured{virtual_server=\"FWM 5\",real_server=\"10.0.0.1:80\"} 1\n"
    "# HELP ipvs_healthd_weight_current The real server's weight as healthd sets it (misc_dynamic, "
    "dynamic_feedback, FILE_CHECK); a server that is down is out of the table, or at weight 0 with inhibit_on_failure.\n"
    "# TYPE ipvs_healthd_weight_current gauge\n"
    "ipvs_healthd_weight_current{virtual_server=\"198.19.0.1:80/TCP\",real_server=\"198.18.1.11:8080\"} 3\n"
    "ipvs_healthd_weight_current{virtual_server=\"198.19.0.1:80/TCP\",real_server=\"[2001:db8::11]:8080\"} 2\n"
    "ipvs_healthd_weight_current{virtual_server=\"FWM 5\",real_server=\"10.0.0.1:80\"} 4\n"
    "# HELP ipvs_healthd_feedback_load Aggregate load in the last report of the real server's ipvs-agent: the "
    "weighted sum of its cpu, run queue per CPU, memory and connection loads (dynamic_feedback only).\n"
    "# TYPE ipvs_healthd_feedback_load gauge\n"
    "ipvs_healthd_feedback_load{virtual_server=\"FWM 5\",real_server=\"10.0.0.1:80\"} 0.625\n"
    "# HELP ipvs_healthd_virtual_server_alive Real servers of the virtual server that are alive.\n"
    "# TYPE ipvs_healthd_virtual_server_alive gauge\n"
    "ipvs_healthd_virtual_server_alive{virtual_server=\"198.19.0.1:80/TCP\"} 1\n"
    "ipvs_healthd_virtual_server_alive{virtual_server=\"FWM 5\"} 1\n"
    "# HELP ipvs_healthd_virtual_server_quorum_up Whether the live weight of the virtual server meets its quorum (1) "
    "or the quorum is lost (0).\n"
    "# TYPE ipvs_healthd_virtual_server_quorum_up gauge\n"
    "ipvs_healthd_virtual_server_quorum_up{virtual_server=\"198.19.0.1:80/TCP\"} 0\n"
    "ipvs_healthd_virtual_server_quorum_up{virtual_server=\"FWM 5\"} 1\n"
    "# HELP process_start_time_seconds Start time of the process since the Unix epoch in seconds.\n"
    "# TYPE process_start_time_seconds gauge\n"
    "process_start_time_seconds 1700000000.5\n";

TEST_F(HealthdMetricsTest, RendersEveryFamilyWithItsLabelsAndValues) {
  const std::vector<VirtualServerStats> stats = Stats();
  EXPECT_EQ(RenderHealthdMetrics(stats, 1700000000.5), kExpected);
}

TEST_F(HealthdMetricsTest, NamesVirtualServersAsTheConfigurationDoesAndFwmarksAsIpvsadm) {
  VirtualServerConfig vs;
  vs.name = "group web";
  EXPECT_EQ(VirtualServerLabel(vs), "group web");
  vs.name = "fwmark 0x10";
  vs.keys.emplace_back().fwmark = 16;
  EXPECT_EQ(VirtualServerLabel(vs), "FWM 16");
}

TEST_F(HealthdMetricsTest, TheServerAnswersWithTheLastPublishedText) {
  PublishedMetrics published;
  auto server = metrics::HttpServer::Start(metrics::ListenAddress{"127.0.0.1", 0},
                                           [&](const metrics::HttpRequest& r) { return published.Serve(r); });
  ASSERT_TRUE(server.ok()) << server.error().message;
  httplib::Client client("127.0.0.1", (*server)->port());
  auto starting = client.Get("/metrics");
  ASSERT_TRUE(starting);
  EXPECT_EQ(starting->status, 503);

  const std::vector<VirtualServerStats> stats = Stats();
  published.Publish(RenderHealthdMetrics(stats, 1700000000.5));
  auto get = client.Get("/metrics");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  // Media types are case-insensitive; the server capitalises them (metrics/http_server.cc).
  EXPECT_TRUE(strcasecmp(get->get_header_value("Content-Type").c_str(), metrics::kContentType) == 0)
      << get->get_header_value("Content-Type");
  EXPECT_EQ(get->body, kExpected);

  published.Publish("newer\n");
  auto newer = client.Get("/metrics");
  ASSERT_TRUE(newer);
  EXPECT_EQ(newer->body, "newer\n");
  auto other = client.Get("/");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
}

Result<HealthdOptions> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), {"ipvs-healthd", "--config", "/etc/keepalived/keepalived.conf"});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return ParseHealthdCommandLine(static_cast<int>(argv.size()), argv.data());
}

TEST(HealthdCommandLine, MetricsDefaultsToLoopbackAndTakesAnAddressOrOff) {
  auto defaults = Parse({});
  ASSERT_TRUE(defaults.ok());
  ASSERT_TRUE(defaults->metrics_address);
  EXPECT_EQ(defaults->metrics_address->ToString(), "127.0.0.1:9181");
  auto v6 = Parse({"--metrics", "[::1]:9200"});
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->metrics_address->ToString(), "[::1]:9200");
  auto off = Parse({"--metrics", "off"});
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->metrics_address);
  auto bad = Parse({"--metrics", "localhost:9181"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, EINVAL);
  EXPECT_EQ(bad.error().message.rfind("--metrics: ", 0), 0u) << bad.error().message;
}

}  // namespace
}  // namespace ipvsd::health

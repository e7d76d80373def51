// File: agent/load_probe_test.cc
//
// The load agent's parsers on /proc- and cgroup-shaped fixture files, and two samples of a
// fixture cgroup (v1 and v2) giving exact CPU shares.
#include "agent/load_probe.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace ipvsd::agent {
namespace {

constexpr const char* kProcStat =
    "cpu  100 0 100 700 100 0 0 0 0 0\n"
    "cpu0 50 0 50 350 50 0 0 0 0 0\n"
    "cpu1 50 0 50 350 50 0 0 0 0 0\n"
    "intr 1 2 3\n"
    "procs_running 3\n"
    "procs_blocked 0\n";

constexpr const char* kTcp =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1\n"
    "   1: 00000000:26AD 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2\n"
    "   2: 0B0112C6:1F90 020012C6:C350 01 00000000:00000000 00:00000000 00000000     0        0 3\n"
    "   3: 0B0112C6:1F90 020012C6:C351 01 00000000:00000000 00:00000000 00000000     0        0 4\n"
    "   4: 0B0112C6:26AD 010112C6:C352 01 00000000:00000000 00:00000000 00000000     0        0 5\n"
    "   5: 0B0112C6:D000 010112C6:0050 01 00000000:00000000 00:00000000 00000000     0        0 6\n";
constexpr const char* kTcp6 =
    "  sl  local_address                         remote_address                        st\n"
    "   0: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A 0 0 0 0 0 0 7\n"
    "   1: 0000000000000000FFFF00000B0112C6:1F91 0000000000000000FFFF0000020012C6:C353 01 0 0 0 0 0 0 8\n";

TEST(LoadProbeParse, ProcStat) {
  auto st = ParseProcStat(kProcStat);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->total, 1000u);
  EXPECT_EQ(st->idle, 800u);
  EXPECT_EQ(st->ncpu, 2);
  EXPECT_EQ(st->procs_running, 3);
  EXPECT_FALSE(ParseProcStat("garbage\n").has_value());
}

TEST(LoadProbeParse, Meminfo) {
  auto m = ParseMeminfo("MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    250 kB\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->first, 1024000u);
  EXPECT_EQ(m->second, 256000u);
  EXPECT_FALSE(ParseMeminfo("MemTotal: 10 kB\n").has_value());
}

TEST(LoadProbeParse, CgroupFiles) {
  EXPECT_EQ(ParseCpuStatUsage("usage_usec 123456\nuser_usec 100\nsystem_usec 23\n"), 123456u);
  EXPECT_FALSE(ParseCpuStatUsage("nr_periods 0\n").has_value());
  EXPECT_DOUBLE_EQ(*ParseCpuMax("50000 100000\n"), 0.5);
  EXPECT_FALSE(ParseCpuMax("max 100000\n").has_value());
}

TEST(LoadProbeParse, ConnectionsToListeningPortsOnly) {
  // 8080 (0x1F90): two, 8081 (0x1F91, IPv6 table): one; 9901 (0x26AD) is the agent's own
  // port; the connection from local port 0xD000 is outgoing.
  EXPECT_EQ(CountServerConnections(kTcp, kTcp6, 9901), 3);
  EXPECT_EQ(CountServerConnections(kTcp, kTcp6, 0), 4);
  EXPECT_EQ(CountServerConnections("junk\n", "", 0), 0);
}

TEST(LoadProbeParse, TaskState) {
  EXPECT_EQ(ParseTaskState("42 (sh) R 1 42 42 0"), 'R');
  EXPECT_EQ(ParseTaskState("43 (a (b) c) S 1 2"), 'S');
  EXPECT_EQ(ParseTaskState("nonsense"), '?');
}

TEST(LoadProbeParse, ReplyIsOneJsonLine) {
  EXPECT_EQ(FormatLoadReply({0.5, 2, 1.5, 0.25, 7}),
            "{\"cpu\":0.5000,\"runq\":2.00,\"ncpu\":1.50,\"mem\":0.2500,\"conns\":7}\n");
}

class FixtureDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/load_probe_test.XXXXXX";
    root_ = mkdtemp(tmpl);
    Write("proc/stat", kProcStat);
    Write("proc/meminfo", "MemTotal: 1000 kB\nMemAvailable: 500 kB\n");
    Write("proc/net/tcp", kTcp);
    Write("proc/net/tcp6", kTcp6);
    Write("proc/100/stat", "100 (burn) R 1 1 1");
    Write("proc/101/stat", "101 (idle) S 1 1 1");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& rel, const std::string& text) {
    const std::filesystem::path p = std::filesystem::path(root_) / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  LoadSources Sources(const std::string& cgroup) {
    LoadSources s;
    s.proc_root = root_ + "/proc";
    s.cgroup_root = root_ + "/cg";
    s.cgroup = cgroup;
    s.own_port = 9901;
    return s;
  }
  std::string root_;
};

TEST_F(FixtureDir, HostCpuFromProcStatDeltas) {
  LoadProbe probe(Sources(""));
  ASSERT_TRUE(probe.Open());
  probe.Sample(0);
  // 1000 more jiffies, 600 of them busy.
  Write("proc/stat", "cpu  400 0 400 1000 200 0 0 0\ncpu0 1\ncpu1 1\nprocs_running 2\n");
  probe.Sample(1'000'000'000);
  EXPECT_DOUBLE_EQ(probe.values().cpu, 0.6);
  EXPECT_DOUBLE_EQ(probe.values().runq, 1);  // without the agent itself
  EXPECT_DOUBLE_EQ(probe.values().ncpu, 2);
  EXPECT_DOUBLE_EQ(probe.values().mem, 0.5);
  EXPECT_DOUBLE_EQ(probe.values().conns, 3);
}

TEST_F(FixtureDir, CgroupV1WithQuota) {
  Write("cg/cpuacct/rs1/cpuacct.usage", "1000000000\n");
  Write("cg/cpuacct/rs1/tasks", "100\n101\n");
  Write("cg/cpu/rs1/cpu.cfs_quota_us", "50000\n");
  Write("cg/cpu/rs1/cpu.cfs_period_us", "100000\n");
  Write("cg/memory/rs1/memory.usage_in_bytes", "256000\n");
  Write("cg/memory/rs1/memory.limit_in_bytes", "9223372036854771712\n");
  LoadProbe probe(Sources("/rs1"));
  ASSERT_TRUE(probe.Open());
  EXPECT_FALSE(probe.cgroup_v2());
  probe.Sample(1'000'000'000);
  // 0.4 s of CPU in 1 s against a quota of half a CPU: 80 %.
  Write("cg/cpuacct/rs1/cpuacct.usage", "1400000000\n");
  probe.Sample(2'000'000'000);
  EXPECT_DOUBLE_EQ(probe.values().ncpu, 0.5);
  EXPECT_DOUBLE_EQ(probe.values().cpu, 0.8);
  EXPECT_DOUBLE_EQ(probe.values().runq, 1);
  EXPECT_DOUBLE_EQ(probe.values().mem, 0.25);  // no limit of its own: MemTotal
  // A counter that goes backwards (cgroup re-created) is not a negative load.
  Write("cg/cpuacct/rs1/cpuacct.usage", "5\n");
  probe.Sample(3'000'000'000);
  EXPECT_DOUBLE_EQ(probe.values().cpu, 0.8);
}

TEST_F(FixtureDir, CgroupV2UnderUnified) {
  Write("cg/unified/rs2/cgroup.controllers", "cpu memory\n");
  Write("cg/unified/rs2/cpu.stat", "usage_usec 2000000\n");
  Write("cg/unified/rs2/cpu.max", "max 100000\n");
  Write("cg/unified/rs2/cgroup.threads", "100\n");
  Write("cg/unified/rs2/memory.current", "100000\n");
  Write("cg/unified/rs2/memory.max", "200000\n");
  LoadProbe probe(Sources("rs2"));
  ASSERT_TRUE(probe.Open());
  EXPECT_TRUE(probe.cgroup_v2());
  probe.Sample(0);
  Write("cg/unified/rs2/cpu.stat", "usage_usec 3000000\n");
  probe.Sample(1'000'000'000);
  EXPECT_DOUBLE_EQ(probe.values().ncpu, 2);    // no quota: the host's CPUs
  EXPECT_DOUBLE_EQ(probe.values().cpu, 0.5);   // 1 CPU-second of 2
  EXPECT_DOUBLE_EQ(probe.values().mem, 0.5);
}

// --cgroup may name the cgroup's directory in full, as /proc/PID/cgroup plus the mount point
// gives it: on a pure v2 system below the root, on a hybrid one below unified/, on v1 below
// any of its hierarchies.
TEST_F(FixtureDir, CgroupGivenAsItsFullPathV2) {
  Write("cg/cgroup.controllers", "cpu memory\n");
  Write("cg/system.slice/nginx.service/cgroup.controllers", "cpu memory\n");
  Write("cg/system.slice/nginx.service/cpu.stat", "usage_usec 2000000\n");
  Write("cg/system.slice/nginx.service/cgroup.threads", "100\n");
  LoadProbe probe(Sources(root_ + "/cg/system.slice/nginx.service/"));
  ASSERT_TRUE(probe.Open());
  EXPECT_TRUE(probe.cgroup_v2());
  probe.Sample(0);
  Write("cg/system.slice/nginx.service/cpu.stat", "usage_usec 3000000\n");
  probe.Sample(1'000'000'000);
  EXPECT_DOUBLE_EQ(probe.values().cpu, 0.5);  // its counter was read: 1 CPU-second of 2
}

TEST_F(FixtureDir, CgroupGivenAsItsFullPathHybrid) {
  Write("cg/unified/system.slice/x.service/cgroup.controllers", "cpu memory\n");
  Write("cg/unified/system.slice/x.service/cpu.stat", "usage_usec 2000000\n");
  LoadProbe probe(Sources(root_ + "/cg/unified/system.slice/x.service"));
  ASSERT_TRUE(probe.Open());
  EXPECT_TRUE(probe.cgroup_v2());
}

TEST_F(FixtureDir, CgroupGivenAsItsFullPathV1) {
  Write("cg/cpu,cpuacct/rs1/cpuacct.usage", "1000000000\n");
  Write("cg/cpu,cpuacct/rs1/cpu.cfs_quota_us", "50000\n");
  Write("cg/cpu,cpuacct/rs1/cpu.cfs_period_us", "100000\n");
  Write("cg/memory/rs1/memory.usage_in_bytes", "256000\n");
  // The memory hierarchy's path names the same cgroup as the cpu one's.
  LoadProbe probe(Sources(root_ + "/cg/memory/rs1"));
  ASSERT_TRUE(probe.Open());
  EXPECT_FALSE(probe.cgroup_v2());
  probe.Sample(1'000'000'000);
  EXPECT_DOUBLE_EQ(probe.values().ncpu, 0.5);
  EXPECT_DOUBLE_EQ(probe.values().mem, 0.25);
}

TEST_F(FixtureDir, FullPathOfAMissingCgroupIsAnError) {
  Write("cg/cgroup.controllers", "cpu memory\n");
  LoadProbe probe(Sources(root_ + "/cg/system.slice/gone.service"));
  auto st = probe.Open();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("no cgroup /system.slice/gone.service "), std::string::npos) << st.error().message;
}

TEST_F(FixtureDir, MissingCgroupIsAnError) {
  LoadProbe probe(Sources("nope"));
  EXPECT_FALSE(probe.Open());
}

}  // namespace
}  // namespace ipvsd::agent

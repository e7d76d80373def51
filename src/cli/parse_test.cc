#include "cli/parse.h"

#include <gtest/gtest.h>

#include "cli/format.h"
#include "cli/ipvsadm.h"

namespace ipvsd::cli {
namespace {

ParseOutcome Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "ipvsadm");
  return ParseCommand(args);
}

TEST(ParseTest, AddServiceDefaults) {
  auto p = Parse({"-A", "-t", "198.18.0.1:80"});
  ASSERT_EQ(p.kind, ParseOutcome::kRun);
  EXPECT_EQ(p.command.cmd, Cmd::kAdd);
  EXPECT_EQ(p.command.svc.sched_name, "wlc");
  EXPECT_EQ(p.command.svc.key.protocol, 6);
  EXPECT_EQ(p.command.svc.key.port, 80);
  EXPECT_EQ(p.command.svc.netmask, 0xffffffffu);
}

TEST(ParseTest, PersistentWithoutValueIs360) {
  auto p = Parse({"-A", "-t", "198.18.0.1:80", "-p"});
  ASSERT_EQ(p.kind, ParseOutcome::kRun);
  EXPECT_EQ(p.command.svc.timeout, 360u);
  p = Parse({"-A", "-t", "198.18.0.1:80", "-p", "-s", "rr"});
  ASSERT_EQ(p.kind, ParseOutcome::kRun);
  EXPECT_EQ(p.command.svc.timeout, 360u);
  EXPECT_EQ(p.command.svc.sched_name, "rr");
}

TEST(ParseTest, DestPortRules) {
  // DR forces the service port; NAT keeps its own; no port means the service's.
  auto p = Parse({"-a", "-t", "198.18.0.1:80", "-r", "198.18.1.1:8080"});
  ASSERT_EQ(p.kind, ParseOutcome::kRun);
  EXPECT_EQ(p.command.dest.port, 80);
  p = Parse({"-a", "-t", "198.18.0.1:80", "-r", "198.18.1.1:8080", "-m"});
  EXPECT_EQ(p.command.dest.port, 8080);
  p = Parse({"-a", "-t", "198.18.0.1:80", "-r", "198.18.1.1", "-m"});
  EXPECT_EQ(p.command.dest.port, 80);
}

TEST(ParseTest, BracketedIpv4LosesItsPortAsIpvsadmDoes) {
  auto p = Parse({"-A", "-t", "[198.18.0.1]:80", "-p"});
  ASSERT_EQ(p.kind, ParseOutcome::kRun);
  EXPECT_EQ(p.command.svc.key.port, 0);
}

TEST(ParseTest, ExitStatuses) {
  EXPECT_EQ(Parse({"-A", "-t", "198.18.0.1:0"}).status, 2);
  EXPECT_EQ(Parse({"-t", "198.18.0.1:80"}).status, 255);
  auto h = Parse({"-h"});
  EXPECT_EQ(h.kind, ParseOutcome::kExit);
  EXPECT_EQ(h.status, 0);
  EXPECT_EQ(h.out.substr(0, 61), "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)");
  auto popt = Parse({"-A", "-t"});
  EXPECT_EQ(popt.kind, ParseOutcome::kReturn);
  EXPECT_EQ(popt.err, "-t: missing argument\n");
  EXPECT_EQ(Parse({"-L", "-c", "-t", "198.18.0.1:80"}).err,
            "The option 'service-address' conflicts with the 'connection' option in the 'list' command\n");
}

TEST(ParseTest, SchedFlags) {
  auto p = Parse({"-A", "-t", "198.18.0.1:80", "-s", "sh", "-b", "sh-fallback,sh-port"});
  ASSERT_EQ(p.kind, ParseOutcome::kRun);
  EXPECT_EQ(p.command.svc.flags, ctl::kSvcSched1 | ctl::kSvcSched2);
  EXPECT_EQ(Parse({"-A", "-t", "198.18.0.1:80", "-b", ","}).err, "invalid scheduler flag `,'\n");
}

TEST(ParseTest, SloppyIsAServiceFlagOfAddAndEditOnly) {
  auto p = Parse({"-A", "-t", "198.18.0.1:80", "-s", "mh", "-b", "mh-port", "--sloppy"});
  ASSERT_EQ(p.kind, ParseOutcome::kRun);
  EXPECT_EQ(p.command.svc.flags, ctl::kSvcSched2 | ctl::kSvcSloppy);
  p = Parse({"-E", "-t", "198.18.0.1:80", "--sloppy"});
  ASSERT_EQ(p.kind, ParseOutcome::kRun);
  EXPECT_EQ(p.command.svc.flags, ctl::kSvcSloppy);
  EXPECT_EQ(Parse({"-a", "-t", "198.18.0.1:80", "-r", "198.18.1.1", "--sloppy"}).err,
            "Illegal 'sloppy' option with the 'add-server' command\n");
  EXPECT_EQ(Parse({"-L", "--sloppy"}).err, "Illegal 'sloppy' option with the 'list' command\n");
  EXPECT_EQ(Parse({"-A", "-t", "198.18.0.1:80", "--sloppy", "--sloppy"}).err, "multiple 'sloppy' options specified\n");
}

TEST(ParseTest, SynproxyIsAServiceFlagOfAddAndEditOnly) {
  auto p = Parse({"-A", "-t", "198.18.0.1:80", "-s", "rr", "--synproxy", "--sloppy"});
  ASSERT_EQ(p.kind, ParseOutcome::kRun);
  EXPECT_EQ(p.command.svc.flags, ctl::kSvcSynproxy | ctl::kSvcSloppy);
  p = Parse({"-E", "-t", "198.18.0.1:80", "--synproxy"});
  ASSERT_EQ(p.kind, ParseOutcome::kRun);
  EXPECT_EQ(p.command.svc.flags, ctl::kSvcSynproxy);
  EXPECT_EQ(Parse({"-a", "-t", "198.18.0.1:80", "-r", "198.18.1.1", "--synproxy"}).err,
            "Illegal 'synproxy' option with the 'add-server' command\n");
  EXPECT_EQ(Parse({"-L", "--synproxy"}).err, "Illegal 'synproxy' option with the 'list' command\n");
  EXPECT_EQ(Parse({"-A", "-t", "198.18.0.1:80", "--synproxy", "--synproxy"}).err,
            "multiple 'synproxy' options specified\n");
}

TEST(SocketPathTest, OptionAnywhereThenEnvironmentThenDefault) {
  std::vector<std::string> a = {"ipvsadm", "-Ln", "--socket", "/tmp/a.sock", "-t", "x"};
  auto c = ExtractSocketPath(a, "/tmp/env.sock");
  EXPECT_EQ(c.path, "/tmp/a.sock");
  EXPECT_EQ(a, (std::vector<std::string>{"ipvsadm", "-Ln", "-t", "x"}));
  std::vector<std::string> b = {"ipvsadm", "--socket=/tmp/b.sock"};
  EXPECT_EQ(ExtractSocketPath(b, nullptr).path, "/tmp/b.sock");
  std::vector<std::string> e = {"ipvsadm"};
  EXPECT_EQ(ExtractSocketPath(e, "/tmp/env.sock").path, "/tmp/env.sock");
  EXPECT_EQ(ExtractSocketPath(e, nullptr).path, "/run/ipvsd/ipvsd.sock");
  std::vector<std::string> bad = {"ipvsadm", "--socket"};
  EXPECT_FALSE(ExtractSocketPath(bad, nullptr).error.empty());
}

// ipvsadm's first line, then what is wrong with ipvsd and what to do, never the kernel-module
// hint of ipvsadm 1.31.
TEST(InitFailureTest, SaysWhichSocketAndWhatToDo) {
  const std::string start_hint =
      "Start ipvsd (systemctl start ipvsd, or ipvsd --iface IFACE), or point IPVSD_SOCKET or --socket\n"
      "at the control socket of the ipvsd that runs.\n";
  EXPECT_EQ(InitFailureText(ENOENT, "/run/ipvsd/ipvsd.sock"),
            "Can't initialize ipvs: No such file or directory\n"
            "No ipvsd is running with its control socket at /run/ipvsd/ipvsd.sock.\n" +
                start_hint);
  EXPECT_EQ(InitFailureText(ECONNREFUSED, "/tmp/x.sock"),
            "Can't initialize ipvs: Connection refused\n"
            "/tmp/x.sock exists, but no ipvsd listens on it (an ipvsd that stopped left it behind).\n" +
                start_hint);
  EXPECT_EQ(InitFailureText(EPERM, "/tmp/x.sock"),
            "Can't initialize ipvs: Permission denied (you must be root)\n"
            "ipvsd at /tmp/x.sock takes commands from root only.\n");
  EXPECT_EQ(InitFailureText(ETIMEDOUT, "/tmp/x.sock"),
            "Can't initialize ipvs: Connection timed out\n"
            "ipvsd at /tmp/x.sock did not answer in time: it may be stuck or overloaded.\n");
  for (int err : {ENOENT, ECONNREFUSED, EPERM, ETIMEDOUT, ENAMETOOLONG}) {
    EXPECT_EQ(InitFailureText(err, "/s").find("kernel"), std::string::npos) << err;
  }
}

}  // namespace
}  // namespace ipvsd::cli

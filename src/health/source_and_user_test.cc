// File: health/source_and_user_test.cc
//
// keepalived keywords that change how a check is made or how the sorry server is added:
// bindto / bind_port / bind_if (the probes' source, checked on loopback from 127.0.0.2),
// MISC_CHECK's `user NAME [GROUP]` (the script's uid and gid), persistence_engine,
// sorry_server_inhibit and sorry_server_lvs_method. Each is read with keepalived's meaning or
// refused with file:line; none is accepted without effect.
#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "health/config.h"
#include "health/net_probes.h"
#include "health/pool.h"
#include "health/probe.h"

namespace ipvsd::health {
namespace {

std::string Wrap(const std::string& checker) {
  return "virtual_server 127.0.0.1 80 {\n"
         "    real_server 127.0.0.1 80 {\n" +
         checker +
         "    }\n"
         "}\n";
}

const CheckerConfig& Only(const Result<Config>& cfg) {
  return cfg->virtual_servers.at(0).real_servers.at(0).checkers.at(0);
}

TEST(SourceBinding, ReadForEveryNetworkChecker) {
  for (const char* kind : {"TCP_CHECK", "UDP_CHECK", "DNS_CHECK", "SMTP_CHECK"}) {
    auto cfg = ParseConfigText(Wrap(std::string("        ") + kind +
                                    " {\n"
                                    "            bindto 127.0.0.2\n"
                                    "            bind_port 4000\n"
                                    "            bind_if lo\n"
                                    "        }\n"),
                               "b.conf");
    ASSERT_TRUE(cfg) << kind << ": " << cfg.error().message;
    const SourceBinding& s = Only(cfg).source;
    EXPECT_EQ(s.addr, net::IpAddr::Parse("127.0.0.2").value()) << kind;
    EXPECT_EQ(s.port, 4000) << kind;
    EXPECT_EQ(s.interface, "lo") << kind;
    EXPECT_TRUE(cfg->notices.empty()) << kind << ": " << cfg->notices.front();
  }
}

TEST(SourceBinding, SmtpHostsTakeTheirOwn) {
  auto cfg = ParseConfigText(Wrap("        SMTP_CHECK {\n"
                                  "            bindto 127.0.0.2\n"
                                  "            host {\n"
                                  "                connect_ip 127.0.0.3\n"
                                  "            }\n"
                                  "            host {\n"
                                  "                connect_ip 127.0.0.4\n"
                                  "                bindto 127.0.0.5\n"
                                  "                bind_port 25000\n"
                                  "            }\n"
                                  "        }\n"),
                             "b.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const std::vector<CheckerConfig>& c = cfg->virtual_servers[0].real_servers[0].checkers;
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].source.addr, net::IpAddr::Parse("127.0.0.2").value());
  EXPECT_EQ(c[0].source.port, 0);
  EXPECT_EQ(c[1].source.addr, net::IpAddr::Parse("127.0.0.5").value());
  EXPECT_EQ(c[1].source.port, 25000);
}

TEST(SourceBinding, PingTakesAnAddressAndAnInterface) {
  auto cfg = ParseConfigText(Wrap("        PING_CHECK {\n"
                                  "            bindto 127.0.0.2\n"
                                  "            bind_if lo\n"
                                  "        }\n"),
                             "b.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(Only(cfg).source.addr, net::IpAddr::Parse("127.0.0.2").value());
  EXPECT_EQ(Only(cfg).source.interface, "lo");
}

struct BadCase {
  const char* text;
  const char* message;
};
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.message; }
class KeywordErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(KeywordErrors, ReportFileAndLine) {
  auto cfg = ParseConfigText(GetParam().text, "bad.conf");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, KeywordErrors,
    ::testing::Values(
        BadCase{"virtual_server 127.0.0.1 80 {\n real_server 127.0.0.1 80 {\n  PING_CHECK {\n   bind_port 9\n  }\n }\n}\n",
                "bad.conf:4: PING_CHECK cannot take bind_port: ICMP has no ports"},
        BadCase{"virtual_server 127.0.0.1 80 {\n real_server 127.0.0.1 80 {\n  MISC_CHECK {\n   misc_path /bin/true\n"
                "   bindto 127.0.0.2\n  }\n }\n}\n",
                "bad.conf:5: unknown keyword 'bindto' in MISC_CHECK"},
        BadCase{"virtual_server 127.0.0.1 80 {\n real_server 127.0.0.1 80 {\n  TCP_CHECK {\n   bindto ::1\n  }\n }\n}\n",
                "bad.conf:3: bindto ::1 is not of the address family of 127.0.0.1, which the checker connects to"},
        BadCase{"virtual_server ::1 80 {\n real_server ::1 80 {\n  TCP_CHECK {\n   bindto fe80::1\n  }\n }\n}\n",
                "bad.conf:3: bindto fe80::1 is link-local: it needs bind_if"},
        BadCase{"virtual_server 127.0.0.1 80 {\n real_server 127.0.0.1 80 {\n  TCP_CHECK {\n"
                "   bind_if abcdefghijklmnopqrstu\n  }\n }\n}\n",
                "bad.conf:4: 'abcdefghijklmnopqrstu' is not an interface name (at most 15 characters, no '/' or blanks)"},
        BadCase{"virtual_server 127.0.0.1 80 {\n real_server 127.0.0.1 80 {\n  TCP_CHECK {\n   bind_port 0\n  }\n }\n}\n",
                "bad.conf:4: '0' is out of range (1..65535)"},
        // keepalived knows bindto only in checkers.
        BadCase{"virtual_server 127.0.0.1 80 {\n bindto 127.0.0.2\n}\n", "bad.conf:2: unknown keyword 'bindto' in virtual_server"},
        BadCase{"virtual_server 127.0.0.1 80 {\n real_server 127.0.0.1 80 {\n  bind_if lo\n }\n}\n",
                "bad.conf:3: unknown keyword 'bind_if' in real_server"},
        BadCase{"virtual_server 127.0.0.1 80 {\n real_server 127.0.0.1 80 {\n  MISC_CHECK {\n   misc_path /bin/true\n"
                "   user no-such-user-here\n  }\n }\n}\n",
                "bad.conf:5: user 'no-such-user-here' does not exist"},
        BadCase{"virtual_server 127.0.0.1 80 {\n real_server 127.0.0.1 80 {\n  MISC_CHECK {\n   misc_path /bin/true\n"
                "   user root no-such-group-here\n  }\n }\n}\n",
                "bad.conf:5: group 'no-such-group-here' does not exist"},
        BadCase{"virtual_server 127.0.0.1 80 {\n real_server 127.0.0.1 80 {\n  TCP_CHECK {\n   user root\n  }\n }\n}\n",
                "bad.conf:4: unknown keyword 'user' in TCP_CHECK"},
        BadCase{"virtual_server 127.0.0.1 80 {\n persistence_engine ftp\n}\n",
                "bad.conf:2: persistence_engine must be sip (the only IPVS persistence engine), not 'ftp'"},
        BadCase{"virtual_server 127.0.0.1 80 {\n sorry_server_inhibit\n sorry_server 127.0.0.9 80\n}\n",
                "bad.conf:2: sorry_server_inhibit needs a sorry_server before it"},
        BadCase{"virtual_server 127.0.0.1 80 {\n sorry_server_lvs_method DR\n}\n",
                "bad.conf:2: sorry_server_lvs_method needs a sorry_server before it"},
        BadCase{"virtual_server 127.0.0.1 80 {\n sorry_server 127.0.0.9 80\n sorry_server_lvs_method FOO\n}\n",
                "bad.conf:3: lb_kind must be NAT, DR or TUN, not 'FOO'"}));

TEST(MiscUser, ReadAsUidAndGid) {
  auto cfg = ParseConfigText(Wrap("        MISC_CHECK {\n"
                                  "            misc_path /bin/true\n"
                                  "            user nobody\n"
                                  "        }\n"
                                  "        MISC_CHECK {\n"
                                  "            misc_path /bin/true\n"
                                  "            user nobody root\n"
                                  "        }\n"),
                             "u.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const passwd* nobody = getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  const std::vector<CheckerConfig>& c = cfg->virtual_servers[0].real_servers[0].checkers;
  ASSERT_TRUE(c[0].misc_user.has_value());
  EXPECT_EQ(c[0].misc_user->uid, nobody->pw_uid);
  EXPECT_EQ(c[0].misc_user->gid, nobody->pw_gid);  // without GROUP: the user's own
  ASSERT_TRUE(c[1].misc_user.has_value());
  EXPECT_EQ(c[1].misc_user->uid, nobody->pw_uid);
  EXPECT_EQ(c[1].misc_user->gid, 0u);
}

// Runs COMMAND as MISC_CHECK would and returns its outcome.
ProbeOutcome RunMisc(const std::string& command, const std::optional<RunAs>& run_as) {
  std::unique_ptr<Probe> probe = CommandProbe::Start(command, UINT64_MAX, false, run_as);
  for (;;) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) return ProbeOutcome{false, "no child", {}, -1};
    if (std::optional<ProbeOutcome> out = probe->OnChildExit(pid, status)) return *out;
  }
}

// The script sees the uid, gid and groups it was given: `id` prints them, a test on them
// decides the exit status.
TEST(MiscUser, TheScriptRunsAsItsUserAndGroupOnly) {
  if (geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  const RunAs as{65534, 65533};
  const ProbeOutcome out = RunMisc("test \"$(id -u) $(id -g) $(id -G)\" = '65534 65533 65533'", as);
  EXPECT_TRUE(out.ok) << out.detail;
  const ProbeOutcome as_root = RunMisc("test \"$(id -u)\" = 65534", std::nullopt);
  EXPECT_FALSE(as_root.ok);
}

TEST(MiscUser, AScriptThatCannotSwitchUserDoesNotRun) {
  if (geteuid() == 0) GTEST_SKIP() << "root may switch to any user";
  const ProbeOutcome out = RunMisc("exit 0", RunAs{geteuid() + 1, getegid()});
  EXPECT_FALSE(out.ok);
  EXPECT_TRUE(out.not_run);
  EXPECT_EQ(out.detail, "exit status 126 (the shell cannot execute it) or cannot switch to its user");
}

// A listening TCP socket on 127.0.0.1 and the address its peer came from.
class Listener {
 public:
  explicit Listener(int type) {
    fd_ = socket(AF_INET, type, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    if (type == SOCK_STREAM) listen(fd_, 4);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Listener() { close(fd_); }
  uint16_t port() const { return port_; }
  int fd() const { return fd_; }

 private:
  int fd_;
  uint16_t port_ = 0;
};

std::string PeerOf(const sockaddr_in& a) {
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
  return std::string(text) + ":" + std::to_string(ntohs(a.sin_port));
}

// Drives PROBE until it reports (the deadline is far: loopback answers at once).
ProbeOutcome Drive(Probe& probe) {
  for (int i = 0; i < 1000; ++i) {
    pollfd p{probe.fd(), probe.events(), 0};
    if (poll(&p, 1, 1000) > 0) {
      if (std::optional<ProbeOutcome> out = probe.OnReady(p.revents)) return *out;
    }
  }
  return probe.OnTimeout();
}

constexpr uint64_t kFar = UINT64_MAX;

SourceBinding From(const char* addr, uint16_t port, const char* interface = "") {
  SourceBinding s;
  if (addr != nullptr) s.addr = net::IpAddr::Parse(addr).value();
  s.port = port;
  s.interface = interface;
  return s;
}

TEST(SourceBinding, TcpConnectionComesFromTheBoundAddressAndPort) {
  Listener server(SOCK_STREAM);
  const net::Endpoint to{net::IpAddr::Parse("127.0.0.1").value(), server.port()};
  std::unique_ptr<Probe> probe = StreamProbe::Start(to, "", false, 0, kFar, From("127.0.0.2", 47001, "lo"));
  const ProbeOutcome out = Drive(*probe);
  EXPECT_TRUE(out.ok) << out.detail;
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  const int conn = accept(server.fd(), reinterpret_cast<sockaddr*>(&peer), &len);
  ASSERT_GE(conn, 0);
  close(conn);
  EXPECT_EQ(PeerOf(peer), "127.0.0.2:47001");
}

TEST(SourceBinding, DatagramComesFromTheBoundAddressAndPort) {
  Listener server(SOCK_DGRAM);
  const net::Endpoint to{net::IpAddr::Parse("127.0.0.1").value(), server.port()};
  std::unique_ptr<Probe> probe = DatagramProbe::Start(
      to, "ping", [](std::string_view) { return std::nullopt; }, true, kFar, From("127.0.0.3", 47002));
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  char buf[16];
  ASSERT_EQ(recvfrom(server.fd(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &len), 4);
  EXPECT_EQ(PeerOf(peer), "127.0.0.3:47002");
}

// bind_port alone: the kernel picks the address, the port is ours.
TEST(SourceBinding, PortAloneKeepsTheRoutedAddress) {
  Listener server(SOCK_DGRAM);
  const net::Endpoint to{net::IpAddr::Parse("127.0.0.1").value(), server.port()};
  std::unique_ptr<Probe> probe = DatagramProbe::Start(
      to, "x", [](std::string_view) { return std::nullopt; }, true, kFar, From(nullptr, 47003));
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  char buf[16];
  ASSERT_EQ(recvfrom(server.fd(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &len), 1);
  EXPECT_EQ(PeerOf(peer), "127.0.0.1:47003");
}

// A source that cannot be had fails the check with the reason, never checks from elsewhere.
TEST(SourceBinding, AnUnusableSourceFailsTheCheck) {
  Listener server(SOCK_STREAM);
  const net::Endpoint to{net::IpAddr::Parse("127.0.0.1").value(), server.port()};
  std::unique_ptr<Probe> probe = StreamProbe::Start(to, "", false, 0, kFar, From("192.0.2.77", 0));
  ProbeOutcome out = Drive(*probe);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.detail, "bindto 192.0.2.77:0: Cannot assign requested address");

  probe = StreamProbe::Start(to, "", false, 0, kFar, From(nullptr, 0, "nosuchif0"));
  out = Drive(*probe);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.detail.rfind("bind_if nosuchif0: ", 0), 0u) << out.detail;
}

// keepalived's sorry_server_inhibit: on quorum regain the sorry server is set to weight 0
// instead of deleted, and brought back by an edit; sorry_server_lvs_method sets its method.
TEST(SorryServer, InhibitKeepsItAtWeightZero) {
  auto cfg = ParseConfigText("virtual_server 198.19.0.1 80 {\n"
                             "    lvs_method NAT\n"
                             "    sorry_server 10.0.0.9 80\n"
                             "    sorry_server_inhibit\n"
                             "    sorry_server_lvs_method DR\n"
                             "    persistence_engine sip\n"
                             "    real_server 10.0.0.1 80 {\n"
                             "        TCP_CHECK {\n"
                             "        }\n"
                             "    }\n"
                             "}\n",
                             "s.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  ASSERT_TRUE(cfg->notices.empty()) << cfg->notices.front();
  const VirtualServerConfig& vs = cfg->virtual_servers[0];
  EXPECT_EQ(vs.service.pe_name, "sip");
  ASSERT_TRUE(vs.sorry_server.has_value());
  EXPECT_TRUE(vs.sorry_server->inhibit_on_failure);
  EXPECT_EQ(vs.sorry_server->fwd.method, ctl::Fwd::kRoute);
  EXPECT_EQ(vs.real_servers[0].fwd.method, ctl::Fwd::kMasq);

  class Recorder final : public IpvsOps {
   public:
    std::vector<std::string> ops;
    Status AddService(const ctl::ServiceSpec&) override { return Ok(); }
    Status EditService(const ctl::ServiceSpec&) override { return Ok(); }
    Status DelService(const ctl::ServiceKey&) override { return Ok(); }
    Status AddDest(const ctl::ServiceKey&, const ctl::DestSpec& d) override { return Rec("Add", d); }
    Status EditDest(const ctl::ServiceKey&, const ctl::DestSpec& d) override { return Rec("Edit", d); }
    Status DelDest(const ctl::ServiceKey&, const ctl::DestSpec& d) override { return Rec("Del", d); }

   private:
    Status Rec(const char* op, const ctl::DestSpec& d) {
      ops.push_back(std::string(op) + " " + d.addr.ToString() + " w" + std::to_string(d.weight) +
                    (d.fwd == ctl::Fwd::kRoute ? " DR" : " NAT"));
      return Ok();
    }
  } rec;
  VirtualServerPool pool(vs, &rec);
  pool.Start();
  pool.OnCheckerChange(0, 0, false);  // quorum lost: sorry server in
  pool.OnCheckerChange(0, 0, true);   // regained: sorry server to weight 0
  pool.OnCheckerChange(0, 0, false);  // lost again: an edit brings it back
  pool.OnCheckerChange(0, 0, true);
  EXPECT_EQ(rec.ops, (std::vector<std::string>{
                         "Add 10.0.0.1 w1 NAT",
                         "Del 10.0.0.1 w0 NAT", "Add 10.0.0.9 w1 DR",
                         "Edit 10.0.0.9 w0 DR", "Add 10.0.0.1 w1 NAT",
                         "Del 10.0.0.1 w0 NAT", "Edit 10.0.0.9 w1 DR",
                         "Edit 10.0.0.9 w0 DR", "Add 10.0.0.1 w1 NAT"}));

  // A reload without the sorry server deletes the inhibited one.
  rec.ops.clear();
  VirtualServerConfig without = vs;
  without.sorry_server.reset();
  pool.Reconfigure(without);
  EXPECT_EQ(rec.ops, (std::vector<std::string>{"Del 10.0.0.9 w0 DR"}));
}

}  // namespace
}  // namespace ipvsd::health

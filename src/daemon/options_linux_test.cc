#include "daemon/options.h"

#include <gtest/gtest.h>

#include <vector>

#include "daemon/options_test_util.h"

namespace ipvsd::daemon {
namespace {

TEST(OptionsTest, Defaults) {
  auto cl = Parse({});
  ASSERT_TRUE(cl.ok());
  EXPECT_EQ(cl->options.socket_path, "/run/ipvsd/ipvsd.sock");
  EXPECT_EQ(cl->options.conn_max, 1u << 20);
  EXPECT_EQ(cl->options.io, IoMode::kAuto);
  EXPECT_FALSE(cl->options.gso);
  EXPECT_TRUE(cl->options.ifaces.empty());
  EXPECT_FALSE(cl->help);
}

TEST(OptionsTest, EveryOption) {
  auto cl = Parse({"--socket", "/tmp/x.sock", "--iface", "eth0", "--iface=eth1", "--io", "afpacket", "--gso",
                   "--workers", "4", "--conn-max", "4096", "--log-level", "debug"});
  ASSERT_TRUE(cl.ok()) << cl.error().message;
  EXPECT_EQ(cl->options.socket_path, "/tmp/x.sock");
  EXPECT_EQ(cl->options.ifaces, (std::vector<std::string>{"eth0", "eth1"}));
  EXPECT_EQ(cl->options.io, IoMode::kAfPacket);
  EXPECT_TRUE(cl->options.gso);
  EXPECT_EQ(cl->options.workers, 4);
  EXPECT_EQ(cl->options.conn_max, 4096u);
  EXPECT_EQ(cl->options.log_level, LogLevel::kDebug);
}

TEST(OptionsTest, SysctlsInOrder) {
  auto cl = Parse({"--sysctl", "sloppy_tcp=1", "--sysctl=sloppy_sctp=1", "--sysctl", "conn_reuse_mode=0"});
  ASSERT_TRUE(cl.ok()) << cl.error().message;
  ASSERT_EQ(cl->options.sysctls.size(), 3u);
  EXPECT_EQ(cl->options.sysctls[0].name, "sloppy_tcp");
  EXPECT_EQ(cl->options.sysctls[0].value, 1);
  EXPECT_EQ(cl->options.sysctls[1].name, "sloppy_sctp");
  EXPECT_EQ(cl->options.sysctls[2].name, "conn_reuse_mode");
  EXPECT_EQ(cl->options.sysctls[2].value, 0);
  EXPECT_TRUE(Parse({})->options.sysctls.empty());
}

TEST(OptionsTest, SysctlErrors) {
  EXPECT_EQ(Parse({"--sysctl", "sloppy_udp=1"}).error().message,
            "--sysctl: unknown sysctl 'sloppy_udp' (known: conn_reuse_mode, expire_nodest_conn, "
            "expire_quiescent_template, sloppy_tcp, sloppy_sctp, sync_threshold, sync_refresh_period, sync_retries, "
            "sync_persist_mode, icmp_ratelimit, icmp_msgs_per_sec, icmp_msgs_burst, amemthresh, drop_entry, "
            "drop_packet, secure_tcp, am_droprate, synproxy, synproxy_dest_per_sec, synproxy_msgs_per_sec, "
            "synproxy_msgs_burst)");
  EXPECT_EQ(Parse({"--sysctl", "sloppy_tcp=on"}).error().message,
            "--sysctl: sysctl sloppy_tcp must be a number from 0 to 1, not 'on'");
  EXPECT_EQ(Parse({"--sysctl", "sloppy_tcp"}).error().message, "--sysctl: sysctl 'sloppy_tcp' is not NAME=VALUE");
  EXPECT_EQ(Parse({"--sysctl"}).error().message, "option '--sysctl' needs an argument");
}

TEST(OptionsTest, Errors) {
  EXPECT_EQ(Parse({"--conn-max", "1000"}).error().message,
            "--conn-max must be a power of two from 256 to 1073741824, not '1000'");
  EXPECT_FALSE(Parse({"--workers", "0"}).ok());
  EXPECT_FALSE(Parse({"--io", "dpdk"}).ok());
  EXPECT_FALSE(Parse({"--log-level", "loud"}).ok());
  EXPECT_EQ(Parse({"--bogus"}).error().message, "unknown option '--bogus'");
  EXPECT_EQ(Parse({"--socket"}).error().message, "option '--socket' needs an argument");
  EXPECT_EQ(Parse({"extra"}).error().message, "unexpected argument 'extra'");
  EXPECT_EQ(Parse({"--gso"}).error().message, "--gso needs --io afpacket (AF_XDP cannot carry TCP aggregates)");
  EXPECT_EQ(Parse({"--gso", "--io", "afxdp"}).error().message,
            "--gso needs --io afpacket (AF_XDP cannot carry TCP aggregates)");
  EXPECT_TRUE(Parse({"--help"})->help);
}

TEST(OptionsTest, PcapWithStaticRoutes) {
  auto cl = Parse({"--io", "pcap", "--route", "default", "via", "198.18.0.254", "dev", "d0", "--iface", "d0",
                   "--route", "2001:db8:9::/48", "via", "2001:db8::9", "dev", "d0"});
  ASSERT_TRUE(cl.ok()) << cl.error().message;
  EXPECT_EQ(cl->options.io, IoMode::kPcap);
  EXPECT_EQ(cl->options.ifaces, std::vector<std::string>{"d0"});
  ASSERT_EQ(cl->options.routes.size(), 2u);
  EXPECT_EQ(cl->options.routes[0].ToString(), "0.0.0.0/0 via 198.18.0.254 dev d0");
  EXPECT_EQ(cl->options.routes[1].ToString(), "2001:db8:9::/48 via 2001:db8::9 dev d0");
  EXPECT_EQ(Parse({"--io", "pcap", "--route", "default", "via", "198.18.0.254"}).error().message,
            "--route must be PREFIX via NEXTHOP dev IF (after 'default')");
  EXPECT_EQ(Parse({"--io", "pcap", "--route", "default", "via", "nowhere", "dev", "d0"}).error().message,
            "--route: next hop 'nowhere' is not an IP address");
  EXPECT_EQ(Parse({"--route", "default", "via", "198.18.0.254", "dev", "d0"}).error().message,
            "--route needs --io pcap (the other backends use the kernel's routes)");
}

TEST(OptionsTest, FlowOffloadIsOnUnlessTurnedOff) {
  EXPECT_TRUE(Parse({})->options.flow_offload);
  EXPECT_TRUE(Parse({"--flow-offload", "on"})->options.flow_offload);
  EXPECT_FALSE(Parse({"--flow-offload", "off"})->options.flow_offload);
  EXPECT_EQ(Parse({"--flow-offload", "yes"}).error().message, "--flow-offload must be on or off, not 'yes'");
}

}  // namespace
}  // namespace ipvsd::daemon

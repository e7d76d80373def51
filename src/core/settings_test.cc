#include "core/settings.h"

#include <gtest/gtest.h>

namespace ipvsd::core {
namespace {

TEST(SysctlTest, EverySysctlOfSettingsCanBeSet) {
  Settings s;
  for (const char* a : {"conn_reuse_mode=2", "expire_nodest_conn=1", "expire_quiescent_template=1", "sloppy_tcp=1",
                        "sloppy_sctp=1", "sync_threshold=5 100", "sync_refresh_period=30", "sync_retries=2",
                        "sync_persist_mode=1", "icmp_ratelimit=250", "icmp_msgs_per_sec=20000", "icmp_msgs_burst=0",
                        "amemthresh=4096", "drop_entry=1", "drop_packet=3", "secure_tcp=2", "am_droprate=7",
                        "synproxy=1", "synproxy_dest_per_sec=50", "synproxy_msgs_per_sec=9000",
                        "synproxy_msgs_burst=90"}) {
    auto setting = ParseSysctl(a);
    ASSERT_TRUE(setting.ok()) << a << ": " << setting.error().message;
    ApplySysctl(s, *setting);
  }
  EXPECT_EQ(s.conn_reuse_mode, 2);
  EXPECT_TRUE(s.expire_nodest_conn);
  EXPECT_TRUE(s.expire_quiescent_template);
  EXPECT_TRUE(s.sloppy_tcp);
  EXPECT_TRUE(s.sloppy_sctp);
  EXPECT_EQ(s.sync_threshold, 5);
  EXPECT_EQ(s.sync_period, 100);
  EXPECT_EQ(s.sync_refresh_period, 30u);
  EXPECT_EQ(s.sync_retries, 2);
  EXPECT_TRUE(s.sync_persist_mode);
  EXPECT_EQ(s.icmp_ratelimit, 250u);
  EXPECT_EQ(s.icmp_msgs_per_sec, 20000u);
  EXPECT_EQ(s.icmp_msgs_burst, 0u);
  EXPECT_EQ(s.amemthresh, 4096u);
  EXPECT_EQ(s.drop_entry, 1);
  EXPECT_EQ(s.drop_packet, 3);
  EXPECT_EQ(s.secure_tcp, 2);
  EXPECT_EQ(s.am_droprate, 7u);
  EXPECT_TRUE(s.synproxy);
  EXPECT_EQ(s.synproxy_dest_per_sec, 50u);
  EXPECT_EQ(s.synproxy_msgs_per_sec, 9000u);
  EXPECT_EQ(s.synproxy_msgs_burst, 90u);
  EXPECT_EQ(ParseSysctl("sync_threshold=5 100")->Text(), "sync_threshold=5 100");
  EXPECT_EQ(ParseSysctl("sync_retries=2")->Text(), "sync_retries=2");
  ApplySysctl(s, *ParseSysctl("sloppy_tcp=0"));
  EXPECT_FALSE(s.sloppy_tcp);
}

TEST(SysctlTest, BadInputSaysWhatIsWrong) {
  EXPECT_EQ(ParseSysctl("sloppy_tcp").error().message, "sysctl 'sloppy_tcp' is not NAME=VALUE");
  EXPECT_EQ(ParseSysctl("sloppy_udp=1").error().message,
            "unknown sysctl 'sloppy_udp' (known: conn_reuse_mode, expire_nodest_conn, expire_quiescent_template, "
            "sloppy_tcp, sloppy_sctp, sync_threshold, sync_refresh_period, sync_retries, sync_persist_mode, "
            "icmp_ratelimit, icmp_msgs_per_sec, icmp_msgs_burst, amemthresh, drop_entry, drop_packet, secure_tcp, "
            "am_droprate, synproxy, synproxy_dest_per_sec, synproxy_msgs_per_sec, synproxy_msgs_burst)");
  EXPECT_EQ(ParseSysctl("icmp_ratelimit=3600001").error().message,
            "sysctl icmp_ratelimit must be a number from 0 to 3600000, not '3600001'");
  EXPECT_EQ(ParseSysctl("icmp_msgs_per_sec=10000001").error().message,
            "sysctl icmp_msgs_per_sec must be a number from 0 to 10000000, not '10000001'");
  EXPECT_EQ(ParseSysctl("sloppy_tcp=2").error().message, "sysctl sloppy_tcp must be a number from 0 to 1, not '2'");
  EXPECT_EQ(ParseSysctl("conn_reuse_mode=4").error().message,
            "sysctl conn_reuse_mode must be a number from 0 to 3, not '4'");
  EXPECT_EQ(ParseSysctl("sync_threshold=50 50").error().message,
            "sysctl sync_threshold must be two numbers 'THRESHOLD PERIOD' from 0 to 65535, THRESHOLD below PERIOD "
            "unless PERIOD is 0, not '50 50'");
  EXPECT_TRUE(ParseSysctl("sync_threshold=3 0").ok());
  EXPECT_EQ(ParseSysctl("sync_threshold=4 \t 60")->Text(), "sync_threshold=4 60");  // any blanks, as the kernel
  EXPECT_FALSE(ParseSysctl("sync_threshold=4 ").ok());
  for (const char* bad : {"sync_threshold=3", "sync_threshold=3 x", "sync_retries=4", "sloppy_tcp=", "sloppy_tcp=yes", "sloppy_tcp=-1", "sloppy_tcp=1x", "sloppy_tcp= 1"}) {
    auto r = ParseSysctl(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, EINVAL);
  }
}

}  // namespace
}  // namespace ipvsd::core

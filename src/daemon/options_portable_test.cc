// The portable build's command line (daemon/options.h, docs/portability.md): --io auto is pcap,
// and what needs AF_XDP or AF_PACKET is refused with a message rather than ignored. The options
// every build shares are tested by options_linux_test.cc, on Linux.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/options.h"
#include "daemon/options_test_util.h"

namespace ipvsd::daemon {
namespace {

TEST(PortableOptionsTest, AutoIsPcapWithoutFlowOffload) {
  for (const auto& args : {std::vector<std::string>{}, std::vector<std::string>{"--io", "auto"},
                           std::vector<std::string>{"--io", "pcap", "--flow-offload", "off"}}) {
    auto cl = Parse(args);
    ASSERT_TRUE(cl.ok()) << cl.error().message;
    EXPECT_EQ(cl->options.io, IoMode::kPcap);
    EXPECT_FALSE(cl->options.flow_offload);
  }
}

TEST(PortableOptionsTest, StaticRoutesWithoutNamingPcap) {
  auto cl = Parse({"--route", "default", "via", "198.18.0.254", "dev", "d0"});
  ASSERT_TRUE(cl.ok()) << cl.error().message;
  ASSERT_EQ(cl->options.routes.size(), 1u);
  EXPECT_EQ(cl->options.routes[0].ToString(), "0.0.0.0/0 via 198.18.0.254 dev d0");
}

TEST(PortableOptionsTest, LinuxBackendsAreRefused) {
  const std::string io = "--io afxdp and --io afpacket are not in the portable build: it has --io pcap only";
  EXPECT_EQ(Parse({"--io", "afxdp"}).error().message, io);
  EXPECT_EQ(Parse({"--io", "afpacket", "--gso"}).error().message, io);
  EXPECT_EQ(Parse({"--flow-offload", "on"}).error().message,
            "--flow-offload on needs AF_XDP, which the portable build does not have");
  EXPECT_EQ(Parse({"--gso"}).error().message, "--gso needs --io afpacket (AF_XDP cannot carry TCP aggregates)");
}

}  // namespace
}  // namespace ipvsd::daemon

// File: health/checker_config_test.cc
//
// The checker blocks beyond TCP_CHECK / HTTP_GET / MISC_CHECK: SSL_GET, SMTP_CHECK, UDP_CHECK,
// DNS_CHECK and PING_CHECK are read with keepalived's keywords and defaults; BFD_CHECK is
// refused with file:line (never a checker that passes without checking). FILE_CHECK:
// file_check_test.cc.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "health/config.h"

namespace ipvsd::health {
namespace {

std::string Wrap(const std::string& checker) {
  return "virtual_server 198.19.0.1 443 {\n"
         "    real_server 198.18.1.11 443 {\n" +
         checker +
         "    }\n"
         "}\n";
}

const CheckerConfig& Only(const Result<Config>& cfg) {
  return cfg->virtual_servers.at(0).real_servers.at(0).checkers.at(0);
}

TEST(CheckerConfig, SslGetDefaultsAndKeywords) {
  auto cfg = ParseConfigText(Wrap("        SSL_GET {\n"
                                  "            url {\n"
                                  "                path /health\n"
                                  "                status_code 200\n"
                                  "            }\n"
                                  "        }\n"),
                             "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const CheckerConfig& d = Only(cfg);
  EXPECT_EQ(d.kind, CheckerKind::kSsl);
  EXPECT_STREQ(CheckerKindName(d.kind), "SSL_GET");
  EXPECT_EQ(d.retry, kDefaultRetryNet);
  EXPECT_DOUBLE_EQ(d.connect_timeout, kDefaultConnectTimeout);
  EXPECT_DOUBLE_EQ(d.delay_before_retry, 3.0);  // keepalived's HTTP_GET / SSL_GET default
  EXPECT_FALSE(d.enable_sni);
  EXPECT_EQ(d.http_version, "1.0");
  ASSERT_EQ(d.urls.size(), 1u);
  EXPECT_EQ(d.urls[0].path, "/health");

  cfg = ParseConfigText(Wrap("        SSL_GET {\n"
                             "            url {\n"
                             "                path /\n"
                             "            }\n"
                             "            virtualhost www.example\n"
                             "            enable_sni\n"
                             "            http_protocol 1.1\n"
                             "            connect_timeout 2\n"
                             "            retry 4\n"
                             "            delay_before_retry 0.5\n"
                             "        }\n"),
                        "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const CheckerConfig& s = Only(cfg);
  EXPECT_TRUE(s.enable_sni);
  EXPECT_EQ(s.virtualhost, "www.example");
  EXPECT_EQ(s.http_version, "1.1");
  EXPECT_DOUBLE_EQ(s.connect_timeout, 2);
  EXPECT_EQ(s.retry, 4);
  EXPECT_DOUBLE_EQ(s.delay_before_retry, 0.5);

  // An SSL_GET without a url would check nothing.
  cfg = ParseConfigText(Wrap("        SSL_GET {\n        }\n"), "k.conf");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().message, "k.conf:3: SSL_GET needs at least one url");
  cfg = ParseConfigText(Wrap("        HTTP_GET {\n            url {\n                path /\n            }\n"
                             "            http_protocol 2\n        }\n"),
                        "k.conf");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().message, "k.conf:7: http_protocol must be 1.0, 1.0C or 1.1, not '2'");
}

TEST(CheckerConfig, SmtpCheckDefaultsAndHosts) {
  auto cfg = ParseConfigText(Wrap("        SMTP_CHECK {\n        }\n"), "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(Only(cfg).kind, CheckerKind::kSmtp);
  EXPECT_EQ(Only(cfg).helo_name, "smtpchecker.keepalived.org");
  EXPECT_EQ(Only(cfg).retry, kDefaultRetryNet);

  cfg = ParseConfigText(Wrap("        SMTP_CHECK {\n"
                             "            helo_name lb.example\n"
                             "            connect_timeout 3\n"
                             "            host {\n"
                             "                connect_ip 198.18.2.1\n"
                             "                connect_port 2525\n"
                             "            }\n"
                             "            host {\n"
                             "                connect_ip 198.18.2.2\n"
                             "            }\n"
                             "        }\n"),
                        "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const auto& checkers = cfg->virtual_servers[0].real_servers[0].checkers;
  ASSERT_EQ(checkers.size(), 2u);
  EXPECT_EQ(checkers[0].where, "k.conf:6");
  EXPECT_EQ(checkers[0].connect_ip->ToString(), "198.18.2.1");
  EXPECT_EQ(checkers[0].connect_port, 2525);
  EXPECT_EQ(checkers[1].connect_ip->ToString(), "198.18.2.2");
  EXPECT_EQ(checkers[1].connect_port, 0);
  for (const CheckerConfig& c : checkers) {
    EXPECT_EQ(c.helo_name, "lb.example");
    EXPECT_DOUBLE_EQ(c.connect_timeout, 3);
  }
}

// keepalived 2.2.7 gives a host block every keyword common to the checkers (check_smtp.c
// installs install_checker_common_keywords there): retry, delay_before_retry, delay_loop and
// alpha are the host's own; warmup and log_all_failures are read with a notice.
TEST(CheckerConfig, SmtpHostsTakeTheCommonCheckerKeywords) {
  auto cfg = ParseConfigText(Wrap("        SMTP_CHECK {\n"
                                  "            retry 1\n"
                                  "            host {\n"
                                  "                retry 4\n"
                                  "                delay_before_retry 2.5\n"
                                  "                delay_loop 9\n"
                                  "                alpha\n"
                                  "                warmup 1\n"
                                  "                log_all_failures\n"
                                  "            }\n"
                                  "            host {\n"
                                  "                connect_port 2525\n"
                                  "            }\n"
                                  "        }\n"),
                             "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const auto& checkers = cfg->virtual_servers[0].real_servers[0].checkers;
  ASSERT_EQ(checkers.size(), 2u);
  EXPECT_EQ(checkers[0].retry, 4);
  EXPECT_DOUBLE_EQ(checkers[0].delay_before_retry, 2.5);
  EXPECT_DOUBLE_EQ(checkers[0].delay_loop, 9);
  EXPECT_TRUE(checkers[0].alpha);
  EXPECT_EQ(checkers[1].retry, 1);
  EXPECT_DOUBLE_EQ(checkers[1].delay_before_retry, kDefaultDelayBeforeRetry);
  EXPECT_DOUBLE_EQ(checkers[1].delay_loop, kDefaultDelayLoop);
  EXPECT_FALSE(checkers[1].alpha);
  EXPECT_EQ(cfg->notices, (std::vector<std::string>{"k.conf:10: ignoring warmup", "k.conf:11: ignoring log_all_failures"}));
  cfg = ParseConfigText(Wrap("        SMTP_CHECK {\n            host {\n                helo_name x\n            }\n        }\n"),
                        "k.conf");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().message, "k.conf:5: unknown keyword 'helo_name' in SMTP_CHECK host");
}

// keepalived 2.2.7 reads enable_sni in HTTP_GET as well (`keepalived -t` takes it), where
// there is no TLS for it to change.
TEST(CheckerConfig, HttpGetTakesEnableSni) {
  auto cfg = ParseConfigText(Wrap("        HTTP_GET {\n            url {\n                path /\n            }\n"
                                  "            enable_sni\n        }\n"),
                             "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(Only(cfg).kind, CheckerKind::kHttp);
}

TEST(CheckerConfig, UdpCheckKeywords) {
  auto cfg = ParseConfigText(Wrap("        UDP_CHECK {\n"
                                  "            payload 50494e47\n"
                                  "            require_reply 50 4f\n"
                                  "            min_reply_length 2\n"
                                  "            max_reply_length 64\n"
                                  "        }\n"),
                             "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const CheckerConfig& c = Only(cfg);
  EXPECT_EQ(c.kind, CheckerKind::kUdp);
  EXPECT_EQ(c.payload, "PING");
  EXPECT_TRUE(c.require_reply);
  EXPECT_EQ(c.reply_prefix, "PO");
  EXPECT_EQ(c.min_reply_length, 2);
  EXPECT_EQ(c.max_reply_length, 64);

  // keepalived's defaults: its 32-byte filler as payload, replies up to 255 bytes.
  cfg = ParseConfigText(Wrap("        UDP_CHECK {\n        }\n"), "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_FALSE(Only(cfg).require_reply);
  EXPECT_EQ(Only(cfg).payload, "keepalived check - keepalived ch");
  EXPECT_EQ(Only(cfg).max_reply_length, 255);

  cfg = ParseConfigText(Wrap("        UDP_CHECK {\n            payload 5g\n        }\n"), "k.conf");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().message, "k.conf:4: 'payload' takes hex digits, not 'g'");
  cfg = ParseConfigText(Wrap("        UDP_CHECK {\n            payload 5X\n        }\n"), "k.conf");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().message, "k.conf:4: 'payload' takes hex digits, not 'X'");
  cfg = ParseConfigText(Wrap("        UDP_CHECK {\n            require_reply 5 z\n        }\n"), "k.conf");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().message, "k.conf:4: 'require_reply' takes hex digits and X, not 'z'");
  cfg = ParseConfigText(Wrap("        UDP_CHECK {\n            require_reply\n            min_reply_length 9\n"
                             "            max_reply_length 3\n        }\n"),
                        "k.conf");
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("k.conf:3: UDP_CHECK min_reply_length is above"), std::string::npos);
}

// keepalived's read_hex_str: digits paired from the left of each word, a digit alone is a
// byte; X nibbles of require_reply are not compared.
TEST(CheckerConfig, UdpCheckHexIsReadAsKeepalivedReadsIt) {
  auto cfg = ParseConfigText(Wrap("        UDP_CHECK {\n"
                                  "            payload Ab12f 3 456 546443123\n"
                                  "            require_reply 5x X0 \"4e 4\"7\n"
                                  "        }\n"),
                             "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const CheckerConfig& c = Only(cfg);
  EXPECT_EQ(c.payload, std::string("\xab\x12\x0f\x03\x45\x06\x54\x64\x43\x12\x03", 11));
  EXPECT_EQ(c.reply_prefix, std::string("\x50\x00\x4e\x47", 4));
  EXPECT_EQ(c.reply_mask, std::string("\x0f\xf0\x00\x00", 4));
}

TEST(CheckerConfig, DnsCheckDefaultsAndTypes) {
  auto cfg = ParseConfigText(Wrap("        DNS_CHECK {\n        }\n"), "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const CheckerConfig& d = Only(cfg);
  EXPECT_EQ(d.kind, CheckerKind::kDns);
  EXPECT_EQ(d.dns_type, kDnsTypeSoa);
  EXPECT_EQ(d.dns_name, ".");
  EXPECT_EQ(d.retry, kDefaultRetryDns);

  cfg = ParseConfigText(Wrap("        DNS_CHECK {\n            type aaaa\n            name www.example.com\n"
                             "            retry 1\n        }\n"),
                        "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(Only(cfg).dns_type, 28);
  EXPECT_EQ(Only(cfg).dns_name, "www.example.com");
  EXPECT_EQ(Only(cfg).retry, 1);

  cfg = ParseConfigText(Wrap("        DNS_CHECK {\n            type SRV\n        }\n"), "k.conf");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().message, "k.conf:4: DNS_CHECK type must be A, NS, CNAME, SOA, MX, TXT or AAAA, not 'SRV'");
}

TEST(CheckerConfig, PingCheck) {
  auto cfg = ParseConfigText(Wrap("        PING_CHECK {\n            connect_timeout 1\n        }\n"), "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(Only(cfg).kind, CheckerKind::kPing);
  EXPECT_DOUBLE_EQ(Only(cfg).connect_timeout, 1);
  // A keyword of another checker is a typo here, not something to ignore.
  cfg = ParseConfigText(Wrap("        PING_CHECK {\n            helo_name x\n        }\n"), "k.conf");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().message, "k.conf:4: unknown keyword 'helo_name' in PING_CHECK");
}

TEST(CheckerConfig, BfdCheckIsRefusedWithFileAndLine) {
  auto cfg = ParseConfigText(Wrap("        TCP_CHECK {\n        }\n        BFD_CHECK {\n            name bfd1\n        }\n"),
                             "k.conf");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().message.rfind("k.conf:5: BFD_CHECK is not supported", 0), 0u) << cfg.error().message;
}

}  // namespace
}  // namespace ipvsd::health

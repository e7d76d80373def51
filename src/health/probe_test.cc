// File: health/probe_test.cc
//
// HTTP_GET's verdict (status ranges, MD5 digest) and the MD5 itself (RFC 1321 test suite).
#include "health/probe.h"

#include <gtest/gtest.h>

#include "health/md5.h"

namespace ipvsd::health {
namespace {

TEST(Md5, Rfc1321Vectors) {
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Md5Hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Md5Hex("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(Md5Hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(EvaluateHttp, StatusAndDigest) {
  const std::string reply = "HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nrs1\n";
  UrlCheck url;
  EXPECT_TRUE(EvaluateHttp(reply, url).ok);  // any 2xx
  url.statuses = {{301, 302}};
  EXPECT_FALSE(EvaluateHttp(reply, url).ok);
  url.statuses = {{200, 200}};
  url.digest = Md5Hex("rs1\n");
  EXPECT_TRUE(EvaluateHttp(reply, url).ok);
  url.digest = Md5Hex("rs2\n");
  EXPECT_FALSE(EvaluateHttp(reply, url).ok);
  EXPECT_FALSE(EvaluateHttp("HTTP/1.1 503 Busy\r\n\r\n", UrlCheck{}).ok);
  EXPECT_FALSE(EvaluateHttp("rs1\n", UrlCheck{}).ok);
  EXPECT_FALSE(EvaluateHttp("HTTP/1.0 2x0 OK\r\n\r\n", UrlCheck{}).ok);
}

TEST(HttpRequest, AsKeepalivedSendsIt) {
  UrlCheck url;
  url.path = "/health";
  EXPECT_EQ(HttpRequest(url, "198.18.1.11:80"),
            "GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 198.18.1.11:80\r\nConnection: close\r\n\r\n");
}

}  // namespace
}  // namespace ipvsd::health

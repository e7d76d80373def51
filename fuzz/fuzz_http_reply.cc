// File: fuzz/fuzz_http_reply.cc
//
// HTTP_GET's verdict on a real server's reply (health::EvaluateHttp): status line, status
// ranges, and the MD5 digest of the body after the first blank line.
//
// Input: one byte saying which url { } the reply is judged against (bit 0: with a digest,
// that of "ok\n"; bit 1: with status_code ranges, taken from the next four bytes as two
// ranges of 1xx..5xx), then the reply as the probe read it.
//
// Checked beyond the sanitizers: a reply judged healthy starts with "HTTP/", carries three
// digits after its first space, and without ranges those digits are a 2xx.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "health/config.h"
#include "health/md5.h"
#include "health/probe.h"

namespace {

namespace health = ipvsd::health;

constexpr uint8_t kWithDigest = 0x01;
constexpr uint8_t kWithStatuses = 0x02;

void Check(bool ok) {
  if (!ok) std::abort();
}

// 100..599 from one byte, so that ranges land where replies are.
int StatusOf(uint8_t b) { return 100 + b * 500 / 256; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return -1;
  const uint8_t mode = data[0];
  size_t used = 1;
  health::UrlCheck url;
  if (mode & kWithDigest) url.digest = health::Md5Hex("ok\n");
  if (mode & kWithStatuses) {
    if (size < 5) return -1;
    url.statuses = {{StatusOf(data[1]), StatusOf(data[2])}, {StatusOf(data[3]), StatusOf(data[4])}};
    used = 5;
  }
  const std::string reply(reinterpret_cast<const char*>(data + used), size - used);
  health::ProbeOutcome out = health::EvaluateHttp(reply, url);
  Check(!out.detail.empty());
  if (!out.ok) return 0;
  Check(reply.compare(0, 5, "HTTP/") == 0);
  const size_t sp = reply.find(' ');
  Check(sp != std::string::npos && sp + 4 <= reply.size());
  int status = 0;
  for (size_t i = sp + 1; i < sp + 4; ++i) {
    Check(reply[i] >= '0' && reply[i] <= '9');
    status = status * 10 + (reply[i] - '0');
  }
  if (url.statuses.empty()) Check(status >= 200 && status <= 299);
  (void)health::HttpRequest(url, "198.18.1.10:80");
  return 0;
}

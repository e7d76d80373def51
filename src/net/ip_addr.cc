#include "net/ip_addr.h"

#include <arpa/inet.h>

#include <cerrno>

namespace ipvsd::net {

Result<IpAddr> IpAddr::Parse(std::string_view text) {
  std::string s(text);
  IpAddr a;
  if (inet_pton(AF_INET, s.c_str(), a.raw.bytes.data()) == 1) {
    a.family = Family::kInet;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.raw.bytes.data()) == 1) {
    a.family = Family::kInet6;
    return a;
  }
  return MakeError(EINVAL, "invalid IP address '" + s + "'");
}

std::string IpAddr::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v6() ? AF_INET6 : AF_INET, raw.bytes.data(), buf, sizeof buf);
  return buf;
}

RawAddr MaskV4(const RawAddr& a, uint32_t netmask_host_order) { return RawAddr::FromV4(a.V4() & netmask_host_order); }

RawAddr MaskV6(const RawAddr& a, int prefix_len) {
  RawAddr out = a;
  for (int i = 0; i < 16; ++i) {
    int bits = prefix_len - 8 * i;
    if (bits >= 8) continue;
    out.bytes[static_cast<size_t>(i)] &= bits <= 0 ? 0 : static_cast<uint8_t>(0xff00 >> bits);
  }
  return out;
}

std::string Endpoint::ToString() const {
  if (addr.is_v6()) return "[" + addr.ToString() + "]:" + std::to_string(port);
  return addr.ToString() + ":" + std::to_string(port);
}

}  // namespace ipvsd::net

#include "io/portable/static_route.h"

#include <cerrno>
#include <cstdlib>

namespace ipvsd::io {

Result<StaticRoute> StaticRoute::Parse(std::string_view prefix, std::string_view via, std::string_view dev) {
  StaticRoute r;
  auto hop = net::IpAddr::Parse(via);
  if (!hop) return MakeError(EINVAL, "next hop '" + std::string(via) + "' is not an IP address");
  r.via = *hop;
  if (dev.empty()) return MakeError(EINVAL, "a route needs an interface (dev IF)");
  r.dev = dev;
  if (prefix == "default") {
    r.prefix = net::IpAddr{net::RawAddr{}, hop->family};
    return r;
  }
  const size_t slash = prefix.find('/');
  auto addr = net::IpAddr::Parse(prefix.substr(0, slash));
  if (!addr) return MakeError(EINVAL, "prefix '" + std::string(prefix) + "' is not ADDR/LEN or default");
  const int max_len = addr->is_v6() ? 128 : 32;
  int len = max_len;
  if (slash != std::string_view::npos) {
    const std::string text(prefix.substr(slash + 1));
    char* end = nullptr;
    const long n = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || n < 0 || n > max_len) {
      return MakeError(EINVAL, "prefix length '" + text + "' must be 0 to " + std::to_string(max_len));
    }
    len = static_cast<int>(n);
  }
  if (addr->family != hop->family) return MakeError(EINVAL, "prefix and next hop are of different families");
  r.prefix = *addr;
  r.prefix_len = len;
  return r;
}

std::string StaticRoute::ToString() const {
  return prefix.ToString() + "/" + std::to_string(prefix_len) + " via " + via.ToString() + " dev " + dev;
}

}  // namespace ipvsd::io

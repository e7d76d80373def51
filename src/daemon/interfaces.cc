#include "daemon/interfaces.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

namespace ipvsd::daemon {

std::vector<std::string> UpInterfaces() {
  std::vector<std::string> out;
  struct if_nameindex* list = if_nameindex();
  if (!list) return out;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  for (struct if_nameindex* i = list; fd >= 0 && i->if_index != 0; ++i) {
    ifreq req{};
    std::snprintf(req.ifr_name, sizeof req.ifr_name, "%s", i->if_name);
    if (ioctl(fd, SIOCGIFFLAGS, &req) != 0) continue;
    if ((req.ifr_flags & IFF_UP) && !(req.ifr_flags & IFF_LOOPBACK)) out.emplace_back(i->if_name);
  }
  if (fd >= 0) close(fd);
  if_freenameindex(list);
  return out;
}

Status CheckInterfaces(const std::vector<std::string>& names) {
  for (const std::string& n : names) {
    if (if_nametoindex(n.c_str()) == 0) return MakeError(ENODEV, "no such interface '" + n + "'");
  }
  return Ok();
}

int RxQueueCount(const std::string& name) {
  std::error_code ec;
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/sys/class/net/" + name + "/queues", ec)) {
    if (e.path().filename().string().rfind("rx-", 0) == 0) ++n;
  }
  return n > 0 ? n : 1;
}

std::vector<net::IpAddr> LocalAddresses() {
  std::vector<net::IpAddr> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      out.push_back(net::IpAddr{net::RawAddr::FromBytes(reinterpret_cast<const uint8_t*>(&sin->sin_addr),
                                                        net::Family::kInet),
                                net::Family::kInet});
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      out.push_back(net::IpAddr{net::RawAddr::FromBytes(sin6->sin6_addr.s6_addr, net::Family::kInet6),
                                net::Family::kInet6});
    }
  }
  freeifaddrs(list);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace ipvsd::daemon

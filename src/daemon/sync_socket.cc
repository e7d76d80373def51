#include "daemon/sync_socket.h"

#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace ipvsd::daemon {
namespace {

// A backup's receive buffer, so that bursts (a master's whole-table answer to a pull request)
// wait in the kernel rather than being dropped; forced past net.core.rmem_max (ipvsd has
// CAP_NET_ADMIN), else as large as rmem_max allows.
constexpr int kReceiveBufferBytes = 4 << 20;

Error SysError(const std::string& what) {
  int e = errno;
  return MakeError(e, what + ": " + std::strerror(e));
}

sockaddr_storage GroupAddress(const ctl::DaemonConfig& c, socklen_t* len) {
  sockaddr_storage ss{};
  if (c.mcast_group.is_v6()) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(c.mcast_port);
    std::memcpy(&a->sin6_addr, c.mcast_group.raw.bytes.data(), 16);
    *len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(c.mcast_port);
    std::memcpy(&a->sin_addr, c.mcast_group.raw.bytes.data(), 4);
    *len = sizeof(sockaddr_in);
  }
  return ss;
}

Result<int> OpenSocket(const ctl::DaemonConfig& c, unsigned* ifindex) {
  *ifindex = ::if_nametoindex(c.mcast_ifn.c_str());
  if (*ifindex == 0) return MakeError(ENODEV, "no such interface: " + c.mcast_ifn);
  int fd = ::socket(c.mcast_group.is_v6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return SysError("sync socket");
  return fd;
}

Status SetSendOptions(int fd, const ctl::DaemonConfig& c, unsigned ifindex) {
  int ttl = c.mcast_ttl;
  int loop = 0;
  if (c.mcast_group.is_v6()) {
    int idx = static_cast<int>(ifindex);
    if (::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof(idx)) != 0 ||
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof(ttl)) != 0 ||
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop, sizeof(loop)) != 0) {
      return SysError("sync socket options on " + c.mcast_ifn);
    }
    return Ok();
  }
  ip_mreqn mreq{};
  mreq.imr_ifindex = static_cast<int>(ifindex);
  if (::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof(mreq)) != 0 ||
      ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) != 0 ||
      ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) != 0) {
    return SysError("sync socket options on " + c.mcast_ifn);
  }
  return Ok();
}

}  // namespace

Result<int> OpenSyncSender(const ctl::DaemonConfig& c) {
  unsigned ifindex = 0;
  auto fd = OpenSocket(c, &ifindex);
  if (!fd) return fd;
  if (Status st = SetSendOptions(*fd, c, ifindex); !st) {
    ::close(*fd);
    return st.error();
  }
  return fd;
}

Result<int> OpenSyncReceiver(const ctl::DaemonConfig& c) {
  unsigned ifindex = 0;
  auto fd = OpenSocket(c, &ifindex);
  if (!fd) return fd;
  int one = 1;
  int rcvbuf = kReceiveBufferBytes;
  ::setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::setsockopt(*fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0) {
    ::setsockopt(*fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  }
  socklen_t len = 0;
  sockaddr_storage group = GroupAddress(c, &len);
  Status st = SetSendOptions(*fd, c, ifindex);
  if (st && c.mcast_group.is_v6()) {
    ipv6_mreq mreq{};
    std::memcpy(&mreq.ipv6mr_multiaddr, c.mcast_group.raw.bytes.data(), 16);
    mreq.ipv6mr_interface = ifindex;
    if (::bind(*fd, reinterpret_cast<sockaddr*>(&group), len) != 0 ||
        ::setsockopt(*fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof(mreq)) != 0) {
      st = SysError("sync group " + c.mcast_group.ToString() + " on " + c.mcast_ifn);
    }
  } else if (st) {
    // Only the group's datagrams, not those of every group some socket of the host joined.
    int zero = 0;
    ::setsockopt(*fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof(zero));
    ip_mreqn mreq{};
    std::memcpy(&mreq.imr_multiaddr, c.mcast_group.raw.bytes.data(), 4);
    mreq.imr_ifindex = static_cast<int>(ifindex);
    if (::bind(*fd, reinterpret_cast<sockaddr*>(&group), len) != 0 ||
        ::setsockopt(*fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) != 0) {
      st = SysError("sync group " + c.mcast_group.ToString() + " on " + c.mcast_ifn);
    }
  }
  if (!st) {
    ::close(*fd);
    return st.error();
  }
  return fd;
}

bool SendToGroup(int fd, const ctl::DaemonConfig& c, const void* data, size_t len) {
  socklen_t alen = 0;
  sockaddr_storage group = GroupAddress(c, &alen);
  return ::sendto(fd, data, len, 0, reinterpret_cast<sockaddr*>(&group), alen) == static_cast<ssize_t>(len);
}

}  // namespace ipvsd::daemon

// File: agent/tun_device.cc
//
// TUN device creation through /dev/net/tun, the interface flags through SIOCSIFFLAGS and
// rp_filter through /proc/sys.
#include "agent/tun_device.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include "base/log.h"

namespace ipvsd::agent {
namespace {

Error SysError(const std::string& what) { return MakeError(errno, what + ": " + std::strerror(errno)); }

Status BringUp(const std::string& name) {
  const int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return SysError("socket");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  Status st;
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
    st = SysError("SIOCGIFFLAGS " + name);
  } else {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) st = SysError("SIOCSIFFLAGS " + name);
  }
  close(sock);
  return st;
}

// The kernel uses the larger of conf/all and conf/<dev>: the device's own value is set here,
// a non-zero conf/all is only reported (it is the administrator's, as kernel tunl0 needs it too).
Status DisableRpFilter(const std::string& name) {
  {
    std::ofstream dev("/proc/sys/net/ipv4/conf/" + name + "/rp_filter");
    if (!(dev << "0\n")) return MakeError(EIO, "cannot write /proc/sys/net/ipv4/conf/" + name + "/rp_filter");
  }
  std::ifstream all("/proc/sys/net/ipv4/conf/all/rp_filter");
  int value = 0;
  if (all >> value && value != 0) {
    Log(LogLevel::kWarning, "net.ipv4.conf.all.rp_filter=%d drops decapsulated IPv4 packets; set it to 0", value);
  }
  return Ok();
}

}  // namespace

Result<TunDevice> TunDevice::Open(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) return MakeError(EINVAL, "tun device name must have 1.." + std::to_string(IFNAMSIZ - 1) + " characters");
  const int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) return SysError("open /dev/net/tun");
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    Error e = SysError("TUNSETIFF " + name);
    close(fd);
    return e;
  }
  TunDevice dev(fd, ifr.ifr_name);
  if (Status st = BringUp(dev.name_); !st) return st.error();
  if (Status st = DisableRpFilter(dev.name_); !st) return st.error();
  return dev;
}

TunDevice::TunDevice(TunDevice&& other) noexcept : fd_(std::exchange(other.fd_, -1)), name_(std::move(other.name_)) {}

TunDevice& TunDevice::operator=(TunDevice&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    name_ = std::move(other.name_);
  }
  return *this;
}

TunDevice::~TunDevice() {
  if (fd_ >= 0) close(fd_);
}

bool TunDevice::Write(std::span<const uint8_t> packet) const {
  const ssize_t n = write(fd_, packet.data(), packet.size());
  return n == static_cast<ssize_t>(packet.size());
}

}  // namespace ipvsd::agent

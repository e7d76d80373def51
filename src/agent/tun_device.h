// File: agent/tun_device.h
//
// A TUN device (IFF_TUN | IFF_NO_PI) that the agent creates and owns: each write() of an IP
// packet makes the kernel receive that packet on the device, as if it had arrived on a wire.
// The device is not persistent, so it disappears when the descriptor is closed, also when
// the process dies. Open() brings it up and turns IPv4 reverse-path filtering off on it
// (the inner packets come from clients that the device has no route back to).
//
//   Result<TunDevice> tun = TunDevice::Open("ipvs-decap");
//   if (!tun) return tun.error();
//   tun->Write(inner_packet);
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/result.h"

namespace ipvsd::agent {

class TunDevice {
 public:
  static Result<TunDevice> Open(const std::string& name);

  TunDevice(TunDevice&& other) noexcept;
  TunDevice& operator=(TunDevice&& other) noexcept;
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;
  ~TunDevice();

  const std::string& name() const { return name_; }
  // Hands one IP packet to the kernel; false (errno set) when the kernel refused it.
  bool Write(std::span<const uint8_t> packet) const;

 private:
  TunDevice(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}

  int fd_ = -1;
  std::string name_;
};

}  // namespace ipvsd::agent

// File: base/scoped_fd.h
//
// ScopedFd closes a descriptor when it goes out of scope (-1: none).
//
//   ScopedFd f{::open(path, O_RDONLY | O_CLOEXEC)};
//   if (f.fd < 0) return error;
#pragma once

#include <unistd.h>

namespace ipvsd {

struct ScopedFd {
  int fd = -1;
  explicit ScopedFd(int f = -1) : fd(f) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace ipvsd

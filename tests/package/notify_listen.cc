// notify_listen SOCKET: stands in for systemd's side of sd_notify(3) in the package test. Binds
// a datagram socket at SOCKET and prints every message received, one line each (newlines
// inside a message become spaces), until killed.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: notify_listen SOCKET\n");
    return 2;
  }
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (std::strlen(argv[1]) >= sizeof(addr.sun_path)) {
    std::fprintf(stderr, "notify_listen: path too long\n");
    return 2;
  }
  std::strcpy(addr.sun_path, argv[1]);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::perror("notify_listen: bind");
    return 1;
  }
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0) continue;
    std::string message(buf, static_cast<size_t>(n));
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::printf("%s\n", message.c_str());
    std::fflush(stdout);
  }
}

#include "daemon/socket_handover.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

namespace ipvsd::daemon {
namespace {

// The same open file behind two descriptors.
bool SameFile(int a, int b) {
  struct stat sa {}, sb {};
  return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// Two workers' worth of descriptors (a memfd for the UMEM, a socket per queue) and layout.
std::vector<io::AfXdpHandover> TwoWorkers() {
  std::vector<io::AfXdpHandover> workers(2);
  for (size_t w = 0; w < workers.size(); ++w) {
    io::AfXdpHandover& h = workers[w];
    h.umem_fd = memfd_create("test-umem", MFD_CLOEXEC);
    h.frames = 4096;
    h.ring_size = 1024;
    for (uint32_t q = 0; q < 2; ++q) {
      int pair[2];
      EXPECT_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair), 0);
      close(pair[1]);
      h.sockets.push_back(io::AfXdpHandover::Socket{static_cast<uint32_t>(7 + q), static_cast<uint32_t>(w), pair[0]});
    }
    h.free_frames = {0, 4096 * (w + 1), 4096 * 17};
  }
  return workers;
}

TEST(SocketHandover, DescriptorsAndLayoutArriveAsSent) {
  auto listener = SocketHandoverListener::Listen();
  ASSERT_TRUE(listener.ok()) << listener.error().message;
  std::vector<io::AfXdpHandover> sent = TwoWorkers();
  Status send_status = Ok();
  std::thread sender([&] { send_status = SendSockets(getpid(), sent); });
  auto got = listener->Receive(getpid(), [] { return false; }, 2000);
  sender.join();
  ASSERT_TRUE(send_status.ok()) << send_status.error().message;
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_EQ(got->size(), 2u);
  for (size_t w = 0; w < 2; ++w) {
    const io::AfXdpHandover& a = sent[w];
    io::AfXdpHandover& b = (*got)[w];
    EXPECT_EQ(b.frames, a.frames);
    EXPECT_EQ(b.ring_size, a.ring_size);
    EXPECT_EQ(b.free_frames, a.free_frames);
    EXPECT_TRUE(SameFile(a.umem_fd, b.umem_fd));
    EXPECT_NE(a.umem_fd, b.umem_fd) << "a descriptor of its own";
    ASSERT_EQ(b.sockets.size(), a.sockets.size());
    for (size_t i = 0; i < a.sockets.size(); ++i) {
      EXPECT_EQ(b.sockets[i].ifindex, a.sockets[i].ifindex);
      EXPECT_EQ(b.sockets[i].queue, a.sockets[i].queue);
      EXPECT_TRUE(SameFile(a.sockets[i].fd, b.sockets[i].fd));
    }
    b.Close();
    sent[w].Close();
  }
}

TEST(SocketHandover, ASenderThatExitsWithoutConnectingMeansNothingToTake) {
  auto listener = SocketHandoverListener::Listen();
  ASSERT_TRUE(listener.ok()) << listener.error().message;
  auto got = listener->Receive(getpid(), [] { return true; }, 2000);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_TRUE(got->empty());
}

TEST(SocketHandover, ASenderThatStaysSilentTimesOut) {
  auto listener = SocketHandoverListener::Listen();
  ASSERT_TRUE(listener.ok()) << listener.error().message;
  auto got = listener->Receive(getpid(), [] { return false; }, 50);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ETIMEDOUT);
}

TEST(SocketHandover, OnlyTheExpectedProcessIsAccepted) {
  auto listener = SocketHandoverListener::Listen();
  ASSERT_TRUE(listener.ok()) << listener.error().message;
  std::vector<io::AfXdpHandover> sent = TwoWorkers();
  std::thread sender([&] { (void)SendSockets(getpid(), sent); });
  auto got = listener->Receive(getpid() + 1, [] { return false; }, 2000);
  sender.join();
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("the peer is pid " + std::to_string(getpid())), std::string::npos)
      << got.error().message;
  for (io::AfXdpHandover& h : sent) h.Close();
}

TEST(SocketHandover, SendingWithoutAListenerFails) {
  std::vector<io::AfXdpHandover> sent = TwoWorkers();
  // No process listens under the name of pid 0.
  Status st = SendSockets(0, sent);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ECONNREFUSED) << st.error().message;
  for (io::AfXdpHandover& h : sent) h.Close();
}

}  // namespace
}  // namespace ipvsd::daemon

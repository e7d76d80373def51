#include "ctl/server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "ctl/client.h"
#include "ctl/codec.h"

namespace ipvsd::ctl {
namespace {

// Runs a server with a trivial handler on a background thread: kGetTimeouts answers with a
// fixed triple and counts the requests it served.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ipvsd-ctl-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/ctl.sock";
  }
  void TearDown() override {
    Stop();
    ::rmdir(dir_.c_str());
  }

  void Start(uid_t allowed_uid = 0) {
    ServerOptions o;
    o.allowed_uid = allowed_uid;
    Start(o);
  }
  void Start(ServerOptions o) {
    o.path = path_;
    server_ = std::make_unique<UnixServer>(o, [this](uint16_t type, std::span<const uint8_t> payload) {
      served_++;
      if (type == static_cast<uint16_t>(MsgType::kGetTimeouts)) {
        auto r = DecodePayload<Empty>(payload);
        if (!r) return EncodeErrorReply(type, r.error());
        return EncodeReply(MsgType::kGetTimeouts, TimeoutsMsg{1, 2, 3});
      }
      return EncodeErrorReply(type, MakeError(ENOSYS, "not in this test"));
    });
    ASSERT_TRUE(server_->Listen().ok());
    thread_ = std::thread([this] {
      while (!stop_) ASSERT_TRUE(server_->PollOnce(20).ok());
    });
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  int RawConnect() {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path_.c_str());
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  }
  // Reads one reply; returns its header, or an error if the server closed the connection.
  static Result<Header> ReadReply(int fd) {
    uint8_t h[kHeaderSize];
    size_t got = 0;
    while (got < sizeof h) {
      ssize_t n = ::recv(fd, h + got, sizeof h - got, 0);
      if (n <= 0) return MakeError(ECONNRESET, "closed");
      got += static_cast<size_t>(n);
    }
    auto header = DecodeHeader(h, kMaxReplyPayload);
    if (!header) return header;
    std::vector<uint8_t> payload(header->length);
    got = 0;
    while (got < payload.size()) {
      ssize_t n = ::recv(fd, payload.data() + got, payload.size() - got, 0);
      if (n <= 0) return MakeError(ECONNRESET, "closed");
      got += static_cast<size_t>(n);
    }
    return header;
  }
  static bool Closed(int fd) {
    uint8_t b;
    return ::recv(fd, &b, 1, 0) == 0;
  }
  void ExpectStillServing() {
    auto c = Client::Connect(path_);
    ASSERT_TRUE(c.ok());
    auto t = c->GetTimeouts();
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(*t, (TimeoutsMsg{1, 2, 3}));
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<UnixServer> server_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> served_{0};
};

TEST_F(ServerTest, SocketIsPrivate) {
  Start();
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ServerTest, ServesManyClientsAndRequests) {
  Start();
  std::vector<Client> clients;
  for (int i = 0; i < 10; ++i) {
    auto c = Client::Connect(path_);
    ASSERT_TRUE(c.ok());
    clients.push_back(std::move(c).value());
  }
  for (int round = 0; round < 3; ++round) {
    for (Client& c : clients) EXPECT_EQ(*c.GetTimeouts(), (TimeoutsMsg{1, 2, 3}));
  }
  EXPECT_EQ(served_.load(), 30);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  Start();
  int fd = RawConnect();
  auto a = EncodeRequest(MsgType::kGetTimeouts, Empty{});
  auto b = EncodeRequest(MsgType::kFlush, Empty{});
  std::vector<uint8_t> both = a;
  both.insert(both.end(), b.begin(), b.end());
  ASSERT_EQ(::send(fd, both.data(), both.size(), 0), static_cast<ssize_t>(both.size()));
  auto r1 = ReadReply(fd);
  auto r2 = ReadReply(fd);
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(r1->type, static_cast<uint16_t>(MsgType::kGetTimeouts) | kReplyBit);
  EXPECT_EQ(r2->errcode, static_cast<uint32_t>(ENOSYS));
  ::close(fd);
}

TEST_F(ServerTest, BadHeadersGetAnErrorAndTheConnectionCloses) {
  Start();
  struct Case {
    size_t offset;
    uint8_t value;
    int want;
  } cases[] = {{0, 0x00, EPROTO}, {5, 0x07, EPROTONOSUPPORT}, {8, 0x7f, EMSGSIZE}};
  for (const Case& c : cases) {
    int fd = RawConnect();
    auto frame = EncodeRequest(MsgType::kGetTimeouts, Empty{});
    frame[c.offset] = c.value;
    ASSERT_EQ(::send(fd, frame.data(), frame.size(), 0), static_cast<ssize_t>(frame.size()));
    auto r = ReadReply(fd);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->errcode, static_cast<uint32_t>(c.want));
    EXPECT_TRUE(Closed(fd));
    ::close(fd);
  }
  ExpectStillServing();
}

TEST_F(ServerTest, UnknownTypesAndBadPayloadsKeepTheConnection) {
  Start();
  int fd = RawConnect();
  Writer w;
  PutHeader(w, 4242, 0, 0);
  ASSERT_EQ(::send(fd, w.buffer().data(), w.buffer().size(), 0), 16);
  auto r = ReadReply(fd);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->errcode, static_cast<uint32_t>(EBADRQC));
  // A reply type sent as a request (out of order) is unknown too.
  auto reply_as_request = EncodeReply(MsgType::kGetTimeouts, TimeoutsMsg{});
  ASSERT_GT(::send(fd, reply_as_request.data(), reply_as_request.size(), 0), 0);
  r = ReadReply(fd);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->errcode, static_cast<uint32_t>(EBADRQC));
  // Trailing bytes in the payload.
  Writer t;
  PutHeader(t, static_cast<uint16_t>(MsgType::kGetTimeouts), 3, 0);
  t.U8(1);
  t.U8(2);
  t.U8(3);
  ASSERT_EQ(::send(fd, t.buffer().data(), t.buffer().size(), 0), 19);
  r = ReadReply(fd);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->errcode, static_cast<uint32_t>(EBADMSG));
  // Still usable.
  auto ok = EncodeRequest(MsgType::kGetTimeouts, Empty{});
  ASSERT_EQ(::send(fd, ok.data(), ok.size(), 0), 16);
  r = ReadReply(fd);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->errcode, 0u);
  ::close(fd);
}

TEST_F(ServerTest, ClientThatDisconnectsMidRequestIsForgotten) {
  Start();
  int before = served_.load();
  for (size_t cut : {size_t{3}, kHeaderSize, kHeaderSize + 1}) {
    int fd = RawConnect();
    Writer w;
    PutHeader(w, static_cast<uint16_t>(MsgType::kAddService), 40, 0);
    w.U8(0);
    ASSERT_EQ(::send(fd, w.buffer().data(), cut, 0), static_cast<ssize_t>(cut));
    ::close(fd);
  }
  ExpectStillServing();
  EXPECT_EQ(served_.load(), before + 1);
  for (int i = 0; i < 50 && server_->client_count() != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(server_->client_count(), 0u);
}

// True when the server closed fd within timeout_ms (recv sees the end of the stream).
bool ClosedByServer(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) != 1) return false;
  uint8_t byte;
  return ::recv(fd, &byte, 1, 0) == 0;
}

TEST_F(ServerTest, ClientsThatMakeNoProgressAreClosedAfterTheIdleTimeout) {
  ServerOptions o;
  o.idle_timeout = std::chrono::milliseconds(300);
  Start(o);
  int idle = RawConnect();
  int half_request = RawConnect();
  std::vector<uint8_t> frame = EncodeRequest(MsgType::kGetTimeouts, Empty{});
  ASSERT_EQ(::send(half_request, frame.data(), kHeaderSize / 2, 0), static_cast<ssize_t>(kHeaderSize / 2));
  auto busy = Client::Connect(path_);
  ASSERT_TRUE(busy.ok());
  // The busy client makes progress every 100 ms and outlives the others.
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(busy->GetTimeouts().ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(ClosedByServer(idle, 1000));
  EXPECT_TRUE(ClosedByServer(half_request, 1000));
  EXPECT_TRUE(busy->GetTimeouts().ok());
  ::close(idle);
  ::close(half_request);
}

TEST_F(ServerTest, WhenFullANewClientTakesThePlaceOfTheIdlest) {
  ServerOptions o;
  o.max_clients = 4;
  Start(o);
  std::vector<int> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(RawConnect());
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // distinct ages
  }
  auto c = Client::Connect(path_);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->GetTimeouts().ok());
  EXPECT_TRUE(ClosedByServer(idle[0], 1000));
  pollfd p{idle[3], POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 100), 0);  // the youngest idle client is still connected
  for (int fd : idle) ::close(fd);
}

TEST_F(ServerTest, WrongUidGetsEperm) {
  Start(/*allowed_uid=*/::getuid() + 1);
  auto c = Client::Connect(path_);
  ASSERT_TRUE(c.ok());
  auto t = c->GetTimeouts();
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, EPERM);
  EXPECT_EQ(served_.load(), 0);
}

TEST_F(ServerTest, WrongUidReadsTheRefusalEvenWhenTheServerClosedBeforeTheRequest) {
  Start(/*allowed_uid=*/::getuid() + 1);
  auto c = Client::Connect(path_);
  ASSERT_TRUE(c.ok());
  // The server refuses and closes at accept; by now the request's send fails with EPIPE.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto t = c->GetTimeouts();
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, EPERM);
  EXPECT_NE(t.error().message.find("restricted to root"), std::string::npos) << t.error().message;
}

TEST_F(ServerTest, RefusesToStealALiveSocket) {
  Start();
  UnixServer second(ServerOptions{path_}, [](uint16_t, std::span<const uint8_t>) { return std::vector<uint8_t>{}; });
  EXPECT_EQ(second.Listen().error().code, EADDRINUSE);
  ExpectStillServing();
}

TEST_F(ServerTest, ReplacesAStaleSocketAndRemovesItOnClose) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strcpy(a.sun_path, path_.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ::close(fd);  // the file stays, nobody listens
  Start();
  ExpectStillServing();
  Stop();
  EXPECT_NE(::access(path_.c_str(), F_OK), 0);
}

}  // namespace
}  // namespace ipvsd::ctl

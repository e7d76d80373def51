#include "metrics/http_server.h"

#include <httplib.h>

#include <gtest/gtest.h>

#include <atomic>

namespace ipvsd::metrics {
namespace {

TEST(ListenAddressTest, ParsesAddressesPortsAndOff) {
  auto v4 = ListenAddress::Parse("127.0.0.1:9180");
  ASSERT_TRUE(v4.ok() && v4->has_value());
  EXPECT_EQ((*v4)->host, "127.0.0.1");
  EXPECT_EQ((*v4)->port, 9180);
  auto v6 = ListenAddress::Parse("[::1]:0");
  ASSERT_TRUE(v6.ok() && v6->has_value());
  EXPECT_EQ((*v6)->host, "::1");
  EXPECT_EQ((*v6)->ToString(), "[::1]:0");
  auto off = ListenAddress::Parse("off");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->has_value());
  for (const char* bad : {"", "9180", "localhost:9180", "127.0.0.1:", "127.0.0.1:65536", "[::1]9180", "1.2.3.4:x"}) {
    EXPECT_FALSE(ListenAddress::Parse(bad).ok()) << bad;
  }
}

TEST(HttpServerTest, AnswersGetAndRefusesChanges) {
  std::atomic<int> calls{0};
  auto server = HttpServer::Start(ListenAddress{"127.0.0.1", 0}, [&](const HttpRequest& r) {
    ++calls;
    std::string format = r.query.count("format") ? r.query.at("format") : "";
    return HttpReply{r.path == "/metrics" ? 200 : 404, "text/plain", r.path + " " + format};
  });
  ASSERT_TRUE(server.ok()) << server.error().message;
  httplib::Client client("127.0.0.1", (*server)->port());
  auto get = client.Get("/metrics?format=json");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "/metrics json");
  auto missing = client.Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto post = client.Post("/metrics", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(calls.load(), 2);
}

TEST(HttpServerTest, RepliesAreNotCompressedEvenWhenTheClientAcceptsIt) {
  const std::string body(200000, 'x');
  auto server = HttpServer::Start(ListenAddress{"127.0.0.1", 0}, [&](const HttpRequest&) {
    return HttpReply{200, "text/plain; version=0.0.4; charset=utf-8", body};
  });
  ASSERT_TRUE(server.ok());
  httplib::Client client("127.0.0.1", (*server)->port());
  client.set_decompress(false);
  auto get = client.Get("/metrics", httplib::Headers{{"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_TRUE(get);
  EXPECT_FALSE(get->has_header("Content-Encoding"));
  EXPECT_EQ(get->body.size(), body.size());
  EXPECT_EQ(get->get_header_value("Content-Type"), "Text/plain; version=0.0.4; charset=utf-8");
}

TEST(HttpServerTest, APortInUseIsAnError) {
  auto first = HttpServer::Start(ListenAddress{"127.0.0.1", 0}, [](const HttpRequest&) { return HttpReply{}; });
  ASSERT_TRUE(first.ok());
  auto second = HttpServer::Start(ListenAddress{"127.0.0.1", (*first)->port()},
                                  [](const HttpRequest&) { return HttpReply{}; });
  EXPECT_FALSE(second.ok());
}

TEST(HttpServerTest, IdleClientsDoNotKeepOthersOutForLong) {
  auto server = HttpServer::Start(ListenAddress{"127.0.0.1", 0},
                                  [](const HttpRequest&) { return HttpReply{200, "text/plain", "ok"}; });
  ASSERT_TRUE(server.ok());
  // Connections that never send a request hold the pool until the read timeout; a real
  // request still gets its answer after that, and the server holds no more than its bound.
  std::vector<int> idle;
  for (int i = 0; i < 8; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons((*server)->port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    idle.push_back(fd);
  }
  httplib::Client client("127.0.0.1", (*server)->port());
  client.set_read_timeout(30, 0);
  auto get = client.Get("/");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, "ok");
  for (int fd : idle) close(fd);
}

}  // namespace
}  // namespace ipvsd::metrics

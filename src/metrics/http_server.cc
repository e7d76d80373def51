#include "metrics/http_server.h"

#include <httplib.h>

#include <arpa/inet.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

namespace ipvsd::metrics {
namespace {

constexpr size_t kThreads = 2;
constexpr size_t kQueuedConnections = 4;
constexpr time_t kTimeoutSeconds = 5;
constexpr size_t kMaxRequestBody = 1024;
constexpr size_t kRequestsPerConnection = 16;

// httplib's pool queues every accepted connection; this one queues a few, and when they are
// taken the accepting thread serves the next connection itself, so memory stays bounded and
// the kernel's listen backlog pushes back on a flood.
class BoundedPool final : public httplib::TaskQueue {
 public:
  BoundedPool() {
    for (size_t i = 0; i < kThreads; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~BoundedPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard lock(mu_);
      if (!stopping_ && queue_.size() < kQueuedConnections) {
        queue_.push_back(std::move(fn));
        cv_.notify_one();
        return;
      }
    }
    fn();
  }

  void shutdown() override {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        fn = std::move(queue_.front());
        queue_.pop_front();
      }
      fn();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
};

}  // namespace

Result<std::optional<ListenAddress>> ListenAddress::Parse(const std::string& text) {
  if (text == "off") return std::optional<ListenAddress>();
  std::string host, port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return MakeError(EINVAL, "'" + text + "' is not [IPv6]:PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos) return MakeError(EINVAL, "'" + text + "' is not ADDRESS:PORT or off");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned char buf[16];
  const bool v6 = host.find(':') != std::string::npos;
  if (inet_pton(v6 ? AF_INET6 : AF_INET, host.c_str(), buf) != 1) {
    return MakeError(EINVAL, "'" + host + "' is not a numeric IPv4 or IPv6 address");
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535) {
    return MakeError(EINVAL, "'" + port + "' is not a port (0..65535)");
  }
  return std::optional<ListenAddress>(ListenAddress{host, static_cast<uint16_t>(std::stoul(port))});
}

std::string ListenAddress::ToString() const {
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ListenAddress& address, HttpHandler handler) {
  std::unique_ptr<HttpServer> s(new HttpServer());
  s->server_ = std::make_unique<httplib::Server>();
  httplib::Server& srv = *s->server_;
  srv.new_task_queue = [] { return new BoundedPool(); };
  srv.set_read_timeout(kTimeoutSeconds, 0);
  srv.set_write_timeout(kTimeoutSeconds, 0);
  srv.set_keep_alive_timeout(kTimeoutSeconds);
  srv.set_keep_alive_max_count(kRequestsPerConnection);
  srv.set_payload_max_length(kMaxRequestBody);
  // httplib's default adds SO_REUSEPORT, which would let a second ipvsd share the port
  // silently; a port in use must be an error.
  srv.set_socket_options([](int sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  auto serve = [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
    HttpRequest r;
    r.path = req.path;
    for (const auto& [k, v] : req.params) r.query.emplace(k, v);
    HttpReply reply;
    try {
      reply = handler(r);
    } catch (const std::exception& e) {
      reply = HttpReply{500, "text/plain; charset=utf-8", std::string("internal error: ") + e.what() + "\n"};
    }
    res.status = reply.status;
    // httplib compresses every text/* and JSON reply for a client that accepts it, with
    // brotli at its slowest setting first: 59 s for a 23 MB /metrics. It decides by a
    // case-sensitive look at the content type, and media types are case-insensitive (RFC
    // 9110 8.3.1; Prometheus and browsers read "Text/plain" as "text/plain"), so a capital
    // first letter keeps replies uncompressed and fast.
    if (!reply.content_type.empty()) reply.content_type[0] = static_cast<char>(std::toupper(reply.content_type[0]));
    res.set_content(std::move(reply.body), reply.content_type.c_str());
  };
  srv.Get(".*", serve);
  // Everything but GET (and the HEAD httplib derives from it) is refused: the server is read-only.
  auto refuse = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_content("read-only: GET and HEAD only\n", "text/plain; charset=utf-8");
  };
  srv.Post(".*", refuse);
  srv.Put(".*", refuse);
  srv.Delete(".*", refuse);
  srv.Patch(".*", refuse);
  if (address.port == 0) {
    const int port = srv.bind_to_any_port(address.host.c_str());
    if (port < 0) return MakeError(EADDRNOTAVAIL, "cannot listen on " + address.ToString());
    s->port_ = static_cast<uint16_t>(port);
  } else {
    if (!srv.bind_to_port(address.host.c_str(), address.port)) {
      return MakeError(EADDRINUSE, "cannot listen on " + address.ToString() + " (in use, or not an address here)");
    }
    s->port_ = address.port;
  }
  s->thread_ = std::thread([&srv] { srv.listen_after_bind(); });
  // stop() only reaches a server that runs: wait for it (bounded) so that destruction cannot
  // come first and leave the thread listening.
  for (int i = 0; i < 2000 && !srv.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return s;
}

HttpServer::~HttpServer() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace ipvsd::metrics

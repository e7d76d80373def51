// File: metrics/http_server.h
//
// A read-only HTTP server for /metrics and the status page, on cpp-httplib (HTTP parsing is
// not ours to write). It answers GET and HEAD only, on a thread pool of its own, so nothing
// it does can stall the threads that call it. Bounded against slow or hostile clients: a few
// worker threads and a queue of a few connections (when both are busy, the accepting thread
// serves the next one itself and the kernel's backlog holds the rest), read and write
// timeouts, a small request size, a few requests per kept-alive connection.
//
//   auto server = HttpServer::Start(*ListenAddress::Parse("127.0.0.1:9180"),
//                                   [](const HttpRequest& r) { return HttpReply{200, kContentType, Render()}; });
//   // ... the server answers until it is destroyed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "base/result.h"

namespace httplib {
class Server;
}

namespace ipvsd::metrics {

// ADDR:PORT, [IPv6]:PORT, or "off".
struct ListenAddress {
  std::string host;  // numeric address
  uint16_t port = 0;

  // nullopt for "off"; an error for anything that is not a numeric address and a port.
  static Result<std::optional<ListenAddress>> Parse(const std::string& text);
  std::string ToString() const;
};

struct HttpRequest {
  std::string path;
  std::map<std::string, std::string> query;  // ?a=b&c=d
};

struct HttpReply {
  int status = 200;
  std::string content_type;
  std::string body;
};

using HttpHandler = std::function<HttpReply(const HttpRequest&)>;

class HttpServer {
 public:
  // Listens (port 0: any free port) and serves from threads of its own.
  static Result<std::unique_ptr<HttpServer>> Start(const ListenAddress& address, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const { return port_; }

 private:
  HttpServer() = default;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

}  // namespace ipvsd::metrics

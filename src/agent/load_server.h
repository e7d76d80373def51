// File: agent/load_server.h
//
// ipvs-agent --listen ADDR:PORT: samples the server's load every interval (agent/load_probe.h)
// and answers every TCP connection with one line of JSON, then closes it:
//
//   {"cpu":0.4200,"runq":1.00,"ncpu":2.00,"mem":0.3100,"conns":12}
//
// The answer is written at accept time from the last sample, so a connection costs one
// accept, one small non-blocking send and one close; nothing a client sends is read.
#pragma once

#include <cstdint>
#include <string>

#include "agent/load_probe.h"
#include "base/result.h"
#include "net/ip_addr.h"

namespace ipvsd::agent {

inline constexpr double kDefaultLoadInterval = 1.0;

struct LoadServerOptions {
  net::Endpoint listen;
  double interval = kDefaultLoadInterval;  // seconds between samples
  LoadSources sources;
};

class LoadServer {
 public:
  explicit LoadServer(LoadServerOptions options) : options_(std::move(options)), probe_(options_.sources) {}
  LoadServer(const LoadServer&) = delete;
  LoadServer& operator=(const LoadServer&) = delete;

  // Serves until SIGTERM or SIGINT.
  Status Run();

 private:
  LoadServerOptions options_;
  LoadProbe probe_;
};

}  // namespace ipvsd::agent

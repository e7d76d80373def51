// File: ctl/server.h
//
// UnixServer serves the control protocol on a Unix stream socket. It is single-threaded and
// poll()-driven: the owner calls PollOnce() in its loop (the daemon's control thread, which
// also runs the estimator), so handlers never race each other. Many clients may be connected;
// each is served one request at a time, in order.
//
// Defences, because the socket is the daemon's only door:
//   - the socket is created mode 0600; each peer's credentials (SO_PEERCRED) must match the
//     allowed uid (root) or it gets one EPERM reply and is disconnected;
//   - a header with a bad magic, version or a length beyond the maximum gets an error reply
//     and the connection is closed (the framing can no longer be trusted);
//   - an unknown type or an undecodable payload gets an error reply and the connection stays;
//   - a client that disconnects mid-request is simply forgotten;
//   - a client that makes no progress (sends nothing, or reads none of its reply) for
//     idle_timeout is disconnected, and when max_clients are connected a new client takes the
//     place of the one idle longest, so idle connections can neither pile up nor lock ipvsadm
//     and ipvs-healthd out;
//   - a handler that throws gets ENOMEM / EIO back instead of taking the daemon down.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "ctl/proto.h"

namespace ipvsd::ctl {

inline constexpr std::chrono::milliseconds kDefaultIdleTimeout{30'000};

// Turns one request (a known type, its complete payload) into a complete reply frame.
using RequestHandler = std::function<std::vector<uint8_t>(uint16_t type, std::span<const uint8_t> payload)>;

struct ServerOptions {
  std::string path;
  uid_t allowed_uid = 0;
  size_t max_clients = 128;
  uint32_t max_payload = kMaxRequestPayload;
  std::chrono::milliseconds idle_timeout = kDefaultIdleTimeout;
};

class UnixServer {
 public:
  UnixServer(ServerOptions options, RequestHandler handler);
  ~UnixServer();
  UnixServer(const UnixServer&) = delete;
  UnixServer& operator=(const UnixServer&) = delete;

  // Creates the socket (0600). A stale socket file is replaced; a live one (another daemon
  // answers on it) is an error (EADDRINUSE).
  Status Listen();
  // One round: waits up to timeout_ms for activity, then serves everything that is ready.
  // With a signal mask, waits with ppoll() so that signals blocked elsewhere are delivered
  // only here (no lost wake-ups). Returns early, without error, when a signal arrives.
  Status PollOnce(int timeout_ms, const sigset_t* sigmask = nullptr);
  // Closes every connection and the listening socket and removes the socket file.
  void Close();

  size_t client_count() const { return clients_.size(); }
  // Requests served and error replies, by message type (index: the type; 0 for requests
  // that could not be read). Any thread.
  uint64_t requests(uint16_t type) const { return requests_[type <= kLastMsgType ? type : 0].load(); }
  uint64_t errors(uint16_t type) const { return errors_[type <= kLastMsgType ? type : 0].load(); }
  const std::string& path() const { return options_.path; }

 private:
  using Clock = std::chrono::steady_clock;

  struct Client {
    int fd = -1;
    Clock::time_point last_progress;  // the last byte received or sent
    bool reading = true;            // false once the connection is to be closed after `out`
    std::vector<uint8_t> in;
    std::vector<uint8_t> out;
    size_t out_pos = 0;
  };

  void Accept();
  // Closes the clients that made no progress for idle_timeout.
  void CloseIdle(Clock::time_point now);
  // Closes the client idle longest to make room for a new one.
  void EvictIdlest(Clock::time_point now);
  // Returns false when the client is gone.
  bool OnReadable(Client& c);
  bool OnWritable(Client& c);
  void ProcessInput(Client& c);
  void Queue(Client& c, std::vector<uint8_t> frame);
  std::vector<uint8_t> Dispatch(uint16_t type, std::span<const uint8_t> payload);
  std::vector<uint8_t> DispatchUncounted(uint16_t type, std::span<const uint8_t> payload);

  ServerOptions options_;
  RequestHandler handler_;
  int listen_fd_ = -1;
  std::vector<Client> clients_;
  std::array<std::atomic<uint64_t>, kLastMsgType + 1> requests_{};
  std::array<std::atomic<uint64_t>, kLastMsgType + 1> errors_{};
};

}  // namespace ipvsd::ctl

// File: ctl/client.h
//
// A blocking client of the control protocol, for ipvsadm and ipvs-healthd. One Client is one
// connection; requests are sent one at a time and each waits for its reply. Errors come back
// as Error values whose code is the errno the daemon (or the kernel, for kernel IPVS) reports,
// so a tool can print the same text ipvsadm prints.
//
//   auto client = Client::Connect("/run/ipvsd/ipvsd.sock");
//   if (!client) return Fail(client.error());
//   Status st = client->AddService(spec);
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "ctl/codec.h"
#include "ctl/proto.h"

namespace ipvsd::ctl {

inline constexpr const char* kDefaultSocketPath = "/run/ipvsd/ipvsd.sock";
// How long a request may wait for the daemon to take it or answer it. A restore of 10 000
// services takes a few seconds; a daemon that does not answer in this time is stuck.
inline constexpr std::chrono::milliseconds kDefaultRequestTimeout{60'000};

class Client {
 public:
  // Connects; errno of socket()/connect() on failure (ENOENT, ECONNREFUSED, EACCES, ...).
  // A request not sent or answered within `timeout` fails with ETIMEDOUT, and the connection
  // is closed (a late reply would otherwise answer the next request).
  static Result<Client> Connect(const std::string& path,
                                std::chrono::milliseconds timeout = kDefaultRequestTimeout);

  Client(Client&& other) noexcept : fd_(other.fd_), timeout_(other.timeout_) { other.fd_ = -1; }
  Client& operator=(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  Result<InfoReply> GetInfo() { return Call<InfoReply>(MsgType::kGetInfo, Empty{}); }
  Status AddService(const ServiceSpec& s) { return Done(Call<Empty>(MsgType::kAddService, s)); }
  Status EditService(const ServiceSpec& s) { return Done(Call<Empty>(MsgType::kEditService, s)); }
  Status DelService(const ServiceKey& k) { return Done(Call<Empty>(MsgType::kDelService, k)); }
  Status Flush() { return Done(Call<Empty>(MsgType::kFlush, Empty{})); }
  Status AddDest(const DestRequest& r) { return Done(Call<Empty>(MsgType::kAddDest, r)); }
  Status EditDest(const DestRequest& r) { return Done(Call<Empty>(MsgType::kEditDest, r)); }
  Status DelDest(const DestRequest& r) { return Done(Call<Empty>(MsgType::kDelDest, r)); }
  Status Zero(const ZeroRequest& r) { return Done(Call<Empty>(MsgType::kZero, r)); }
  Result<ServiceList> GetServices() { return Call<ServiceList>(MsgType::kGetServices, Empty{}); }
  Result<ServiceEntry> GetService(const ServiceKey& k) { return Call<ServiceEntry>(MsgType::kGetService, k); }
  Result<TimeoutsMsg> GetTimeouts() { return Call<TimeoutsMsg>(MsgType::kGetTimeouts, Empty{}); }
  Status SetTimeouts(const TimeoutsMsg& t) { return Done(Call<Empty>(MsgType::kSetTimeouts, t)); }
  Status StartDaemon(const DaemonConfig& c) { return Done(Call<Empty>(MsgType::kStartDaemon, c)); }
  Status StopDaemon(const DaemonStop& s) { return Done(Call<Empty>(MsgType::kStopDaemon, s)); }
  Result<DaemonList> GetDaemons() { return Call<DaemonList>(MsgType::kGetDaemons, Empty{}); }
  // One page of the connection listing: ConnCursor{} for the first, then each page's `next`
  // while it says `more`.
  Result<ConnList> GetConns(const ConnCursor& from) { return Call<ConnList>(MsgType::kGetConns, from); }
  Result<DataPlaneInfo> GetDataPlane() { return Call<DataPlaneInfo>(MsgType::kGetDataPlane, Empty{}); }
  // Applies every step or none; the reply names the step that failed, if one did.
  Result<BatchReply> Batch(const BatchRequest& b) { return Call<BatchReply>(MsgType::kBatch, b); }
  Status ReportHealth(const HealthReport& r) { return Done(Call<Empty>(MsgType::kReportHealth, r)); }
  Result<Handover> RequestHandover(const Handover& newcomer) { return Call<Handover>(MsgType::kHandover, newcomer); }

  // Sends one frame and returns the reply's payload, or the reply's error.
  Result<std::vector<uint8_t>> Exchange(MsgType type, const std::vector<uint8_t>& frame);

 private:
  Client(int fd, std::chrono::milliseconds timeout) : fd_(fd), timeout_(timeout) {}

  template <typename Rep, typename Req>
  Result<Rep> Call(MsgType type, const Req& req) {
    auto payload = Exchange(type, EncodeRequest(type, req));
    if (!payload) return payload.error();
    return DecodePayload<Rep>(*payload);
  }
  static Status Done(const Result<Empty>& r) { return r ? Ok() : Status(r.error()); }

  Status WriteAll(std::span<const uint8_t> bytes);
  Status ReadAll(std::span<uint8_t> bytes);
  Result<std::vector<uint8_t>> ReadReply(MsgType type);
  // The error for a send or recv that failed with `err`; a timeout closes the connection.
  Error TransportError(int err, const char* what);

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
};

}  // namespace ipvsd::ctl

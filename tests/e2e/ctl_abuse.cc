// ctl_abuse: sends a running ipvsd malformed, truncated, oversized and out-of-order control
// messages, disconnects mid-request, floods it with random bytes and idle connections, and
// checks every answer it must give. Used by ctl_robustness.sh, which also checks that the
// daemon still serves and that its table did not change.
//
// Usage: ctl_abuse SOCKET_PATH     exit 0 when every check passed
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "ctl/client.h"
#include "ctl/codec.h"

namespace {

using namespace ipvsd;
using namespace ipvsd::ctl;

std::string g_path;
int g_failures = 0;

void Check(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) ++g_failures;
}

int Connect() {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, g_path.c_str(), sizeof a.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::vector<uint8_t>& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Reads n bytes with a 5 s deadline; false on EOF, error or timeout.
bool RecvAll(int fd, uint8_t* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return false;
    ssize_t r = ::recv(fd, buf + got, n - got, 0);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

// The errcode of the next reply, or -1 when the connection closed without one.
long ReplyErr(int fd) {
  uint8_t h[kHeaderSize];
  if (!RecvAll(fd, h, sizeof h)) return -1;
  auto header = DecodeHeader(h, kMaxReplyPayload);
  if (!header) return -1;
  std::vector<uint8_t> payload(header->length);
  if (!payload.empty() && !RecvAll(fd, payload.data(), payload.size())) return -1;
  return header->errcode;
}

bool ClosedByPeer(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 5000) <= 0) return false;
  uint8_t b;
  return ::recv(fd, &b, 1, 0) == 0;
}

std::vector<uint8_t> Header(uint32_t magic, uint16_t version, uint16_t type, uint32_t length) {
  Writer w;
  w.U32(magic);
  w.U16(version);
  w.U16(type);
  w.U32(length);
  w.U32(0);
  return std::move(w.buffer());
}

ServiceSpec ExistingService() {
  // ctl_robustness.sh creates TCP 198.18.0.1:80 before running us.
  ServiceSpec s;
  s.key.family = net::Family::kInet;
  s.key.protocol = 6;
  s.key.addr = net::RawAddr::FromV4(0xc6120001);
  s.key.port = 80;
  s.sched_name = "rr";
  return s;
}

void BadHeaders() {
  struct Case {
    const char* name;
    std::vector<uint8_t> bytes;
    long want;
  } cases[] = {
      {"bad magic", Header(0xdeadbeef, kVersion, 1, 0), EPROTO},
      {"bad version", Header(kMagic, 99, 1, 0), EPROTONOSUPPORT},
      {"oversized length", Header(kMagic, kVersion, 2, 0x7fffffff), EMSGSIZE},
      {"length just over the maximum", Header(kMagic, kVersion, 2, kMaxRequestPayload + 1), EMSGSIZE},
  };
  for (const Case& c : cases) {
    int fd = Connect();
    SendAll(fd, c.bytes);
    Check(ReplyErr(fd) == c.want, std::string(c.name) + ": error reply");
    Check(ClosedByPeer(fd), std::string(c.name) + ": connection closed");
    ::close(fd);
  }
}

void BadRequestsKeepTheConnection() {
  int fd = Connect();
  SendAll(fd, Header(kMagic, kVersion, 4242, 0));
  Check(ReplyErr(fd) == EBADRQC, "unknown type: EBADRQC");
  SendAll(fd, EncodeReply(MsgType::kGetInfo, InfoReply{}));
  Check(ReplyErr(fd) == EBADRQC, "reply sent as a request (out of order): EBADRQC");
  auto trailing = EncodeRequest(MsgType::kFlush, Empty{});
  trailing[11] = 4;  // length 4
  trailing.insert(trailing.end(), {1, 2, 3, 4});
  SendAll(fd, trailing);
  Check(ReplyErr(fd) == EBADMSG, "flush with trailing bytes: EBADMSG (nothing flushed)");
  auto short_payload = EncodeRequest(MsgType::kAddService, ExistingService());
  short_payload.resize(kHeaderSize + 5);
  short_payload[11] = 5;
  SendAll(fd, short_payload);
  Check(ReplyErr(fd) == EBADMSG, "truncated service inside a complete frame: EBADMSG");
  auto bad_family = EncodeRequest(MsgType::kDelService, ExistingService().key);
  bad_family[kHeaderSize + 4] = 77;
  SendAll(fd, bad_family);
  Check(ReplyErr(fd) == EINVAL, "address family 77: EINVAL (nothing deleted)");
  DestSpec dest;
  dest.addr = net::IpAddr::V4(0xc6120102);
  auto bad_fwd = EncodeRequest(MsgType::kAddDest, DestRequest{ExistingService().key, dest});
  bad_fwd[kHeaderSize + 24 + 19] = 9;
  SendAll(fd, bad_fwd);
  Check(ReplyErr(fd) == EINVAL, "forwarding method 9: EINVAL");
  SendAll(fd, EncodeRequest(MsgType::kAddService, ExistingService()));
  Check(ReplyErr(fd) == EEXIST, "connection still serves after bad requests");
  ::close(fd);
}

void ByteByByte() {
  int fd = Connect();
  auto frame = EncodeRequest(MsgType::kAddService, ExistingService());
  bool sent = true;
  for (uint8_t b : frame) sent = sent && SendAll(fd, {b});
  Check(sent && ReplyErr(fd) == EEXIST, "request sent one byte at a time");
  ::close(fd);
}

void DisconnectsMidRequest() {
  auto del = EncodeRequest(MsgType::kDelService, ExistingService().key);
  for (size_t cut : {size_t{1}, size_t{7}, kHeaderSize, kHeaderSize + 3, del.size() - 1}) {
    int fd = Connect();
    SendAll(fd, std::vector<uint8_t>(del.begin(), del.begin() + static_cast<std::ptrdiff_t>(cut)));
    ::close(fd);
  }
  // A complete request whose sender leaves before the reply: it fails (EEXIST) and the
  // server must survive writing to a closed socket.
  int fd = Connect();
  SendAll(fd, EncodeRequest(MsgType::kAddService, ExistingService()));
  ::close(fd);
  auto c = Client::Connect(g_path);
  Check(c.ok() && c->GetInfo().ok(), "serves after clients left mid-request");
}

void RandomGarbage() {
  std::mt19937 rng(12345);
  int answered_or_closed = 0;
  const int kRounds = 300;
  for (int i = 0; i < kRounds; ++i) {
    int fd = Connect();
    std::vector<uint8_t> junk(rng() % 200);
    for (uint8_t& b : junk) b = static_cast<uint8_t>(rng());
    // Half the rounds keep a valid header so that the payload decoders get the junk. Only
    // read-only types: a junk payload of length 0 would be a valid flush.
    constexpr MsgType kReadOnly[] = {MsgType::kGetInfo, MsgType::kGetServices, MsgType::kGetService,
                                     MsgType::kGetTimeouts, MsgType::kGetDaemons, MsgType::kGetConns};
    if (i % 2 == 0 && junk.size() >= kHeaderSize) {
      auto h = Header(kMagic, kVersion, static_cast<uint16_t>(kReadOnly[rng() % std::size(kReadOnly)]),
                      static_cast<uint32_t>(junk.size() - kHeaderSize));
      std::copy(h.begin(), h.end(), junk.begin());
    }
    SendAll(fd, junk);
    ::shutdown(fd, SHUT_WR);
    uint8_t buf[4096];
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) > 0 && ::recv(fd, buf, sizeof buf, 0) >= 0) ++answered_or_closed;
    ::close(fd);
  }
  Check(answered_or_closed == kRounds, "random garbage: every connection answered or closed");
}

void ManyIdleClients() {
  std::vector<int> fds;
  for (int i = 0; i < 60; ++i) fds.push_back(Connect());
  auto c = Client::Connect(g_path);
  Check(c.ok() && c->GetInfo().ok(), "serves with 60 idle connections open");
  for (int fd : fds) ::close(fd);
}

// More idle connections than the server takes (128) cannot lock a real client out: the one
// idle longest makes room.
void IdleClientsCannotLockOut() {
  std::vector<int> fds;
  for (int i = 0; i < 200; ++i) fds.push_back(Connect());
  for (int round = 0; round < 3; ++round) {
    auto c = Client::Connect(g_path, std::chrono::seconds(5));
    Check(c.ok() && c->GetInfo().ok(), "serves a new client with 200 idle connections open");
  }
  for (int fd : fds) ::close(fd);
}

// ipvsadm caps timeouts at 2678400 s; a client that does not must get EINVAL, not a timeout
// that wraps to immediate expiry. ctl_robustness.sh checks that the timeouts did not change.
void TimeoutsOutOfRange() {
  auto c = Client::Connect(g_path);
  if (!c.ok()) {
    Check(false, "connects for the timeout checks");
    return;
  }
  Check(c->SetTimeouts(TimeoutsMsg{1u << 28, 0, 0}).error().code == EINVAL, "--set 2^28 s: EINVAL");
  Check(c->SetTimeouts(TimeoutsMsg{0, 0, kMaxTimeout + 1}).error().code == EINVAL, "udp timeout 2678401 s: EINVAL");
  ServiceSpec spec;
  spec.key.family = net::Family::kInet;
  spec.key.protocol = 6;
  spec.key.addr = net::RawAddr::FromV4(0xc6120009);  // 198.18.0.9
  spec.key.port = 80;
  spec.sched_name = "rr";
  spec.flags = 1;  // IP_VS_SVC_F_PERSISTENT
  spec.timeout = 1u << 30;
  Check(c->AddService(spec).error().code == EINVAL, "persistence timeout 2^30 s: EINVAL");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: ctl_abuse SOCKET\n");
    return 2;
  }
  g_path = argv[1];
  BadHeaders();
  BadRequestsKeepTheConnection();
  ByteByByte();
  DisconnectsMidRequest();
  RandomGarbage();
  ManyIdleClients();
  IdleClientsCannotLockOut();
  TimeoutsOutOfRange();
  auto c = Client::Connect(g_path);
  Check(c.ok() && c->GetInfo().ok(), "daemon alive at the end");
  return g_failures == 0 ? 0 : 1;
}

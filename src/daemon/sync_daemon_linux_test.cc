// The master thread end to end: records a worker queued come out of a real UDP socket as one
// kernel-format message, laid out as docs/sync.md (and the kernel's ip_vs_sync.c) say.
#include "daemon/sync_daemon.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "daemon/daemon.h"
#include "io/netlink/netns_test_util.h"
#include "net/headers.h"
#include "sync/sync_auth.h"
#include "sync/sync_message.h"

namespace ipvsd::daemon {
namespace {

// One worker whose sync queue the test fills.
class FakeDataPlane final : public DataPlane {
 public:
  ctl::ConnList ListConns(const ctl::ConnCursor&) override { return {}; }
  ctl::DataPlaneInfo Describe() override { return {}; }
  std::vector<WorkerView> ObserveWorkers() override { return {}; }
  BackendView ObserveBackend() override { return {}; }
  uint64_t OldestGeneration() override { return 0; }
  void OnServicesChanged(const core::ServiceTable&, const std::vector<net::IpAddr>&) override {}
  size_t SyncWorkerCount() override { return 1; }
  size_t PopSyncOut(size_t, std::span<core::SyncRecord> out) override {
    std::lock_guard lock(mu_);
    size_t n = std::min(out.size(), queued_.size());
    std::copy_n(queued_.begin(), n, out.begin());
    queued_.erase(queued_.begin(), queued_.begin() + static_cast<long>(n));
    return n;
  }
  bool PushSyncIn(const core::SyncRecord&) override { return true; }
  SyncSlice SyncDumpSlice(const ctl::ConnCursor&, size_t) override { return {}; }

  void Queue(const core::SyncRecord& r) {
    std::lock_guard lock(mu_);
    queued_.push_back(r);
  }

 private:
  std::mutex mu_;
  std::vector<core::SyncRecord> queued_;
};

uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t Get32(const uint8_t* p) { return uint32_t{Get16(p)} << 16 | Get16(p + 2); }

// A namespace of its own: a unicast receiver on its loopback stands in for the group
// (multicast loop is off, as the kernel's, so the director's own sockets never hear the
// master).
class SyncMasterTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kReceiver = 0xc6120001;  // 198.18.0.1

  void SetUp() override {
    if (!ns_.ok()) GTEST_SKIP() << "needs root (network namespaces)";
    ASSERT_TRUE(ns_.Ip("link set lo up"));
    ASSERT_TRUE(ns_.Ip("addr add 198.18.0.1/32 dev lo"));
    inside_.emplace(ns_);
    ASSERT_TRUE(inside_->ok());
    rx_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(rx_, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(kReceiver);
    ASSERT_EQ(::bind(rx_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    ASSERT_EQ(::getsockname(rx_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
  }
  void TearDown() override {
    if (rx_ >= 0) ::close(rx_);
  }

  ctl::DaemonConfig MasterConfig(uint16_t maxlen) const {
    ctl::DaemonConfig cfg;
    cfg.state = ctl::kStateMaster;
    cfg.mcast_ifn = "lo";
    cfg.syncid = 7;
    cfg.sync_maxlen = maxlen;
    cfg.mcast_group = net::IpAddr::V4(kReceiver);
    cfg.mcast_port = port_;
    cfg.mcast_ttl = 1;
    return cfg;
  }
  // The next datagram, or an empty vector after timeout_ms.
  std::vector<uint8_t> Receive(int timeout_ms) {
    pollfd p{rx_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return {};
    std::vector<uint8_t> buf(65536);
    ssize_t n = ::recv(rx_, buf.data(), buf.size(), 0);
    buf.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return buf;
  }

  io::testing::Netns ns_{"ipvsd-syncd-" + std::to_string(getpid())};
  std::optional<io::testing::NetnsEnter> inside_;
  int rx_ = -1;
  uint16_t port_ = 0;
};

core::SyncRecord TimeWaitRecord(uint16_t cport) {
  core::SyncRecord r;
  r.af = net::Family::kInet;
  r.protocol = net::kProtoTcp;
  r.flags = 0x0183;  // DROUTE | NOOUTPUT | INACTIVE
  r.state = 5;       // TIME_WAIT
  r.cport = cport;
  r.vport = 80;
  r.dport = 8080;
  r.fwmark = 0;
  r.timeout_s = 120;
  r.caddr = net::RawAddr::FromV4(0xc6120005);
  r.vaddr = net::RawAddr::FromV4(0xc6130001);
  r.daddr = net::RawAddr::FromV4(0xc6120101);
  return r;
}

TEST_F(SyncMasterTest, MasterSendsQueuedConnectionsAsOneKernelMessageWithinTheFlushTime) {
  core::Settings settings;
  FakeDataPlane plane;
  SyncDaemon sync(settings);
  sync.AttachDataPlane(&plane);
  ctl::DaemonConfig cfg = MasterConfig(1472);
  ASSERT_TRUE(sync.Start(cfg).ok());
  EXPECT_TRUE(settings.sync_master_running.load());
  EXPECT_EQ(sync.Start(cfg).error().code, EEXIST);

  plane.Queue(TimeWaitRecord(40000));
  plane.Queue(TimeWaitRecord(40001));

  auto start = std::chrono::steady_clock::now();
  std::vector<uint8_t> msg = Receive(3000);
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_LT(waited, std::chrono::milliseconds(1500));  // kSyncFlushTime, plus scheduling
  const uint8_t* buf = msg.data();
  const ssize_t n = static_cast<ssize_t>(msg.size());
  ASSERT_EQ(n, static_cast<ssize_t>(8 + 2 * 36));

  // Header.
  EXPECT_EQ(buf[0], 0);                  // reserved
  EXPECT_EQ(buf[1], 7);                  // syncid
  EXPECT_EQ(Get16(buf + 2), n);          // size
  EXPECT_EQ(buf[4], 2);                  // nr_conns
  EXPECT_EQ(buf[5], 1);                  // version
  EXPECT_EQ(Get16(buf + 6), 0);          // spare
  // Second entry (the first at 8, 36 bytes, already 4-byte aligned).
  const uint8_t* e = buf + 8 + 36;
  EXPECT_EQ(e[0], 0);                    // type: IPv4
  EXPECT_EQ(e[1], net::kProtoTcp);
  EXPECT_EQ(Get16(e + 2), 36);           // ver_size: version 0, 36 bytes
  EXPECT_EQ(Get32(e + 4), 0x0183u);      // flags
  EXPECT_EQ(Get16(e + 8), 5);            // state
  EXPECT_EQ(Get16(e + 10), 40001);       // cport
  EXPECT_EQ(Get16(e + 12), 80);          // vport
  EXPECT_EQ(Get16(e + 14), 8080);        // dport
  EXPECT_EQ(Get32(e + 16), 0u);          // fwmark
  EXPECT_EQ(Get32(e + 20), 120u);        // timeout (s)
  EXPECT_EQ(Get32(e + 24), 0xc6120005u);  // caddr
  EXPECT_EQ(Get32(e + 28), 0xc6130001u);  // vaddr
  EXPECT_EQ(Get32(e + 32), 0xc6120101u);  // daddr
  auto decoded = sync::DecodeSyncMessage(std::span<const uint8_t>(buf, static_cast<size_t>(n)));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->conns.size(), 2u);

  ASSERT_TRUE(sync.Stop(ctl::kStateMaster).ok());
  EXPECT_FALSE(settings.sync_master_running.load());
  EXPECT_EQ(sync.master_counters().messages_sent.load(), 1u);
  EXPECT_EQ(sync.master_counters().conns_sent.load(), 2u);
  EXPECT_EQ(sync.Stop(ctl::kStateMaster).error().code, ESRCH);
}

// ipvsadm takes --sync-maxlen 1..65507; with a key, one below the tag used to wrap the
// message size and abort the daemon. Now each message carries one connection, signed.
TEST_F(SyncMasterTest, MaxlenBelowTheTagUnderAKeySendsOneSignedConnectionPerMessage) {
  const std::vector<uint8_t> key_bytes(32, 0x5a);
  for (uint16_t maxlen : {uint16_t{1}, uint16_t{16}, uint16_t{40}}) {
    SCOPED_TRACE(maxlen);
    core::Settings settings;
    FakeDataPlane plane;
    SyncDaemon sync(settings);
    sync.AttachDataPlane(&plane);
    sync.Configure(sync::SyncKey(key_bytes), false);
    ASSERT_TRUE(sync.Start(MasterConfig(maxlen)).ok());
    plane.Queue(TimeWaitRecord(40000));
    plane.Queue(TimeWaitRecord(40001));
    sync::SyncKey key(key_bytes);
    uint64_t last_seq = 0;
    for (int i = 0; i < 2; ++i) {
      std::vector<uint8_t> msg = Receive(3000);
      ASSERT_EQ(msg.size(), 8 + 36 + sync::kSyncAuthSize);
      auto verified = key.Verify(msg);
      ASSERT_TRUE(verified);
      EXPECT_GT(verified->seq.seq, last_seq);  // numbered, for the backups' replay windows
      last_seq = verified->seq.seq;
      auto decoded = sync::DecodeSyncMessage(verified->datagram);
      ASSERT_TRUE(decoded);
      ASSERT_EQ(decoded->conns.size(), 1u);
    }
    ASSERT_TRUE(sync.Stop(ctl::kStateMaster).ok());
    EXPECT_EQ(sync.master_counters().conns_sent.load(), 2u);
    EXPECT_EQ(sync.master_counters().too_big.load(), 0u);
  }
}

TEST(SyncDaemonTest, UnknownInterfaceIsNoSuchDevice) {
  core::Settings settings;
  SyncDaemon sync(settings);
  ctl::DaemonConfig cfg;
  cfg.state = ctl::kStateBackup;
  cfg.mcast_ifn = "nosuchif0";
  cfg.mcast_group = net::IpAddr::V4(0xe0000051);
  cfg.mcast_port = 8848;
  EXPECT_EQ(sync.Start(cfg).error().code, ENODEV);
}

}  // namespace
}  // namespace ipvsd::daemon

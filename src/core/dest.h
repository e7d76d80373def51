// File: core/dest.h
//
// Dest is a real server of one virtual service, as kernel IPVS's struct ip_vs_dest. It lives
// as long as anything refers to it: the service's destination list in the published
// ServiceTable, and every connection bound to it (a deleted destination with live connections
// waits in the trash, and comes back with its counters when it is re-added). Its identity
// (address, port) never changes; the values an `ipvsadm -e` edits and the connection counters
// are atomics, written by the control thread and the workers and read by the schedulers.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/stats.h"
#include "net/ip_addr.h"

namespace ipvsd::core {

// Forwarding methods with the kernel's IP_VS_CONN_F_FWD_MASK values (ipvsadm prints
// Masq/Local/Tunnel/Route).
enum class FwdMethod : uint8_t { kMasq = 0, kLocal = 1, kTunnel = 2, kRoute = 3 };
enum class TunType : uint8_t { kIpip = 0, kGue = 1, kGre = 2 };
// --tun-nocsum / --tun-csum / --tun-remcsum (IP_VS_TUNNEL_ENCAP_FLAG_*).
enum class TunCsum : uint8_t { kNoCsum = 0, kCsum = 1, kRemCsum = 2 };

struct DestConfig {
  net::IpAddr addr;
  uint16_t port = 0;
  FwdMethod fwd = FwdMethod::kRoute;
  int weight = 1;
  uint32_t u_threshold = 0;  // 0 = no upper limit
  uint32_t l_threshold = 0;
  TunType tun_type = TunType::kIpip;
  uint16_t tun_port = 0;  // GUE destination port
  TunCsum tun_csum = TunCsum::kNoCsum;
};

inline constexpr uint32_t kDestAvailable = 0x1;  // in its service's list (IP_VS_DEST_F_AVAILABLE)
inline constexpr uint32_t kDestOverload = 0x2;   // over its upper threshold (IP_VS_DEST_F_OVERLOAD)

class Dest {
 public:
  explicit Dest(const DestConfig& config);

  const net::IpAddr& addr() const { return addr_; }
  net::Family family() const { return addr_.family; }
  uint16_t port() const { return port_; }

  // Current configuration (relaxed loads: a reader sees either the old or the new value).
  int weight() const { return weight_.load(std::memory_order_relaxed); }
  // The last non-zero weight: mh keeps a quiesced server's slots so that quiescing does not
  // reshuffle the table.
  int last_weight() const { return last_weight_.load(std::memory_order_relaxed); }
  uint32_t u_threshold() const { return u_threshold_.load(std::memory_order_relaxed); }
  uint32_t l_threshold() const { return l_threshold_.load(std::memory_order_relaxed); }
  DestConfig config() const;
  // Applies an edit (ipvsadm -e), with the kernel's rule for the overload flag.
  void Update(const DestConfig& config);

  uint32_t flags() const { return flags_.load(std::memory_order_relaxed); }
  bool available() const { return flags() & kDestAvailable; }
  bool overloaded() const { return flags() & kDestOverload; }
  void SetAvailable(bool on);

  int activeconns() const { return activeconns_.load(std::memory_order_relaxed); }
  int inactconns() const { return inactconns_.load(std::memory_order_relaxed); }
  int persistconns() const { return persistconns_.load(std::memory_order_relaxed); }
  // The kernel's ip_vs_dest_conn_overhead: active connections weigh 256 inactive ones.
  int overhead() const { return (activeconns() << 8) + inactconns(); }

  // Connection accounting (kernel ip_vs_bind_dest / ip_vs_unbind_dest), from the workers.
  // A new connection counts as inactive until its TCP/SCTP state reaches ESTABLISHED.
  void BindConn(bool inactive);
  void UnbindConn(bool inactive);
  void BindTemplate() { persistconns_.fetch_add(1, std::memory_order_relaxed); }
  void UnbindTemplate() { persistconns_.fetch_sub(1, std::memory_order_relaxed); }
  void ConnBecameActive();    // inactive -> active
  void ConnBecameInactive();  // active -> inactive
  // Sets the counters directly: for scheduler tests and for connections installed by sync.
  void SetCountsForTest(int active, int inactive);

  FwdMethod fwd() const { return static_cast<FwdMethod>(fwd_.load(std::memory_order_relaxed)); }
  TunType tun_type() const { return static_cast<TunType>(tun_type_.load(std::memory_order_relaxed)); }
  uint16_t tun_port() const { return tun_port_.load(std::memory_order_relaxed); }
  TunCsum tun_csum() const { return static_cast<TunCsum>(tun_csum_.load(std::memory_order_relaxed)); }

  Stats& stats() { return stats_; }
  const Stats& stats() const { return stats_; }
  // The counters of the service this destination belongs to (packets count for both).
  // Workers may still be reading the previous one when a trashed destination is revived
  // into a re-created service, so previous counters are retired, not freed.
  Stats* service_stats() const { return service_stats_.load(std::memory_order_acquire); }
  void set_service_stats(std::shared_ptr<Stats> s);

 private:
  void UpdateOverloadOnUnbind();

  const net::IpAddr addr_;
  const uint16_t port_;
  std::atomic<int> weight_;
  std::atomic<int> last_weight_;
  std::atomic<uint32_t> u_threshold_;
  std::atomic<uint32_t> l_threshold_;
  std::atomic<uint8_t> fwd_;
  std::atomic<uint8_t> tun_type_;
  std::atomic<uint16_t> tun_port_;
  std::atomic<uint8_t> tun_csum_;
  std::atomic<uint32_t> flags_{0};
  std::atomic<int> activeconns_{0};
  std::atomic<int> inactconns_{0};
  std::atomic<int> persistconns_{0};
  Stats stats_;
  std::atomic<Stats*> service_stats_{nullptr};
  std::vector<std::shared_ptr<Stats>> owned_service_stats_;
};

using DestPtr = std::shared_ptr<Dest>;

}  // namespace ipvsd::core

#include "io/af_xdp/xdp_program.h"

#include <bpf/bpf.h>
#include <netinet/in.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>

#include "base/log.h"
#include "io/af_xdp/ipvsd_xdp_object.h"
#include "io/af_xdp/xdp_features.h"
#include "io/af_xdp/xdp_flows.h"
#include "io/af_xdp/xdp_maps.h"

namespace ipvsd::io {
namespace {

constexpr const char* kServicesMap = "ipvsd_services";
constexpr const char* kNatSourcesMap = "ipvsd_nat_srcs";
constexpr const char* kVipsMap = "ipvsd_vips";
constexpr const char* kLocalsMap = "ipvsd_locals";
constexpr const char* kIfSlotsMap = "ipvsd_ifslots";
constexpr const char* kXsksMap = "ipvsd_xsks";
constexpr const char* kFlowsMap = "ipvsd_flows";
constexpr const char* kTxPortsMap = "ipvsd_tx_ports";
constexpr const char* kSharedMaps[] = {kServicesMap, kNatSourcesMap, kVipsMap, kLocalsMap,
                                       kIfSlotsMap,  kXsksMap,       kFlowsMap, kTxPortsMap};
// Enough rounds to remove one program per round even from a cluttered dispatcher.
constexpr int kMaxStaleRounds = 16;

// The program's clock: bpf_ktime_get_ns().
uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

std::string ErrnoText(int err) {
  char buf[128];
  libxdp_strerror(err < 0 ? err : -err, buf, sizeof(buf));
  return buf;
}

// libbpf and libxdp print through these: their warnings (e.g. "falling back to loading
// single prog without dispatcher") are worth a debug line, not stderr noise in every run.
int LogLibraryWarning(const char* library, const char* fmt, va_list args) {
  if (GetLogLevel() > LogLevel::kDebug) return 0;
  char line[512];
  vsnprintf(line, sizeof(line), fmt, args);
  line[strcspn(line, "\n")] = '\0';
  Log(LogLevel::kDebug, "%s: %s", library, line);
  return 0;
}

int LibbpfPrint(libbpf_print_level level, const char* fmt, va_list args) {
  return level == LIBBPF_WARN ? LogLibraryWarning("libbpf", fmt, args) : 0;
}

int LibxdpPrint(libxdp_print_level level, const char* fmt, va_list args) {
  return level == LIBXDP_WARN ? LogLibraryWarning("libxdp", fmt, args) : 0;
}

void QuietLibraries() {
  static std::once_flag once;
  std::call_once(once, [] {
    libbpf_set_print(LibbpfPrint);
    libxdp_set_print(LibxdpPrint);
  });
}

// Which live attachment serves which interface, so that the AfXdpIo of every rx queue shares
// one (and a second Acquire does not "detach stale" the first one's program).
std::mutex registry_mu;
std::map<std::string, std::weak_ptr<XdpProgram>>& Registry() {
  static auto* registry = new std::map<std::string, std::weak_ptr<XdpProgram>>();
  return *registry;
}

template <typename Key>
bool KeyLess(const Key& a, const Key& b) {
  return std::memcmp(&a, &b, sizeof(Key)) < 0;
}

template <typename Key>
bool KeyEqual(const Key& a, const Key& b) {
  return std::memcmp(&a, &b, sizeof(Key)) == 0;
}

// Makes the hash map `fd` hold exactly `want`: adds first, then removes the stale keys.
template <typename Key>
Status SyncMap(int fd, const char* name, std::vector<Key> want) {
  std::sort(want.begin(), want.end(), KeyLess<Key>);
  want.erase(std::unique(want.begin(), want.end(), KeyEqual<Key>), want.end());
  if (want.size() > IPVSD_XDP_MAX_MATCHES) {
    return MakeError(E2BIG, std::string("XDP map ") + name + ": " + std::to_string(want.size()) +
                                " entries, at most " + std::to_string(IPVSD_XDP_MAX_MATCHES));
  }
  const uint8_t one = 1;
  for (const Key& k : want) {
    if (bpf_map_update_elem(fd, &k, &one, BPF_ANY) != 0) {
      int err = errno;
      return MakeError(err, std::string("XDP map ") + name + ": adding an entry: " + ErrnoText(err));
    }
  }
  std::vector<Key> stale;
  Key cur{};
  Key next{};
  const Key* prev = nullptr;
  // Bounded: the map cannot hold more than max_entries keys.
  for (size_t i = 0; i <= IPVSD_XDP_MAX_MATCHES && bpf_map_get_next_key(fd, prev, &next) == 0; ++i) {
    if (!std::binary_search(want.begin(), want.end(), next, KeyLess<Key>)) stale.push_back(next);
    cur = next;
    prev = &cur;
  }
  for (const Key& k : stale) {
    if (bpf_map_delete_elem(fd, &k) != 0 && errno != ENOENT) {
      int err = errno;
      return MakeError(err, std::string("XDP map ") + name + ": removing an entry: " + ErrnoText(err));
    }
  }
  return Ok();
}

Result<ipvsd_addr_key> AddrKey(const net::IpAddr& a) {
  if (a.family != net::Family::kInet && a.family != net::Family::kInet6) {
    return MakeError(EAFNOSUPPORT, "XDP filter: address family " + std::to_string(static_cast<int>(a.family)));
  }
  ipvsd_addr_key key{};
  key.family = static_cast<uint8_t>(a.family);
  std::memcpy(key.addr, a.raw.bytes.data(), static_cast<size_t>(net::AddrLength(a.family)));
  return key;
}

Result<ipvsd_l4_key> L4Key(const L4Match& m) {
  if (m.family != net::Family::kInet && m.family != net::Family::kInet6) {
    return MakeError(EAFNOSUPPORT, "XDP filter: address family " + std::to_string(static_cast<int>(m.family)));
  }
  if (m.protocol != IPPROTO_TCP && m.protocol != IPPROTO_UDP && m.protocol != IPPROTO_SCTP) {
    return MakeError(EPROTONOSUPPORT, "XDP filter: protocol " + std::to_string(m.protocol) +
                                          " (only TCP, UDP and SCTP can be matched)");
  }
  ipvsd_l4_key key{};
  key.family = static_cast<uint8_t>(m.family);
  key.protocol = m.protocol;
  key.port = htons(m.port);
  std::memcpy(key.addr, m.addr.bytes.data(), static_cast<size_t>(net::AddrLength(m.family)));
  return key;
}

// Whether a stale ipvsd program is attached alone (without libxdp's dispatcher) on ifindex in a
// mode `mode` allows; `native` tells which mode.
bool StaleAloneOn(int ifindex, XdpMode mode, bool* native) {
  xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
  if (!mp || libxdp_get_error(mp)) return false;
  bool found = false;
  if (xdp_multiprog__is_legacy(mp)) {
    xdp_program* main = xdp_multiprog__main_prog(mp);
    const bool is_native = xdp_multiprog__attach_mode(mp) == XDP_MODE_NATIVE;
    found = main && std::strcmp(xdp_program__name(main), IPVSD_XDP_PROG_NAME) == 0 &&
            (mode == XdpMode::kAuto || (mode == XdpMode::kNative) == is_native);
    if (found) *native = is_native;
  }
  xdp_multiprog__close(mp);
  return found;
}

uint32_t PlainXdpFlags(bool native) { return native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE; }

// Removes the programs named ipvsd_xdp from one interface; returns how many it removed.
int DetachStaleFrom(const std::string& name, int ifindex) {
  int removed = 0;
  for (int round = 0; round < kMaxStaleRounds; ++round) {
    xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
    if (!mp || libxdp_get_error(mp)) return removed;
    int err = 0;
    bool found = false;
    if (xdp_multiprog__is_legacy(mp)) {
      xdp_program* main = xdp_multiprog__main_prog(mp);
      if (main && std::strcmp(xdp_program__name(main), IPVSD_XDP_PROG_NAME) == 0) {
        found = true;
        err = xdp_multiprog__detach(mp);
      }
    } else {
      for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p; p = xdp_multiprog__next_prog(p, mp)) {
        if (std::strcmp(xdp_program__name(p), IPVSD_XDP_PROG_NAME) != 0) continue;
        found = true;
        err = xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0);
        break;
      }
    }
    xdp_multiprog__close(mp);
    if (!found) return removed;
    if (err) {
      Log(LogLevel::kWarning, "AF_XDP: interface '%s': removing a stale ipvsd XDP program: %s", name.c_str(),
          ErrnoText(err).c_str());
      return removed;
    }
    ++removed;
  }
  return removed;
}

}  // namespace

XdpProgram::XdpProgram(std::vector<Iface> ifaces) {
  attachments_.reserve(ifaces.size());
  for (Iface& i : ifaces) attachments_.push_back(Attachment{std::move(i)});
}

XdpProgram::~XdpProgram() {
  for (Attachment& a : attachments_) {
    if (a.attached && a.replaces_stale) {
      // Only this program: XDP_FLAGS_REPLACE with it as the expected one.
      const int fd = bpf_program__fd(bpf_object__find_program_by_name(a.object, IPVSD_XDP_PROG_NAME));
      LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = fd);
      if (int err = bpf_xdp_detach(static_cast<int>(a.iface.ifindex), PlainXdpFlags(a.native) | XDP_FLAGS_REPLACE,
                                   &opts);
          err) {
        Log(LogLevel::kWarning, "AF_XDP: interface '%s': detaching the XDP program: %s", a.iface.name.c_str(),
            ErrnoText(-err).c_str());
      }
    } else if (a.attached) {
      int err = xdp_program__detach(a.program, static_cast<int>(a.iface.ifindex),
                                    a.native ? XDP_MODE_NATIVE : XDP_MODE_SKB, 0);
      if (err) {
        Log(LogLevel::kWarning, "AF_XDP: interface '%s': detaching the XDP program: %s", a.iface.name.c_str(),
            ErrnoText(err).c_str());
      }
    }
    if (a.program) xdp_program__close(a.program);
    if (a.object) bpf_object__close(a.object);
  }
  // The first object owns the map fds; the others closed their duplicates with their objects.
}

Result<std::shared_ptr<XdpProgram>> XdpProgram::Acquire(const std::vector<Iface>& ifaces, XdpMode mode) {
  QuietLibraries();
  std::lock_guard lock(registry_mu);
  std::shared_ptr<XdpProgram> shared;
  for (const Iface& i : ifaces) {
    auto it = Registry().find(i.name);
    std::shared_ptr<XdpProgram> live = it == Registry().end() ? nullptr : it->second.lock();
    if (!live) continue;
    bool same = live->attachments_.size() == ifaces.size();
    for (size_t k = 0; same && k < ifaces.size(); ++k) same = live->attachments_[k].iface.name == ifaces[k].name;
    if (!same || (shared && shared != live)) {
      return MakeError(EBUSY, "AF_XDP: interface '" + i.name +
                                  "' is already served by this process with a different interface list");
    }
    shared = live;
  }
  if (shared) return shared;

  // On failure the unique_ptr undoes what was attached (we hold registry_mu already).
  std::unique_ptr<XdpProgram> owned(new XdpProgram(ifaces));
  if (Status s = owned->Attach(mode); !s) return s.error();
  if (Status s = owned->FillSlots(); !s) return s.error();
  if (Status s = owned->FillTxPorts(); !s) return s.error();
  // Once shared, the last owner detaches under registry_mu, so that a detach never
  // interleaves with another Acquire of the same interfaces.
  std::shared_ptr<XdpProgram> program(owned.release(), [](XdpProgram* p) {
    std::lock_guard relock(registry_mu);
    delete p;
  });
  for (const Iface& i : ifaces) Registry()[i.name] = program;
  return program;
}

void XdpProgram::DetachStale(const std::vector<std::string>& ifaces) {
  QuietLibraries();
  for (const std::string& name : ifaces) {
    int ifindex = static_cast<int>(if_nametoindex(name.c_str()));
    if (ifindex == 0) continue;
    int removed = DetachStaleFrom(name, ifindex);
    if (removed) {
      Log(LogLevel::kInfo, "AF_XDP: interface '%s': removed %d stale ipvsd XDP program(s)", name.c_str(), removed);
    }
  }
}

Status XdpProgram::Attach(XdpMode mode) {
  for (size_t k = 0; k < attachments_.size(); ++k) {
    Attachment& a = attachments_[k];
    const std::string where = "AF_XDP: interface '" + a.iface.name + "': ";
    a.object = bpf_object__open_mem(kIpvsdXdpObject, sizeof(kIpvsdXdpObject), nullptr);
    if (int err = static_cast<int>(libbpf_get_error(a.object)); err) {
      a.object = nullptr;
      return MakeError(-err, where + "opening the embedded XDP object: " + ErrnoText(err));
    }
    if (k > 0) {
      // Every instance uses the first one's maps.
      const int fds[] = {services_fd_, nat_sources_fd_, vips_fd_, locals_fd_,
                         ifslots_fd_,  xsks_fd_,        flows_fd_, tx_ports_fd_};
      for (size_t m = 0; m < std::size(kSharedMaps); ++m) {
        bpf_map* map = bpf_object__find_map_by_name(a.object, kSharedMaps[m]);
        int err = map ? bpf_map__reuse_fd(map, fds[m]) : -ENOENT;
        if (err) return MakeError(-err, where + "sharing XDP map " + kSharedMaps[m] + ": " + ErrnoText(err));
      }
    }
    const int ifindex = static_cast<int>(a.iface.ifindex);
    if (StaleAloneOn(ifindex, mode, &a.native)) {
      // Loaded now, in place of the stale program once the first filter is set (ReplaceStale).
      if (int err = bpf_object__load(a.object); err) {
        return MakeError(-err, where + "loading the XDP program: " + ErrnoText(err));
      }
      a.replaces_stale = true;
    } else if (Status attached = AttachWithLibxdp(a, mode); !attached) {
      return attached;
    }
    if (k == 0) {
      int* fds[] = {&services_fd_, &nat_sources_fd_, &vips_fd_, &locals_fd_,
                    &ifslots_fd_,  &xsks_fd_,        &flows_fd_, &tx_ports_fd_};
      for (size_t m = 0; m < std::size(kSharedMaps); ++m) {
        bpf_map* map = bpf_object__find_map_by_name(a.object, kSharedMaps[m]);
        *fds[m] = map ? bpf_map__fd(map) : -1;
        if (*fds[m] < 0) return MakeError(ENOENT, where + "XDP map " + kSharedMaps[m] + " missing after load");
      }
    }
  }
  return Ok();
}

Status XdpProgram::AttachWithLibxdp(Attachment& a, XdpMode mode) {
  const std::string where = "AF_XDP: interface '" + a.iface.name + "': ";
  const int ifindex = static_cast<int>(a.iface.ifindex);
  if (DetachStaleFrom(a.iface.name, ifindex) > 0) {
    Log(LogLevel::kInfo, "AF_XDP: interface '%s': removed a stale ipvsd XDP program", a.iface.name.c_str());
  }
  a.program = xdp_program__from_bpf_obj(a.object, "xdp");
  if (int err = static_cast<int>(libxdp_get_error(a.program)); err) {
    a.program = nullptr;
    return MakeError(-err, where + "preparing the XDP program: " + ErrnoText(err));
  }
  int err = -EINVAL;
  if (mode != XdpMode::kSkb) {
    err = xdp_program__attach(a.program, ifindex, XDP_MODE_NATIVE, 0);
    a.native = err == 0;
  }
  if (err && mode != XdpMode::kNative) err = xdp_program__attach(a.program, ifindex, XDP_MODE_SKB, 0);
  if (err) {
    const char* tried = mode == XdpMode::kNative ? "native" : mode == XdpMode::kSkb ? "skb" : "native or skb";
    return MakeError(-err, where + "attaching the XDP program in " + tried + " mode: " + ErrnoText(err));
  }
  a.attached = true;
  return Ok();
}

Status XdpProgram::ReplaceStale() {
  for (Attachment& a : attachments_) {
    if (!a.replaces_stale || a.attached) continue;
    const int fd = bpf_program__fd(bpf_object__find_program_by_name(a.object, IPVSD_XDP_PROG_NAME));
    // Neither UPDATE_IF_NOEXIST nor REPLACE: whatever is attached in this mode is swapped out.
    if (int err = bpf_xdp_attach(static_cast<int>(a.iface.ifindex), fd, PlainXdpFlags(a.native), nullptr); err) {
      return MakeError(-err, "AF_XDP: interface '" + a.iface.name + "': replacing the stale ipvsd XDP program: " +
                                 ErrnoText(-err));
    }
    a.attached = true;
    Log(LogLevel::kInfo, "AF_XDP: interface '%s': replaced the stale ipvsd XDP program in one step",
        a.iface.name.c_str());
  }
  return Ok();
}

Status XdpProgram::FillSlots() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return MakeError(errno, "AF_XDP: socket for interface addresses: " + ErrnoText(errno));
  for (uint32_t slot = 0; slot < attachments_.size(); ++slot) {
    const Iface& iface = attachments_[slot].iface;
    uint32_t ifindex = iface.ifindex;
    ipvsd_ifslot value{};
    value.slot = slot;
    value.native = attachments_[slot].native ? 1 : 0;
    ifreq req{};
    std::strncpy(req.ifr_name, iface.name.c_str(), IFNAMSIZ - 1);
    if (ioctl(fd, SIOCGIFHWADDR, &req) != 0) {
      int err = errno;
      close(fd);
      return MakeError(err, "AF_XDP: interface '" + iface.name + "': reading its MAC address: " + ErrnoText(err));
    }
    std::memcpy(value.mac, req.ifr_hwaddr.sa_data, sizeof(value.mac));
    if (bpf_map_update_elem(ifslots_fd_, &ifindex, &value, BPF_ANY) != 0) {
      int err = errno;
      close(fd);
      return MakeError(err, "AF_XDP: interface '" + iface.name + "': setting its XDP interface slot: " + ErrnoText(err));
    }
  }
  close(fd);
  return Ok();
}

Status XdpProgram::FillTxPorts() {
  const bool all_skb = std::none_of(attachments_.begin(), attachments_.end(), [](const Attachment& a) { return a.native; });
  for (const Attachment& a : attachments_) {
    // In skb mode the kernel sends XDP_TX and redirected frames as ordinary packets.
    const std::optional<bool> accepts = all_skb ? std::optional<bool>(true) : AcceptsXdpFrames(a.iface.ifindex);
    if (accepts == false) {
      Log(LogLevel::kInfo,
          "flow offload: interface '%s' takes no XDP frames (its driver has no ndo_xdp_xmit; a veth has it only while "
          "its peer runs an XDP program or GRO): flows leaving through it stay in user space",
          a.iface.name.c_str());
      continue;
    }
    if (!accepts) {
      Log(LogLevel::kInfo, "flow offload: the kernel does not say whether interface '%s' takes XDP frames; assuming it does",
          a.iface.name.c_str());
    }
    uint32_t ifindex = a.iface.ifindex;
    if (bpf_map_update_elem(tx_ports_fd_, &ifindex, &ifindex, BPF_ANY) != 0) {
      const int err = errno;
      return MakeError(err, "AF_XDP: interface '" + a.iface.name + "': adding it to the XDP devmap: " + ErrnoText(err));
    }
  }
  return Ok();
}

bool XdpProgram::Install(const FlowRule& rule) {
  const ipvsd_flow_key key = EncodeFlowKey(rule.key);
  const ipvsd_flow value = EncodeFlow(rule, MonotonicNs());
  return bpf_map_update_elem(flows_fd_, &key, &value, BPF_ANY) == 0;
}

namespace {

FlowCounters CountersOf(const ipvsd_flow& value) {
  const uint64_t now = MonotonicNs();
  FlowCounters c;
  c.packets = value.packets;
  c.bytes = value.bytes;
  c.idle_ns = now > value.last_seen_ns ? now - value.last_seen_ns : 0;
  return c;
}

}  // namespace

bool XdpProgram::Remove(const FlowKey& key, FlowCounters* last) {
  ipvsd_flow_key k = EncodeFlowKey(key);
  ipvsd_flow value;
  if (bpf_map_lookup_and_delete_elem(flows_fd_, &k, &value) != 0) return false;
  *last = CountersOf(value);
  return true;
}

bool XdpProgram::Read(const FlowKey& key, FlowCounters* out) {
  const ipvsd_flow_key k = EncodeFlowKey(key);
  ipvsd_flow value;
  if (bpf_map_lookup_elem(flows_fd_, &k, &value) != 0) return false;
  *out = CountersOf(value);
  return true;
}

Status XdpProgram::RegisterSocket(uint32_t slot, uint32_t queue, int xsk_fd) {
  uint32_t key = slot * IPVSD_XDP_MAX_QUEUES + queue;
  if (bpf_map_update_elem(xsks_fd_, &key, &xsk_fd, BPF_ANY) != 0) {
    int err = errno;
    return MakeError(err, "AF_XDP: interface '" + attachments_[slot].iface.name + "' queue " + std::to_string(queue) +
                              ": adding the socket to the XSKMAP: " + ErrnoText(err));
  }
  return Ok();
}

Status XdpProgram::SetFilter(const TrafficFilter& filter) {
  std::lock_guard lock(filter_mu_);
  return UpdateFilterLocked(applied_.ChangeTo(filter));
}

Status XdpProgram::UpdateFilter(const TrafficFilterChange& change) {
  std::lock_guard lock(filter_mu_);
  return UpdateFilterLocked(change);
}

Status XdpProgram::UpdateFilterLocked(const TrafficFilterChange& change) {
  // Every key is checked before the maps change, so a bad change leaves them as they were.
  std::vector<ipvsd_l4_key> add_services, remove_services, add_nat, remove_nat;
  auto keys = [](const std::vector<L4Match>& from, std::vector<ipvsd_l4_key>* to) -> Status {
    for (const L4Match& m : from) {
      Result<ipvsd_l4_key> key = L4Key(m);
      if (!key) return key.error();
      to->push_back(*key);
    }
    return Ok();
  };
  if (Status s = keys(change.add_services, &add_services); !s) return s;
  if (Status s = keys(change.remove_services, &remove_services); !s) return s;
  if (Status s = keys(change.add_nat_sources, &add_nat); !s) return s;
  if (Status s = keys(change.remove_nat_sources, &remove_nat); !s) return s;
  if (applied_.services.size() + add_services.size() > IPVSD_XDP_MAX_MATCHES ||
      applied_.nat_sources.size() + add_nat.size() > IPVSD_XDP_MAX_MATCHES) {
    return MakeError(E2BIG, "XDP filter: more than " + std::to_string(IPVSD_XDP_MAX_MATCHES) +
                                " services or NAT sources");
  }
  if (change.local_addrs) {
    std::vector<ipvsd_addr_key> locals;
    for (const net::IpAddr& a : *change.local_addrs) {
      Result<ipvsd_addr_key> key = AddrKey(a);
      if (!key) return key.error();
      locals.push_back(*key);
    }
    // The local addresses first: a NAT source must never match before the director's own
    // addresses are known to be excluded.
    if (Status s = SyncMap(locals_fd_, kLocalsMap, std::move(locals)); !s) return s;
  }
  const uint8_t one = 1;
  auto put = [&](int fd, const char* name, const auto& key) -> Status {
    if (bpf_map_update_elem(fd, &key, &one, BPF_ANY) == 0) return Ok();
    int err = errno;
    return MakeError(err, std::string("XDP map ") + name + ": adding an entry: " + ErrnoText(err));
  };
  auto erase = [&](int fd, const char* name, const auto& key) -> Status {
    if (bpf_map_delete_elem(fd, &key) == 0 || errno == ENOENT) return Ok();
    int err = errno;
    return MakeError(err, std::string("XDP map ") + name + ": removing an entry: " + ErrnoText(err));
  };
  // A VIP stays in its map while any service of that address does.
  auto vip_of = [](const ipvsd_l4_key& k) {
    ipvsd_addr_key vip{};
    vip.family = k.family;
    std::memcpy(vip.addr, k.addr, sizeof(vip.addr));
    return vip;
  };
  auto vip_count = [&](const ipvsd_addr_key& vip) -> uint32_t& {
    std::array<uint8_t, sizeof(ipvsd_addr_key)> raw{};
    std::memcpy(raw.data(), &vip, sizeof(vip));
    return vip_counts_[raw];
  };
  for (const ipvsd_l4_key& k : add_services) {
    if (Status s = put(services_fd_, kServicesMap, k); !s) return s;
    ipvsd_addr_key vip = vip_of(k);
    if (vip_count(vip)++ == 0) {
      if (Status s = put(vips_fd_, kVipsMap, vip); !s) return s;
    }
  }
  for (const ipvsd_l4_key& k : add_nat) {
    if (Status s = put(nat_sources_fd_, kNatSourcesMap, k); !s) return s;
  }
  for (const ipvsd_l4_key& k : remove_nat) {
    if (Status s = erase(nat_sources_fd_, kNatSourcesMap, k); !s) return s;
  }
  for (const ipvsd_l4_key& k : remove_services) {
    if (Status s = erase(services_fd_, kServicesMap, k); !s) return s;
    ipvsd_addr_key vip = vip_of(k);
    uint32_t& n = vip_count(vip);
    if (n > 0 && --n == 0) {
      if (Status s = erase(vips_fd_, kVipsMap, vip); !s) return s;
    }
  }
  applied_.Apply(change);
  // The maps now say what is ipvsd's, and the sockets are in the XSKMAP: the program can take
  // over from a stale one.
  return ReplaceStale();
}

std::string XdpProgram::mode_name() const {
  bool any_native = false;
  bool any_skb = false;
  for (const Attachment& a : attachments_) (a.native ? any_native : any_skb) = true;
  if (any_native && any_skb) return "native+skb";
  return any_native ? "native" : "skb";
}

}  // namespace ipvsd::io

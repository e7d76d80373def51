#include "core/conn_store.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>

#include "base/scoped_fd.h"
#include "core/conn_sync.h"
#include "core/conn_table.h"

namespace ipvsd::core {
namespace {

constexpr char kMagic[8] = {'i', 'p', 'v', 's', 'd', 'C', 'T', '\n'};
constexpr size_t kHeaderBytes = 4096;

struct StoreHeader {
  char magic[8];
  uint32_t layout_version;
  uint32_t entry_size;
  uint32_t capacity;
  uint32_t writer_pid;
};

size_t SealsOffset(uint32_t capacity) { return kHeaderBytes + size_t{capacity} * sizeof(ConnEntry); }
size_t FileBytes(uint32_t capacity) {
  const size_t page = 4096;
  return (SealsOffset(capacity) + size_t{capacity} * sizeof(uint32_t) + page - 1) / page * page;
}

std::string SysError(const std::string& path, const char* what, int err) {
  return "connection store " + path + ": " + what + ": " + std::strerror(err);
}

}  // namespace

uint32_t ConnSeal(const ConnEntry& e) {
  // A torn entry is an accident, not an attack: a multiply-xorshift over eight words is enough,
  // and cheap enough for every new connection.
  uint64_t w[8];
  std::memcpy(&w[0], e.caddr.bytes.data(), 16);
  std::memcpy(&w[2], e.vaddr.bytes.data(), 16);
  std::memcpy(&w[4], e.daddr.bytes.data(), 16);
  // Flags set after the entry is hashed (kConnNoOutput cleared by the first reply, the SYN
  // proxy's) are not covered.
  const uint16_t identity = e.flags & (kConnFwdMask | kConnTemplate);
  w[6] = uint64_t{e.cport} << 48 | uint64_t{e.vport} << 32 | uint64_t{e.dport} << 16 | identity;
  // A SYN proxy connection's mark field is its timestamp delta, set after it is hashed (its
  // service has no mark).
  const uint32_t mark = (e.flags & kConnSynproxy) ? 0 : e.fwmark;
  w[7] = uint64_t{mark} << 32 | uint64_t{static_cast<uint8_t>(e.af)} << 16 |
         uint64_t{static_cast<uint8_t>(e.daf)} << 8 | e.protocol;
  uint64_t h = 0x243f6a8885a308d3ull;
  for (uint64_t x : w) {
    h = (h ^ x) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
  }
  const auto seal = static_cast<uint32_t>(h ^ (h >> 32));
  return seal != 0 ? seal : 1;
}

ConnStore::ConnStore(std::string path, uint32_t capacity, void* map, size_t bytes)
    : path_(std::move(path)),
      capacity_(capacity),
      map_(map),
      bytes_(bytes),
      entries_(reinterpret_cast<ConnEntry*>(static_cast<char*>(map) + kHeaderBytes)),
      seals_(reinterpret_cast<uint32_t*>(static_cast<char*>(map) + SealsOffset(capacity))) {}

ConnStore::~ConnStore() { ::munmap(map_, bytes_); }

Result<std::unique_ptr<ConnStore>> ConnStore::Create(const std::string& path, uint32_t capacity) {
  if (!std::has_single_bit(capacity)) return MakeError(EINVAL, "connection store " + path + ": capacity not a power of two");
  ScopedFd f{::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)};
  if (f.fd < 0) return MakeError(errno, SysError(path, "creating", errno));
  const size_t bytes = FileBytes(capacity);
  if (int err = ::posix_fallocate(f.fd, 0, static_cast<off_t>(bytes)); err != 0) {
    ::unlink(path.c_str());
    return MakeError(err, SysError(path, ("reserving " + std::to_string(bytes >> 20) + " MiB").c_str(), err) +
                              " (a larger tmpfs, a smaller --conn-max, or --conn-store none)");
  }
  void* map = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd, 0);
  if (map == MAP_FAILED) return MakeError(errno, SysError(path, "mapping", errno));
  ::madvise(map, bytes, MADV_HUGEPAGE);
  // Every page written once now (they are zero already): left to the data path, each first
  // write would fault, and new connections would pay for it.
  std::memset(map, 0, bytes);
  StoreHeader h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.layout_version = kLayoutVersion;
  h.entry_size = sizeof(ConnEntry);
  h.capacity = capacity;
  h.writer_pid = static_cast<uint32_t>(::getpid());
  std::memcpy(map, &h, sizeof h);
  return std::unique_ptr<ConnStore>(new ConnStore(path, capacity, map, bytes));
}

namespace {

// The header of the store open as `fd`, checked against this binary's layout and the file's size.
Result<StoreHeader> ReadHeader(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return MakeError(errno, SysError(path, "reading", errno));
  StoreHeader h{};
  if (st.st_size < static_cast<off_t>(kHeaderBytes) || ::pread(fd, &h, sizeof h, 0) != sizeof h ||
      std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) {
    return MakeError(EINVAL, "connection store " + path + ": not an ipvsd connection store");
  }
  if (h.layout_version != ConnStore::kLayoutVersion || h.entry_size != sizeof(ConnEntry)) {
    return MakeError(EPROTO, "connection store " + path + ": layout version " + std::to_string(h.layout_version) +
                                 " (entries of " + std::to_string(h.entry_size) + " bytes); this ipvsd reads version " +
                                 std::to_string(ConnStore::kLayoutVersion) + " (" + std::to_string(sizeof(ConnEntry)) +
                                 " bytes)");
  }
  if (!std::has_single_bit(h.capacity) || st.st_size < static_cast<off_t>(FileBytes(h.capacity))) {
    return MakeError(EINVAL, "connection store " + path + ": truncated (capacity " + std::to_string(h.capacity) +
                                 ", " + std::to_string(st.st_size) + " bytes)");
  }
  return h;
}

}  // namespace

Status CheckConnStore(const std::string& path) {
  ScopedFd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (f.fd < 0) return MakeError(errno, SysError(path, "opening", errno));
  if (auto h = ReadHeader(f.fd, path); !h) return h.error();
  return Ok();
}

Result<StoredEntries> ReadConnStore(const std::string& path) {
  ScopedFd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (f.fd < 0) return MakeError(errno, SysError(path, "opening", errno));
  auto header = ReadHeader(f.fd, path);
  if (!header) return header.error();
  const StoreHeader& h = *header;
  const size_t bytes = FileBytes(h.capacity);
  void* map = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, f.fd, 0);
  if (map == MAP_FAILED) return MakeError(errno, SysError(path, "mapping", errno));
  const auto* entries = reinterpret_cast<const ConnEntry*>(static_cast<const char*>(map) + kHeaderBytes);
  const auto* seals = reinterpret_cast<const uint32_t*>(static_cast<const char*>(map) + SealsOffset(h.capacity));
  StoredEntries out;
  for (uint32_t i = 0; i < h.capacity; ++i) {
    const uint32_t seal = std::atomic_ref<const uint32_t>(seals[i]).load(std::memory_order_acquire);
    ConnEntry e;
    std::memcpy(&e, &entries[i], sizeof e);
    // In use but not hashed: being made, or replaced and waiting for its timer; neither forwards.
    if (!(e.flags & kConnInUse) || !(e.flags & kConnHashed)) continue;
    if (seal == 0 || seal != ConnSeal(e)) {
      ++out.torn;
      continue;
    }
    e.dest = nullptr;
    (e.is_template() ? out.templates : out.conns).push_back(e);
  }
  ::munmap(map, bytes);
  return out;
}

const char* AdoptResultName(AdoptResult r) {
  switch (r) {
    case AdoptResult::kAdopted: return "adopted";
    case AdoptResult::kExpired: return "expired";
    case AdoptResult::kNoService: return "no_service";
    case AdoptResult::kNoDest: return "no_dest";
    case AdoptResult::kInvalid: return "invalid";
    case AdoptResult::kTableFull: return "table_full";
    case AdoptResult::kCount: break;
  }
  return "?";
}

AdoptResult AdoptStoredEntry(ConnTable& conns, ConnTable& templates, const ServiceTable& services,
                             const ConnEntry& stored, const Timeouts& timeouts, Ticks now) {
  if (static_cast<int32_t>(stored.expires - now) <= 0) return AdoptResult::kExpired;
  // Installed as a sync record (service and real server found by address, the real server's
  // counters bound), then given back what the record does not carry.
  const Ticks timeout = stored.is_template() ? SecondsToTicks(stored.timeout_s) : stored.expires - now;
  const SyncRecord r = MakeSyncRecord(stored, timeout);
  switch (InstallSyncConn(conns, templates, services, r, timeouts, 0, now)) {
    case InstallResult::kCreated: break;
    case InstallResult::kNoService: return AdoptResult::kNoService;
    case InstallResult::kNoDest: return AdoptResult::kNoDest;
    case InstallResult::kTableFull: return AdoptResult::kTableFull;
    default: return AdoptResult::kInvalid;  // e.g. the same connection stored twice
  }
  ConnTable& table = stored.is_template() ? templates : conns;
  ConnEntry* e = stored.is_template()
                     ? table.FindTemplate(r.af, r.protocol, r.caddr, r.vaddr, r.vport)
                     : table.FindIn(r.af, r.protocol, r.caddr, r.cport, r.vaddr, r.vport);
  e->in_pkts = stored.in_pkts;
  e->flags = static_cast<uint16_t>((e->flags & ~kConnSync) | (stored.flags & kConnSync));
  if (stored.flags & kConnSynproxy) {
    // Its sequence and timestamp translation, in the fields a record does not carry.
    e->flags |= static_cast<uint16_t>(stored.flags & (kConnSynproxy | kConnSynproxyPending));
    e->seq_delta = stored.seq_delta;
    e->ts_delta = stored.ts_delta;
    e->proxy_window = stored.proxy_window;
  }
  if (static_cast<int32_t>(stored.expires - e->expires) < 0) {
    e->expires = stored.expires;
    table.Rearm(e);
  }
  return AdoptResult::kAdopted;
}

}  // namespace ipvsd::core

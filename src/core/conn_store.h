// File: core/conn_store.h
//
// ConnStore keeps a ConnTable's entries in a file (under /dev/shm by default) instead of
// anonymous memory, so that they outlive the process: an ipvsd that crashed, was killed or is
// being upgraded leaves its connections behind, and the next one adopts them
// (docs/operations.md). Kernel IPVS gets this by living in the kernel; here the table's memory
// is simply not the process's own.
//
// The file is a header page (magic, layout version, entry size, capacity) followed by the
// entries as ConnTable keeps them, then one seal per entry. A seal is a checksum of what
// identifies a connection (addresses, ports, protocol, family, method, template flag, mark):
// Insert writes it after those fields and Unhash clears it before they may change, each with a
// release store, so a process killed at any instruction leaves every entry either sealed and
// whole, or unsealed. State, expiry and counters are single aligned words that change in place;
// links, timers and the real-server pointer belong to the process that wrote them and are never
// read back. An adopter takes the entries in use whose seal matches and counts the others that
// claim to be in use as torn.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "core/conn.h"
#include "core/service_table.h"
#include "core/timeouts.h"

namespace ipvsd::core {

class ConnTable;

class ConnStore {
 public:
  // Bumped whenever ConnEntry, the seal or the header change meaning: a reader refuses any other.
  static constexpr uint32_t kLayoutVersion = 2;

  // Creates the file at `path` (replacing whatever is there), sized and zeroed for `capacity`
  // entries, and maps it. The space is reserved up front: a tmpfs too small to hold the table
  // fails here with a message, not later with SIGBUS in the data path.
  static Result<std::unique_ptr<ConnStore>> Create(const std::string& path, uint32_t capacity);
  ~ConnStore();  // unmaps; the file stays for the next process
  ConnStore(const ConnStore&) = delete;
  ConnStore& operator=(const ConnStore&) = delete;

  const std::string& path() const { return path_; }
  uint32_t capacity() const { return capacity_; }
  ConnEntry* entries() const { return entries_; }
  uint32_t* seals() const { return seals_; }

 private:
  ConnStore(std::string path, uint32_t capacity, void* map, size_t bytes);

  std::string path_;
  uint32_t capacity_;
  void* map_;
  size_t bytes_;
  ConnEntry* entries_;
  uint32_t* seals_;
};

// The seal of an entry's identity (see above); never 0, which marks an unsealed entry.
uint32_t ConnSeal(const ConnEntry& e);

// The entries of a store file that can be adopted: in use, sealed, and matching their seal.
struct StoredEntries {
  std::vector<ConnEntry> templates;
  std::vector<ConnEntry> conns;
  uint32_t torn = 0;  // in use but unsealed or with a seal that does not match
};
// Reads the store file at `path`. An error when it cannot be read or is not a store of this
// layout; the message says which (another version's layout names both versions).
Result<StoredEntries> ReadConnStore(const std::string& path);
// Whether ReadConnStore would read the file at `path` (its header only): the same errors.
Status CheckConnStore(const std::string& path);

// What became of an adopted entry: an InstallResult, or expired while no process ran.
enum class AdoptResult : uint8_t {
  kAdopted = 0,
  kExpired,
  kNoService,  // no such virtual service in the new configuration
  kNoDest,     // the service no longer has that real server
  kInvalid,
  kTableFull,
  kCount
};
inline constexpr int kAdoptResultCount = static_cast<int>(AdoptResult::kCount);
const char* AdoptResultName(AdoptResult r);

// Puts a stored entry back: a connection into `conns`, a template into `templates`, bound to
// the real server of that address and port in `services`, with the state, expiry, flags and
// client packet count it had, and a SYN proxy connection's sequence and timestamp translation.
// Templates first, so that connections find theirs.
AdoptResult AdoptStoredEntry(ConnTable& conns, ConnTable& templates, const ServiceTable& services,
                             const ConnEntry& stored, const Timeouts& timeouts, Ticks now);

}  // namespace ipvsd::core

// File: daemon/conn_stores.h
//
// ConnStores is the directory of ipvsd's connection stores (--conn-store, /dev/shm/ipvsd by
// default): one file per worker's connection table (conns-N) and one for the persistence
// templates (templates), each a core::ConnStore, and the SYN proxy's cookie key. It makes a
// restart lose no established flow:
//
//   1. Open takes the directory's lock (one ipvsd per store; a second one is refused with the
//      holder's pid), before anything touches the interfaces; CreateTables makes this run's
//      files beside the previous run's, as *.new;
//   2. ReadPrevious: what the previous run left in its files, validated entry by entry
//      (torn ones counted, a file of a layout this binary cannot read set aside and named);
//   3. the caller adopts those entries into the new tables (core::AdoptStoredEntry);
//   4. Commit: renames this run's files over the previous ones. Until then a crash leaves the
//      previous files in place, so the next start still finds them.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/siphash.h"
#include "core/conn_store.h"

namespace ipvsd::daemon {

class ConnStores {
 public:
  // `wait`: how long to retry while another process holds the lock (a takeover's old process,
  // whose last threads may still be exiting).
  static Result<std::unique_ptr<ConnStores>> Open(const std::string& dir,
                                                  std::chrono::milliseconds wait = std::chrono::milliseconds(0));
  // The table files a run left in `dir` (full paths), whether or not one runs now.
  static std::vector<std::string> TableFiles(const std::string& dir);
  ~ConnStores();  // releases the lock; the files stay
  ConnStores(const ConnStores&) = delete;
  ConnStores& operator=(const ConnStores&) = delete;

  // `capacities`: one table per worker; `template_capacity`: the shared templates'.
  Status CreateTables(const std::vector<uint32_t>& capacities, uint32_t template_capacity);

  const std::string& dir() const { return dir_; }
  core::ConnStore* conns(size_t worker) const { return conns_[worker].get(); }
  core::ConnStore* templates() const { return templates_.get(); }

  // The previous run's entries. A file that cannot be read (another layout, truncated) is
  // renamed to *.unreadable, logged, and counted in `unreadable_files`.
  struct Previous {
    core::StoredEntries entries;
    uint32_t files = 0;
    uint32_t unreadable_files = 0;
  };
  Previous ReadPrevious();
  // Makes this run's files the ones the next start reads.
  Status Commit();
  // The SYN proxy's cookie key (file syn-cookie-key, 0600): the previous run's, so that a
  // client's ACK to a cookie it sent is still valid after a restart or an upgrade, or a new
  // random one, kept for the next run. Like the kernel's syncookie secret, it lasts until the
  // tmpfs is cleared (a reboot).
  Result<HashKey> SynCookieKey();

 private:
  ConnStores(std::string dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}
  // The previous run's table files in dir_, by name.
  std::vector<std::string> PreviousFiles() const;

  std::string dir_;
  int lock_fd_;
  std::vector<std::unique_ptr<core::ConnStore>> conns_;
  std::unique_ptr<core::ConnStore> templates_;
};

}  // namespace ipvsd::daemon

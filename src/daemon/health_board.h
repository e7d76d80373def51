// File: daemon/health_board.h
//
// What ipvs-healthd last reported of each real server (ctl kReportHealth), for the status
// page and /metrics: a server healthd took out of the table is still shown, as down. Written
// by the control thread, read by the metrics server's threads.
#pragma once

#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/service.h"
#include "ctl/proto.h"

namespace ipvsd::daemon {

class HealthBoard {
 public:
  struct Entry {
    core::ServiceKey service;
    net::IpAddr addr;
    uint16_t port = 0;
    uint8_t state = ctl::kHealthUp;
  };

  // Each entry replaces the previous report of its (service, server).
  void Report(const std::vector<Entry>& entries);
  // The reports of the services that still exist (`exists`), forgetting the others.
  template <typename Exists>
  std::vector<Entry> Current(Exists&& exists) {
    std::lock_guard lock(mu_);
    std::vector<Entry> out;
    std::erase_if(entries_, [&](const auto& kv) { return !exists(kv.second.service); });
    for (const auto& [key, e] : entries_) out.push_back(e);
    return out;
  }

 private:
  struct Key {
    core::ServiceKey service;
    net::IpAddr addr;
    uint16_t port = 0;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };

  std::mutex mu_;
  std::unordered_map<Key, Entry, KeyHash> entries_;
};

}  // namespace ipvsd::daemon

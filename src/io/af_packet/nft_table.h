// File: io/af_packet/nft_table.h
//
// NftTable is ipvsd's own nftables table, `inet ipvsd`. With AF_PACKET the kernel receives a
// copy of every frame ipvsd receives, so without it the kernel would answer service packets
// itself (TCP RST, ICMP port unreachable), forward them if forwarding is on, and route NAT
// replies from real servers on its own. The table drops exactly those packets in prerouting,
// at priority -300 (raw), before conntrack (-200) creates state for them; packet sockets have
// their copies by then, because packet taps run before the IP layer.
//
// What is dropped lives in sets of concatenated keys (address . protocol . port, and
// address . protocol for "any port"), so a new TrafficFilter is one atomic nft transaction
// (flush + add), never a rule rewrite. Only packets arriving on the interfaces ipvsd
// attaches to are dropped (the `ifaces` set).
//
// One table per process: every AfPacketIo (one per worker) shares it; the last owner's
// destruction deletes it. A table left by an earlier ipvsd (killed, or handing over to this
// one) keeps holding the services' packets until the first filter replaces it with this
// process's table, in one transaction; a process that stops before that leaves it alone.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "io/traffic_filter.h"

struct nft_ctx;

namespace ipvsd::io {

class NftTable {
 public:
  static constexpr const char* kFamily = "inet";
  static constexpr const char* kName = "ipvsd";

  // The process's table, created on first use, with `ifaces` added to its interface set.
  // The returned pointer is one ownership: dropping it may delete the table.
  static Result<std::shared_ptr<NftTable>> Acquire(const std::vector<std::string>& ifaces);
  ~NftTable();
  NftTable(const NftTable&) = delete;
  NftTable& operator=(const NftTable&) = delete;

  // Makes the sets hold exactly `filter`, writing only what differs from what was applied
  // before, in one transaction.
  Status SetFilter(const TrafficFilter& filter);
  // Applies a change in one transaction (it must fit what was applied: nftables refuses to
  // delete an absent element, and then nothing changes).
  Status UpdateFilter(const TrafficFilterChange& change);

 private:
  explicit NftTable(nft_ctx* ctx) : ctx_(ctx) {}
  Status AddIfaces(const std::vector<std::string>& ifaces);
  Status UpdateFilterLocked(const TrafficFilterChange& change);
  // Runs one nft script as one transaction; `step` names it in the error.
  Status Run(const std::string& script, const char* step);

  std::mutex mu_;
  nft_ctx* ctx_;
  std::mutex filter_mu_;  // guards what follows
  AppliedFilter applied_;
  std::vector<std::string> ifaces_;
  bool replace_stale_ = false;  // an earlier ipvsd's table is in place until the first filter
};

}  // namespace ipvsd::io

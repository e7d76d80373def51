// File: io/af_packet/nft_table.cc
//
// The table is written as nft script text and handed to libnftables, which parses it and
// commits it as one netlink batch: each script either applies whole or not at all.
#include "io/af_packet/nft_table.h"

#include <nftables/libnftables.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "net/ip_addr.h"

namespace ipvsd::io {
namespace {

// "add table" makes the following "delete" succeed whether or not a stale table exists; the
// whole script is one transaction, so there is no moment without a table once one existed.
constexpr const char* kCreateScript = R"(add table inet ipvsd
delete table inet ipvsd
table inet ipvsd {
  set ifaces { type iface_index; }
  set svc4 { type ipv4_addr . inet_proto . inet_service; }
  set svc4_any { type ipv4_addr . inet_proto; }
  set svc6 { type ipv6_addr . inet_proto . inet_service; }
  set svc6_any { type ipv6_addr . inet_proto; }
  set nat4 { type ipv4_addr . inet_proto . inet_service; }
  set nat4_any { type ipv4_addr . inet_proto; }
  set nat6 { type ipv6_addr . inet_proto . inet_service; }
  set nat6_any { type ipv6_addr . inet_proto; }
  chain prerouting {
    type filter hook prerouting priority -300; policy accept;
    meta iif != @ifaces accept
    ip daddr . meta l4proto . th dport @svc4 drop
    ip daddr . meta l4proto @svc4_any drop
    ip6 daddr . meta l4proto . th dport @svc6 drop
    ip6 daddr . meta l4proto @svc6_any drop
    fib daddr type local accept
    ip saddr . meta l4proto . th sport @nat4 drop
    ip saddr . meta l4proto @nat4_any drop
    ip6 saddr . meta l4proto . th sport @nat6 drop
    ip6 saddr . meta l4proto @nat6_any drop
  }
}
)";

// The process's table and its number of owners. A plain count under one mutex (rather than
// a weak_ptr) so that the last owner's delete and a new owner's create can never interleave.
std::mutex g_mu;
NftTable* g_table = nullptr;
int g_owners = 0;

void Release(NftTable*) {
  std::lock_guard lock(g_mu);
  if (--g_owners == 0) {
    delete g_table;
    g_table = nullptr;
  }
}

// Appends "VERB element" lines for the matches of one family: with a port to `set`, with
// port 0 ("every port") to `set`_any.
void AppendElements(std::string* script, const char* verb, const std::vector<L4Match>& matches, net::Family family,
                    const char* set) {
  std::string exact, any;
  for (const L4Match& m : matches) {
    if (m.family != family) continue;
    std::string key = net::IpAddr{m.addr, family}.ToString() + " . " + std::to_string(m.protocol);
    std::string& list = m.port ? exact : any;
    if (!list.empty()) list += ", ";
    list += m.port ? key + " . " + std::to_string(m.port) : key;
  }
  const std::string head = std::string(verb) + " element inet ipvsd " + set;
  if (!exact.empty()) *script += head + " { " + exact + " }\n";
  if (!any.empty()) *script += head + "_any { " + any + " }\n";
}

// "add element" for interfaces to the ifaces set; empty for none.
std::string IfacesElement(const std::vector<std::string>& ifaces) {
  if (ifaces.empty()) return "";
  std::string list;
  for (const std::string& name : ifaces) list += (list.empty() ? "\"" : ", \"") + name + "\"";
  return "add element inet ipvsd ifaces { " + list + " }\n";
}

void AppendSets(std::string* script, const char* verb, const std::vector<L4Match>& services,
                const std::vector<L4Match>& nat_sources) {
  AppendElements(script, verb, services, net::Family::kInet, "svc4");
  AppendElements(script, verb, services, net::Family::kInet6, "svc6");
  AppendElements(script, verb, nat_sources, net::Family::kInet, "nat4");
  AppendElements(script, verb, nat_sources, net::Family::kInet6, "nat6");
}

}  // namespace

Result<std::shared_ptr<NftTable>> NftTable::Acquire(const std::vector<std::string>& ifaces) {
  std::lock_guard lock(g_mu);
  if (!g_table) {
    nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!ctx) return MakeError(ENOMEM, "nftables: cannot create a libnftables context");
    // Errors go to a buffer that Run() puts into its Error instead of to stderr.
    if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) {
      nft_ctx_free(ctx);
      return MakeError(ENOMEM, "nftables: cannot buffer libnftables output");
    }
    auto* table = new NftTable(ctx);
    // A table left by an ipvsd that was killed or that handed over to this one holds the
    // services' packets until this process can forward them: it is replaced by the first
    // filter, in the same transaction, not emptied now.
    table->replace_stale_ = table->Run("list table inet ipvsd\n", "looking for a table left by an earlier ipvsd").ok();
    if (!table->replace_stale_) {
      if (Status s = table->Run(kCreateScript, "creating table inet ipvsd"); !s) {
        table->ctx_ = nullptr;  // nothing to delete: the transaction did not apply
        delete table;
        nft_ctx_free(ctx);
        return s.error();
      }
    }
    g_table = table;
  }
  if (Status s = g_table->AddIfaces(ifaces); !s) {
    if (g_owners == 0) {
      delete g_table;
      g_table = nullptr;
    }
    return s.error();
  }
  ++g_owners;
  return Result<std::shared_ptr<NftTable>>(std::shared_ptr<NftTable>(g_table, Release));
}

NftTable::~NftTable() {
  // A stale table never replaced is not this process's: it may still hold packets for the
  // ipvsd this one was to take over from.
  if (!ctx_) return;
  if (!replace_stale_) {
    if (Status s = Run("delete table inet ipvsd\n", "deleting table inet ipvsd"); !s) {
      std::fprintf(stderr, "ipvsd: %s\n", s.error().message.c_str());
    }
  }
  nft_ctx_free(ctx_);
}

Status NftTable::AddIfaces(const std::vector<std::string>& ifaces) {
  std::lock_guard lock(filter_mu_);
  if (!replace_stale_ && !ifaces.empty()) {
    if (Status s = Run(IfacesElement(ifaces), "adding interfaces to set ifaces"); !s) return s;
  }
  ifaces_.insert(ifaces_.end(), ifaces.begin(), ifaces.end());
  return Ok();
}

Status NftTable::SetFilter(const TrafficFilter& filter) {
  std::lock_guard lock(filter_mu_);
  return UpdateFilterLocked(applied_.ChangeTo(filter));
}

Status NftTable::UpdateFilter(const TrafficFilterChange& change) {
  std::lock_guard lock(filter_mu_);
  return UpdateFilterLocked(change);
}

Status NftTable::UpdateFilterLocked(const TrafficFilterChange& change) {
  std::string script;
  // The stale table goes and this one comes in one transaction: no moment without one.
  if (replace_stale_) script = kCreateScript + IfacesElement(ifaces_);
  AppendSets(&script, "delete", change.remove_services, change.remove_nat_sources);
  AppendSets(&script, "add", change.add_services, change.add_nat_sources);
  if (!script.empty()) {
    if (Status s = Run(script, "updating the service and NAT-source sets"); !s) return s;
  }
  replace_stale_ = false;
  applied_.Apply(change);
  return Ok();
}

Status NftTable::Run(const std::string& script, const char* step) {
  std::lock_guard lock(mu_);
  const int rc = nft_run_cmd_from_buffer(ctx_, script.c_str());
  std::string detail = nft_ctx_get_error_buffer(ctx_);
  nft_ctx_get_output_buffer(ctx_);  // discard, so that the next command starts empty
  if (rc == 0) return Ok();
  while (!detail.empty() && detail.back() == '\n') detail.pop_back();
  return MakeError(EINVAL, std::string("nftables: ") + step + ": " + detail);
}

}  // namespace ipvsd::io

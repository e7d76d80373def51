#include "cli/json.h"

#include <nlohmann/json.hpp>

#include "cli/format.h"

namespace ipvsd::cli {
namespace {

using nlohmann::ordered_json;

const char* FamilyName(net::Family f) { return f == net::Family::kInet6 ? "ipv6" : "ipv4"; }

ordered_json Protocol(uint8_t p) {
  switch (p) {
    case 6: return "tcp";
    case 17: return "udp";
    case 132: return "sctp";
    default: return nullptr;
  }
}

ordered_json Counters(const ctl::StatsBlock& s) {
  return {{"conns", s.conns}, {"inpkts", s.inpkts}, {"outpkts", s.outpkts}, {"inbytes", s.inbytes},
          {"outbytes", s.outbytes}};
}

ordered_json Rates(const ctl::StatsBlock& s) {
  return {{"cps", s.cps}, {"inpps", s.inpps}, {"outpps", s.outpps}, {"inbps", s.inbps}, {"outbps", s.outbps}};
}

const char* ForwardName(ctl::Fwd f) {
  switch (f) {
    case ctl::Fwd::kMasq: return "masq";
    case ctl::Fwd::kLocal: return "local";
    case ctl::Fwd::kTunnel: return "tunnel";
    case ctl::Fwd::kRoute: return "route";
  }
  return "";
}

ordered_json Tunnel(const ctl::DestSpec& d) {
  if (d.fwd != ctl::Fwd::kTunnel) return nullptr;
  constexpr const char* kTypes[] = {"ipip", "gue", "gre"};
  constexpr const char* kCsums[] = {"nocsum", "csum", "remcsum"};
  ordered_json t = {{"type", kTypes[static_cast<size_t>(d.tun_type)]}};
  if (d.tun_type == ctl::TunType::kGue) t["port"] = d.tun_port;
  if (d.tun_type != ctl::TunType::kIpip) t["csum"] = kCsums[static_cast<size_t>(d.tun_csum)];
  return t;
}

std::vector<std::string> SchedFlagList(const ctl::ServiceSpec& s) {
  std::vector<std::string> flags;
  std::string text = SchedFlagsText(s.sched_name, s.flags);
  size_t pos = 0;
  while (!text.empty() && pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    flags.push_back(text.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return flags;
}

ordered_json Service(const ctl::ServiceEntry& e) {
  const ctl::ServiceSpec& s = e.spec;
  const bool v6 = s.key.family == net::Family::kInet6;
  ordered_json j;
  j["family"] = FamilyName(s.key.family);
  if (s.key.fwmark) {
    j["fwmark"] = s.key.fwmark;
  } else {
    j["protocol"] = Protocol(s.key.protocol);
    j["address"] = net::IpAddr{s.key.addr, s.key.family}.ToString();
    j["port"] = s.key.port;
  }
  j["scheduler"] = s.sched_name;
  j["sched_flags"] = SchedFlagList(s);
  const bool persistent = s.flags & ctl::kSvcPersistent;
  j["persistent"] = persistent;
  if (persistent) {
    j["timeout"] = s.timeout;
    if (v6) j["netmask"] = s.netmask;
    else j["netmask"] = net::IpAddr::V4(s.netmask).ToString();
  }
  j["pe"] = s.pe_name.empty() ? ordered_json(nullptr) : ordered_json(s.pe_name);
  j["ops"] = static_cast<bool>(s.flags & ctl::kSvcOnePacket);
  j["sloppy"] = static_cast<bool>(s.flags & ctl::kSvcSloppy);
  j["synproxy"] = static_cast<bool>(s.flags & ctl::kSvcSynproxy);
  j["stats"] = Counters(e.stats);
  j["rates"] = Rates(e.stats);
  ordered_json dests = ordered_json::array();
  for (const ctl::DestEntry& d : e.dests) {
    ordered_json dj;
    dj["family"] = FamilyName(d.spec.addr.family);
    dj["address"] = d.spec.addr.ToString();
    dj["port"] = d.spec.port;
    dj["forward"] = ForwardName(d.spec.fwd);
    dj["weight"] = d.spec.weight;
    dj["u_threshold"] = d.spec.u_threshold;
    dj["l_threshold"] = d.spec.l_threshold;
    dj["tunnel"] = Tunnel(d.spec);
    dj["active_conns"] = d.activeconns;
    dj["inactive_conns"] = d.inactconns;
    dj["persistent_conns"] = d.persistconns;
    dj["stats"] = Counters(d.stats);
    dj["rates"] = Rates(d.stats);
    dests.push_back(std::move(dj));
  }
  j["dests"] = std::move(dests);
  return j;
}

std::string Dump(const ordered_json& j) { return j.dump(2) + "\n"; }

ordered_json Services(const ctl::InfoReply& info, const std::vector<ctl::ServiceEntry>& services) {
  ordered_json j;
  j["version"] = std::to_string(info.version_code >> 16) + "." + std::to_string((info.version_code >> 8) & 0xff) +
                 "." + std::to_string(info.version_code & 0xff);
  j["conn_tab_size"] = info.conn_tab_size;
  ordered_json list = ordered_json::array();
  for (const ctl::ServiceEntry& e : services) list.push_back(Service(e));
  j["services"] = std::move(list);
  return j;
}

// Drops by reason as an object: {"no_route": 3, ...}.
ordered_json Drops(const std::vector<ctl::DropCount>& drops) {
  ordered_json j = ordered_json::object();
  for (const ctl::DropCount& d : drops) j[d.reason] = d.count;
  return j;
}

ordered_json DataPlane(const ctl::DataPlaneInfo& d) {
  ordered_json workers = ordered_json::array();
  for (const ctl::WorkerInfo& w : d.workers) {
    ordered_json queues = ordered_json::array();
    for (const ctl::WorkerQueue& q : w.queues) {
      ordered_json qj{{"interface", q.iface}};
      // AF_PACKET fanout: every queue of the interface, shared with the other workers.
      qj["queue"] = q.queue == ctl::kEveryQueue ? ordered_json("all") : ordered_json(q.queue);
      queues.push_back(std::move(qj));
    }
    workers.push_back({{"worker", w.id},
                       {"queues", std::move(queues)},
                       {"connections", w.conns},
                       {"rx_packets", w.rx},
                       {"tx_packets", w.tx},
                       {"dropped", w.dropped},
                       {"handed_off", w.handed_off},
                       {"handed_in", w.handed_in},
                       {"drops", Drops(w.drops)}});
  }
  return ordered_json{{"io", d.io.empty() ? "none" : d.io}, {"workers", std::move(workers)}};
}

}  // namespace

std::string ServicesJson(const ctl::InfoReply& info, const std::vector<ctl::ServiceEntry>& services) {
  return Dump(Services(info, services));
}

std::string TableJson(const ctl::InfoReply& info, const std::vector<ctl::ServiceEntry>& services,
                      const ctl::DataPlaneInfo& data_plane) {
  ordered_json j = Services(info, services);
  j["data_plane"] = DataPlane(data_plane);
  return Dump(j);
}

std::string TimeoutJson(const ctl::TimeoutsMsg& t) {
  return Dump(ordered_json{{"tcp", t.tcp}, {"tcpfin", t.tcp_fin}, {"udp", t.udp}});
}

std::string DaemonsJson(const ctl::DaemonList& list) {
  ordered_json arr = ordered_json::array();
  for (const ctl::DaemonConfig& d : list.daemons) {
    arr.push_back({{"state", d.state == ctl::kStateMaster ? "master" : "backup"},
                   {"mcast_interface", d.mcast_ifn},
                   {"syncid", d.syncid},
                   {"sync_maxlen", d.sync_maxlen},
                   {"mcast_group", d.mcast_group.ToString()},
                   {"mcast_port", d.mcast_port},
                   {"mcast_ttl", d.mcast_ttl}});
  }
  return Dump(ordered_json{{"daemons", arr}});
}

std::string ConnsJson(const ctl::ConnList& list) {
  ordered_json arr = ordered_json::array();
  for (const ctl::ConnRecord& c : list.conns) {
    arr.push_back({{"protocol", ProtoName(c.protocol)},
                   {"client", c.client.ToString()},
                   {"virtual", c.vaddr.ToString()},
                   {"destination", c.dest.ToString()},
                   {"state", c.state},
                   {"expires", c.expires},
                   {"pe_name", c.pe_name},
                   {"pe_data", c.pe_data}});
  }
  return Dump(ordered_json{{"connections", arr}});
}

}  // namespace ipvsd::cli

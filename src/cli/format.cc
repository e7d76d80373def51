#include "cli/format.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace ipvsd::cli {
namespace {

constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;
constexpr uint8_t kSctp = 132;
constexpr uint32_t kSchedFlagsMask = ctl::kSvcSched1 | ctl::kSvcSched2 | ctl::kSvcSched3;

// snprintf into a std::string.
std::string Fmt(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Fmt(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char small[256];
  int n = std::vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < static_cast<int>(sizeof small)) return std::string(small, static_cast<size_t>(n));
  std::string big(static_cast<size_t>(n) + 1, '\0');
  va_start(ap, fmt);
  std::vsnprintf(big.data(), big.size(), fmt, ap);
  va_end(ap);
  big.resize(static_cast<size_t>(n));
  return big;
}

int AfOf(net::Family f) { return f == net::Family::kInet6 ? AF_INET6 : AF_INET; }

std::string Ntop(net::Family f, const net::RawAddr& addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(AfOf(f), addr.bytes.data(), buf, sizeof buf);
  return buf;
}

// addr_to_anyname: the host name the resolver gives for the address, else the number.
std::string AddrToAnyName(net::Family f, const net::RawAddr& addr) {
  char host[NI_MAXHOST];
  int rc;
  if (f == net::Family::kInet6) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    std::copy(addr.bytes.begin(), addr.bytes.end(), sa.sin6_addr.s6_addr);
    rc = getnameinfo(reinterpret_cast<sockaddr*>(&sa), sizeof sa, host, sizeof host, nullptr, 0, NI_NAMEREQD);
  } else {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    std::copy(addr.bytes.begin(), addr.bytes.begin() + 4, reinterpret_cast<uint8_t*>(&sa.sin_addr.s_addr));
    rc = getnameinfo(reinterpret_cast<sockaddr*>(&sa), sizeof sa, host, sizeof host, nullptr, 0, NI_NAMEREQD);
  }
  return rc == 0 ? std::string(host) : Ntop(f, addr);
}

// port_to_anyname: the services-database name for the protocol, else the number.
std::string PortToAnyName(uint16_t port, uint8_t protocol) {
  const char* proto = protocol == kTcp ? "tcp" : protocol == kUdp ? "udp" : protocol == kSctp ? "sctp" : nullptr;
  if (proto) {
    servent* s = getservbyport(htons(port), proto);
    if (s) return s->s_name;
  }
  return Fmt("%u", port);
}

const char* ProtocolLabel(uint8_t protocol) {
  switch (protocol) {
    case kTcp: return "TCP";
    case kUdp: return "UDP";
    case kSctp: return "SCTP";
    default: return "?";
  }
}

const char* ProtocolOption(uint8_t protocol) {
  switch (protocol) {
    case kTcp: return "-t";
    case kUdp: return "-u";
    case kSctp: return "--sctp-service";
    default: return "--xxx-service";
  }
}

const char* FwdName(ctl::Fwd f) {
  switch (f) {
    case ctl::Fwd::kMasq: return "Masq";
    case ctl::Fwd::kLocal: return "Local";
    case ctl::Fwd::kTunnel: return "Tunnel";
    case ctl::Fwd::kRoute: return "Route";
  }
  return "";
}

const char* FwdSwitch(ctl::Fwd f) {
  switch (f) {
    case ctl::Fwd::kMasq: return "-m";
    case ctl::Fwd::kTunnel: return "-i";
    case ctl::Fwd::kLocal:
    case ctl::Fwd::kRoute: return "-g";
  }
  return "";
}

constexpr const char* kTunNames[] = {"ipip", "gue", "gre"};
constexpr const char* kTunFlags[] = {"-c", "+c", "r+c"};
constexpr const char* kTunFlagOptions[] = {"--tun-nocsum", "--tun-csum", "--tun-remcsum"};

// fwd_tun_info, or "n/a" for anything but a tunnel.
std::string TunInfo(const ctl::DestSpec& d) {
  if (d.fwd != ctl::Fwd::kTunnel) return "n/a";
  auto type = static_cast<size_t>(d.tun_type);
  auto flag = static_cast<size_t>(d.tun_csum);
  switch (d.tun_type) {
    case ctl::TunType::kIpip: return kTunNames[type];
    case ctl::TunType::kGue: return Fmt("%s:%d:%s", kTunNames[type], d.tun_port, kTunFlags[flag]);
    case ctl::TunType::kGre: return Fmt("%s:%s", kTunNames[type], kTunFlags[flag]);
  }
  return "n/a";
}

// The protocol the kernel reports for a service: fwmark services are TCP (ip_vs_genl_parse_service).
uint8_t ServiceProtocol(const ctl::ServiceKey& k) { return k.fwmark ? kTcp : k.protocol; }

std::string DottedMask(uint32_t host_order) {
  return Fmt("%u.%u.%u.%u", host_order >> 24, (host_order >> 16) & 0xff, (host_order >> 8) & 0xff, host_order & 0xff);
}

// libipvs compares with `int r = a - b` on unsigned values; the cast keeps its wrap-around.
int Diff(uint32_t a, uint32_t b) { return static_cast<int>(a - b); }

int CompareAddr(net::Family af, const net::RawAddr& a, const net::RawAddr& b) {
  if (af == net::Family::kInet6) {
    int r = 0;
    for (int i = 0; !r && i < 4; ++i) r = Diff(a.Word(i), b.Word(i));
    return r;
  }
  return Diff(a.V4(), b.V4());
}

int CompareServices(const void* x, const void* y) {
  const ctl::ServiceKey& s1 = (*static_cast<const ctl::ServiceEntry* const*>(x))->spec.key;
  const ctl::ServiceKey& s2 = (*static_cast<const ctl::ServiceEntry* const*>(y))->spec.key;
  int r = Diff(s1.fwmark, s2.fwmark);
  if (r) return r;
  r = static_cast<int>(s1.family) - static_cast<int>(s2.family);
  if (r) return r;
  r = static_cast<int>(ServiceProtocol(s1)) - static_cast<int>(ServiceProtocol(s2));
  if (r) return r;
  r = CompareAddr(s1.family, s1.addr, s2.addr);
  if (r) return r;
  return static_cast<int>(s1.port) - static_cast<int>(s2.port);
}

int CompareDests(const void* x, const void* y) {
  const ctl::DestSpec& d1 = (*static_cast<const ctl::DestEntry* const*>(x))->spec;
  const ctl::DestSpec& d2 = (*static_cast<const ctl::DestEntry* const*>(y))->spec;
  int r = CompareAddr(d1.addr.family, d1.addr.raw, d2.addr.raw);
  if (r) return r;
  return static_cast<int>(d1.port) - static_cast<int>(d2.port);
}

// qsort over pointers with libipvs's comparator: glibc's qsort then orders exactly as
// ipvsadm's does, even where the comparator is not transitive.
template <typename T>
void QsortWith(std::vector<T>& v, int (*cmp)(const void*, const void*)) {
  // An empty vector's data() is null, which qsort's nonnull contract forbids even for zero
  // elements (UBSan aborts `ipvsadm -Ln` on an empty table); one element is already sorted.
  if (v.size() < 2) return;
  std::vector<const T*> ptrs;
  ptrs.reserve(v.size());
  for (const T& e : v) ptrs.push_back(&e);
  std::qsort(ptrs.data(), ptrs.size(), sizeof(const T*), cmp);
  std::vector<T> sorted;
  sorted.reserve(v.size());
  for (const T* p : ptrs) sorted.push_back(*p);
  v = std::move(sorted);
}

}  // namespace

std::string LargeNum(uint64_t i, unsigned format) {
  if (format & kFmtExact) {
    int len = static_cast<int>(Fmt("%llu", static_cast<unsigned long long>(i)).size());
    return Fmt("%*llu", len <= 8 ? 9 : len + 1, static_cast<unsigned long long>(i));
  }
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  if (i < 100000000ull) return Fmt("%9llu", u(i));
  if (i < 1000000000ull) return Fmt("%8lluK", u(i / 1000));
  if (i < 100000000000ull) return Fmt("%8lluM", u(i / 1000000));
  if (i < 100000000000000ull) return Fmt("%8lluG", u(i / 1000000000ull));
  return Fmt("%8lluT", u(i / 1000000000000ull));
}

std::string AddrPortToAnyName(net::Family family, const net::RawAddr& addr, uint16_t port, uint8_t protocol,
                              unsigned format) {
  const char* open = family == net::Family::kInet ? "" : "[";
  const char* close = family == net::Family::kInet ? "" : "]";
  std::string s;
  if (format & kFmtNumeric) {
    s = Fmt("%s%s%s:%u", open, Ntop(family, addr).c_str(), close, port);
  } else {
    s = Fmt("%s%s%s:%s", open, AddrToAnyName(family, addr).c_str(), close, PortToAnyName(port, protocol).c_str());
  }
  // ipvsadm formats into a 60-byte buffer.
  if (s.size() > 59) s.resize(59);
  return s;
}

std::string Banner(uint32_t version_code, uint32_t conn_tab_size) {
  return Fmt("IP Virtual Server version %d.%d.%d (size=%d)\n", static_cast<int>(version_code >> 16),
             static_cast<int>((version_code >> 8) & 0xff), static_cast<int>(version_code & 0xff),
             static_cast<int>(conn_tab_size));
}

std::string Title(unsigned format) {
  if (format & kFmtStats) {
    return Fmt("%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port", "Conns", "InPkts",
               "OutPkts", "InBytes", "OutBytes");
  }
  if (format & kFmtRate) {
    return Fmt("%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port", "CPS", "InPPS",
               "OutPPS", "InBPS", "OutBPS");
  }
  if (format & kFmtThresholds) {
    return Fmt("%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port", "Uthreshold",
               "Lthreshold", "ActiveConn", "InActConn");
  }
  if (format & kFmtPersistentConn) {
    return Fmt("%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port", "Weight",
               "PersistConn", "ActiveConn", "InActConn");
  }
  if (format & kFmtTunInfo) {
    return "Prot LocalAddress:Port Scheduler Flags\n"
           "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n";
  }
  if (!(format & kFmtRule)) {
    return "Prot LocalAddress:Port Scheduler Flags\n"
           "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";
  }
  return "";
}

std::string SchedFlagsText(const std::string& sched, uint32_t flags) {
  std::string s;
  if (sched == "sh" || sched == "mh") {
    if (flags & ctl::kSvcSched1) s += sched + "-fallback,";
    if (flags & ctl::kSvcSched2) s += sched + "-port,";
  } else {
    if (flags & ctl::kSvcSched1) s += "flag-1,";
    if (flags & ctl::kSvcSched2) s += "flag-2,";
    if (flags & ctl::kSvcSched3) s += "flag-3,";
  }
  if (!s.empty()) s.pop_back();
  return s;
}

std::string ServiceEntryText(const ctl::ServiceEntry& entry, unsigned format) {
  const ctl::ServiceSpec& se = entry.spec;
  const ctl::ServiceKey& k = se.key;
  const bool v6 = k.family == net::Family::kInet6;
  const uint8_t protocol = ServiceProtocol(k);
  std::string svc_name;
  if (k.fwmark) {
    if (format & kFmtRule) svc_name = Fmt(v6 ? "-f %u -6" : "-f %u", k.fwmark);
    else svc_name = Fmt(v6 ? "FWM  %u IPv6" : "FWM  %u", k.fwmark);
  } else {
    std::string vname = AddrPortToAnyName(k.family, k.addr, k.port, protocol, format);
    if (format & kFmtRule) {
      svc_name = Fmt("%s %s", ProtocolOption(protocol), vname.c_str());
    } else {
      svc_name = Fmt("%-4s %s", ProtocolLabel(protocol), vname.c_str());
      if (!v6 && svc_name.size() > 33) svc_name.resize(33);
    }
  }

  std::string out;
  if (format & kFmtRule) {
    out += Fmt("-A %s -s %s", svc_name.c_str(), se.sched_name.c_str());
    if (se.flags & ctl::kSvcPersistent) {
      out += Fmt(" -p %u", se.timeout);
      if (!v6 && se.netmask != 0xffffffffu) out += " -M " + DottedMask(se.netmask);
      if (v6 && se.netmask != 128) out += Fmt(" -M %i", static_cast<int>(se.netmask));
    }
    if (!se.pe_name.empty()) out += " --pe " + se.pe_name;
    if (se.flags & ctl::kSvcOnePacket) out += " -o";
    if (se.flags & kSchedFlagsMask) out += " -b " + SchedFlagsText(se.sched_name, se.flags);
    if (se.flags & ctl::kSvcSloppy) out += " --sloppy";  // ipvsd's extension, last so 1.31's part reads the same
    if (se.flags & ctl::kSvcSynproxy) out += " --synproxy";  // ipvsd's extension, likewise
  } else if (format & (kFmtStats | kFmtRate)) {
    const ctl::StatsBlock& s = entry.stats;
    out += Fmt("%-33s", svc_name.c_str());
    if (format & kFmtStats) {
      for (uint64_t v : {s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes}) out += LargeNum(v, format);
    } else {
      for (uint64_t v : {s.cps, s.inpps, s.outpps, s.inbps, s.outbps}) out += LargeNum(v, format);
    }
  } else {
    out += Fmt("%s %s", svc_name.c_str(), se.sched_name.c_str());
    if (se.flags & kSchedFlagsMask) out += " (" + SchedFlagsText(se.sched_name, se.flags) + ")";
    if (se.flags & ctl::kSvcPersistent) {
      out += Fmt(" persistent %u", se.timeout);
      if (!v6 && se.netmask != 0xffffffffu) out += " mask " + DottedMask(se.netmask);
      if (v6 && se.netmask != 128) out += Fmt(" mask %i", static_cast<int>(se.netmask));
      if (!se.pe_name.empty()) out += " pe " + se.pe_name;
    }
    if (se.flags & ctl::kSvcOnePacket) out += " ops";
  }
  out += "\n";

  std::vector<ctl::DestEntry> dests = entry.dests;
  if (!(format & kFmtNoSort)) SortDests(dests);
  for (const ctl::DestEntry& e : dests) {
    const ctl::DestSpec& d = e.spec;
    std::string dname = AddrPortToAnyName(d.addr.family, d.addr.raw, d.port, protocol, format);
    if (!(format & kFmtRule) && !d.addr.is_v6() && dname.size() > 28) dname.resize(28);
    const char* dn = dname.c_str();
    const ctl::StatsBlock& s = e.stats;
    if (format & kFmtRule) {
      out += Fmt("-a %s -r %s %s -w %d", svc_name.c_str(), dn, FwdSwitch(d.fwd), d.weight);
      if (d.fwd == ctl::Fwd::kTunnel) {
        auto type = static_cast<size_t>(d.tun_type);
        auto flag = static_cast<size_t>(d.tun_csum);
        switch (d.tun_type) {
          case ctl::TunType::kIpip: out += Fmt(" --tun-type %s", kTunNames[type]); break;
          case ctl::TunType::kGue:
            out += Fmt(" --tun-type %s --tun-port %d %s", kTunNames[type], d.tun_port, kTunFlagOptions[flag]);
            break;
          case ctl::TunType::kGre: out += Fmt(" --tun-type %s %s", kTunNames[type], kTunFlagOptions[flag]); break;
        }
      }
      out += "\n";
    } else if (format & kFmtStats) {
      out += Fmt("  -> %-28s", dn);
      for (uint64_t v : {s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes}) out += LargeNum(v, format);
      out += "\n";
    } else if (format & kFmtRate) {
      out += Fmt("  -> %-28s %8llu %8llu %8llu", dn, static_cast<unsigned long long>(s.cps),
                 static_cast<unsigned long long>(s.inpps), static_cast<unsigned long long>(s.outpps));
      out += LargeNum(s.inbps, format) + LargeNum(s.outbps, format) + "\n";
    } else if (format & kFmtThresholds) {
      out += Fmt("  -> %-28s %-10u %-10u %-10u %-10u\n", dn, d.u_threshold, d.l_threshold, e.activeconns,
                 e.inactconns);
    } else if (format & kFmtPersistentConn) {
      out += Fmt("  -> %-28s %-9u %-11u %-10u %-10u\n", dn, static_cast<unsigned>(d.weight), e.persistconns,
                 e.activeconns, e.inactconns);
    } else if (format & kFmtTunInfo) {
      out += Fmt("  -> %-28s %-7s %-13s %-6d %-10u %-10u\n", dn, FwdName(d.fwd), TunInfo(d).c_str(), d.weight,
                 e.activeconns, e.inactconns);
    } else {
      out += Fmt("  -> %-28s %-7s %-6d %-10u %-10u\n", dn, FwdName(d.fwd), d.weight, e.activeconns, e.inactconns);
    }
  }
  return out;
}

void SortServices(std::vector<ctl::ServiceEntry>& services) { QsortWith(services, CompareServices); }
void SortDests(std::vector<ctl::DestEntry>& dests) { QsortWith(dests, CompareDests); }

std::string TimeoutLine(const ctl::TimeoutsMsg& t) {
  return Fmt("Timeout (tcp tcpfin udp): %d %d %d\n", static_cast<int>(t.tcp), static_cast<int>(t.tcp_fin),
             static_cast<int>(t.udp));
}

std::string DaemonLines(const ctl::DaemonList& list) {
  std::string out;
  for (uint32_t state : {ctl::kStateMaster, ctl::kStateBackup}) {
    for (const ctl::DaemonConfig& d : list.daemons) {
      if (d.state != state) continue;
      out += Fmt("%s sync daemon (mcast=%s, syncid=%d", state == ctl::kStateMaster ? "master" : "backup",
                 d.mcast_ifn.c_str(), static_cast<int>(d.syncid));
      if (d.sync_maxlen) out += Fmt(", maxlen=%u", d.sync_maxlen);
      if (d.mcast_group.family != net::Family::kUnspec) out += ", group=" + d.mcast_group.ToString();
      if (d.mcast_port) out += Fmt(", port=%u", d.mcast_port);
      if (d.mcast_ttl) out += Fmt(", ttl=%u", d.mcast_ttl);
      out += ")\n";
    }
  }
  return out;
}

std::string ProtoName(uint8_t protocol) {
  switch (protocol) {
    case 0: return "IP";
    case kTcp: return "TCP";
    case kUdp: return "UDP";
    case kSctp: return "SCTP";
    case 1: return "ICMP";
    case 58: return "ICMPv6";
    default: return Fmt("IP_%u", protocol);
  }
}

std::string ConnTitle(unsigned format) {
  std::string out = "IPVS connection entries\n";
  if (format & kFmtPersistentConn) {
    out += Fmt("pro expire %-11s %-18s %-18s %-18s %-16s %s\n", "state", "source", "virtual", "destination",
               "pe name", "pe_data");
  } else {
    out += Fmt("pro expire %-11s %-18s %-18s %s\n", "state", "source", "virtual", "destination");
  }
  return out;
}

std::string ConnLine(const ctl::ConnRecord& c, unsigned format) {
  std::string proto = ProtoName(c.protocol);
  // print_conn resolves port names only for TCP, UDP and SCTP; everything else is protocol 0.
  uint8_t p = (c.protocol == kTcp || c.protocol == kUdp || c.protocol == kSctp) ? c.protocol : 0;
  std::string cname = AddrPortToAnyName(c.client.addr.family, c.client.addr.raw, c.client.port, p, format);
  // The virtual address is read with the client's family, as ipvsadm does.
  std::string vname = AddrPortToAnyName(c.client.addr.family, c.vaddr.addr.raw, c.vaddr.port, p, format);
  std::string dname = AddrPortToAnyName(c.dest.addr.family, c.dest.addr.raw, c.dest.port, p, format);
  std::string expire = Fmt("%02d:%02d", static_cast<int>(c.expires / 60), static_cast<int>(c.expires % 60));
  // /proc/net/ip_vs_conn has " <pe name> <pe data>" only with a persistence engine; ipvsadm's
  // sscanf then sees 11 fields and takes the first word of each.
  std::string pe_data = c.pe_data.substr(0, c.pe_data.find_first_of(" \t"));
  if ((format & kFmtPersistentConn) && !c.pe_name.empty() && !pe_data.empty()) {
    return Fmt("%-3s %-6s %-11s %-18s %-18s %-16s %-18s %s\n", proto.c_str(), expire.c_str(), c.state.c_str(),
               cname.c_str(), vname.c_str(), dname.c_str(), c.pe_name.c_str(), pe_data.c_str());
  }
  return Fmt("%-3s %-6s %-11s %-18s %-18s %s\n", proto.c_str(), expire.c_str(), c.state.c_str(), cname.c_str(),
             vname.c_str(), dname.c_str());
}

}  // namespace ipvsd::cli

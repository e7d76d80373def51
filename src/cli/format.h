// File: cli/format.h
//
// ipvsadm 1.31's output, byte for byte: the listing titles, service and destination lines in
// every format (default, --stats, --rate, --thresholds, --persistent-conn, --tun-info, -S
// rules), print_largenum's K/M/G/T abbreviation, name resolution, the sort order of
// libipvs (including its int-subtraction comparisons), the connection list of -Lc, the
// timeout and sync daemon lines. Everything returns text; the caller writes it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ctl/proto.h"
#include "net/ip_addr.h"

namespace ipvsd::cli {

// ipvsadm's FMT_* printing flags.
inline constexpr unsigned kFmtNone = 0x0000;
inline constexpr unsigned kFmtNumeric = 0x0001;
inline constexpr unsigned kFmtRule = 0x0002;
inline constexpr unsigned kFmtStats = 0x0004;
inline constexpr unsigned kFmtRate = 0x0008;
inline constexpr unsigned kFmtThresholds = 0x0010;
inline constexpr unsigned kFmtPersistentConn = 0x0020;
inline constexpr unsigned kFmtNoSort = 0x0040;
inline constexpr unsigned kFmtExact = 0x0080;
inline constexpr unsigned kFmtTunInfo = 0x0100;

// print_largenum: a 9-column number, abbreviated with K/M/G/T (powers of 1000) unless exact.
std::string LargeNum(uint64_t i, unsigned format);

// addrport_to_anyname: "a.b.c.d:port" / "[v6]:port", or with names (reverse lookup of the
// address, service name of the port for the protocol) unless kFmtNumeric.
std::string AddrPortToAnyName(net::Family family, const net::RawAddr& addr, uint16_t port, uint8_t protocol,
                              unsigned format);

// "IP Virtual Server version 1.2.1 (size=N)\n".
std::string Banner(uint32_t version_code, uint32_t conn_tab_size);
// print_title: the two header lines of the chosen format (none for -S).
std::string Title(unsigned format);
// print_service_entry: the service line and its destination lines (sorted unless kFmtNoSort).
std::string ServiceEntryText(const ctl::ServiceEntry& entry, unsigned format);

// libipvs's ipvs_sort_services / ipvs_sort_dests_entries, with its exact comparators.
void SortServices(std::vector<ctl::ServiceEntry>& services);
void SortDests(std::vector<ctl::DestEntry>& dests);

// -L --timeout.
std::string TimeoutLine(const ctl::TimeoutsMsg& t);
// -L --daemon: one line per configured daemon, master first.
std::string DaemonLines(const ctl::DaemonList& list);

// -Lc: title, header and one line per connection.
std::string ConnTitle(unsigned format);
std::string ConnLine(const ctl::ConnRecord& conn, unsigned format);
// The kernel's ip_vs_proto_name(): "TCP", "UDP", "SCTP", "IP" (templates), ...
std::string ProtoName(uint8_t protocol);

// Scheduler flag names as ipvsadm prints them for this scheduler ("sh-fallback,sh-port").
std::string SchedFlagsText(const std::string& sched_name, uint32_t flags);

}  // namespace ipvsd::cli

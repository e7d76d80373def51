// File: daemon/options.h
//
// ipvsd's command line (DESIGN.md): --socket PATH, --iface IF (repeatable), --io
// auto|afxdp|afpacket|pcap, --route PREFIX via NEXTHOP dev IF (repeatable, with --io pcap),
// --gso, --flow-offload on|off, --workers N, --conn-max N, --log-level LEVEL, --sysctl
// NAME=VALUE (repeatable; the kernel's /proc/sys/net/ipv4/vs settings of core::Settings, and
// the icmp_ratelimit / icmp_msgs_per_sec / icmp_msgs_burst limits on ipvsd's own replies),
// --sync-key-file FILE, --sync-pull, --metrics ADDR:PORT|off, --rules FILE|none,
// --conn-store DIR|none, --takeover, --help. Parsed with getopt_long; every error names the
// option and the reason, and main() exits 2 on it.
#pragma once

#include <string>

#include "base/result.h"
#include "daemon/daemon.h"

namespace ipvsd::daemon {

struct CommandLine {
  Options options;
  bool help = false;  // --help: print Usage() and exit 0
};

Result<CommandLine> ParseCommandLine(int argc, char** argv);

std::string Usage(const char* program);

}  // namespace ipvsd::daemon

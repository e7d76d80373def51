#include "daemon/options.h"

#include <getopt.h>

#include <cerrno>
#include <cstdlib>

#include "core/settings.h"
#include "core/stats.h"
#include "ctl/client.h"

namespace ipvsd::daemon {
namespace {

constexpr uint32_t kMinConnMax = 1u << 8;
constexpr uint32_t kMaxConnMax = 1u << 30;

// A whole-string decimal number in [min, max].
bool ParseNumber(const char* text, long min, long max, long* out) {
  errno = 0;
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < min || v > max) return false;
  *out = v;
  return true;
}

}  // namespace

std::string Usage(const char* program) {
  std::string p = program;
  return "Usage: " + p +
         " [options]\n"
         "IP Virtual Server director daemon: data plane and control socket for ipvsadm.\n"
         "\n"
         "  --socket PATH        control socket (default " +
         ctl::kDefaultSocketPath +
         ")\n"
         "  --iface IF           attach to IF (repeatable; default: every UP non-loopback interface)\n"
         "  --io MODE            packet I/O: auto, afxdp, afpacket or pcap (default auto; pcap:\n"
         "                       libpcap with ipvsd's own routes and ARP/ND, docs/portability.md)\n"
         "  --route PREFIX via NEXTHOP dev IF\n"
         "                       with --io pcap: a static route (repeatable; PREFIX is ADDR/LEN or\n"
         "                       default) beside the connected prefixes of the interfaces\n"
         "  --gso                with --io afpacket: carry TCP aggregates (GSO/GRO, up to 64 KB)\n"
         "                       whole, so that interfaces may keep their TCP offloads on\n"
         "  --flow-offload on|off with AF_XDP: the XDP program forwards the packets of established\n"
         "                       NAT and DR connections itself, without a copy (default on)\n"
         "  --workers N          data-plane workers, 1.." +
         std::to_string(core::kMaxWorkers) +
         " (default: one per core)\n"
         "  --conn-max N         connection table size, a power of two (default 1048576);\n"
         "                       persistence templates: up to N/8\n"
         "  --log-level LEVEL    debug, info, warning, error or off (default info)\n"
         "  --sysctl NAME=VALUE  an IPVS sysctl (repeatable): conn_reuse_mode (0..3, default 1),\n"
         "                       expire_nodest_conn, expire_quiescent_template, sloppy_tcp,\n"
         "                       sloppy_sctp, sync_persist_mode (0 or 1, default 0), sync_retries\n"
         "                       (0..3, default 0), sync_refresh_period (seconds, default 0),\n"
         "                       sync_threshold ('THRESHOLD PERIOD', default '3 50');\n"
         "                       limits on the resets and ICMP errors ipvsd sends: icmp_ratelimit\n"
         "                       (ms per reply to a /24 or /48, burst 6, default 1000), icmp_msgs_per_sec\n"
         "                       and icmp_msgs_burst (for the whole director, default 1000 and 50);\n"
         "                       0 turns a limit off; when the connection table fills:\n"
         "                       drop_entry, drop_packet, secure_tcp (0 off, 1 when fewer than\n"
         "                       amemthresh entries are free, 3 always; default 0), amemthresh\n"
         "                       (default 1024), am_droprate (default 10); synproxy (1: every TCP\n"
         "                       service answers SYNs with cookies, default 0), the limits on its\n"
         "                       SYN-ACKs: synproxy_dest_per_sec (to a /24 or /48, default 1000),\n"
         "                       synproxy_msgs_per_sec and synproxy_msgs_burst (for the director,\n"
         "                       default 200000 and 20000)\n"
         "  --rules FILE|none    saved rules to apply at start, in ipvsadm -S format (default\n"
         "                       " + std::string(cli::kDefaultRulesPath) + " when it exists; ipvsadm --save-config writes it)\n"
         "  --conn-store DIR|none keep the connection tables in files under DIR (a tmpfs; default\n"
         "                       " + std::string(kDefaultConnStoreDir) + "), so that a restarted ipvsd adopts the\n"
         "                       connections of the one before it; none: in process memory only\n"
         "  --takeover           take over from the ipvsd running on the control socket: its\n"
         "                       services, timeouts, sync daemons and connections, with no\n"
         "                       connection dropped (an upgrade); it keeps serving if this fails\n"
         "  --sync-key-file FILE authenticate connection-sync datagrams with HMAC-SHA256 keyed by\n"
         "                       FILE (every director of the group needs it; docs/sync.md)\n"
         "  --sync-pull          a starting sync backup asks for the masters' tables, and a master\n"
         "                       answers such requests (docs/sync.md)\n"
         "  --metrics ADDR:PORT  serve Prometheus metrics at /metrics and the status page at /\n"
         "                       (default 127.0.0.1:9180; [IPv6]:PORT; off: no listener)\n"
         "  --help               show this help\n";
}

Result<CommandLine> ParseCommandLine(int argc, char** argv) {
  enum {
    kSocket = 256, kIface, kIo, kGso, kFlowOffload, kWorkers, kConnMax, kLogLevel, kSysctl, kSyncKeyFile, kSyncPull, kMetrics,
    kRules, kRoute, kConnStore, kTakeover, kHelp
  };
  static const option kLongOptions[] = {
      {"socket", required_argument, nullptr, kSocket},     {"iface", required_argument, nullptr, kIface},
      {"io", required_argument, nullptr, kIo},             {"gso", no_argument, nullptr, kGso},
      {"flow-offload", required_argument, nullptr, kFlowOffload},
      {"workers", required_argument, nullptr, kWorkers},
      {"conn-max", required_argument, nullptr, kConnMax},  {"log-level", required_argument, nullptr, kLogLevel},
      {"sysctl", required_argument, nullptr, kSysctl},
      {"sync-key-file", required_argument, nullptr, kSyncKeyFile},
      {"sync-pull", no_argument, nullptr, kSyncPull},
      {"metrics", required_argument, nullptr, kMetrics},
      {"rules", required_argument, nullptr, kRules},
      {"route", required_argument, nullptr, kRoute},
      {"conn-store", required_argument, nullptr, kConnStore},
      {"takeover", no_argument, nullptr, kTakeover},
      {"help", no_argument, nullptr, kHelp},               {nullptr, 0, nullptr, 0},
  };
  CommandLine cl;
  cl.options.socket_path = ctl::kDefaultSocketPath;
  cl.options.conn_store_dir = kDefaultConnStoreDir;
  cl.options.command_line.assign(argv + 1, argv + argc);
  opterr = 0;  // we word the errors ourselves
  optind = 1;
  for (;;) {
    int longindex = 0;
    int c = getopt_long(argc, argv, ":", kLongOptions, &longindex);
    if (c == -1) break;
    long n = 0;
    switch (c) {
      case kSocket:
        if (optarg[0] == '\0') return MakeError(EINVAL, "--socket needs a path");
        cl.options.socket_path = optarg;
        break;
      case kIface:
        cl.options.ifaces.push_back(optarg);
        break;
      case kIo:
        if (std::string_view(optarg) == "auto") cl.options.io = IoMode::kAuto;
        else if (std::string_view(optarg) == "afxdp") cl.options.io = IoMode::kAfXdp;
        else if (std::string_view(optarg) == "afpacket") cl.options.io = IoMode::kAfPacket;
        else if (std::string_view(optarg) == "pcap") cl.options.io = IoMode::kPcap;
        else return MakeError(EINVAL, std::string("--io must be auto, afxdp, afpacket or pcap, not '") + optarg + "'");
        break;
      case kGso:
        cl.options.gso = true;
        break;
      case kFlowOffload:
        if (std::string_view(optarg) == "on") cl.options.flow_offload = true;
        else if (std::string_view(optarg) == "off") cl.options.flow_offload = false;
        else return MakeError(EINVAL, std::string("--flow-offload must be on or off, not '") + optarg + "'");
#if IPVSD_PORTABLE
        if (cl.options.flow_offload) {
          return MakeError(EINVAL, "--flow-offload on needs AF_XDP, which the portable build does not have");
        }
#endif
        break;
      case kWorkers:
        if (!ParseNumber(optarg, 1, core::kMaxWorkers, &n)) {
          return MakeError(EINVAL, "--workers must be a number from 1 to " + std::to_string(core::kMaxWorkers) +
                                       ", not '" + optarg + "'");
        }
        cl.options.workers = static_cast<int>(n);
        break;
      case kConnMax:
        if (!ParseNumber(optarg, kMinConnMax, kMaxConnMax, &n) || (n & (n - 1)) != 0) {
          return MakeError(EINVAL, "--conn-max must be a power of two from " + std::to_string(kMinConnMax) + " to " +
                                       std::to_string(kMaxConnMax) + ", not '" + optarg + "'");
        }
        cl.options.conn_max = static_cast<uint32_t>(n);
        break;
      case kLogLevel:
        if (!ParseLogLevel(optarg, &cl.options.log_level)) {
          return MakeError(EINVAL, std::string("--log-level must be debug, info, warning, error or off, not '") +
                                       optarg + "'");
        }
        break;
      case kSysctl: {
        auto setting = core::ParseSysctl(optarg);
        if (!setting) return MakeError(EINVAL, "--sysctl: " + setting.error().message);
        cl.options.sysctls.push_back(std::move(*setting));
        break;
      }
      case kRules:
        if (optarg[0] == '\0') return MakeError(EINVAL, "--rules needs a path, or none");
        cl.options.rules_path = std::string(optarg) == "none" ? "" : optarg;
        cl.options.rules_given = true;
        break;
      case kTakeover:
        cl.options.takeover = true;
        break;
      case kRoute: {
        // PREFIX is optarg; "via NEXTHOP dev IF" are the next four words, taken here so that
        // getopt_long goes on after them.
        const auto word = [&](int i) { return optind + i < argc ? std::string_view(argv[optind + i]) : ""; };
        if (word(0) != "via" || word(1).empty() || word(2) != "dev" || word(3).empty()) {
          return MakeError(EINVAL, std::string("--route must be PREFIX via NEXTHOP dev IF (after '") + optarg + "')");
        }
        auto route = io::StaticRoute::Parse(optarg, word(1), word(3));
        if (!route) return MakeError(EINVAL, "--route: " + route.error().message);
        cl.options.routes.push_back(std::move(*route));
        optind += 4;
        break;
      }
      case kConnStore:
        if (optarg[0] == '\0') return MakeError(EINVAL, "--conn-store needs a directory, or none");
        cl.options.conn_store_dir = std::string(optarg) == "none" ? "" : optarg;
        break;
      case kSyncKeyFile:
        if (optarg[0] == '\0') return MakeError(EINVAL, "--sync-key-file needs a path");
        cl.options.sync_key_file = optarg;
        break;
      case kSyncPull:
        cl.options.sync_pull = true;
        break;
      case kMetrics: {
        auto address = metrics::ListenAddress::Parse(optarg);
        if (!address) return MakeError(EINVAL, "--metrics: " + address.error().message);
        cl.options.metrics = *address;
        cl.options.metrics_given = true;
        break;
      }
      case kHelp:
        cl.help = true;
        break;
      case ':':
        return MakeError(EINVAL, std::string("option '") + argv[optind - 1] + "' needs an argument");
      default:
        return MakeError(EINVAL, std::string("unknown option '") + argv[optind - 1] + "'");
    }
  }
  if (optind < argc) return MakeError(EINVAL, std::string("unexpected argument '") + argv[optind] + "'");
#if IPVSD_PORTABLE
  // The portable build's packet I/O is libpcap alone (docs/portability.md): auto is pcap there,
  // and what needs AF_XDP or AF_PACKET is refused rather than quietly ignored.
  if (cl.options.io == IoMode::kAfXdp || cl.options.io == IoMode::kAfPacket) {
    return MakeError(EINVAL, "--io afxdp and --io afpacket are not in the portable build: it has --io pcap only");
  }
  cl.options.io = IoMode::kPcap;
  cl.options.flow_offload = false;
#endif
  if (!cl.options.routes.empty() && cl.options.io != IoMode::kPcap) {
    return MakeError(EINVAL, "--route needs --io pcap (the other backends use the kernel's routes)");
  }
  if (cl.options.gso && cl.options.io != IoMode::kAfPacket) {
    return MakeError(EINVAL, "--gso needs --io afpacket (AF_XDP cannot carry TCP aggregates)");
  }
  return cl;
}

}  // namespace ipvsd::daemon

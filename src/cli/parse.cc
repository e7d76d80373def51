#include "cli/parse.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <popt.h>
#include <sys/socket.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>

#include "cli/format.h"

namespace ipvsd::cli {
namespace {

constexpr int kMaxTimeout = 86400 * 31;
constexpr uint32_t kDefaultPersistentTimeout = 360;  // IPVS_SVC_PERSISTENT_TIMEOUT
constexpr const char* kDefaultSched = "wlc";
constexpr const char* kDefaultTunnelType = "ipip";
constexpr const char* kDefaultMcastIfn = "eth0";
constexpr const char* kSchedulers = "rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh";
constexpr const char* kPeList = "sip";
constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;
constexpr uint8_t kSctp = 132;

// Tags of options without a short name; outside ASCII so that short names can be tags.
enum {
  kTagSet = 128, kTagStartDaemon, kTagStopDaemon, kTagMcastInterface, kTagTimeout, kTagDaemon, kTagStats,
  kTagRate, kTagThresholds, kTagPersistentConn, kTagSort, kTagNoSort, kTagPersistenceEngine, kTagSctpService,
  kTagMcastGroup, kTagMcastPort, kTagMcastTtl, kTagSyncMaxlen, kTagTunInfo, kTagTunType, kTagTunPort,
  kTagTunNoCsum, kTagTunCsum, kTagTunRemCsum, kTagJson, kTagSloppy, kTagSynproxy,
};

constexpr const char* kCmdNames[] = {
    "add-service", "edit-service", "delete-service", "flush", "list", "add-server", "delete-server",
    "edit-server", "set", "start-daemon", "stop-daemon", "restore", "save", "zero",
};

constexpr const char* kOptNames[kNumOpts] = {
    "numeric", "connection", "service-address", "scheduler", "persistent", "netmask", "real-server",
    "forwarding-method", "weight", "u-threshold", "l-threshold", "mcast-interface", "timeout", "daemon",
    "stats", "rate", "thresholds", "persistent-conn", "nosort", "syncid", "exact", "ops", "pe",
    "sched-flags", "mcast-group", "mcast-port", "mcast-ttl", "sync-maxlen", "tun-info", "tun-type",
    "tun-port", "tun-nocsum", "tun-csum", "tun-remcsum", "json", "sloppy", "synproxy",
};

// ipvsadm's commands_v_options: '+' compulsory, 'x' illegal, '1' exclusive, ' ' optional.
// The last three columns are ipvsd's extensions: json for listings only, sloppy and synproxy for
// -A and -E.
//                        -n   -c   svc  -s   -p   -M   -r   fwd  -w   -x   -y   mc   tot  dmn  st   rt   thr  pc   srt  sid  ex   ops  pe   -b   grp  prt  ttl  len  tinf ttyp tprt nocs csum remc json slop synp
constexpr char kCommandsVsOptions[14][kNumOpts + 1] = {
    /* ADD     */ "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxxx  ",
    /* EDIT    */ "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxxx  ",
    /* DEL     */ "xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /* FLUSH   */ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /* LIST    */ " 11xxxxxxxxx11       xxxxxxx xxxxx xx",
    /* ADDSRV  */ "xx+xxx+    xxxxxxxxxxxxxxxxxx     xxx",
    /* DELSRV  */ "xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /* EDITSRV */ "xx+xxx+    xxxxxxxxxxxxxxxxxx     xxx",
    /* TIMEOUT */ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /* STARTD  */ "xxxxxxxxxxx xxxxxxx xxxx    xxxxxxxxx",
    /* STOPD   */ "xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxxxxx",
    /* RESTORE */ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /* SAVE    */ " xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /* ZERO    */ "xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
};

// tunnel_types_v_options over (tun-port, tun-nocsum, tun-csum, tun-remcsum).
constexpr int kTunOpts[4] = {kOptTunPort, kOptTunNoCsum, kOptTunCsum, kOptTunRemCsum};
constexpr char kTunnelVsOptions[3][5] = {"xxxx", "+111", "x11x"};
constexpr const char* kTunNames[] = {"ipip", "gue", "gre"};

// Results of parse_service: SERVICE_ADDR | SERVICE_PORT.
constexpr int kServiceAddr = 0x1;
constexpr int kServicePort = 0x2;

// fail(): ipvsadm prints the message and exits.
struct Failure {
  int status;
  std::string message;
};

std::string Format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Format(const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

// The fields parse_service() fills.
struct ServiceTarget {
  net::Family af = net::Family::kUnspec;
  net::RawAddr addr;
  uint16_t port = 0;
  uint32_t netmask = 0;  // host order (IPv4) / prefix (IPv6)
  uint8_t protocol = 0;
};

bool StrIsDigit(const char* s) {
  for (; *s; ++s) {
    if (!std::isdigit(static_cast<unsigned char>(*s))) return false;
  }
  return true;
}

// string_to_number: the whole string, base 10, within [min, max]; else -1.
long StringToNumber(const char* s, long min, long max) {
  errno = 0;
  char* end = nullptr;
  long n = std::strtol(s, &end, 10);
  if (*end == '\0' && end != s && errno != ERANGE && min <= n && n <= max) return n;
  return -1;
}

// host_to_addr: an IPv4 address for a host name (the first one).
bool HostToAddr(const char* name, in_addr* out) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* res = nullptr;
  if (getaddrinfo(name, nullptr, &hints, &res) != 0 || !res) return false;
  *out = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr;
  freeaddrinfo(res);
  return true;
}

long ServiceToPort(const char* name, uint8_t protocol) {
  const char* proto = protocol == kTcp ? "tcp" : protocol == kUdp ? "udp" : protocol == kSctp ? "sctp" : nullptr;
  if (!proto) return -1;
  servent* s = getservbyname(name, proto);
  return s ? ntohs(static_cast<uint16_t>(s->s_port)) : -1;
}

net::RawAddr FromInAddr(in_addr a) { return net::RawAddr::FromV4(ntohl(a.s_addr)); }

// parse_service, with its quirks: "[v6]:port" needs the port; a bracketed IPv4 address
// loses its port; the host part may be a name; the port may be a service name.
int ParseService(std::string text, ServiceTarget& t) {
  if (StrIsDigit(text.c_str())) return 0;
  std::vector<char> buf(text.begin(), text.end());
  buf.push_back('\0');
  char* s = buf.data();
  char* portp = nullptr;
  if (s[0] == '[') {
    ++s;
    portp = std::strchr(s, ']');
    if (!portp) return 0;
    *portp = '\0';
    ++portp;
    if (*portp != ':') return 0;
    *portp = '\0';
  }
  in6_addr a6;
  in_addr a4;
  if (inet_pton(AF_INET6, s, &a6) > 0) {
    t.af = net::Family::kInet6;
    t.addr = net::RawAddr::FromBytes(a6.s6_addr, net::Family::kInet6);
    t.netmask = 128;
  } else {
    portp = std::strrchr(s, ':');
    if (portp) *portp = '\0';
    if (inet_aton(s, &a4) != 0 || HostToAddr(s, &a4)) {
      t.af = net::Family::kInet;
      t.addr = FromInAddr(a4);
    } else {
      return 0;
    }
  }
  int result = kServiceAddr;
  if (portp) {
    result |= kServicePort;
    long port = StringToNumber(portp + 1, 0, 65535);
    if (port == -1) port = ServiceToPort(portp + 1, t.protocol);
    if (port == -1) return 0;
    t.port = static_cast<uint16_t>(port);
  }
  return result;
}

int ParseTimeout(const char* arg, int min, int max, Failure* fail) {
  if (!arg) return static_cast<int>(kDefaultPersistentTimeout);
  long n = StringToNumber(arg, min, max);
  if (n == -1) *fail = {2, Format("invalid timeout value `%s' specified", arg)};
  return static_cast<int>(n);
}

// parse_sched_flags. ipvsadm dereferences the first strtok() token without a check and
// crashes on an argument of only commas; we report it as an invalid flag instead.
uint32_t ParseSchedFlags(const std::string& sched_name, const std::string& arg, Failure* fail) {
  std::string sched = sched_name.empty() ? kDefaultSched : sched_name;
  uint32_t flags = 0;
  std::vector<std::string> tokens;
  size_t pos = 0;
  while (pos <= arg.size()) {
    size_t comma = arg.find(',', pos);
    if (comma == std::string::npos) comma = arg.size();
    if (comma > pos) tokens.push_back(arg.substr(pos, comma - pos));
    pos = comma + 1;
  }
  if (tokens.empty()) tokens.push_back(arg);
  for (const std::string& flag : tokens) {
    const char* f = flag.c_str();
    if (flag == "flag-1") flags |= ctl::kSvcSched1;
    else if (flag == "flag-2") flags |= ctl::kSvcSched2;
    else if (flag == "flag-3") flags |= ctl::kSvcSched3;
    else if (flag == "sh-fallback" || flag == "sh-port" || flag == "mh-fallback" || flag == "mh-port") {
      flags |= flag.ends_with("fallback") ? ctl::kSvcSched1 : ctl::kSvcSched2;
      if (sched != flag.substr(0, 2)) {
        *fail = {2, Format("incompatible scheduler flag `%s'", f)};
        return 0;
      }
    } else {
      *fail = {2, Format("invalid scheduler flag `%s'", f)};
      return 0;
    }
  }
  return flags;
}

std::string TryHelp(const std::string& program) {
  return Format("Try `%s -h' or '%s --help' for more information.\n", program.c_str(), program.c_str());
}

// The rule check shared by generic_opt_check (a command's row of kCommandsVsOptions) and
// tunnel_opt_check (a tunnel type's row of kTunnelVsOptions): rules[j] applies to option
// opts[j]; '+' required, 'x' illegal, '1' at most one of the group. `subject` is e.g.
// "'add-server' command" or "'gue' tunnel type".
void CheckOptionRules(const char* rules, std::span<const int> opts, const std::string& subject, uint64_t options,
                      Failure* fail) {
  int last = 0, count = 0;
  for (size_t j = 0; j < opts.size(); ++j) {
    int k = opts[j];
    char rule = rules[j];
    if (!(options & OptBit(k))) {
      if (rule == '+') {
        *fail = {2, Format("You need to supply the '%s' option for the %s", kOptNames[k], subject.c_str())};
        return;
      }
    } else {
      if (rule == 'x') {
        *fail = {2, Format("Illegal '%s' option with the %s", kOptNames[k], subject.c_str())};
        return;
      }
      if (rule == '1') {
        if (++count == 1) {
          last = k;
          continue;
        }
        *fail = {2, Format("The option '%s' conflicts with the '%s' option in the %s", kOptNames[k], kOptNames[last],
                           subject.c_str())};
        return;
      }
    }
  }
}

// generic_opt_check.
void GenericOptCheck(Cmd cmd, uint64_t options, Failure* fail) {
  static constexpr auto kAllOpts = [] {
    std::array<int, kNumOpts> a{};
    for (int j = 0; j < kNumOpts; ++j) a[static_cast<size_t>(j)] = j;
    return a;
  }();
  int i = static_cast<int>(cmd) - 1;
  CheckOptionRules(kCommandsVsOptions[i], kAllOpts, std::string("'") + kCmdNames[i] + "' command", options, fail);
}

// tunnel_opt_check.
void TunnelOptCheck(ctl::TunType type, uint64_t options, Failure* fail) {
  auto i = static_cast<size_t>(type);
  CheckOptionRules(kTunnelVsOptions[i], kTunOpts, std::string("'") + kTunNames[i] + "' tunnel type", options, fail);
}

using PoptContextPtr = std::unique_ptr<std::remove_pointer_t<poptContext>, decltype(&poptFreeContext)>;
using CString = std::unique_ptr<char, decltype(&std::free)>;

class Parser {
 public:
  explicit Parser(const std::vector<std::string>& argv) : argv_(argv) {}
  ParseOutcome Run();

 private:
  bool SetCommand(Cmd cmd);
  bool SetOption(int optc);
  bool HandleOption(int c, const char* arg);
  ParseOutcome Fail(const Failure& f) {
    ParseOutcome o;
    o.kind = ParseOutcome::kExit;
    o.status = f.status;
    o.err = f.message + "\n";
    return o;
  }

  const std::vector<std::string>& argv_;
  Command ce_;
  std::string sched_flags_arg_;
  bool have_sched_flags_ = false;
  Failure fail_{0, ""};
};

bool Parser::SetCommand(Cmd cmd) {
  if (ce_.cmd != Cmd::kNone) {
    fail_ = {2, "multiple commands specified"};
    return false;
  }
  ce_.cmd = cmd;
  return true;
}

bool Parser::SetOption(int optc) {
  if (ce_.options & OptBit(optc)) {
    fail_ = {2, Format("multiple '%s' options specified", kOptNames[optc])};
    return false;
  }
  ce_.options |= OptBit(optc);
  return true;
}

// One option after the command (the switch of parse_options). False after a fail().
bool Parser::HandleOption(int c, const char* arg) {
  Command& ce = ce_;
  auto flag_option = [&](int optc, unsigned fmt) {
    if (!SetOption(optc)) return false;
    ce.format |= fmt;
    return true;
  };
  switch (c) {
    case 't':
    case 'u':
    case kTagSctpService: {
      if (!SetOption(kOptService)) return false;
      ce.svc.key.protocol = c == 't' ? kTcp : c == 'u' ? kUdp : kSctp;
      ServiceTarget t{ce.svc.key.family, ce.svc.key.addr, ce.svc.key.port, ce.svc.netmask, ce.svc.key.protocol};
      int parse = ParseService(arg, t);
      ce.svc.key.family = t.af;
      ce.svc.key.addr = t.addr;
      ce.svc.key.port = t.port;
      ce.svc.netmask = t.netmask;
      if (!(parse & kServiceAddr)) {
        fail_ = {2, "illegal virtual server address[:port] specified"};
        return false;
      }
      return true;
    }
    case 'f': {
      if (!SetOption(kOptService)) return false;
      ce.svc.key.family = net::Family::kInet;
      ce.svc.key.protocol = kTcp;
      errno = 0;
      char* end = nullptr;
      long l = std::strtol(arg, &end, 10);
      if (*end != '\0' || end == arg || errno == ERANGE || l <= 0 || l > static_cast<long>(UINT_MAX)) {
        fail_ = {2, Format("invalid fwmark value `%s' specified", arg)};
        return false;
      }
      ce.svc.key.fwmark = static_cast<uint32_t>(l);
      return true;
    }
    case 's':
      if (!SetOption(kOptScheduler)) return false;
      ce.svc.sched_name = std::string(arg).substr(0, ctl::kSchedNameMax - 1);
      return true;
    case 'p': {
      if (!SetOption(kOptPersistent)) return false;
      ce.svc.flags |= ctl::kSvcPersistent;
      int t = ParseTimeout(arg, 1, kMaxTimeout, &fail_);
      if (t < 0) return false;
      ce.svc.timeout = static_cast<uint32_t>(t);
      return true;
    }
    case 'M':
      if (!SetOption(kOptNetmask)) return false;
      if (ce.svc.key.family != net::Family::kInet6) {
        in_addr a;
        if (inet_aton(arg, &a) == 0 && !HostToAddr(arg, &a)) {
          fail_ = {2, "illegal virtual server persistent mask specified"};
          return false;
        }
        ce.svc.netmask = ntohl(a.s_addr);
      } else {
        int prefix = std::atoi(arg);
        if (prefix < 1 || prefix > 128) {
          fail_ = {2, "illegal ipv6 netmask specified"};
          return false;
        }
        ce.svc.netmask = static_cast<uint32_t>(prefix);
      }
      return true;
    case 'r': {
      if (!SetOption(kOptServer)) return false;
      ServiceTarget t{ce.svc.key.family, ce.svc.key.addr, ce.svc.key.port, ce.svc.netmask, ce.svc.key.protocol};
      int parse = ParseService(arg, t);
      ce.dest.addr = net::IpAddr{t.addr, t.af};
      ce.dest.port = t.port;
      if (!(parse & kServiceAddr)) {
        fail_ = {2, "illegal real server address[:port] specified"};
        return false;
      }
      if (parse == kServiceAddr) ce.dest.port = ce.svc.key.port;  // no port: the service's
      return true;
    }
    case 'i':
    case 'g':
    case 'm':
      if (!SetOption(kOptForward)) return false;
      ce.dest.fwd = c == 'i' ? ctl::Fwd::kTunnel : c == 'g' ? ctl::Fwd::kRoute : ctl::Fwd::kMasq;
      return true;
    case 'w': {
      if (!SetOption(kOptWeight)) return false;
      long w = StringToNumber(arg, 0, 65535);
      if (w == -1) {
        fail_ = {2, "illegal weight specified"};
        return false;
      }
      ce.dest.weight = static_cast<int32_t>(w);
      return true;
    }
    case 'x':
    case 'y': {
      if (!SetOption(c == 'x' ? kOptUThreshold : kOptLThreshold)) return false;
      long v = StringToNumber(arg, 0, INT_MAX);
      if (v == -1) {
        fail_ = {2, c == 'x' ? "illegal u_threshold specified" : "illegal l_threshold specified"};
        return false;
      }
      (c == 'x' ? ce.dest.u_threshold : ce.dest.l_threshold) = static_cast<uint32_t>(v);
      return true;
    }
    case 'c':
      return SetOption(kOptConnection);
    case 'n':
      return flag_option(kOptNumeric, kFmtNumeric);
    case kTagMcastInterface:
      if (!SetOption(kOptMcast)) return false;
      ce.daemon.mcast_ifn = std::string(arg).substr(0, ctl::kIfNameMax - 1);
      return true;
    case 'I': {
      if (!SetOption(kOptSyncId)) return false;
      long id = StringToNumber(arg, 0, 255);
      if (id == -1) {
        fail_ = {2, "illegal syncid specified"};
        return false;
      }
      ce.daemon.syncid = static_cast<uint32_t>(id);
      return true;
    }
    case kTagTimeout:
      return SetOption(kOptTimeout);
    case kTagDaemon:
      return SetOption(kOptDaemon);
    case kTagStats:
      return flag_option(kOptStats, kFmtStats);
    case kTagRate:
      return flag_option(kOptRate, kFmtRate);
    case kTagThresholds:
      return flag_option(kOptThresholds, kFmtThresholds);
    case kTagPersistentConn:
      return flag_option(kOptPersistentConn, kFmtPersistentConn);
    case kTagNoSort:
      return flag_option(kOptNoSort, kFmtNoSort);
    case kTagSort:
      return true;  // sorting is the default; --sort is accepted for compatibility
    case 'X':
      return flag_option(kOptExact, kFmtExact);
    case '6':
      if (!ce.svc.key.fwmark) {
        fail_ = {2, "-6 used before -f\n"};
        return false;
      }
      ce.svc.key.family = net::Family::kInet6;
      ce.svc.netmask = 128;
      return true;
    case 'o':
      if (!SetOption(kOptOnePacket)) return false;
      ce.svc.flags |= ctl::kSvcOnePacket;
      return true;
    case kTagPersistenceEngine:
      if (!SetOption(kOptPersistenceEngine)) return false;
      ce.svc.pe_name = std::string(arg).substr(0, ctl::kPeNameMax - 1);
      return true;
    case 'b':
      if (!SetOption(kOptSchedFlags)) return false;
      sched_flags_arg_ = std::string(arg).substr(0, 127);
      have_sched_flags_ = !sched_flags_arg_.empty();
      return true;
    case kTagMcastGroup: {
      if (!SetOption(kOptMcastGroup)) return false;
      if (std::strchr(arg, ':')) {
        in6_addr a6;
        if (inet_pton(AF_INET6, arg, &a6) <= 0 || !IN6_IS_ADDR_MULTICAST(&a6)) {
          fail_ = {2, Format("invalid IPv6 mcast-group `%s'", arg)};
          return false;
        }
        ce.daemon.mcast_group = net::IpAddr{net::RawAddr::FromBytes(a6.s6_addr, net::Family::kInet6),
                                            net::Family::kInet6};
      } else {
        in_addr a4;
        if (inet_pton(AF_INET, arg, &a4) <= 0 || !IN_MULTICAST(ntohl(a4.s_addr))) {
          fail_ = {2, Format("invalid IPv4 mcast-group `%s'", arg)};
          return false;
        }
        ce.daemon.mcast_group = net::IpAddr{FromInAddr(a4), net::Family::kInet};
      }
      return true;
    }
    case kTagMcastPort:
    case kTagTunPort: {
      bool mcast = c == kTagMcastPort;
      if (!SetOption(mcast ? kOptMcastPort : kOptTunPort)) return false;
      long port = StringToNumber(arg, 1, 65535);
      if (port == -1) {
        fail_ = {2, mcast ? "illegal mcast-port specified" : "illegal tunnel port specified"};
        return false;
      }
      (mcast ? ce.daemon.mcast_port : ce.dest.tun_port) = static_cast<uint16_t>(port);
      return true;
    }
    case kTagMcastTtl: {
      if (!SetOption(kOptMcastTtl)) return false;
      long ttl = StringToNumber(arg, 1, 255);
      if (ttl == -1) {
        fail_ = {2, "illegal mcast-ttl specified"};
        return false;
      }
      ce.daemon.mcast_ttl = static_cast<uint8_t>(ttl);
      return true;
    }
    case kTagSyncMaxlen: {
      if (!SetOption(kOptSyncMaxlen)) return false;
      long len = StringToNumber(arg, 1, 65535 - 20 - 8);
      if (len == -1) {
        fail_ = {2, "illegal sync-maxlen specified"};
        return false;
      }
      ce.daemon.sync_maxlen = static_cast<uint16_t>(len);
      return true;
    }
    case kTagTunInfo:
      return flag_option(kOptTunInfo, kFmtTunInfo);
    case kTagTunType: {
      if (!SetOption(kOptTunType)) return false;
      std::string_view t = arg;
      if (t == "ipip") ce.dest.tun_type = ctl::TunType::kIpip;
      else if (t == "gue") ce.dest.tun_type = ctl::TunType::kGue;
      else if (t == "gre") ce.dest.tun_type = ctl::TunType::kGre;
      else {
        fail_ = {2, "illegal tunnel type specified"};
        return false;
      }
      return true;
    }
    // ipvsadm ORs the checksum flags into tun_flags; combinations are rejected later by
    // tunnel_opt_check, so the last one given is as good as the OR.
    case kTagTunNoCsum:
      if (!SetOption(kOptTunNoCsum)) return false;
      return true;
    case kTagTunCsum:
      if (!SetOption(kOptTunCsum)) return false;
      ce.dest.tun_csum = ctl::TunCsum::kCsum;
      return true;
    case kTagTunRemCsum:
      if (!SetOption(kOptTunRemCsum)) return false;
      ce.dest.tun_csum = ctl::TunCsum::kRemCsum;
      return true;
    case kTagJson:
      return SetOption(kOptJson);
    case kTagSloppy:
      if (!SetOption(kOptSloppy)) return false;
      ce.svc.flags |= ctl::kSvcSloppy;
      return true;
    case kTagSynproxy:
      if (!SetOption(kOptSynproxy)) return false;
      ce.svc.flags |= ctl::kSvcSynproxy;
      return true;
    default:
      return false;
  }
}

ParseOutcome Parser::Run() {
  const std::string& program = argv_[0];
  std::vector<const char*> cargv;
  for (const std::string& a : argv_) cargv.push_back(a.c_str());
  cargv.push_back(nullptr);

  // Option arguments are fetched with poptGetOptArg (arg pointers are NULL), which hands
  // over ownership, so nothing leaks.
  static const poptOption kTable[] = {
      {"add-service", 'A', POPT_ARG_NONE, nullptr, 'A', nullptr, nullptr},
      {"edit-service", 'E', POPT_ARG_NONE, nullptr, 'E', nullptr, nullptr},
      {"delete-service", 'D', POPT_ARG_NONE, nullptr, 'D', nullptr, nullptr},
      {"clear", 'C', POPT_ARG_NONE, nullptr, 'C', nullptr, nullptr},
      {"list", 'L', POPT_ARG_NONE, nullptr, 'L', nullptr, nullptr},
      {"list", 'l', POPT_ARG_NONE, nullptr, 'l', nullptr, nullptr},
      {"zero", 'Z', POPT_ARG_NONE, nullptr, 'Z', nullptr, nullptr},
      {"add-server", 'a', POPT_ARG_NONE, nullptr, 'a', nullptr, nullptr},
      {"edit-server", 'e', POPT_ARG_NONE, nullptr, 'e', nullptr, nullptr},
      {"delete-server", 'd', POPT_ARG_NONE, nullptr, 'd', nullptr, nullptr},
      {"set", '\0', POPT_ARG_NONE, nullptr, kTagSet, nullptr, nullptr},
      {"help", 'h', POPT_ARG_NONE, nullptr, 'h', nullptr, nullptr},
      {"version", 'v', POPT_ARG_NONE, nullptr, 'v', nullptr, nullptr},
      {"restore", 'R', POPT_ARG_NONE, nullptr, 'R', nullptr, nullptr},
      {"save", 'S', POPT_ARG_NONE, nullptr, 'S', nullptr, nullptr},
      {"start-daemon", '\0', POPT_ARG_STRING, nullptr, kTagStartDaemon, nullptr, nullptr},
      {"stop-daemon", '\0', POPT_ARG_STRING, nullptr, kTagStopDaemon, nullptr, nullptr},
      {"tcp-service", 't', POPT_ARG_STRING, nullptr, 't', nullptr, nullptr},
      {"udp-service", 'u', POPT_ARG_STRING, nullptr, 'u', nullptr, nullptr},
      {"sctp-service", '\0', POPT_ARG_STRING, nullptr, kTagSctpService, nullptr, nullptr},
      {"fwmark-service", 'f', POPT_ARG_STRING, nullptr, 'f', nullptr, nullptr},
      {"scheduler", 's', POPT_ARG_STRING, nullptr, 's', nullptr, nullptr},
      {"persistent", 'p', POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, nullptr, 'p', nullptr, nullptr},
      {"netmask", 'M', POPT_ARG_STRING, nullptr, 'M', nullptr, nullptr},
      {"real-server", 'r', POPT_ARG_STRING, nullptr, 'r', nullptr, nullptr},
      {"masquerading", 'm', POPT_ARG_NONE, nullptr, 'm', nullptr, nullptr},
      {"ipip", 'i', POPT_ARG_NONE, nullptr, 'i', nullptr, nullptr},
      {"gatewaying", 'g', POPT_ARG_NONE, nullptr, 'g', nullptr, nullptr},
      {"weight", 'w', POPT_ARG_STRING, nullptr, 'w', nullptr, nullptr},
      {"u-threshold", 'x', POPT_ARG_STRING, nullptr, 'x', nullptr, nullptr},
      {"l-threshold", 'y', POPT_ARG_STRING, nullptr, 'y', nullptr, nullptr},
      {"numeric", 'n', POPT_ARG_NONE, nullptr, 'n', nullptr, nullptr},
      {"connection", 'c', POPT_ARG_NONE, nullptr, 'c', nullptr, nullptr},
      {"mcast-interface", '\0', POPT_ARG_STRING, nullptr, kTagMcastInterface, nullptr, nullptr},
      {"syncid", '\0', POPT_ARG_STRING, nullptr, 'I', nullptr, nullptr},
      {"timeout", '\0', POPT_ARG_NONE, nullptr, kTagTimeout, nullptr, nullptr},
      {"daemon", '\0', POPT_ARG_NONE, nullptr, kTagDaemon, nullptr, nullptr},
      {"stats", '\0', POPT_ARG_NONE, nullptr, kTagStats, nullptr, nullptr},
      {"rate", '\0', POPT_ARG_NONE, nullptr, kTagRate, nullptr, nullptr},
      {"thresholds", '\0', POPT_ARG_NONE, nullptr, kTagThresholds, nullptr, nullptr},
      {"persistent-conn", '\0', POPT_ARG_NONE, nullptr, kTagPersistentConn, nullptr, nullptr},
      {"nosort", '\0', POPT_ARG_NONE, nullptr, kTagNoSort, nullptr, nullptr},
      {"sort", '\0', POPT_ARG_NONE, nullptr, kTagSort, nullptr, nullptr},
      {"exact", 'X', POPT_ARG_NONE, nullptr, 'X', nullptr, nullptr},
      {"ipv6", '6', POPT_ARG_NONE, nullptr, '6', nullptr, nullptr},
      {"ops", 'o', POPT_ARG_NONE, nullptr, 'o', nullptr, nullptr},
      {"pe", '\0', POPT_ARG_STRING, nullptr, kTagPersistenceEngine, nullptr, nullptr},
      {"sched-flags", 'b', POPT_ARG_STRING, nullptr, 'b', nullptr, nullptr},
      {"mcast-group", '\0', POPT_ARG_STRING, nullptr, kTagMcastGroup, nullptr, nullptr},
      {"mcast-port", '\0', POPT_ARG_STRING, nullptr, kTagMcastPort, nullptr, nullptr},
      {"mcast-ttl", '\0', POPT_ARG_STRING, nullptr, kTagMcastTtl, nullptr, nullptr},
      {"sync-maxlen", '\0', POPT_ARG_STRING, nullptr, kTagSyncMaxlen, nullptr, nullptr},
      {"tun-info", '\0', POPT_ARG_NONE, nullptr, kTagTunInfo, nullptr, nullptr},
      {"tun-type", '\0', POPT_ARG_STRING, nullptr, kTagTunType, nullptr, nullptr},
      {"tun-port", '\0', POPT_ARG_STRING, nullptr, kTagTunPort, nullptr, nullptr},
      {"tun-nocsum", '\0', POPT_ARG_NONE, nullptr, kTagTunNoCsum, nullptr, nullptr},
      {"tun-csum", '\0', POPT_ARG_NONE, nullptr, kTagTunCsum, nullptr, nullptr},
      {"tun-remcsum", '\0', POPT_ARG_NONE, nullptr, kTagTunRemCsum, nullptr, nullptr},
      {"json", '\0', POPT_ARG_NONE, nullptr, kTagJson, nullptr, nullptr},
      {"sloppy", '\0', POPT_ARG_NONE, nullptr, kTagSloppy, nullptr, nullptr},
      {"synproxy", '\0', POPT_ARG_NONE, nullptr, kTagSynproxy, nullptr, nullptr},
      POPT_TABLEEND,
  };
  PoptContextPtr con(poptGetContext("ipvsadm", static_cast<int>(argv_.size()), cargv.data(), kTable, 0),
                     poptFreeContext);
  auto next_arg = [&] { return CString(poptGetOptArg(con.get()), std::free); };

  ParseOutcome tryhelp;
  tryhelp.kind = ParseOutcome::kExit;
  tryhelp.status = 255;
  tryhelp.err = TryHelp(program);

  int c = poptGetNextOpt(con.get());
  if (c < 0) return tryhelp;
  CString first = next_arg();
  switch (c) {
    case 'A': SetCommand(Cmd::kAdd); break;
    case 'E': SetCommand(Cmd::kEdit); break;
    case 'D': SetCommand(Cmd::kDel); break;
    case 'a': SetCommand(Cmd::kAddDest); break;
    case 'e': SetCommand(Cmd::kEditDest); break;
    case 'd': SetCommand(Cmd::kDelDest); break;
    case 'C': SetCommand(Cmd::kFlush); break;
    case 'L':
    case 'l': SetCommand(Cmd::kList); break;
    case 'Z': SetCommand(Cmd::kZero); break;
    case kTagSet: SetCommand(Cmd::kTimeout); break;
    case 'R': SetCommand(Cmd::kRestore); break;
    case 'S': SetCommand(Cmd::kSave); break;
    case kTagStartDaemon:
    case kTagStopDaemon: {
      bool start = c == kTagStartDaemon;
      SetCommand(start ? Cmd::kStartDaemon : Cmd::kStopDaemon);
      std::string_view which = first ? first.get() : "";
      if (which == "master") {
        ce_.daemon.state = ctl::kStateMaster;
      } else if (which == "backup") {
        ce_.daemon.state = ctl::kStateBackup;
      } else {
        return Fail({2, start ? "illegal start-daemon parameter specified" : "illegal start_daemon specified"});
      }
      break;
    }
    case 'h': {
      ParseOutcome o;
      o.kind = ParseOutcome::kExit;
      o.out = UsageText(program);
      return o;
    }
    case 'v': {
      ParseOutcome o;
      o.kind = ParseOutcome::kExit;
      o.out = VersionText();
      return o;
    }
    default:
      return tryhelp;
  }

  while ((c = poptGetNextOpt(con.get())) >= 0) {
    CString arg = next_arg();
    if (c == 'A' || c == 'E' || c == 'D' || c == 'a' || c == 'e' || c == 'd' || c == 'C' || c == 'L' || c == 'l' ||
        c == 'Z' || c == kTagSet || c == 'R' || c == 'S' || c == kTagStartDaemon || c == kTagStopDaemon ||
        c == 'h' || c == 'v') {
      // ipvsadm's second switch has no case for commands: they fall to "invalid option".
      return Fail({2, Format("invalid option `%s'", poptBadOption(con.get(), POPT_BADOPTION_NOALIAS))});
    }
    if (!HandleOption(c, arg.get())) return Fail(fail_);
  }
  if (c < -1) {
    ParseOutcome o;
    o.kind = ParseOutcome::kReturn;
    o.err = Format("%s: %s\n", poptBadOption(con.get(), POPT_BADOPTION_NOALIAS), poptStrerror(c));
    return o;
  }

  if (ce_.cmd == Cmd::kTimeout) {
    const char* a0 = poptGetArg(con.get());
    const char* a1 = a0 ? poptGetArg(con.get()) : nullptr;
    const char* a2 = a1 ? poptGetArg(con.get()) : nullptr;
    if (!a2) return Fail({2, "--set option requires 3 timeout values"});
    int t0 = ParseTimeout(a0, 0, kMaxTimeout, &fail_);
    if (t0 < 0) return Fail(fail_);
    int t1 = ParseTimeout(a1, 0, kMaxTimeout, &fail_);
    if (t1 < 0) return Fail(fail_);
    int t2 = ParseTimeout(a2, 0, kMaxTimeout, &fail_);
    if (t2 < 0) return Fail(fail_);
    ce_.timeout = {static_cast<uint32_t>(t0), static_cast<uint32_t>(t1), static_cast<uint32_t>(t2)};
  }
  if (const char* extra = poptGetArg(con.get())) return Fail({2, Format("unexpected argument %s", extra)});

  if (have_sched_flags_) {
    ce_.svc.flags &= ~(ctl::kSvcSched1 | ctl::kSvcSched2 | ctl::kSvcSched3);
    uint32_t flags = ParseSchedFlags(ce_.svc.sched_name, sched_flags_arg_, &fail_);
    if (fail_.status) return Fail(fail_);
    ce_.svc.flags |= flags;
  }

  // process_options' checks.
  GenericOptCheck(ce_.cmd, ce_.options, &fail_);
  if (fail_.status) return Fail(fail_);
  if (ce_.cmd == Cmd::kAdd || ce_.cmd == Cmd::kEdit) {
    if (!ce_.svc.key.fwmark && !ce_.svc.key.port && !(ce_.svc.flags & ctl::kSvcPersistent)) {
      return Fail({2, "Zero port specified for non-persistent service"});
    }
    if ((ce_.svc.flags & ctl::kSvcOnePacket) && !ce_.svc.key.fwmark && ce_.svc.key.protocol != kUdp) {
      return Fail({2, "One-Packet Scheduling is only for UDP virtual services"});
    }
    if (ce_.svc.sched_name.empty()) ce_.svc.sched_name = kDefaultSched;
  }
  if (ce_.cmd == Cmd::kStartDaemon && ce_.daemon.mcast_ifn.empty()) ce_.daemon.mcast_ifn = kDefaultMcastIfn;
  if (ce_.cmd == Cmd::kAddDest || ce_.cmd == Cmd::kEditDest) {
    ctl::Fwd fwd = ce_.dest.fwd;
    if (!ce_.svc.key.fwmark && (fwd == ctl::Fwd::kTunnel || fwd == ctl::Fwd::kRoute)) {
      ce_.dest.port = ce_.svc.key.port;
    }
    if (ce_.dest.addr.family != ce_.svc.key.family && fwd != ctl::Fwd::kTunnel) {
      return Fail({2, "Different address family is allowed only for tunneling servers"});
    }
    constexpr uint64_t kTunOptions =
        OptBit(kOptTunType) | OptBit(kOptTunPort) | OptBit(kOptTunNoCsum) | OptBit(kOptTunCsum) | OptBit(kOptTunRemCsum);
    if ((ce_.options & kTunOptions) && fwd != ctl::Fwd::kTunnel) {
      return Fail({2, "Tunnel options conflict with forward method"});
    }
    TunnelOptCheck(ce_.dest.tun_type, ce_.options, &fail_);
    if (fail_.status) return Fail(fail_);
  }
  if (ce_.cmd == Cmd::kList) {
    uint64_t o = ce_.options;
    if (((o & (OptBit(kOptConnection) | OptBit(kOptTimeout) | OptBit(kOptDaemon))) &&
         (o & (OptBit(kOptStats) | OptBit(kOptRate) | OptBit(kOptThresholds)))) ||
        ((o & (OptBit(kOptTimeout) | OptBit(kOptDaemon))) && (o & OptBit(kOptPersistentConn)))) {
      return Fail({2, "options conflicts in the list command"});
    }
  }
  ParseOutcome o;
  o.command = ce_;
  return o;
}

}  // namespace

Command::Command() {
  svc.key.family = net::Family::kUnspec;
  svc.netmask = 0xffffffffu;
  dest.addr.family = net::Family::kUnspec;
  dest.weight = 1;
  dest.fwd = ctl::Fwd::kRoute;
}

ParseOutcome ParseCommand(const std::vector<std::string>& argv) { return Parser(argv).Run(); }

std::string VersionText() { return "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n"; }

std::string UsageText(const std::string& program) {
  const char* p = program.c_str();
  std::string s = VersionText();
  s += Format(
      "Usage:\n"
      "  %s -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]\n"
      "  %s -D virtual-service\n"
      "  %s -C\n"
      "  %s -R\n"
      "  %s -S [-n]\n"
      "  %s -a|e virtual-service -r server-address [options]\n"
      "  %s -d virtual-service -r server-address\n"
      "  %s -L|l [virtual-service] [options]\n"
      "  %s -Z [virtual-service]\n"
      "  %s --set tcp tcpfin udp\n"
      "  %s --start-daemon {master|backup} [daemon-options]\n"
      "  %s --stop-daemon {master|backup}\n"
      "  %s -h\n\n",
      p, p, p, p, p, p, p, p, p, p, p, p, p);
  s +=
      "Commands:\n"
      "Either long or short options are allowed.\n"
      "  --add-service     -A        add virtual service with options\n"
      "  --edit-service    -E        edit virtual service with options\n"
      "  --delete-service  -D        delete virtual service\n"
      "  --clear           -C        clear the whole table\n"
      "  --restore         -R        restore rules from stdin\n"
      "  --save            -S        save rules to stdout\n"
      "  --add-server      -a        add real server with options\n"
      "  --edit-server     -e        edit real server with options\n"
      "  --delete-server   -d        delete real server\n"
      "  --list            -L|-l     list the table\n"
      "  --zero            -Z        zero counters in a service or all services\n"
      "  --set tcp tcpfin udp        set connection timeout values\n"
      "  --start-daemon              start connection sync daemon\n"
      "  --stop-daemon               stop connection sync daemon\n"
      "  --help            -h        display this help message\n\n";
  s +=
      "virtual-service:\n"
      "  --tcp-service|-t  service-address   service-address is host[:port]\n"
      "  --udp-service|-u  service-address   service-address is host[:port]\n"
      "  --sctp-service    service-address   service-address is host[:port]\n"
      "  --fwmark-service|-f fwmark          fwmark is an integer greater than zero\n"
      "\n";
  s += "Options:\n"
       "  --ipv6         -6                   fwmark entry uses IPv6\n"
       "  --scheduler    -s scheduler         one of ";
  s += kSchedulers;
  s += ",\n"
       "                                      the default scheduler is ";
  s += kDefaultSched;
  s += ".\n"
       "  --pe            engine              alternate persistence engine may be ";
  s += kPeList;
  s += ",\n"
       "                                      not set by default.\n"
       "  --persistent   -p [timeout]         persistent service\n"
       "  --netmask      -M netmask           persistent granularity mask\n"
       "  --real-server  -r server-address    server-address is host (and port)\n"
       "  --gatewaying   -g                   gatewaying (direct routing) (default)\n"
       "  --ipip         -i                   ipip encapsulation (tunneling)\n"
       "  --masquerading -m                   masquerading (NAT)\n"
       "  --tun-type      type                one of ipip|gue|gre,\n"
       "                                      the default tunnel type is ";
  s += kDefaultTunnelType;
  s += ".\n"
       "  --tun-port      port                tunnel destination port\n"
       "  --tun-nocsum                        tunnel encapsulation without checksum\n"
       "  --tun-csum                          tunnel encapsulation with checksum\n"
       "  --tun-remcsum                       tunnel encapsulation with remote checksum\n"
       "  --weight       -w weight            capacity of real server\n"
       "  --u-threshold  -x uthreshold        upper threshold of connections\n"
       "  --l-threshold  -y lthreshold        lower threshold of connections\n"
       "  --connection   -c                   output of current IPVS connections\n"
       "  --timeout                           output of timeout (tcp tcpfin udp)\n"
       "  --daemon                            output of daemon information\n"
       "  --stats                             output of statistics information\n"
       "  --rate                              output of rate information\n"
       "  --exact                             expand numbers (display exact values)\n"
       "  --thresholds                        output of thresholds information\n"
       "  --persistent-conn                   output of persistent connection info\n"
       "  --tun-info                          output of tunnel information\n"
       "  --nosort                            disable sorting output of service/server entries\n"
       "  --sort                              does nothing, for backwards compatibility\n"
       "  --ops          -o                   one-packet scheduling\n"
       "  --numeric      -n                   numeric output of addresses and ports\n"
       "  --sched-flags  -b flags             scheduler flags (comma-separated)\n";
  s += "Daemon Options:\n"
       "  --syncid sid                        syncid for connection sync (default=255)\n"
       "  --sync-maxlen length                Max sync message length (default=1472)\n"
       "  --mcast-interface interface         multicast interface for connection sync\n"
       "  --mcast-group address               IPv4/IPv6 group (default=224.0.0.81)\n"
       "  --mcast-port port                   UDP port (default=8848)\n"
       "  --mcast-ttl ttl                     Multicast TTL (default=1)\n";
  return s;
}

}  // namespace ipvsd::cli

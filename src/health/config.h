// File: health/config.h
//
// The part of keepalived.conf that ipvs-healthd understands: virtual_server,
// virtual_server_group and real_server blocks with their checkers (TCP_CHECK, HTTP_GET,
// SSL_GET, MISC_CHECK, SMTP_CHECK, UDP_CHECK, DNS_CHECK, PING_CHECK, FILE_CHECK with the
// track_file blocks it names; BFD_CHECK is an error), global_defs' script_user and
// enable_script_security, plus our dynamic_feedback extension (docs/dynamic-feedback.md).
// Everything else (the rest of global_defs, vrrp_*, static_*) is skipped with one notice per
// block, so an existing keepalived.conf can be pointed at unchanged. Any error is reported as "file:line: message"
// and nothing of the file is used: the daemon applies a configuration whole or not at all.
//
//   Result<Config> cfg = ParseConfigFile("/etc/keepalived/keepalived.conf");
//   if (!cfg) { fprintf(stderr, "%s\n", cfg.error().message.c_str()); return 2; }
//
// Defaults follow keepalived (check_parser.c, check_api.c): delay_loop 60 s, retry 1 for
// every checker but MISC_CHECK (0) and DNS_CHECK (3), delay_before_retry 3 s for HTTP_GET and
// SSL_GET, the checker's delay_loop for DNS_CHECK and 1 s for the others, connect_timeout 5 s,
// weight 1, quorum 1, hysteresis 0, persistence_timeout 360 s when given without a value.
// Timing values may be fractional seconds. Checker settings inherit virtual_server ->
// real_server -> checker.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "ctl/proto.h"
#include "net/ip_addr.h"

namespace ipvsd::health {

inline constexpr double kDefaultDelayLoop = 60.0;
inline constexpr double kDefaultDelayBeforeRetry = 1.0;      // all but HTTP_GET, SSL_GET, DNS_CHECK
inline constexpr double kDefaultDelayBeforeRetryHttp = 3.0;  // HTTP_GET, SSL_GET (DNS_CHECK: its delay_loop)
inline constexpr double kDefaultConnectTimeout = 5.0;
inline constexpr double kDefaultMiscTimeout = 5.0;
inline constexpr int kDefaultRetryNet = 1;   // TCP_CHECK, HTTP_GET (keepalived's default)
inline constexpr int kDefaultRetryMisc = 0;  // MISC_CHECK
inline constexpr int kDefaultRetryDns = 3;   // DNS_CHECK (keepalived's DNS_DEFAULT_RETRY)
// What keepalived 2.2.7 sends in a UDP_CHECK without payload (its man page says random
// bytes; layer4.c's set_buf fills its 32-byte buffer with this text).
inline constexpr const char* kDefaultUdpPayload = "keepalived check - keepalived ch";
inline constexpr const char* kDefaultHeloName = "smtpchecker.keepalived.org";  // keepalived's SMTP_DEFAULT_HELO
inline constexpr uint16_t kDnsTypeSoa = 6;   // DNS_CHECK's default type, as keepalived's
inline constexpr uint32_t kDefaultPersistenceTimeout = 360;
inline constexpr uint16_t kDefaultAgentPort = 9901;

// "198.19.0.1:80/TCP" or "fwmark 5": a service as virtual_server names and the logs show it.
std::string ServiceKeyName(const ctl::ServiceKey& key);

// SSL_GET is HTTP_GET over TLS; SMTP_CHECK, UDP_CHECK, DNS_CHECK, PING_CHECK and FILE_CHECK
// follow keepalived's check_smtp.c, check_udp.c, check_dns.c, check_ping.c and check_file.c.
// BFD_CHECK is refused by the parser (docs/healthd.md).
enum class CheckerKind : uint8_t { kTcp, kHttp, kMisc, kSsl, kSmtp, kUdp, kDns, kPing, kFile };
const char* CheckerKindName(CheckerKind kind);

// One url { } of an HTTP_GET. No status_code means any 2xx, as keepalived.
struct UrlCheck {
  std::string path = "/";
  std::string digest;                          // lower-case hex MD5 of the body, or empty
  std::vector<std::pair<int, int>> statuses;   // inclusive ranges
  std::string virtualhost;                     // this url's Host (and SNI); default the checker's
  // keepalived's regex: the body must contain a match (with regex_no_match: must not). POSIX
  // extended syntax (keepalived uses PCRE2; common patterns read the same), searched from
  // regex_min_offset, a match starting at most at regex_max_offset.
  std::string regex;
  bool regex_no_match = false;
  bool regex_caseless = false;                 // regex_options caseless
  size_t regex_min_offset = 0;
  size_t regex_max_offset = SIZE_MAX;          // no limit
  friend bool operator==(const UrlCheck&, const UrlCheck&) = default;
};

// bindto / bind_port / bind_if of a checker: the source address, port and interface of its
// probes (keepalived's co->bindto and bind_if). Unset fields leave the choice to the kernel.
struct SourceBinding {
  std::optional<net::IpAddr> addr;
  uint16_t port = 0;
  std::string interface;  // SO_BINDTODEVICE; also the scope of a link-local IPv6 bindto
  bool empty() const { return !addr.has_value() && port == 0 && interface.empty(); }
  friend bool operator==(const SourceBinding&, const SourceBinding&) = default;
};

// MISC_CHECK `user NAME [GROUP]`: the script runs with this uid and gid, and GID as its only
// group (keepalived's set_privileges). Without GROUP, the user's primary group.
struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
  friend bool operator==(const RunAs&, const RunAs&) = default;
};

// A top-level `track_file NAME { file PATH; weight N [reverse]; init_file [VALUE] [overwrite] }`
// (keepalived's trackers/track_file.c): a file holding a number, which FILE_CHECKs read.
struct TrackFileConfig {
  enum class Init : uint8_t { kNone, kCreate, kOverwrite };
  std::string name;
  std::string where;
  std::string path;
  int weight = 1;        // -254..254; what a FILE_CHECK without a weight of its own uses
  bool reverse = false;
  Init init = Init::kNone;  // init_file: create the file when missing (kCreate) or always (kOverwrite)
  int init_value = 0;
  friend bool operator==(const TrackFileConfig&, const TrackFileConfig&) = default;
};

// A notify_up / notify_down / quorum_up / quorum_down script: keepalived's `SCRIPT [USER
// [GROUP]]`, SCRIPT one word (quoted when it has arguments). RUN_AS is USER, else global_defs'
// script_user, else the default script user (docs/healthd.md); none: healthd's own user.
struct NotifyScript {
  std::string command;
  std::optional<RunAs> run_as;
  NotifyScript() = default;
  NotifyScript(std::string c) : command(std::move(c)) {}  // NOLINT: a bare command is a script
  NotifyScript(const char* c) : command(c) {}             // NOLINT
  bool empty() const { return command.empty(); }
  friend bool operator==(const NotifyScript&, const NotifyScript&) = default;
};

struct CheckerConfig {
  CheckerKind kind = CheckerKind::kTcp;
  std::string where;                      // "file:line" of the block, for logs
  std::optional<net::IpAddr> connect_ip;  // default: the real server's address
  uint16_t connect_port = 0;              // 0: the real server's port
  SourceBinding source;                   // every checker but MISC_CHECK
  double connect_timeout = kDefaultConnectTimeout;
  int retry = kDefaultRetryNet;
  double delay_before_retry = kDefaultDelayBeforeRetry;
  double delay_loop = kDefaultDelayLoop;
  bool alpha = false;                     // starts failed, up at its first success (vs -> rs -> checker)
  std::vector<UrlCheck> urls;             // HTTP_GET, SSL_GET
  std::string virtualhost;                // HTTP_GET, SSL_GET Host header; default ip:port
  std::string http_version = "1.0";       // http_protocol: "1.0", "1.0C" (adds Connection: close) or "1.1"
  bool enable_sni = false;                // SSL_GET: send virtualhost as the TLS server name
  std::string helo_name = kDefaultHeloName;  // SMTP_CHECK
  std::string payload = kDefaultUdpPayload;  // UDP_CHECK: bytes sent (from hex)
  bool require_reply = false;             // UDP_CHECK: a reply is needed to pass
  std::string reply_prefix;               // UDP_CHECK: the reply must start with these bytes
  std::string reply_mask;                 // UDP_CHECK: per byte of reply_prefix, the bits not compared (X)
  int min_reply_length = 0;               // UDP_CHECK, with require_reply
  int max_reply_length = 255;             // keepalived's default
  uint16_t dns_type = kDnsTypeSoa;        // DNS_CHECK
  std::string dns_name = ".";
  std::string misc_path;                  // MISC_CHECK command line (run by /bin/sh -c)
  double misc_timeout = kDefaultMiscTimeout;
  bool misc_dynamic = false;
  std::optional<RunAs> misc_user;         // user, else script_user / the default script user
  std::string track_file;                 // FILE_CHECK: the track_file's name and path
  std::string file_path;
  int file_weight = 0;                    // 0: the value only says up (0) or down, else it scales the weight
  bool file_reverse = false;
  friend bool operator==(const CheckerConfig&, const CheckerConfig&) = default;
};

// How a real server is reached (lb_kind / lvs_method): NAT when none is given, as in
// keepalived; TUN with keepalived's options `type ipip|gue|gre`, `port N` (gue) and
// `nocsum|csum|remcsum` (gue, gre; remcsum gue only), as ipvsadm's --tun-* options.
struct Forwarding {
  ctl::Fwd method = ctl::Fwd::kMasq;
  ctl::TunType tun_type = ctl::TunType::kIpip;
  uint16_t tun_port = 0;
  ctl::TunCsum tun_csum = ctl::TunCsum::kNoCsum;
  friend bool operator==(const Forwarding&, const Forwarding&) = default;
};

struct RealServerConfig {
  net::IpAddr addr;
  uint16_t port = 0;
  std::string where;
  int weight = 1;
  bool inhibit_on_failure = false;
  Forwarding fwd;
  // Shell commands run when the server comes up (all its checkers pass) or goes down.
  NotifyScript notify_up;
  NotifyScript notify_down;
  uint32_t u_threshold = 0;
  uint32_t l_threshold = 0;
  std::vector<CheckerConfig> checkers;
  friend bool operator==(const RealServerConfig&, const RealServerConfig&) = default;
  std::string Name() const { return net::Endpoint{addr, port}.ToString(); }
};

// Our extension (docs/dynamic-feedback.md): poll ipvs-agent on every real server and adjust
// the weights with the LVS dynamic-feedback formula.
struct FeedbackConfig {
  bool enabled = false;
  uint16_t agent_port = kDefaultAgentPort;
  double interval = 2.0;   // seconds between polls
  double timeout = 1.0;    // per poll: connect + reply
  double adjust = 5.0;     // A
  double scale = 10.0;     // weights stay within 0 .. scale * configured weight
  double target = 0.95;    // aggregate load the formula steers towards
  double deadband = 0.05;  // |target - load| below this changes nothing
  double smoothing = 0.5;  // EWMA factor of new samples
  double ratio_cpu = 0.5;
  double ratio_runq = 0.3;
  double ratio_memory = 0.1;
  double ratio_conns = 0.1;
  double max_conns = 1000;  // connections that count as a load of 1
  friend bool operator==(const FeedbackConfig&, const FeedbackConfig&) = default;
};

struct VirtualServerConfig {
  std::string name;  // "198.19.0.1:80/TCP", "fwmark 5", "group web": identity across reloads
  std::string where;
  std::vector<ctl::ServiceKey> keys;  // one, or every entry of the group
  ctl::ServiceSpec service;           // sched, flags, timeout, netmask (key filled per entry)
  Forwarding fwd;
  double delay_loop = kDefaultDelayLoop;
  bool alpha = false;
  bool omega = false;
  int quorum = 1;
  int hysteresis = 0;
  // Shell commands run when the live weight reaches the quorum or falls below it (and at
  // start, for the state the virtual server starts in): keepalived's way of, e.g., adding
  // the VIP only while enough real servers are up.
  NotifyScript quorum_up;
  NotifyScript quorum_down;
  bool inhibit_on_failure = false;
  std::optional<RealServerConfig> sorry_server;
  std::vector<RealServerConfig> real_servers;
  FeedbackConfig feedback;
  friend bool operator==(const VirtualServerConfig&, const VirtualServerConfig&) = default;
};

struct Config {
  std::vector<VirtualServerConfig> virtual_servers;
  std::vector<TrackFileConfig> track_files;  // those a FILE_CHECK names (their init_file runs at start)
  std::vector<std::string> notices;  // "file:line: skipping vrrp_instance block", one per block
};

// What --check prints: per virtual server (with every service of a group), its real servers
// with weight and forwarding, and each real server's checkers with their place in the file;
// a real server without checkers is marked "always up" (keepalived counts it alive).
std::string DescribeConfig(const Config& config);

// keepalived's default config id: this host's name up to the first dot.
std::string LocalConfigId();

// Reads PATH and the files it includes (glob patterns with csh braces, relative to the including
// file; include, includer/m/w/b/a and global_defs' include_check with keepalived 2.2.7's rules
// for what matches nothing or cannot be read: a notice, or an error where a check asks). An
// include loop, includes more than 8 deep, more than 1024 files in all, or blocks nested more
// than 64 deep are errors at the offending line. keepalived's preprocessing applies: lines
// `@ID ...` are read only when CONFIG_ID is ID (`@^ID ...` only when it is not), `$NAME=VALUE`
// defines a parameter (a value ending in a backslash goes on on the next line), and `${NAME}`,
// or `$NAME` before a blank, ',', ')' or the end of the line, of a defined or predefined one
// (_PWD, _INSTANCE, _RANDOM, _HASH, _BANG) is replaced by its value, read again for parameters.
// script_user / enable_script_security decide who runs each script and whether it runs
// (health/script_security.h); a track_file is found, not read, here (health/file_check.h).
Result<Config> ParseConfigFile(const std::string& path, const std::string& config_id = LocalConfigId());
// The same for text already in memory; NAME stands for the file in messages and includes
// are resolved relative to the current directory.
Result<Config> ParseConfigText(std::string_view text, const std::string& name,
                               const std::string& config_id = LocalConfigId());


}  // namespace ipvsd::health

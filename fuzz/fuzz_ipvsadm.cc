// File: fuzz/fuzz_ipvsadm.cc
//
// ipvsadm's command line: the input split on NUL bytes is argv after the program name. It
// goes through ExtractSocketPath (--socket) and ParseCommand (popt with ipvsadm's option
// table, then process_options()'s checks), and a command to run is encoded as the requests
// ipvsadm would send ipvsd, which the daemon's decoder (ctl/codec.h) must take whole.
//
// Checked beyond the sanitizers: every outcome is one ipvsadm can print (an exit or a return
// says why on stdout or stderr), and what ipvsadm sends is never a malformed message
// (EBADMSG) to the daemon; a field out of range is the daemon's to refuse, with EINVAL.
//
// ipvsadm resolves host names (getaddrinfo): every random word would become a DNS query, slow
// and sent to whatever resolver the machine has. The harness's getaddrinfo takes numeric
// addresses only (AI_NUMERICHOST) and hands them to the C library's.
#include <dlfcn.h>
#include <netdb.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/ipvsadm.h"
#include "cli/parse.h"
#include "ctl/codec.h"

namespace {

namespace cli = ipvsd::cli;
namespace ctl = ipvsd::ctl;

constexpr size_t kMaxArgs = 64;

void Check(bool ok) {
  if (!ok) std::abort();
}

template <typename T>
void CheckSendable(const T& payload) {
  ctl::Writer w;
  ctl::Put(w, payload);
  ipvsd::Result<T> decoded = ctl::DecodePayload<T>(w.buffer());
  Check(decoded.ok() || decoded.error().code == EINVAL);
}

void CheckRequests(const cli::Command& c) {
  CheckSendable(c.svc);
  CheckSendable(c.svc.key);
  CheckSendable(ctl::DestRequest{c.svc.key, c.dest});
  CheckSendable(c.timeout);
  CheckSendable(c.daemon);
  CheckSendable(ctl::DaemonStop{c.daemon.state});
}

}  // namespace

// Takes the place of the C library's (and of the sanitizers' interceptor, which is weak).
extern "C" int getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res) {
  using Fn = int (*)(const char*, const char*, const addrinfo*, addrinfo**);
  static const auto real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "getaddrinfo"));
  addrinfo numeric{};
  if (hints) numeric = *hints;
  numeric.ai_flags |= AI_NUMERICHOST;
  return real(node, service, &numeric, res);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> argv{"ipvsadm"};
  std::string arg;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] != 0) {
      arg.push_back(static_cast<char>(data[i]));
      continue;
    }
    argv.push_back(std::move(arg));
    arg.clear();
    if (argv.size() > kMaxArgs) return -1;
  }
  if (size != 0) argv.push_back(std::move(arg));

  cli::SocketChoice socket = cli::ExtractSocketPath(argv, nullptr);
  if (!socket.error.empty()) return 0;
  cli::ParseOutcome p = cli::ParseCommand(argv);
  switch (p.kind) {
    case cli::ParseOutcome::kRun:
      CheckRequests(p.command);
      break;
    case cli::ParseOutcome::kExit:
    case cli::ParseOutcome::kReturn:
      Check(!p.out.empty() || !p.err.empty());
      break;
  }
  return 0;
}

// File: cli/ipvsadm.h
//
// Ipvsadm runs ipvsadm 1.31's main() and process_options() against ipvsd's control socket
// instead of the kernel: the same commands, output, messages and exit statuses (see
// docs/ipvsadm-compat.md for the few deliberate differences). One instance is one process
// run; -R feeds it the lines of stdin.
//
//   auto client = ctl::Client::Connect(path);   // ipvs_init()
//   Ipvsadm app(std::move(*client), stdin, stdout, stderr);
//   return app.Main(args);                      // the exit status
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "cli/parse.h"
#include "cli/strerror.h"
#include "ctl/client.h"

namespace ipvsd::cli {

// Where ipvsadm finds the daemon: --socket PATH / --socket=PATH anywhere on the command line
// (removed from `args` before popt sees them), else $IPVSD_SOCKET, else the default.
struct SocketChoice {
  std::string path;
  std::string error;  // non-empty: --socket without a path
};
SocketChoice ExtractSocketPath(std::vector<std::string>& args, const char* env_value);

// What ipvsadm prints when it cannot reach ipvsd at socket_path (exit status 2, as
// ipvsadm's ipvs_init() failure): ipvsadm's first line, then what is wrong and what to do
// about it, where ipvsadm 1.31 would send the user looking for a kernel module.
std::string InitFailureText(int err, const std::string& socket_path);

class Ipvsadm {
 public:
  Ipvsadm(ctl::Client client, ctl::InfoReply info, FILE* in, FILE* out, FILE* err);

  // ipvsadm's main() after ipvs_init(): lists with no arguments, else process_options().
  int Main(const std::vector<std::string>& args);

 private:
  // What process_options() did: `exit` means the process ends now with `value` as status;
  // otherwise `value` is the command's result (0, or -1 after a kernel error).
  struct Step {
    bool exit = false;
    int value = 0;
  };
  static Step Exit(int status) { return {true, status}; }
  static Step Result(int value) { return {false, value}; }

  // ipvsadm --save-config [FILE]: the rules as -Sn prints them, written to FILE
  // (kDefaultRulesPath) so that a reader sees the old rules or the new, never a part. An
  // extension, read before ipvsadm's own grammar.
  int SaveConfig(const std::vector<std::string>& args);
  Step ProcessOptions(const std::vector<std::string>& argv, bool reading_stdin);
  Step Execute(const Command& ce, const std::string& program, bool reading_stdin);
  Step Restore(const std::string& program);
  // Reports why line `line` (its words in argv) stopped a restore before anything was applied.
  void RestoreStopped(const std::string& program, size_t line, const std::vector<std::string>& argv);
  Step ListAll(unsigned format, bool json);
  Step ListService(const ctl::ServiceKey& key, unsigned format, bool json);
  Step ListConns(unsigned format, bool json);
  Step ListTimeout(bool json);
  Step ListDaemon(bool json);
  // A failed change: ipvs_strerror() on stderr, result -1.
  Step Report(Op op, const Status& st);

  void Out(const std::string& s);
  void Err(const std::string& s);

  ctl::Client client_;
  ctl::InfoReply info_;
  FILE* in_;
  FILE* out_;
  FILE* err_;
};

}  // namespace ipvsd::cli

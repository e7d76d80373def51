// File: cli/parse.h
//
// ipvsadm 1.31's command-line grammar: parse_options() with popt and the same option table,
// then the checks of process_options() (the commands_v_options compatibility table, the
// tunnel option table, zero ports, one-packet scheduling, address families, list conflicts).
// Every message and exit status is ipvsadm's: fail() exits 2, tryhelp exits 255, -h and -v
// print to stdout and exit 0, a popt error after the command makes the command return -1.
//
//   ParseOutcome p = ParseCommand({"ipvsadm", "-A", "-t", "198.18.0.1:80", "-s", "rr"});
//   if (p.kind == ParseOutcome::kRun) Execute(p.command);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ctl/proto.h"

namespace ipvsd::cli {

enum class Cmd {
  kNone = 0, kAdd, kEdit, kDel, kFlush, kList, kAddDest, kDelDest, kEditDest, kTimeout, kStartDaemon,
  kStopDaemon, kRestore, kSave, kZero,
};

// Option indices (OPTC_*) and their names, as in ipvsadm's optnames[]; kOptJson and
// kOptSloppy and kOptSynproxy are ours.
enum Optc {
  kOptNumeric = 0, kOptConnection, kOptService, kOptScheduler, kOptPersistent, kOptNetmask, kOptServer,
  kOptForward, kOptWeight, kOptUThreshold, kOptLThreshold, kOptMcast, kOptTimeout, kOptDaemon, kOptStats,
  kOptRate, kOptThresholds, kOptPersistentConn, kOptNoSort, kOptSyncId, kOptExact, kOptOnePacket,
  kOptPersistenceEngine, kOptSchedFlags, kOptMcastGroup, kOptMcastPort, kOptMcastTtl, kOptSyncMaxlen,
  kOptTunInfo, kOptTunType, kOptTunPort, kOptTunNoCsum, kOptTunCsum, kOptTunRemCsum, kOptJson, kOptSloppy,
  kOptSynproxy, kNumOpts,
};

constexpr uint64_t OptBit(int optc) { return 1ull << optc; }

struct Command {
  Cmd cmd = Cmd::kNone;
  uint64_t options = 0;  // OptBit() of every option given
  unsigned format = 0;   // kFmt* flags
  ctl::ServiceSpec svc;  // key.family kUnspec until a service is given
  ctl::DestSpec dest;    // addr.family kUnspec until -r is given
  ctl::TimeoutsMsg timeout;
  ctl::DaemonConfig daemon;
  Command();
};

struct ParseOutcome {
  enum Kind {
    kRun,     // execute `command`
    kExit,    // print `out`/`err` and exit with `status` (fail, tryhelp, -h, -v)
    kReturn,  // print `err`; the command fails with -1 but a restore continues (popt errors)
  };
  Kind kind = kRun;
  Command command;
  int status = 0;
  std::string out;
  std::string err;
};

// argv[0] is the program name, as ipvsadm prints it in its messages.
ParseOutcome ParseCommand(const std::vector<std::string>& argv);

std::string UsageText(const std::string& program);
std::string VersionText();

}  // namespace ipvsd::cli

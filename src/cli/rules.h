// File: cli/rules.h
//
// Rule lines, as `ipvsadm -S` writes them and `ipvsadm -R` reads them (ipvsadm's
// config_stream_read), and the table changes they make as one batch for ipvsd, applied all
// or nothing. ipvsadm -R reads them from stdin; ipvsd reads its saved rules at start
// (--rules, /etc/ipvsd/rules) with ReadRulesFile, and `ipvsadm --save-config` writes them
// there with SaveRulesFile.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "cli/parse.h"
#include "cli/strerror.h"
#include "ctl/codec.h"
#include "ctl/proto.h"

namespace ipvsd::cli {

// Where ipvsd looks for saved rules when --rules is not given, and where
// `ipvsadm --save-config` writes them: as Debian's ipvsadm restores /etc/ipvsadm.rules at boot.
inline constexpr const char* kDefaultRulesPath = "/etc/ipvsd/rules";

// One line of input as argv (argv[0] = program), split on blanks, every "ipvsadm" token
// dropped; nullopt at the end of the input.
std::optional<std::vector<std::string>> ReadRestoreLine(FILE* in, const std::string& program);

// -Z of one service (with -t/-u/--sctp-service/-f) or of everything.
ctl::ZeroRequest ZeroOf(const Command& ce);

// The batch step and the error-text operation of a command that changes the table, timeouts
// included; nullopt for the others (listings, sync daemons, ...).
std::optional<std::pair<ctl::BatchStep, Op>> ChangeStep(const Command& ce);

// A rules file as one batch, with where each step came from.
struct RulesBatch {
  ctl::BatchRequest batch;
  std::vector<size_t> lines;  // the line of each step
  std::vector<Op> ops;        // the operation of each step, for its error text
};

// Reads the rules file at path. Every non-blank line must be a change to the table (what
// `ipvsadm -S` writes, and -A/-E/-D/-a/-e/-d/-C/-Z/--set): anything else, or a line ipvsadm
// would refuse, is EINVAL with "PATH:LINE: why".
Result<RulesBatch> ReadRulesFile(const std::string& path);

// "PATH:LINE: <ipvsadm's text for the error>" for the step of `rules` that ipvsd refused.
std::string RulesStepError(const std::string& path, const RulesBatch& rules, uint32_t step, int err);

// Writes `text` to path so that a reader sees the old file or the new one, never a part:
// a temporary file beside it, flushed to disk, renamed over it.
Status WriteFileAtomically(const std::string& path, const std::string& text);

}  // namespace ipvsd::cli

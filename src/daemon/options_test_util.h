// File: daemon/options_test_util.h
//
// ParseCommandLine from a list of words, as ipvsd's main() gets them (the program name first),
// for the options tests of both builds.
#pragma once

#include <string>
#include <vector>

#include "daemon/options.h"

namespace ipvsd::daemon {

inline Result<CommandLine> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "ipvsd");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return ParseCommandLine(static_cast<int>(args.size()), argv.data());
}

}  // namespace ipvsd::daemon

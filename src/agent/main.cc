// File: agent/main.cc
//
// ipvs-agent: reads the command line and runs the DecapAgent (agent/agent.h). Exit codes: 0
// after SIGTERM/SIGINT, 2 for usage errors, 1 when the sockets or the TUN device cannot be set up.
#include <cstdio>

#include "agent/agent.h"

int main(int argc, char** argv) {
  using namespace ipvsd;
  auto opts = agent::ParseAgentCommandLine(argc, argv);
  if (!opts) {
    std::fprintf(stderr, "ipvs-agent: %s\nTry 'ipvs-agent --help' for more information.\n", opts.error().message.c_str());
    return 2;
  }
  if (opts->help) {
    std::fputs(agent::AgentUsage(argv[0]).c_str(), stdout);
    return 0;
  }
  SetLogLevel(opts->log_level);
  agent::DecapAgent decap(*opts);
  if (Status st = decap.Run(); !st) {
    std::fprintf(stderr, "ipvs-agent: %s\n", st.error().message.c_str());
    return 1;
  }
  return 0;
}

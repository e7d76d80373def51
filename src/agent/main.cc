// File: agent/main.cc
//
// ipvs-agent: reads the command line and runs the DecapAgent (agent/agent.h) or the
// LoadServer (agent/load_server.h). Exit codes: 0 after SIGTERM/SIGINT, 2 for usage errors, 1
// when the sockets, the TUN device or the load sources cannot be set up.
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
  Status st = Ok();
  if (opts->mode == agent::AgentMode::kLoad) {
    agent::LoadServer server(opts->load);
    st = server.Run();
  } else {
    agent::DecapAgent decap(*opts);
    st = decap.Run();
  }
  if (!st) {
    std::fprintf(stderr, "ipvs-agent: %s\n", st.error().message.c_str());
    return 1;
  }
  return 0;
}

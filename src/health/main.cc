// File: health/main.cc
//
// ipvs-healthd: command line, configuration, then the daemon (health/healthd.h). Exit codes:
// 0 after SIGTERM/SIGINT, 1 when ipvsd cannot be reached or /metrics cannot be served, 2 for
// usage or configuration errors.
#include <signal.h>

#include <cstdio>

#include "base/clock.h"
#include "health/config.h"
#include "health/healthd.h"

int main(int argc, char** argv) {
  using namespace ipvsd;
  auto opts = health::ParseHealthdCommandLine(argc, argv);
  if (!opts) {
    std::fprintf(stderr, "ipvs-healthd: %s\nTry 'ipvs-healthd --help' for more information.\n",
                 opts.error().message.c_str());
    return 2;
  }
  if (opts->help) {
    std::fputs(health::HealthdUsage(argv[0]).c_str(), stdout);
    return 0;
  }
  SetLogLevel(opts->log_level);
  auto config = health::ParseConfigFile(opts->config_path, opts->config_id);
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return 2;
  }
  if (opts->check_only) {
    for (const std::string& n : config->notices) std::fprintf(stderr, "%s\n", n.c_str());
    std::printf("%s: %zu virtual servers\n%s", opts->config_path.c_str(), config->virtual_servers.size(),
                health::DescribeConfig(*config).c_str());
    return 0;
  }
  // A checker writing to a peer that closed must not kill the daemon.
  signal(SIGPIPE, SIG_IGN);
  MonotonicClock clock;
  health::Healthd daemon(*opts, clock);
  if (Status st = daemon.Run(std::move(*config)); !st) {
    std::fprintf(stderr, "ipvs-healthd: %s\n", st.error().message.c_str());
    return 1;
  }
  return 0;
}

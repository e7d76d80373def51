// ipvsd: the IP Virtual Server director daemon. Everything happens in Daemon; main() only
// reads the command line and maps failures to exit codes (2 for usage errors, 1 otherwise).
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "daemon/daemon.h"
#include "daemon/options.h"
#include "daemon/data_plane_setup.h"
#include "daemon/takeover.h"

int main(int argc, char** argv) {
  using namespace ipvsd;
  auto cl = daemon::ParseCommandLine(argc, argv);
  if (!cl) {
    std::fprintf(stderr, "ipvsd: %s\nTry 'ipvsd --help' for more information.\n", cl.error().message.c_str());
    return 2;
  }
  if (cl->help) {
    std::fputs(daemon::Usage(argv[0]).c_str(), stdout);
    return 0;
  }
  SetLogLevel(cl->options.log_level);
  core::Stats::SetShardCount(daemon::WorkerLimit(cl->options));
  daemon::Daemon d(cl->options);
  std::vector<io::AfXdpHandover> handed_sockets;
  if (cl->options.takeover) {
    auto state = daemon::TakeOver(cl->options);
    if (!state) {
      std::fprintf(stderr, "ipvsd: --takeover: %s; the running ipvsd keeps serving\n", state.error().message.c_str());
      return 1;
    }
    handed_sockets = std::move(state->xdp_sockets);
    d.SetTakeover(std::move(*state));
  }
  auto workers = daemon::MakeDataPlane(d, std::move(handed_sockets));
  if (!workers) {
    std::fprintf(stderr, "ipvsd: %s\n", workers.error().message.c_str());
    return 1;
  }
  d.AttachDataPlane(workers->get());
  if (Status st = d.Start(); !st) {
    std::fprintf(stderr, "ipvsd: %s\n", st.error().message.c_str());
    return 1;
  }
  if (*workers) {
    // After Start(): the saved rules are in place for the adopted connections to find their
    // services, and the workers inherit its signal mask.
    if (Status st = (*workers)->AdoptStored(); !st) {
      std::fprintf(stderr, "ipvsd: %s\n", st.error().message.c_str());
      return 1;
    }
    (*workers)->Start();
  }
  d.NotifyReady();
  Status run = d.Run();
  if (*workers) (*workers)->Stop();
  if (d.handing_over()) {
    if (*workers) daemon::PassSockets(**workers, d.successor_pid());
    // No destructors: they would detach the XDP programs, which are to feed the passed sockets
    // (or hold the services' packets) until the new process replaces them; the stopped workers
    // left the connection store consistent, and the exit releases its lock.
    std::fflush(nullptr);
    _exit(0);
  }
  if (Status st = run; !st) {
    std::fprintf(stderr, "ipvsd: %s\n", st.error().message.c_str());
    return 1;
  }
  return 0;
}

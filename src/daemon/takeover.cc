#include "daemon/takeover.h"

#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "base/clock.h"
#include "base/log.h"
#include "core/conn_store.h"
#include "ctl/client.h"
#include "ctl/codec.h"
#include "daemon/conn_stores.h"
#include "daemon/interfaces.h"
#include "daemon/socket_handover.h"

namespace ipvsd::daemon {
namespace {

constexpr auto kExitWait = std::chrono::seconds(10);

// Whether process `pid` has exited (gone, or a zombie its parent has not reaped yet).
bool Exited(uint32_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  // "pid (comm) S ...": the state follows the last ')', as comm may hold one.
  const size_t close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() || line[close + 2] == 'Z';
}

}  // namespace

void PassSockets(WorkerPool& workers, uint32_t to) {
  auto sockets = workers.HandOverSockets();
  if (!sockets) {
    Log(LogLevel::kWarning, "takeover: %s; the new ipvsd opens sockets of its own", sockets.error().message.c_str());
    return;
  }
  if (sockets->empty()) return;
  const Status sent = SendSockets(static_cast<pid_t>(to), *sockets);
  for (io::AfXdpHandover& h : *sockets) h.Close();
  if (!sent) {
    Log(LogLevel::kWarning, "takeover: %s; the new ipvsd opens sockets of its own", sent.error().message.c_str());
    return;
  }
  Log(LogLevel::kInfo, "takeover: passed the AF_XDP sockets of %zu worker(s) to pid %u", sockets->size(), to);
}

Result<pid_t> SpawnTakeover(const std::string& program, const std::vector<std::string>& args) {
  std::vector<std::string> words{program};
  for (const std::string& a : args) {
    if (a != "--takeover") words.push_back(a);
  }
  words.emplace_back("--takeover");
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  // Only stdin, stdout and stderr: a socket this process holds (an AF_XDP one above all) must
  // not outlive it in the new one.
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addclosefrom_np(&files, 3);
  pid_t pid = 0;
  const int err = posix_spawn(&pid, program.c_str(), &files, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  if (err != 0) return MakeError(err, "starting " + program + ": " + std::strerror(err));
  return pid;
}

ctl::BatchRequest RebuildBatch(const ctl::ServiceList& services, const ctl::TimeoutsMsg& timeouts) {
  ctl::BatchRequest batch;
  for (const ctl::ServiceEntry& s : services.services) {
    batch.steps.push_back(ctl::MakeBatchStep(ctl::MsgType::kAddService, s.spec));
    // Listed newest first, as ipvsadm shows them: added oldest first to keep that order.
    for (auto d = s.dests.rbegin(); d != s.dests.rend(); ++d) {
      batch.steps.push_back(ctl::MakeBatchStep(ctl::MsgType::kAddDest, ctl::DestRequest{s.spec.key, d->spec}));
    }
  }
  batch.steps.push_back(ctl::MakeBatchStep(ctl::MsgType::kSetTimeouts, timeouts));
  return batch;
}

Result<TakeoverState> TakeOver(const Options& options) {
  auto client = ctl::Client::Connect(options.socket_path);
  if (!client) {
    return MakeError(client.error().code, "no ipvsd answers on " + options.socket_path + ": " +
                                              client.error().message + " (start it without --takeover)");
  }
  TakeoverState state;
  auto services = client->GetServices();
  if (!services) return services.error();
  state.services = std::move(*services);
  auto timeouts = client->GetTimeouts();
  if (!timeouts) return timeouts.error();
  state.timeouts = *timeouts;
  auto daemons = client->GetDaemons();
  if (!daemons) return daemons.error();
  state.daemons = std::move(*daemons);

  // What would stop this process once the running one is gone: refused while it still serves.
  if (Status st = CheckInterfaces(options.ifaces); !st) return st.error();
  if (!options.conn_store_dir.empty()) {
    for (const std::string& path : ConnStores::TableFiles(options.conn_store_dir)) {
      if (Status st = core::CheckConnStore(path); !st) return st.error();
    }
  }

  // Listening before asking: the old process passes its sockets as soon as its workers stop.
  auto listener = SocketHandoverListener::Listen();
  if (!listener) {
    Log(LogLevel::kWarning, "takeover: %s; the data plane opens sockets of its own", listener.error().message.c_str());
  }
  state.asked_at_ns = MonotonicClock().NowNs();
  auto old = client->RequestHandover(ctl::Handover{static_cast<uint32_t>(::getpid()), IPVSD_VERSION});
  if (!old) return MakeError(old.error().code, "the running ipvsd refused to hand over: " + old.error().message);
  state.old = std::move(*old);
  if (listener) {
    const uint32_t pid = state.old.pid;
    auto sockets = listener->Receive(static_cast<pid_t>(pid), [pid] { return Exited(pid); },
                                     static_cast<int>(std::chrono::milliseconds(kExitWait).count()));
    if (sockets) {
      state.xdp_sockets = std::move(*sockets);
    } else {
      Log(LogLevel::kWarning, "takeover: %s; the data plane opens sockets of its own", sockets.error().message.c_str());
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + kExitWait;
  while (!Exited(state.old.pid)) {
    if (std::chrono::steady_clock::now() > deadline) {
      return MakeError(ETIMEDOUT, "ipvsd " + state.old.version + " (pid " + std::to_string(state.old.pid) +
                                      ") agreed to hand over but did not exit within 10 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return state;
}

}  // namespace ipvsd::daemon

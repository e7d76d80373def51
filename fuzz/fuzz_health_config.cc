// File: fuzz/fuzz_health_config.cc
//
// keepalived.conf as ipvs-healthd reads it (health::ParseConfigText: tokenizer, includes,
// statement tree, every directive's value checks), then what healthd does with a
// configuration it accepted: each virtual server becomes a VirtualServerPool over a fake
// ipvsd that starts, sees checkers go down and up (health::CheckerState with the configured
// retry and delays), changes weights (dynamic feedback with the configured constants),
// reloads itself and is released.
//
// Includes are globbed from the current directory, which the harness moves to a scratch
// directory holding a few small files (one that includes itself, for the depth limit) while
// it parses, and back afterwards (libFuzzer's own paths may be relative). An input whose
// include could name anything outside it ('/', '~' or '\' with an include) is rejected, so no
// run reads the machine's files.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "base/log.h"
#include "health/checker_state.h"
#include "health/config.h"
#include "health/feedback.h"
#include "health/pool.h"

namespace {

namespace health = ipvsd::health;
namespace ctl = ipvsd::ctl;

// The fake ipvsd: every change succeeds.
class NullOps final : public health::IpvsOps {
 public:
  ipvsd::Status AddService(const ctl::ServiceSpec&) override { return ipvsd::Ok(); }
  ipvsd::Status EditService(const ctl::ServiceSpec&) override { return ipvsd::Ok(); }
  ipvsd::Status DelService(const ctl::ServiceKey&) override { return ipvsd::Ok(); }
  ipvsd::Status AddDest(const ctl::ServiceKey&, const ctl::DestSpec&) override { return ipvsd::Ok(); }
  ipvsd::Status EditDest(const ctl::ServiceKey&, const ctl::DestSpec&) override { return ipvsd::Ok(); }
  ipvsd::Status DelDest(const ctl::ServiceKey&, const ctl::DestSpec&) override { return ipvsd::Ok(); }
};

// Descriptors of the scratch directory and of the directory libFuzzer started in.
int g_scratch_fd = -1;
int g_start_fd = -1;

void MakeScratchDir() {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "ipvsd-fuzz-health-config";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "rs.conf") << "virtual_server 198.19.0.9 80 {\n  lb_kind DR\n"
                                    "  real_server 198.18.1.10 80 {\n    TCP_CHECK {\n    }\n  }\n}\n";
  std::ofstream(dir / "loop.conf") << "include loop.conf\n";
  std::ofstream(dir / "empty.conf") << "";
  g_scratch_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_start_fd = ::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (g_scratch_fd < 0 || g_start_fd < 0) std::abort();
}

bool MayEscapeScratchDir(std::string_view text) {
  return text.find("include") != std::string_view::npos && text.find_first_of("/~\\") != std::string_view::npos;
}

// Runs one checker through a failure streak and a recovery, as healthd's probes would report.
void ExerciseChecker(const health::CheckerConfig& cfg) {
  health::CheckerState state(cfg, /*initially_up=*/true);
  uint64_t now = 0;
  for (int i = 0; i <= cfg.retry + 1 && i < 8; ++i) now = state.OnResult(false, now).next_due_ns;
  (void)state.OnResult(true, now);
}

// Dynamic feedback with the configured constants: a loaded server, an idle one, a reset.
void ExerciseFeedback(const health::VirtualServerConfig& vs, const health::RealServerConfig& rs) {
  health::FeedbackWeight w(rs.weight, vs.feedback);
  health::LoadReport busy{.cpu = 1, .runq = 8, .ncpu = 2, .memory = 0.9, .conns = 5000};
  (void)w.OnLoad(health::AggregateLoad(busy, vs.feedback));
  (void)w.OnLoad(health::AggregateLoad(health::LoadReport{}, vs.feedback));
  (void)w.Reset();
}

void ExercisePool(const health::VirtualServerConfig& vs) {
  NullOps ops;
  health::VirtualServerPool pool(vs, &ops);
  pool.Start();
  const auto& servers = pool.config().real_servers;
  for (size_t rs = 0; rs < servers.size() && rs < 16; ++rs) {
    for (size_t chk = 0; chk < servers[rs].checkers.size() && chk < 4; ++chk) {
      ExerciseChecker(servers[rs].checkers[chk]);
      pool.OnCheckerChange(rs, chk, false);
    }
    if (vs.feedback.enabled) ExerciseFeedback(vs, servers[rs]);
    pool.SetWeight(rs, servers[rs].weight / 2);
  }
  for (size_t rs = 0; rs < servers.size() && rs < 16; ++rs) {
    for (size_t chk = 0; chk < servers[rs].checkers.size() && chk < 4; ++chk) pool.OnCheckerChange(rs, chk, true);
  }
  (void)pool.LiveWeight();
  health::VirtualServerConfig reloaded = vs;
  if (!reloaded.real_servers.empty()) reloaded.real_servers.pop_back();
  pool.Reconfigure(reloaded);
  pool.Release();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ipvsd::SetLogLevel(ipvsd::LogLevel::kOff);
  MakeScratchDir();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (MayEscapeScratchDir(text)) return -1;
  if (::fchdir(g_scratch_fd) != 0) std::abort();
  ipvsd::Result<health::Config> cfg = health::ParseConfigText(text, "fuzz.conf");
  if (::fchdir(g_start_fd) != 0) std::abort();
  if (!cfg) {
    if (cfg.error().message.empty()) std::abort();  // every rejection says where and why
    return 0;
  }
  for (const health::VirtualServerConfig& vs : cfg->virtual_servers) ExercisePool(vs);
  return 0;
}

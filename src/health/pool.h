// File: health/pool.h
//
// One virtual server as keepalived's ipwrapper.c manages it: which real servers are alive
// (all their checkers pass), which of them are in the IPVS table, the quorum with its
// hysteresis, the sorry server, inhibit_on_failure and weight changes (misc_dynamic and
// dynamic feedback). It talks to ipvsd only through IpvsOps, so the rules are unit-tested
// with a recording fake and the daemon plugs in the control-socket client.
//
// The rules (keepalived ipwrapper.c: perform_svr_state, update_quorum_state, update_svr_wgt):
// - A server that goes down leaves the table (with inhibit_on_failure: stays with weight 0);
//   one that comes up enters it with its current weight — unless the quorum is lost and the
//   sorry server is in, in which case only its state is remembered.
// - Quorum: lost when the live weight sum drops below quorum - hysteresis, regained when it
//   reaches quorum + hysteresis. On loss the sorry server is added and every live server is
//   taken out; on regain the sorry server leaves and the live servers come back.
// - At start every server is alive (with alpha: down until its first successful check; a
//   FILE_CHECK reads its file at once); a start below quorum brings the sorry server in at once.
// - A FILE_CHECK with a weight adds the file's value times that weight to the server's weight
//   while it passes (keepalived's checker cur_weight); the table gets the sum, within
//   0..2^31-1.
// - Reconfigure (SIGHUP) keeps the state of servers whose identity (address, port) stays and
//   touches ipvsd only where the configuration differs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "ctl/proto.h"
#include "health/config.h"

namespace ipvsd::health {

class IpvsOps {
 public:
  virtual ~IpvsOps() = default;
  // Add* treat "already exists" as an edit, Del* treat "not there" as done: the table may
  // hold what a previous run left.
  virtual Status AddService(const ctl::ServiceSpec& spec) = 0;
  virtual Status EditService(const ctl::ServiceSpec& spec) = 0;
  virtual Status DelService(const ctl::ServiceKey& key) = 0;
  virtual Status AddDest(const ctl::ServiceKey& key, const ctl::DestSpec& dest) = 0;
  virtual Status EditDest(const ctl::ServiceKey& key, const ctl::DestSpec& dest) = 0;
  virtual Status DelDest(const ctl::ServiceKey& key, const ctl::DestSpec& dest) = 0;
};

struct RealServerState {
  RealServerConfig cfg;
  std::vector<bool> checker_up;
  std::vector<int> checker_weight;  // per checker: what it adds to the weight (FILE_CHECK), 0 for others
  int weight = 1;            // current weight (configured, or set by misc_dynamic / feedback)
  bool alive = true;
  bool in_table = false;     // present in ipvsd (with inhibit_on_failure possibly at weight 0)
  uint64_t transitions = 0;  // alive -> dead and dead -> alive since healthd started, across reloads
  // What the table gets: weight plus the FILE_CHECKs' shares, within 0..2^31-1 (ipvsd's range).
  int EffectiveWeight() const;
};

// Runs a notify_up/notify_down/quorum_up/quorum_down script without waiting for it.
using ScriptRunner = std::function<void(const NotifyScript& script)>;

class VirtualServerPool {
 public:
  VirtualServerPool(VirtualServerConfig cfg, IpvsOps* ops, ScriptRunner run_script = {});

  // Creates the services and adds the live servers (or the sorry server).
  void Start();
  // ipvs-healthd is exiting: with omega, the quorum counts as lost and quorum_down runs.
  void Stop();
  // Deletes the services this pool created (ipvs-healthd's exit without --dont-release-ipvs).
  void Release();
  // Checker CHK of real server RS changed state.
  void OnCheckerChange(size_t rs, size_t chk, bool up);
  // misc_dynamic / feedback: new current weight of real server RS.
  void SetWeight(size_t rs, int weight);
  // FILE_CHECK CHK of real server RS now adds SHARE to its weight.
  void SetCheckerWeight(size_t rs, size_t chk, int share);
  // Applies NEW_CFG (same name) with as few changes to ipvsd as possible.
  void Reconfigure(VirtualServerConfig new_cfg);

  const VirtualServerConfig& config() const { return cfg_; }
  const std::vector<RealServerState>& servers() const { return rs_; }
  bool quorum_up() const { return quorum_up_; }
  bool sorry_in_table() const { return sorry_in_; }
  int LiveWeight() const;

 private:
  static ctl::ServiceSpec MakeSpec(const ctl::ServiceSpec& base, const ctl::ServiceKey& key);
  ctl::ServiceSpec SpecFor(const ctl::ServiceKey& key) const { return MakeSpec(cfg_.service, key); }
  static ctl::DestSpec DestFor(const RealServerConfig& rs, int weight);
  static void StartStates(const RealServerConfig& c, RealServerState* st);
  // Whether changes of a server's membership reach the table now (keepalived: quorum up, or
  // no sorry server in the table).
  bool PoolOpen() const { return quorum_up_ || !sorry_in_; }
  void Enter(RealServerState& rs);
  void Leave(RealServerState& rs, bool forget);
  void UpdateQuorum();
  void SetAlive(size_t rs, bool alive);
  void AddSorry();
  void DelSorry(bool forget);
  void Log(const std::string& what) const;
  void RunScript(const NotifyScript& script, const std::string& why) const;
  // Sends RS's effective weight when it is serving, and re-evaluates the quorum.
  void WeightChanged(RealServerState& rs);

  VirtualServerConfig cfg_;
  IpvsOps* ops_;
  ScriptRunner run_script_;
  std::vector<RealServerState> rs_;
  bool quorum_up_ = true;
  bool sorry_in_ = false;          // serving, at weight 1
  bool sorry_inhibited_ = false;   // sorry_server_inhibit: out of service, kept at weight 0
};

}  // namespace ipvsd::health

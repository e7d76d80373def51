// File: health/pool.cc
#include "health/pool.h"

#include <algorithm>

#include "base/log.h"
#include "health/file_check.h"

namespace ipvsd::health {
namespace {

bool HasKey(const std::vector<ctl::ServiceKey>& keys, const ctl::ServiceKey& k) {
  return std::find(keys.begin(), keys.end(), k) != keys.end();
}

void Report(const Status& st, const char* op, const std::string& what) {
  if (!st) Log(LogLevel::kError, "%s %s: %s", op, what.c_str(), st.error().message.c_str());
}

}  // namespace

int RealServerState::EffectiveWeight() const {
  long sum = weight;
  for (const int share : checker_weight) sum += share;
  return static_cast<int>(std::clamp(sum, 0L, static_cast<long>(kIpvsWeightMax)));
}

VirtualServerPool::VirtualServerPool(VirtualServerConfig cfg, IpvsOps* ops, ScriptRunner run_script)
    : cfg_(std::move(cfg)), ops_(ops), run_script_(std::move(run_script)) {}

ctl::ServiceSpec VirtualServerPool::MakeSpec(const ctl::ServiceSpec& base, const ctl::ServiceKey& key) {
  ctl::ServiceSpec spec = base;
  spec.key = key;
  if (key.family == net::Family::kInet6 && spec.netmask == 0xffffffffu) spec.netmask = 128;
  return spec;
}

ctl::DestSpec VirtualServerPool::DestFor(const RealServerConfig& rs, int weight) {
  ctl::DestSpec d;
  d.addr = rs.addr;
  d.port = rs.port;
  d.fwd = rs.fwd.method;
  d.tun_type = rs.fwd.tun_type;
  d.tun_port = rs.fwd.tun_port;
  d.tun_csum = rs.fwd.tun_csum;
  d.weight = weight;
  d.u_threshold = rs.u_threshold;
  d.l_threshold = rs.l_threshold;
  return d;
}

void VirtualServerPool::Log(const std::string& what) const {
  ipvsd::Log(LogLevel::kInfo, "VS %s: %s", cfg_.name.c_str(), what.c_str());
}

void VirtualServerPool::RunScript(const NotifyScript& script, const std::string& why) const {
  if (script.empty() || !run_script_) return;
  Log("running " + why + " script: " + script.command);
  run_script_(script);
}

int VirtualServerPool::LiveWeight() const {
  int sum = 0;
  for (const RealServerState& rs : rs_) sum += rs.alive ? rs.EffectiveWeight() : 0;
  return sum;
}

void VirtualServerPool::Enter(RealServerState& rs) {
  const ctl::DestSpec d = DestFor(rs.cfg, rs.EffectiveWeight());
  for (const ctl::ServiceKey& key : cfg_.keys) {
    Report(rs.in_table ? ops_->EditDest(key, d) : ops_->AddDest(key, d), "adding", rs.cfg.Name());
  }
  rs.in_table = true;
}

void VirtualServerPool::Leave(RealServerState& rs, bool forget) {
  if (!rs.in_table) return;
  const bool inhibit = rs.cfg.inhibit_on_failure && !forget;
  const ctl::DestSpec d = DestFor(rs.cfg, 0);
  for (const ctl::ServiceKey& key : cfg_.keys) {
    Report(inhibit ? ops_->EditDest(key, d) : ops_->DelDest(key, d), "removing", rs.cfg.Name());
  }
  rs.in_table = inhibit;
}

void VirtualServerPool::AddSorry() {
  if (!cfg_.sorry_server || sorry_in_) return;
  Log((sorry_inhibited_ ? "enabling sorry server " : "adding sorry server ") + cfg_.sorry_server->Name());
  const ctl::DestSpec d = DestFor(*cfg_.sorry_server, 1);
  for (const ctl::ServiceKey& key : cfg_.keys) {
    Report(sorry_inhibited_ ? ops_->EditDest(key, d) : ops_->AddDest(key, d), "adding sorry server",
           cfg_.sorry_server->Name());
  }
  sorry_in_ = true;
  sorry_inhibited_ = false;
}

// With sorry_server_inhibit the sorry server stays at weight 0, as keepalived "disables" it,
// unless FORGET (it is no longer configured so).
void VirtualServerPool::DelSorry(bool forget) {
  if (!cfg_.sorry_server || (!sorry_in_ && !(forget && sorry_inhibited_))) return;
  const bool inhibit = cfg_.sorry_server->inhibit_on_failure && !forget;
  Log((inhibit ? "disabling sorry server " : "removing sorry server ") + cfg_.sorry_server->Name());
  const ctl::DestSpec d = DestFor(*cfg_.sorry_server, 0);
  for (const ctl::ServiceKey& key : cfg_.keys) {
    Report(inhibit ? ops_->EditDest(key, d) : ops_->DelDest(key, d), "removing sorry server", cfg_.sorry_server->Name());
  }
  sorry_in_ = false;
  sorry_inhibited_ = inhibit;
}

// Every checker starts up but an alpha one (alpha of its own, its real server's or its virtual
// server's), which starts failed, and a FILE_CHECK, which reads its file now (keepalived's
// init_service_rs); a server is alive when all its checkers are up, so a server without
// checkers always is (keepalived does the same).
void VirtualServerPool::StartStates(const RealServerConfig& c, RealServerState* st) {
  st->checker_up.clear();
  st->checker_weight.assign(c.checkers.size(), 0);
  for (size_t i = 0; i < c.checkers.size(); ++i) {
    const CheckerConfig& chk = c.checkers[i];
    if (chk.kind != CheckerKind::kFile) {
      st->checker_up.push_back(!chk.alpha);
      continue;
    }
    // An unreadable number counts as 0 here: keepalived has no earlier value to keep either.
    const FileVerdict v = JudgeTrackFile(ReadTrackFileValue(chk.file_path).value_or(0), chk.file_weight, chk.file_reverse);
    st->checker_up.push_back(v.up);
    st->checker_weight[i] = v.weight_offset;
  }
  st->alive = std::all_of(st->checker_up.begin(), st->checker_up.end(), [](bool up) { return up; });
}

void VirtualServerPool::Start() {
  for (const ctl::ServiceKey& key : cfg_.keys) Report(ops_->AddService(SpecFor(key)), "creating service", cfg_.name);
  rs_.clear();
  for (const RealServerConfig& c : cfg_.real_servers) {
    RealServerState st;
    st.cfg = c;
    StartStates(c, &st);
    st.weight = c.weight;
    rs_.push_back(std::move(st));
  }
  quorum_up_ = LiveWeight() >= cfg_.quorum;
  if (!quorum_up_) {
    Log("starting below quorum (" + std::to_string(LiveWeight()) + " < " + std::to_string(cfg_.quorum) + ")");
    AddSorry();
  }
  RunScript(quorum_up_ ? cfg_.quorum_up : cfg_.quorum_down, quorum_up_ ? "quorum_up" : "quorum_down");
  for (RealServerState& rs : rs_) {
    if (rs.alive && PoolOpen()) Enter(rs);
  }
}

void VirtualServerPool::Stop() {
  if (cfg_.omega && quorum_up_) RunScript(cfg_.quorum_down, "quorum_down (omega)");
}

void VirtualServerPool::Release() {
  for (const ctl::ServiceKey& key : cfg_.keys) Report(ops_->DelService(key), "deleting service", cfg_.name);
  for (RealServerState& rs : rs_) rs.in_table = false;
  sorry_in_ = false;
  sorry_inhibited_ = false;
}

void VirtualServerPool::SetAlive(size_t i, bool alive) {
  RealServerState& rs = rs_[i];
  if (alive == rs.alive) return;
  rs.alive = alive;
  ++rs.transitions;
  if (alive) {
    Log((rs.cfg.inhibit_on_failure ? "enabling " : "adding ") + rs.cfg.Name());
    if (PoolOpen()) Enter(rs);
    RunScript(rs.cfg.notify_up, "notify_up");
    if (!quorum_up_) UpdateQuorum();
  } else {
    Log((rs.cfg.inhibit_on_failure ? "disabling " : "removing ") + rs.cfg.Name());
    if (PoolOpen()) Leave(rs, false);
    RunScript(rs.cfg.notify_down, "notify_down");
    if (quorum_up_) UpdateQuorum();
  }
}

void VirtualServerPool::UpdateQuorum() {
  const int live = LiveWeight();
  if (!quorum_up_ && live >= cfg_.quorum + cfg_.hysteresis) {
    quorum_up_ = true;
    Log("gained quorum " + std::to_string(cfg_.quorum) + "+" + std::to_string(cfg_.hysteresis) +
        " <= " + std::to_string(live));
    RunScript(cfg_.quorum_up, "quorum_up");
    if (sorry_in_) {
      DelSorry(false);
      for (RealServerState& rs : rs_) {
        if (rs.alive) Enter(rs);
      }
    }
  } else if (quorum_up_ && live < cfg_.quorum - cfg_.hysteresis) {
    quorum_up_ = false;
    Log("lost quorum " + std::to_string(cfg_.quorum) + "-" + std::to_string(cfg_.hysteresis) + " > " +
        std::to_string(live));
    RunScript(cfg_.quorum_down, "quorum_down");
    if (cfg_.sorry_server) {
      AddSorry();
      for (RealServerState& rs : rs_) {
        if (rs.alive) Leave(rs, false);
      }
    }
  }
}

void VirtualServerPool::OnCheckerChange(size_t rs, size_t chk, bool up) {
  RealServerState& st = rs_[rs];
  st.checker_up[chk] = up;
  SetAlive(rs, std::all_of(st.checker_up.begin(), st.checker_up.end(), [](bool b) { return b; }));
}

void VirtualServerPool::SetWeight(size_t i, int weight) {
  RealServerState& rs = rs_[i];
  if (weight == rs.weight) return;
  Log("weight of " + rs.cfg.Name() + " " + std::to_string(rs.weight) + " -> " + std::to_string(weight));
  rs.weight = weight;
  WeightChanged(rs);
}

void VirtualServerPool::SetCheckerWeight(size_t i, size_t chk, int share) {
  RealServerState& rs = rs_[i];
  if (rs.checker_weight[chk] == share) return;
  const int before = rs.EffectiveWeight();
  rs.checker_weight[chk] = share;
  Log("weight of " + rs.cfg.Name() + " " + std::to_string(before) + " -> " + std::to_string(rs.EffectiveWeight()) +
      " (" + CheckerKindName(rs.cfg.checkers[chk].kind) + " " + rs.cfg.checkers[chk].where + ")");
  WeightChanged(rs);
}

void VirtualServerPool::WeightChanged(RealServerState& rs) {
  if (rs.in_table && rs.alive && PoolOpen()) {
    const ctl::DestSpec d = DestFor(rs.cfg, rs.EffectiveWeight());
    for (const ctl::ServiceKey& key : cfg_.keys) Report(ops_->EditDest(key, d), "setting weight of", rs.cfg.Name());
  }
  UpdateQuorum();
}

void VirtualServerPool::Reconfigure(VirtualServerConfig new_cfg) {
  // 1. Services: gone ones deleted, changed ones edited, new ones created with what the
  //    table holds for this virtual server now.
  const VirtualServerConfig old_cfg = cfg_;
  for (const ctl::ServiceKey& key : old_cfg.keys) {
    if (!HasKey(new_cfg.keys, key)) Report(ops_->DelService(key), "deleting service", cfg_.name);
  }
  cfg_.service = new_cfg.service;
  for (const ctl::ServiceKey& key : new_cfg.keys) {
    if (HasKey(old_cfg.keys, key) && MakeSpec(old_cfg.service, key) != SpecFor(key)) {
      Report(ops_->EditService(SpecFor(key)), "editing service", cfg_.name);
    }
  }
  for (const ctl::ServiceKey& key : new_cfg.keys) {
    if (HasKey(old_cfg.keys, key)) continue;
    Report(ops_->AddService(SpecFor(key)), "creating service", cfg_.name);
    for (const RealServerState& rs : rs_) {
      if (rs.in_table) {
        const int w = rs.alive && PoolOpen() ? rs.EffectiveWeight() : 0;
        Report(ops_->AddDest(key, DestFor(rs.cfg, w)), "adding", rs.cfg.Name());
      }
    }
    if (sorry_in_ || sorry_inhibited_) {
      Report(ops_->AddDest(key, DestFor(*cfg_.sorry_server, sorry_in_ ? 1 : 0)), "adding sorry server", cfg_.name);
    }
  }
  cfg_.keys = new_cfg.keys;

  // 2. The sorry server, if it changed while in the table (serving, or inhibited at weight 0).
  if ((sorry_in_ || sorry_inhibited_) && new_cfg.sorry_server != cfg_.sorry_server) {
    // An inhibited one only leaves: the live servers are in the table already.
    const bool was_serving = sorry_in_;
    DelSorry(true);
    cfg_.sorry_server = new_cfg.sorry_server;
    if (was_serving && !quorum_up_ && cfg_.sorry_server) {
      AddSorry();
    } else if (was_serving) {
      for (RealServerState& rs : rs_) {
        if (rs.alive) Enter(rs);
      }
    }
  }

  // 3. Real servers: identity is address and port.
  std::vector<RealServerState> next;
  for (const RealServerConfig& c : new_cfg.real_servers) {
    auto old = std::find_if(rs_.begin(), rs_.end(),
                            [&](const RealServerState& s) { return s.cfg.addr == c.addr && s.cfg.port == c.port; });
    if (old == rs_.end()) {
      RealServerState st;
      st.cfg = c;
      StartStates(c, &st);
      st.weight = c.weight;
      if (st.alive && PoolOpen()) Enter(st);
      next.push_back(std::move(st));
      continue;
    }
    RealServerState st = std::move(*old);
    rs_.erase(old);
    if (c.checkers != st.cfg.checkers) {
      // Changed checkers start from the server's state (the daemon runs them at once); a
      // FILE_CHECK's share comes with its first reading.
      st.checker_up.assign(c.checkers.size(), st.alive);
      st.checker_weight.assign(c.checkers.size(), 0);
    }
    const bool weight_changed = c.weight != st.cfg.weight;
    const bool dest_changed = c.fwd != st.cfg.fwd || c.u_threshold != st.cfg.u_threshold ||
                              c.l_threshold != st.cfg.l_threshold;
    const bool was_inhibit = st.cfg.inhibit_on_failure;
    st.cfg = c;
    if (weight_changed) st.weight = c.weight;
    if (st.in_table && !st.alive && was_inhibit && !c.inhibit_on_failure) {
      Leave(st, true);
    } else if (st.in_table && (weight_changed || dest_changed)) {
      const ctl::DestSpec d = DestFor(c, st.alive && PoolOpen() ? st.EffectiveWeight() : 0);
      for (const ctl::ServiceKey& key : cfg_.keys) Report(ops_->EditDest(key, d), "editing", c.Name());
    }
    next.push_back(std::move(st));
  }
  for (RealServerState& gone : rs_) {
    Log("real server " + gone.cfg.Name() + " is no longer configured");
    Leave(gone, true);
  }
  rs_ = std::move(next);

  // 4. Everything else (the sorry server in the table already matches), then the quorum
  //    under the new numbers.
  cfg_ = std::move(new_cfg);
  UpdateQuorum();
}

}  // namespace ipvsd::health

// File: health/pool_test.cc
//
// keepalived's table rules (ipwrapper.c) against a recording IpvsOps: removal and
// inhibit_on_failure, quorum with hysteresis and the sorry server, alpha, weight changes,
// and a reload that touches only what changed.
#include "health/pool.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "health/recording_ops_test_util.h"

namespace ipvsd::health {
namespace {

RealServerConfig Rs(const char* ip, int weight, size_t checkers = 1) {
  RealServerConfig rs;
  rs.addr = *net::IpAddr::Parse(ip);
  rs.port = 80;
  rs.weight = weight;
  rs.checkers.resize(checkers);
  return rs;
}

VirtualServerConfig Vs() {
  VirtualServerConfig vs;
  vs.name = "198.19.0.1:80/TCP";
  ctl::ServiceKey key;
  key.protocol = 6;
  key.port = 80;
  vs.keys.push_back(key);
  vs.service.sched_name = "rr";
  vs.real_servers = {Rs("10.0.0.1", 1), Rs("10.0.0.2", 1)};
  return vs;
}

using Ops = std::vector<std::string>;

TEST(Pool, RemovesAndRestoresAFailingServer) {
  Recorder rec;
  VirtualServerPool pool(Vs(), &rec);
  pool.Start();
  EXPECT_EQ(rec.Take(), (Ops{"AddService 80", "AddDest 10.0.0.1 w1", "AddDest 10.0.0.2 w1"}));
  pool.OnCheckerChange(1, 0, false);
  EXPECT_EQ(rec.Take(), (Ops{"DelDest 10.0.0.2"}));
  pool.OnCheckerChange(1, 0, true);
  EXPECT_EQ(rec.Take(), (Ops{"AddDest 10.0.0.2 w1"}));
  EXPECT_EQ(pool.servers()[1].transitions, 2u);
  EXPECT_EQ(pool.servers()[0].transitions, 0u);
}

TEST(Pool, OneFailingCheckerOfTwoIsEnough) {
  Recorder rec;
  VirtualServerConfig cfg = Vs();
  cfg.real_servers[0].checkers.resize(2);
  VirtualServerPool pool(cfg, &rec);
  pool.Start();
  rec.Take();
  pool.OnCheckerChange(0, 1, false);
  pool.OnCheckerChange(0, 0, false);
  pool.OnCheckerChange(0, 1, true);
  EXPECT_EQ(rec.Take(), (Ops{"DelDest 10.0.0.1"}));
  pool.OnCheckerChange(0, 0, true);
  EXPECT_EQ(rec.Take(), (Ops{"AddDest 10.0.0.1 w1"}));
}

TEST(Pool, InhibitOnFailureSetsWeightZero) {
  Recorder rec;
  VirtualServerConfig cfg = Vs();
  cfg.real_servers[1].inhibit_on_failure = true;
  cfg.real_servers[1].weight = 3;
  VirtualServerPool pool(cfg, &rec);
  pool.Start();
  rec.Take();
  pool.OnCheckerChange(1, 0, false);
  EXPECT_EQ(rec.Take(), (Ops{"EditDest 10.0.0.2 w0"}));
  pool.OnCheckerChange(1, 0, true);
  EXPECT_EQ(rec.Take(), (Ops{"EditDest 10.0.0.2 w3"}));
}

// keepalived's notify scripts: a real server's notify_up / notify_down at its transitions, the
// virtual server's quorum_up / quorum_down at start (the state it starts in) and at each
// quorum change.
TEST(Pool, NotifyScriptsRunAtTheirTransitions) {
  Recorder rec;
  std::vector<std::string> scripts;
  VirtualServerConfig cfg = Vs();
  cfg.real_servers[0].notify_up = "/etc/up.sh 10.0.0.1";
  cfg.real_servers[0].notify_down = "/etc/down.sh 10.0.0.1";
  cfg.quorum = 2;
  cfg.quorum_up = "/etc/vip.sh add";
  cfg.quorum_down = "/etc/vip.sh del";
  VirtualServerPool pool(cfg, &rec, [&](const NotifyScript& script) { scripts.push_back(script.command); });
  pool.Start();
  EXPECT_EQ(scripts, (std::vector<std::string>{"/etc/vip.sh add"}));
  scripts.clear();
  pool.OnCheckerChange(0, 0, false);
  EXPECT_EQ(scripts, (std::vector<std::string>{"/etc/down.sh 10.0.0.1", "/etc/vip.sh del"}));
  scripts.clear();
  pool.OnCheckerChange(0, 0, false);  // no transition, no script
  pool.OnCheckerChange(1, 0, false);  // a server without scripts
  EXPECT_TRUE(scripts.empty());
  pool.OnCheckerChange(0, 0, true);
  EXPECT_EQ(scripts, (std::vector<std::string>{"/etc/up.sh 10.0.0.1"}));
  scripts.clear();
  pool.OnCheckerChange(1, 0, true);
  EXPECT_EQ(scripts, (std::vector<std::string>{"/etc/vip.sh add"}));
  scripts.clear();
  pool.Stop();  // without omega, exiting runs nothing
  EXPECT_TRUE(scripts.empty());
  cfg.omega = true;
  VirtualServerPool omega(cfg, &rec, [&](const NotifyScript& script) { scripts.push_back(script.command); });
  omega.Start();
  omega.Stop();
  EXPECT_EQ(scripts, (std::vector<std::string>{"/etc/vip.sh add", "/etc/vip.sh del"}));
}

TEST(Pool, QuorumLossBringsTheSorryServerInWithHysteresis) {
  Recorder rec;
  VirtualServerConfig cfg = Vs();
  cfg.real_servers.push_back(Rs("10.0.0.3", 1));
  cfg.quorum = 2;
  cfg.hysteresis = 1;
  cfg.sorry_server = Rs("10.0.0.9", 1, 0);
  VirtualServerPool pool(cfg, &rec);
  pool.Start();
  rec.Take();
  // 3 live: down to 2 is still >= quorum - hysteresis = 1.
  pool.OnCheckerChange(0, 0, false);
  EXPECT_EQ(rec.Take(), (Ops{"DelDest 10.0.0.1"}));
  EXPECT_TRUE(pool.quorum_up());
  // Down to 1: still not below 1. Down to 0: lost; sorry in, the rest out.
  pool.OnCheckerChange(1, 0, false);
  EXPECT_EQ(rec.Take(), (Ops{"DelDest 10.0.0.2"}));
  pool.OnCheckerChange(2, 0, false);
  EXPECT_EQ(rec.Take(), (Ops{"DelDest 10.0.0.3", "AddDest 10.0.0.9 w1"}));
  EXPECT_FALSE(pool.quorum_up());
  // Up again: 1 and 2 live are below quorum + hysteresis = 3: nothing in the table changes.
  pool.OnCheckerChange(0, 0, true);
  pool.OnCheckerChange(1, 0, true);
  EXPECT_EQ(rec.Take(), Ops{});
  pool.OnCheckerChange(2, 0, true);
  EXPECT_EQ(rec.Take(), (Ops{"DelDest 10.0.0.9", "AddDest 10.0.0.1 w1", "AddDest 10.0.0.2 w1", "AddDest 10.0.0.3 w1"}));
  EXPECT_TRUE(pool.quorum_up());
}

TEST(Pool, AlphaStartsEveryServerDownAndTheSorryServerIn) {
  Recorder rec;
  VirtualServerConfig cfg = Vs();
  cfg.alpha = true;  // the parser hands it down to every checker
  for (RealServerConfig& rs : cfg.real_servers) rs.checkers[0].alpha = true;
  cfg.sorry_server = Rs("10.0.0.9", 1, 0);
  VirtualServerPool pool(cfg, &rec);
  pool.Start();
  EXPECT_EQ(rec.Take(), (Ops{"AddService 80", "AddDest 10.0.0.9 w1"}));
  pool.OnCheckerChange(0, 0, true);
  EXPECT_EQ(rec.Take(), (Ops{"DelDest 10.0.0.9", "AddDest 10.0.0.1 w1"}));
}

// alpha on one checker (or one real server) keeps only that server out until the checker's
// first success; the other checkers start up.
TEST(Pool, AlphaOfOneCheckerStartsOnlyItsServerDown) {
  Recorder rec;
  VirtualServerConfig cfg = Vs();
  cfg.real_servers[1] = Rs("10.0.0.2", 1, 2);
  cfg.real_servers[1].checkers[1].alpha = true;
  VirtualServerPool pool(cfg, &rec);
  pool.Start();
  EXPECT_EQ(rec.Take(), (Ops{"AddService 80", "AddDest 10.0.0.1 w1"}));
  pool.OnCheckerChange(1, 0, true);  // already up: nothing changes
  EXPECT_EQ(rec.Take(), Ops{});
  pool.OnCheckerChange(1, 1, true);
  EXPECT_EQ(rec.Take(), (Ops{"AddDest 10.0.0.2 w1"}));
}

TEST(Pool, WeightChangesReachTheTableOnlyForLiveServers) {
  Recorder rec;
  VirtualServerPool pool(Vs(), &rec);
  pool.Start();
  rec.Take();
  pool.SetWeight(0, 5);
  EXPECT_EQ(rec.Take(), (Ops{"EditDest 10.0.0.1 w5"}));
  pool.SetWeight(0, 5);
  EXPECT_EQ(rec.Take(), Ops{});
  pool.OnCheckerChange(1, 0, false);
  rec.Take();
  pool.SetWeight(1, 7);
  EXPECT_EQ(rec.Take(), Ops{});
  pool.OnCheckerChange(1, 0, true);
  EXPECT_EQ(rec.Take(), (Ops{"AddDest 10.0.0.2 w7"}));
}

TEST(Pool, ReconfigureTouchesOnlyTheDifference) {
  Recorder rec;
  VirtualServerPool pool(Vs(), &rec);
  pool.Start();
  pool.OnCheckerChange(1, 0, false);
  rec.Take();
  VirtualServerConfig next = Vs();
  next.real_servers[0].weight = 4;               // changed
  next.real_servers[1] = Rs("10.0.0.2", 1);     // unchanged (and still down)
  next.real_servers.push_back(Rs("10.0.0.3", 2));  // new
  pool.Reconfigure(next);
  EXPECT_EQ(rec.Take(), (Ops{"EditDest 10.0.0.1 w4", "AddDest 10.0.0.3 w2"}));
  EXPECT_FALSE(pool.servers()[1].alive);
  next.service.sched_name = "wlc";
  next.real_servers.erase(next.real_servers.begin());
  pool.Reconfigure(next);
  EXPECT_EQ(rec.Take(), (Ops{"EditService 80 wlc", "DelDest 10.0.0.1"}));
  pool.Release();
  EXPECT_EQ(rec.Take(), (Ops{"DelService 80"}));
}

}  // namespace
}  // namespace ipvsd::health

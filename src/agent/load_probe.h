// File: agent/load_probe.h
//
// ipvs-agent --listen: what a real server reports to ipvs-healthd's dynamic feedback
// (docs/dynamic-feedback.md). One LoadProbe measures one server: the whole host from /proc,
// or — because real servers are often containers, and in the namespace tests every server
// shares one kernel — one cgroup (v2 cpu.stat/cpu.max/memory.current/memory.max, or v1
// cpuacct.usage/cpu.cfs_quota_us/memory.usage_in_bytes/memory.limit_in_bytes).
//
//   cpu    busy share of the CPU capacity between the last two samples (0..1); capacity is
//          the number of CPUs, or the cgroup's CPU quota when it has one
//   runq   runnable tasks now (/proc/stat procs_running without the agent, or the cgroup's
//          tasks in state R)
//   ncpu   the capacity above, in CPUs
//   mem    used / limit (MemAvailable-based for the host; the cgroup's limit, or MemTotal
//          when it has none)
//   conns  established TCP connections to this network namespace's listening ports
//
// Paths are parameters, so tests point the probe at fixture files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace ipvsd::agent {

struct LoadSources {
  std::string proc_root = "/proc";
  std::string cgroup_root = "/sys/fs/cgroup";
  // Empty: the host. Else the cgroup's path below each hierarchy (system.slice/nginx.service),
  // or its directory in full under cgroup_root (/sys/fs/cgroup/system.slice/nginx.service on
  // v2; /sys/fs/cgroup/unified/..., /sys/fs/cgroup/cpu,cpuacct/... on hybrid and v1 systems).
  std::string cgroup;
  uint16_t own_port = 0;  // the agent's port, not counted as a server connection
};

struct LoadValues {
  double cpu = 0;
  double runq = 0;
  double ncpu = 1;
  double mem = 0;
  double conns = 0;
};

// One line of JSON, as ipvs-healthd's ParseLoadReport reads it.
std::string FormatLoadReply(const LoadValues& v);

// The parsers, exposed for the tests.
struct ProcStat {
  uint64_t total = 0;  // jiffies, all CPUs
  uint64_t idle = 0;   // idle + iowait
  int ncpu = 0;
  int procs_running = 0;
};
std::optional<ProcStat> ParseProcStat(std::string_view text);
// MemTotal and MemAvailable in bytes.
std::optional<std::pair<uint64_t, uint64_t>> ParseMeminfo(std::string_view text);
// usage_usec of a cgroup v2 cpu.stat.
std::optional<uint64_t> ParseCpuStatUsage(std::string_view text);
// CPUs granted by "QUOTA PERIOD" (v2 cpu.max); nullopt for "max".
std::optional<double> ParseCpuMax(std::string_view text);
// Established connections whose local port some LISTEN socket of the same table has.
int CountServerConnections(std::string_view tcp, std::string_view tcp6, uint16_t exclude_port);
// The state letter of a /proc/PID/stat line.
char ParseTaskState(std::string_view stat);

class LoadProbe {
 public:
  explicit LoadProbe(LoadSources sources) : src_(std::move(sources)) {}
  // Checks that the sources exist (the cgroup in one of the layouts); call once.
  Status Open();
  // Takes a sample at NOW_NS; from the second one on, values() covers the interval between
  // the last two.
  void Sample(uint64_t now_ns);
  const LoadValues& values() const { return values_; }
  bool cgroup_v2() const { return v2_; }

 private:
  // The cgroup's path below its hierarchy, with a leading '/'. For a full path on a v1 or
  // hybrid system (no cgroup.controllers at the root) the first component below the root is
  // the hierarchy (cpu,cpuacct, memory, unified, ...), dropped.
  std::string CgroupBelowHierarchy() const;
  std::optional<uint64_t> CpuUsageNs() const;  // cgroup CPU time
  double Capacity(int host_cpus) const;
  double RunnableTasks() const;
  double MemoryRatio(uint64_t mem_total) const;

  LoadSources src_;
  bool v2_ = false;
  std::string v2_dir_;
  std::string cpuacct_dir_;
  std::string cpu_dir_;
  std::string memory_dir_;
  LoadValues values_;
  bool have_prev_ = false;
  uint64_t prev_ns_ = 0;
  uint64_t prev_usage_ = 0;  // cgroup: ns of CPU time; host: busy jiffies
  uint64_t prev_total_ = 0;  // host: total jiffies
};

}  // namespace ipvsd::agent

// File: agent/load_probe.cc
#include "agent/load_probe.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace ipvsd::agent {
namespace {

// /proc/net/tcp states (include/net/tcp_states.h).
constexpr int kTcpEstablished = 0x01;
constexpr int kTcpListen = 0x0a;

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

bool IsDir(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool Exists(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0;
}

std::optional<uint64_t> ParseU64(std::string_view text) {
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (errno != 0 || end == s.c_str()) return std::nullopt;
  return v;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::vector<std::string> Fields(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  std::string f;
  while (in >> f) out.push_back(f);
  return out;
}

// local port and state of one /proc/net/tcp{,6} row ("sl local rem st ...").
bool ParseTcpRow(std::string_view line, uint16_t* port, int* state) {
  const std::vector<std::string> f = Fields(line);
  if (f.size() < 4 || f[0].back() != ':') return false;
  const size_t colon = f[1].rfind(':');
  if (colon == std::string::npos) return false;
  *port = static_cast<uint16_t>(std::strtoul(f[1].c_str() + colon + 1, nullptr, 16));
  *state = static_cast<int>(std::strtol(f[3].c_str(), nullptr, 16));
  return true;
}

}  // namespace

std::string FormatLoadReply(const LoadValues& v) {
  char buf[200];
  std::snprintf(buf, sizeof(buf), "{\"cpu\":%.4f,\"runq\":%.2f,\"ncpu\":%.2f,\"mem\":%.4f,\"conns\":%.0f}\n", v.cpu,
                v.runq, v.ncpu, v.mem, v.conns);
  return buf;
}

std::optional<ProcStat> ParseProcStat(std::string_view text) {
  ProcStat st;
  bool have_total = false;
  for (std::string_view line : Lines(text)) {
    const std::vector<std::string> f = Fields(line);
    if (f.empty()) continue;
    if (f[0] == "cpu" && f.size() >= 5) {
      // user nice system idle iowait irq softirq steal (guest time is inside user already)
      for (size_t i = 1; i < f.size() && i <= 8; ++i) st.total += std::strtoull(f[i].c_str(), nullptr, 10);
      st.idle = std::strtoull(f[4].c_str(), nullptr, 10) + (f.size() > 5 ? std::strtoull(f[5].c_str(), nullptr, 10) : 0);
      have_total = true;
    } else if (f[0].size() > 3 && f[0].compare(0, 3, "cpu") == 0) {
      ++st.ncpu;
    } else if (f[0] == "procs_running" && f.size() == 2) {
      st.procs_running = std::atoi(f[1].c_str());
    }
  }
  if (!have_total || st.ncpu == 0) return std::nullopt;
  return st;
}

std::optional<std::pair<uint64_t, uint64_t>> ParseMeminfo(std::string_view text) {
  std::optional<uint64_t> total, avail;
  for (std::string_view line : Lines(text)) {
    const std::vector<std::string> f = Fields(line);
    if (f.size() < 2) continue;
    if (f[0] == "MemTotal:") total = ParseU64(f[1]);
    if (f[0] == "MemAvailable:") avail = ParseU64(f[1]);
  }
  if (!total || !avail || *total == 0) return std::nullopt;
  return std::make_pair(*total * 1024, *avail * 1024);
}

std::optional<uint64_t> ParseCpuStatUsage(std::string_view text) {
  for (std::string_view line : Lines(text)) {
    const std::vector<std::string> f = Fields(line);
    if (f.size() == 2 && f[0] == "usage_usec") return ParseU64(f[1]);
  }
  return std::nullopt;
}

std::optional<double> ParseCpuMax(std::string_view text) {
  const std::vector<std::string> f = Fields(text);
  if (f.size() != 2 || f[0] == "max") return std::nullopt;
  const auto quota = ParseU64(f[0]);
  const auto period = ParseU64(f[1]);
  if (!quota || !period || *period == 0) return std::nullopt;
  return static_cast<double>(*quota) / static_cast<double>(*period);
}

int CountServerConnections(std::string_view tcp, std::string_view tcp6, uint16_t exclude_port) {
  std::set<uint16_t> listening;
  std::vector<uint16_t> established;
  for (std::string_view table : {tcp, tcp6}) {
    for (std::string_view line : Lines(table)) {
      uint16_t port = 0;
      int state = 0;
      if (!ParseTcpRow(line, &port, &state)) continue;
      if (state == kTcpListen) listening.insert(port);
      if (state == kTcpEstablished) established.push_back(port);
    }
  }
  return static_cast<int>(std::count_if(established.begin(), established.end(), [&](uint16_t p) {
    return p != exclude_port && listening.count(p) != 0;
  }));
}

char ParseTaskState(std::string_view stat) {
  // "pid (comm) S ...": comm may hold spaces and parentheses, so look after the last ')'.
  const size_t paren = stat.rfind(')');
  if (paren == std::string_view::npos || paren + 2 >= stat.size()) return '?';
  return stat[paren + 2];
}

std::string LoadProbe::CgroupBelowHierarchy() const {
  const std::string& root = src_.cgroup_root;
  const std::string& path = src_.cgroup;
  const bool full_path = path.size() > root.size() && path.compare(0, root.size(), root) == 0 && path[root.size()] == '/';
  if (!full_path) return path.front() == '/' ? path : "/" + path;
  std::string below_root = path.substr(root.size());
  while (below_root.size() > 1 && below_root.back() == '/') below_root.pop_back();
  // A pure v2 system has its one hierarchy at the root.
  if (Exists(root + "/cgroup.controllers")) return below_root;
  const size_t after_hierarchy = below_root.find('/', 1);
  return after_hierarchy == std::string::npos ? "/" : below_root.substr(after_hierarchy);
}

Status LoadProbe::Open() {
  if (src_.cgroup.empty()) {
    if (!ReadFile(src_.proc_root + "/stat")) return MakeError(ENOENT, "cannot read " + src_.proc_root + "/stat");
    return Ok();
  }
  const std::string rel = CgroupBelowHierarchy();
  // cgroup v1 (cpuacct, with cpu and memory beside it) where the group exists there; else
  // v2, at the root or under "unified" beside the v1 controllers.
  for (const char* name : {"/cpuacct", "/cpu,cpuacct", "/cpuacct,cpu"}) {
    if (IsDir(src_.cgroup_root + name + rel)) {
      cpuacct_dir_ = src_.cgroup_root + name + rel;
      break;
    }
  }
  if (cpuacct_dir_.empty()) {
    for (const std::string& base : {src_.cgroup_root, src_.cgroup_root + "/unified"}) {
      const auto cpu_stat = ReadFile(base + rel + "/cpu.stat");
      if (Exists(base + rel + "/cgroup.controllers") && cpu_stat && ParseCpuStatUsage(*cpu_stat)) {
        v2_ = true;
        v2_dir_ = base + rel;
        return Ok();
      }
    }
    return MakeError(ENOENT, "no cgroup " + rel + " (v1 cpuacct, or v2 with cpu.stat) under " + src_.cgroup_root);
  }
  for (const char* name : {"/cpu", "/cpu,cpuacct", "/cpuacct,cpu"}) {
    if (IsDir(src_.cgroup_root + name + rel)) {
      cpu_dir_ = src_.cgroup_root + name + rel;
      break;
    }
  }
  if (IsDir(src_.cgroup_root + "/memory" + rel)) memory_dir_ = src_.cgroup_root + "/memory" + rel;
  return Ok();
}

std::optional<uint64_t> LoadProbe::CpuUsageNs() const {
  if (v2_) {
    auto text = ReadFile(v2_dir_ + "/cpu.stat");
    if (!text) return std::nullopt;
    auto usec = ParseCpuStatUsage(*text);
    if (!usec) return std::nullopt;
    return *usec * 1000;
  }
  auto text = ReadFile(cpuacct_dir_ + "/cpuacct.usage");
  if (!text) return std::nullopt;
  return ParseU64(*text);
}

double LoadProbe::Capacity(int host_cpus) const {
  std::optional<double> quota;
  if (v2_) {
    if (auto text = ReadFile(v2_dir_ + "/cpu.max")) quota = ParseCpuMax(*text);
  } else if (!cpu_dir_.empty()) {
    auto q = ReadFile(cpu_dir_ + "/cpu.cfs_quota_us");
    auto p = ReadFile(cpu_dir_ + "/cpu.cfs_period_us");
    // A quota of -1 means none; ParseU64 rejects it.
    if (q && p && q->find('-') == std::string::npos) quota = ParseCpuMax(*q + " " + *p);
  }
  const double cpus = static_cast<double>(host_cpus);
  return quota ? std::min(*quota, cpus) : cpus;
}

double LoadProbe::RunnableTasks() const {
  const std::string list = v2_ ? v2_dir_ + "/cgroup.threads" : cpuacct_dir_ + "/tasks";
  auto text = ReadFile(list);
  if (!text) return 0;
  int running = 0;
  for (std::string_view line : Lines(*text)) {
    if (line.empty()) continue;
    auto stat = ReadFile(src_.proc_root + "/" + std::string(line) + "/stat");
    if (stat && ParseTaskState(*stat) == 'R') ++running;
  }
  return running;
}

double LoadProbe::MemoryRatio(uint64_t mem_total) const {
  std::optional<std::string> used, limit;
  if (v2_) {
    used = ReadFile(v2_dir_ + "/memory.current");
    limit = ReadFile(v2_dir_ + "/memory.max");
  } else if (!memory_dir_.empty()) {
    used = ReadFile(memory_dir_ + "/memory.usage_in_bytes");
    limit = ReadFile(memory_dir_ + "/memory.limit_in_bytes");
  }
  if (!used) return -1;
  const auto u = ParseU64(*used);
  if (!u) return -1;
  // "max" (v2) or a huge v1 number: no limit of its own, the machine's memory is.
  uint64_t l = mem_total;
  if (limit) {
    if (auto parsed = ParseU64(*limit); parsed && *parsed < mem_total) l = *parsed;
  }
  return l == 0 ? 0 : std::min(1.0, static_cast<double>(*u) / static_cast<double>(l));
}

void LoadProbe::Sample(uint64_t now_ns) {
  ProcStat stat;
  bool have_stat = false;
  if (const auto text = ReadFile(src_.proc_root + "/stat")) {
    if (const auto parsed = ParseProcStat(*text)) {
      stat = *parsed;
      have_stat = true;
    }
  }
  const int host_cpus = have_stat ? stat.ncpu : 1;
  uint64_t mem_total = 0;
  double host_mem = 0;
  if (const auto text = ReadFile(src_.proc_root + "/meminfo")) {
    if (const auto m = ParseMeminfo(*text)) {
      mem_total = m->first;
      host_mem = 1.0 - static_cast<double>(m->second) / static_cast<double>(m->first);
    }
  }
  const auto tcp = ReadFile(src_.proc_root + "/net/tcp");
  const auto tcp6 = ReadFile(src_.proc_root + "/net/tcp6");
  values_.conns = CountServerConnections(tcp.value_or(""), tcp6.value_or(""), src_.own_port);

  if (src_.cgroup.empty()) {
    values_.ncpu = host_cpus;
    values_.runq = have_stat ? std::max(0, stat.procs_running - 1) : 0;
    values_.mem = host_mem;
    if (have_stat) {
      const uint64_t busy = stat.total - stat.idle;
      if (have_prev_ && stat.total > prev_total_ && busy >= prev_usage_) {
        values_.cpu = std::clamp(static_cast<double>(busy - prev_usage_) / static_cast<double>(stat.total - prev_total_), 0.0, 1.0);
      }
      prev_usage_ = busy;
      prev_total_ = stat.total;
      have_prev_ = true;
    }
    return;
  }
  values_.ncpu = Capacity(host_cpus);
  values_.runq = RunnableTasks();
  const double mem = MemoryRatio(mem_total);
  values_.mem = mem >= 0 ? mem : host_mem;
  if (const auto usage = CpuUsageNs()) {
    if (have_prev_ && now_ns > prev_ns_ && *usage >= prev_usage_) {
      const double busy_cpus = static_cast<double>(*usage - prev_usage_) / static_cast<double>(now_ns - prev_ns_);
      values_.cpu = std::clamp(busy_cpus / values_.ncpu, 0.0, 1.0);
    }
    prev_usage_ = *usage;
    prev_ns_ = now_ns;
    have_prev_ = true;
  }
}

}  // namespace ipvsd::agent

#include "core/settings.h"

#include <cerrno>
#include <charconv>
#include <optional>

namespace ipvsd::core {
namespace {

struct SysctlField {
  std::string_view name;
  int max;  // values are 0..max
  void (*set)(Settings&, const SysctlSetting&);
  bool pair = false;  // two values, "A B" (sync_threshold: threshold and period)
};

constexpr SysctlField kSysctlFields[] = {
    {"conn_reuse_mode", 3, [](Settings& s, const SysctlSetting& v) { s.conn_reuse_mode = v.value; }},
    {"expire_nodest_conn", 1, [](Settings& s, const SysctlSetting& v) { s.expire_nodest_conn = v.value != 0; }},
    {"expire_quiescent_template", 1,
     [](Settings& s, const SysctlSetting& v) { s.expire_quiescent_template = v.value != 0; }},
    {"sloppy_tcp", 1, [](Settings& s, const SysctlSetting& v) { s.sloppy_tcp = v.value != 0; }},
    {"sloppy_sctp", 1, [](Settings& s, const SysctlSetting& v) { s.sloppy_sctp = v.value != 0; }},
    {"sync_threshold", 65535,
     [](Settings& s, const SysctlSetting& v) {
       s.sync_threshold = v.value;
       s.sync_period = v.second;
     },
     true},
    {"sync_refresh_period", 86400,
     [](Settings& s, const SysctlSetting& v) { s.sync_refresh_period = static_cast<uint32_t>(v.value); }},
    {"sync_retries", 3, [](Settings& s, const SysctlSetting& v) { s.sync_retries = v.value; }},
    {"sync_persist_mode", 1, [](Settings& s, const SysctlSetting& v) { s.sync_persist_mode = v.value != 0; }},
    // Bounded so that the reply limiter's token arithmetic cannot overflow (an hour between
    // replies, ten million a second, are past any use).
    {"icmp_ratelimit", 3'600'000,
     [](Settings& s, const SysctlSetting& v) { s.icmp_ratelimit = static_cast<uint32_t>(v.value); }},
    {"icmp_msgs_per_sec", 10'000'000,
     [](Settings& s, const SysctlSetting& v) { s.icmp_msgs_per_sec = static_cast<uint32_t>(v.value); }},
    {"icmp_msgs_burst", 10'000'000,
     [](Settings& s, const SysctlSetting& v) { s.icmp_msgs_burst = static_cast<uint32_t>(v.value); }},
    {"amemthresh", 100'000'000,
     [](Settings& s, const SysctlSetting& v) { s.amemthresh = static_cast<uint32_t>(v.value); }},
    {"drop_entry", 3, [](Settings& s, const SysctlSetting& v) { s.drop_entry = v.value; }},
    {"drop_packet", 3, [](Settings& s, const SysctlSetting& v) { s.drop_packet = v.value; }},
    {"secure_tcp", 3, [](Settings& s, const SysctlSetting& v) { s.secure_tcp = v.value; }},
    {"am_droprate", 100'000'000,
     [](Settings& s, const SysctlSetting& v) { s.am_droprate = static_cast<uint32_t>(v.value); }},
    {"synproxy", 1, [](Settings& s, const SysctlSetting& v) { s.synproxy = v.value != 0; }},
    {"synproxy_dest_per_sec", 1'000'000,
     [](Settings& s, const SysctlSetting& v) { s.synproxy_dest_per_sec = static_cast<uint32_t>(v.value); }},
    {"synproxy_msgs_per_sec", 10'000'000,
     [](Settings& s, const SysctlSetting& v) { s.synproxy_msgs_per_sec = static_cast<uint32_t>(v.value); }},
    {"synproxy_msgs_burst", 10'000'000,
     [](Settings& s, const SysctlSetting& v) { s.synproxy_msgs_burst = static_cast<uint32_t>(v.value); }},
};

const SysctlField* FindField(std::string_view name) {
  for (const SysctlField& f : kSysctlFields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::optional<int> ParseNumber(std::string_view text, int max) {
  int value = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0 || value > max) {
    return std::nullopt;
  }
  return value;
}

std::string KnownNames() {
  std::string names;
  for (const SysctlField& f : kSysctlFields) names += (names.empty() ? "" : ", ") + std::string(f.name);
  return names;
}

}  // namespace

Result<SysctlSetting> ParseSysctl(std::string_view assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string_view::npos) {
    return MakeError(EINVAL, "sysctl '" + std::string(assignment) + "' is not NAME=VALUE");
  }
  std::string_view name = assignment.substr(0, eq);
  std::string_view text = assignment.substr(eq + 1);
  const SysctlField* field = FindField(name);
  if (!field) {
    return MakeError(EINVAL, "unknown sysctl '" + std::string(name) + "' (known: " + KnownNames() + ")");
  }
  SysctlSetting setting{std::string(name)};
  if (field->pair) {
    // As the kernel's sync_threshold: "THRESHOLD PERIOD", the threshold below the period
    // unless the period is 0.
    size_t gap = text.find_first_of(" \t");
    size_t next = gap == std::string_view::npos ? gap : text.find_first_not_of(" \t", gap);
    auto first = next == std::string_view::npos ? std::nullopt : ParseNumber(text.substr(0, gap), field->max);
    auto second = next == std::string_view::npos ? std::nullopt : ParseNumber(text.substr(next), field->max);
    if (!first || !second || (*second != 0 && *first >= *second)) {
      return MakeError(EINVAL, "sysctl " + std::string(name) + " must be two numbers 'THRESHOLD PERIOD' from 0 to " +
                                   std::to_string(field->max) + ", THRESHOLD below PERIOD unless PERIOD is 0, not '" +
                                   std::string(text) + "'");
    }
    setting.value = *first;
    setting.second = *second;
    return setting;
  }
  std::optional<int> value = ParseNumber(text, field->max);
  if (!value) {
    return MakeError(EINVAL, "sysctl " + std::string(name) + " must be a number from 0 to " +
                                 std::to_string(field->max) + ", not '" + std::string(text) + "'");
  }
  setting.value = *value;
  return setting;
}

void ApplySysctl(Settings& settings, const SysctlSetting& setting) {
  // ParseSysctl made the setting, so its name is known.
  FindField(setting.name)->set(settings, setting);
}

std::string SysctlSetting::Text() const {
  return name + "=" + std::to_string(value) + (second >= 0 ? " " + std::to_string(second) : "");
}

}  // namespace ipvsd::core

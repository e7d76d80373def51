#include "core/settings.h"

#include <cerrno>
#include <charconv>

namespace ipvsd::core {
namespace {

struct SysctlField {
  std::string_view name;
  int max;  // values are 0..max
  void (*set)(Settings&, int);
};

constexpr SysctlField kSysctlFields[] = {
    {"conn_reuse_mode", 3, [](Settings& s, int v) { s.conn_reuse_mode = v; }},
    {"expire_nodest_conn", 1, [](Settings& s, int v) { s.expire_nodest_conn = v != 0; }},
    {"expire_quiescent_template", 1, [](Settings& s, int v) { s.expire_quiescent_template = v != 0; }},
    {"sloppy_tcp", 1, [](Settings& s, int v) { s.sloppy_tcp = v != 0; }},
    {"sloppy_sctp", 1, [](Settings& s, int v) { s.sloppy_sctp = v != 0; }},
};

const SysctlField* FindField(std::string_view name) {
  for (const SysctlField& f : kSysctlFields) {
    if (f.name == name) return &f;
  }
  return nullptr;
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
  int value = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0 || value > field->max) {
    return MakeError(EINVAL, "sysctl " + std::string(name) + " must be a number from 0 to " +
                                 std::to_string(field->max) + ", not '" + std::string(text) + "'");
  }
  return SysctlSetting{std::string(name), value};
}

void ApplySysctl(Settings& settings, const SysctlSetting& setting) {
  // ParseSysctl made the setting, so its name is known.
  FindField(setting.name)->set(settings, setting.value);
}

}  // namespace ipvsd::core

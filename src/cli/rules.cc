#include "cli/rules.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace ipvsd::cli {

ctl::ZeroRequest ZeroOf(const Command& ce) {
  ctl::ZeroRequest z;
  z.all = (ce.options & OptBit(kOptService)) ? 0 : 1;
  z.service = ce.svc.key;
  if (z.all) z.service.family = net::Family::kInet;
  return z;
}

// config_stream_read.
std::optional<std::vector<std::string>> ReadRestoreLine(FILE* in, const std::string& program) {
  std::string line;
  int ch;
  bool any = false;
  while ((ch = std::fgetc(in)) != EOF) {
    any = true;
    if (ch == '\n') break;
    line.push_back(static_cast<char>(ch));
  }
  if (!any) return std::nullopt;
  std::vector<std::string> argv{program};
  size_t pos = 0;
  while (pos < line.size()) {
    size_t start = line.find_first_not_of(" \t\r", pos);
    if (start == std::string::npos) break;
    size_t end = line.find_first_of(" \t\r", start);
    if (end == std::string::npos) end = line.size();
    std::string token = line.substr(start, end - start);
    if (token != "ipvsadm") argv.push_back(std::move(token));
    pos = end;
  }
  return argv;
}

std::optional<std::pair<ctl::BatchStep, Op>> ChangeStep(const Command& ce) {
  using ctl::MakeBatchStep;
  using ctl::MsgType;
  switch (ce.cmd) {
    case Cmd::kFlush: return std::pair{MakeBatchStep(MsgType::kFlush, ctl::Empty{}), Op::kFlush};
    case Cmd::kAdd: return std::pair{MakeBatchStep(MsgType::kAddService, ce.svc), Op::kAddService};
    case Cmd::kEdit: return std::pair{MakeBatchStep(MsgType::kEditService, ce.svc), Op::kEditService};
    case Cmd::kDel: return std::pair{MakeBatchStep(MsgType::kDelService, ce.svc.key), Op::kDelService};
    case Cmd::kZero: return std::pair{MakeBatchStep(MsgType::kZero, ZeroOf(ce)), Op::kZero};
    case Cmd::kAddDest:
      return std::pair{MakeBatchStep(MsgType::kAddDest, ctl::DestRequest{ce.svc.key, ce.dest}), Op::kAddDest};
    case Cmd::kEditDest:
      return std::pair{MakeBatchStep(MsgType::kEditDest, ctl::DestRequest{ce.svc.key, ce.dest}), Op::kEditDest};
    case Cmd::kDelDest:
      return std::pair{MakeBatchStep(MsgType::kDelDest, ctl::DestRequest{ce.svc.key, ce.dest}), Op::kDelDest};
    case Cmd::kTimeout: return std::pair{MakeBatchStep(MsgType::kSetTimeouts, ce.timeout), Op::kSetTimeout};
    default: return std::nullopt;
  }
}

Result<RulesBatch> ReadRulesFile(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> in(std::fopen(path.c_str(), "re"), &std::fclose);
  if (!in) return MakeError(errno, path + ": " + std::strerror(errno));
  RulesBatch rules;
  size_t line = 0;
  auto refuse = [&](const std::string& why) { return MakeError(EINVAL, path + ":" + std::to_string(line) + ": " + why); };
  while (auto argv = ReadRestoreLine(in.get(), "ipvsadm")) {
    ++line;
    if (argv->size() <= 1 || (*argv)[1].starts_with("#")) continue;
    ParseOutcome p = ParseCommand(*argv);
    if (p.kind != ParseOutcome::kRun) {
      std::string why = p.err.empty() ? p.out : p.err;
      while (!why.empty() && why.back() == '\n') why.pop_back();
      return refuse(why.empty() ? "not a rule" : why);
    }
    auto step = ChangeStep(p.command);
    if (!step) return refuse("not a change to the table (only what ipvsadm -S writes, and -C, -Z, --set)");
    rules.batch.steps.push_back(std::move(step->first));
    rules.lines.push_back(line);
    rules.ops.push_back(step->second);
  }
  if (std::ferror(in.get())) return MakeError(EIO, path + ": read error");
  return rules;
}

std::string RulesStepError(const std::string& path, const RulesBatch& rules, uint32_t step, int err) {
  return path + ":" + std::to_string(rules.lines.at(step)) + ": " + IpvsStrerror(rules.ops.at(step), err);
}

Status WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return MakeError(errno, tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return MakeError(e, tmp + ": " + std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return MakeError(e, tmp + ": " + std::strerror(e));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return MakeError(e, path + ": " + std::strerror(e));
  }
  return Ok();
}

}  // namespace ipvsd::cli

#include "cli/ipvsadm.h"

#include <cerrno>
#include <cstring>
#include <optional>

#include "cli/format.h"
#include "cli/json.h"

namespace ipvsd::cli {
namespace {

// config_stream_read: one line of -R input as argv (argv[0] = the program), tokens split on
// blanks, every "ipvsadm" token dropped. nullopt at the end of the input.
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

}  // namespace

SocketChoice ExtractSocketPath(std::vector<std::string>& args, const char* env_value) {
  SocketChoice choice;
  choice.path = env_value && *env_value ? env_value : ctl::kDefaultSocketPath;
  std::vector<std::string> kept;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (i > 0 && a == "--socket") {
      if (i + 1 >= args.size() || args[i + 1].empty()) {
        choice.error = "--socket needs a path";
        return choice;
      }
      choice.path = args[++i];
    } else if (i > 0 && a.starts_with("--socket=")) {
      choice.path = a.substr(9);
      if (choice.path.empty()) {
        choice.error = "--socket needs a path";
        return choice;
      }
    } else {
      kept.push_back(a);
    }
  }
  args = std::move(kept);
  return choice;
}

std::string InitFailureText(int err) {
  return "Can't initialize ipvs: " + IpvsStrerror(Op::kInit, err) +
         "\nAre you sure that IP Virtual Server is built in the kernel or as module?\n";
}

Ipvsadm::Ipvsadm(ctl::Client client, ctl::InfoReply info, FILE* in, FILE* out, FILE* err)
    : client_(std::move(client)), info_(info), in_(in), out_(out), err_(err) {}

void Ipvsadm::Out(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), out_);
  std::fflush(out_);
}

void Ipvsadm::Err(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), err_);
  std::fflush(err_);
}

int Ipvsadm::Main(const std::vector<std::string>& args) {
  if (args.size() == 1) {
    Step s = ListAll(kFmtNone, false);
    return s.exit ? s.value : 0;
  }
  Step s = ProcessOptions(args, false);
  // main() returns process_options()'s -1 as the status, which the shell sees as 255.
  return s.value & 0xff;
}

Ipvsadm::Step Ipvsadm::ProcessOptions(const std::vector<std::string>& argv, bool reading_stdin) {
  ParseOutcome p = ParseCommand(argv);
  switch (p.kind) {
    case ParseOutcome::kExit:
      Out(p.out);
      Err(p.err);
      return Exit(p.status);
    case ParseOutcome::kReturn:
      Err(p.err);
      return Result(-1);
    case ParseOutcome::kRun:
      break;
  }
  return Execute(p.command, argv[0], reading_stdin);
}

Ipvsadm::Step Ipvsadm::Report(Op op, const Status& st) {
  if (st) return Result(0);
  Err(IpvsStrerror(op, st.error().code) + "\n");
  return Result(-1);
}

Ipvsadm::Step Ipvsadm::Execute(const Command& ce, const std::string& program, bool reading_stdin) {
  const bool json = ce.options & OptBit(kOptJson);
  switch (ce.cmd) {
    case Cmd::kList:
      if (ce.options & OptBit(kOptConnection)) return ListConns(ce.format, json);
      if (ce.options & OptBit(kOptService)) return ListService(ce.svc.key, ce.format, json);
      if (ce.options & OptBit(kOptTimeout)) return ListTimeout(json);
      if (ce.options & OptBit(kOptDaemon)) return ListDaemon(json);
      return ListAll(ce.format, json);
    case Cmd::kRestore:
      if (reading_stdin) {
        Err("Try `" + program + " -h' or '" + program + " --help' for more information.\n");
        return Exit(255);
      }
      return Restore(program);
    case Cmd::kSave:
      return ListAll(ce.format | kFmtRule, false);
    case Cmd::kFlush:
      return Report(Op::kFlush, client_.Flush());
    case Cmd::kAdd:
      return Report(Op::kAddService, client_.AddService(ce.svc));
    case Cmd::kEdit:
      return Report(Op::kEditService, client_.EditService(ce.svc));
    case Cmd::kDel:
      return Report(Op::kDelService, client_.DelService(ce.svc.key));
    case Cmd::kZero: {
      ctl::ZeroRequest z;
      z.all = (ce.options & OptBit(kOptService)) ? 0 : 1;
      z.service = ce.svc.key;
      if (z.all) z.service.family = net::Family::kInet;
      return Report(Op::kZero, client_.Zero(z));
    }
    case Cmd::kAddDest:
      return Report(Op::kAddDest, client_.AddDest({ce.svc.key, ce.dest}));
    case Cmd::kEditDest:
      return Report(Op::kEditDest, client_.EditDest({ce.svc.key, ce.dest}));
    case Cmd::kDelDest:
      return Report(Op::kDelDest, client_.DelDest({ce.svc.key, ce.dest}));
    case Cmd::kTimeout:
      return Report(Op::kSetTimeout, client_.SetTimeouts(ce.timeout));
    case Cmd::kStartDaemon:
      return Report(Op::kStartDaemon, client_.StartDaemon(ce.daemon));
    case Cmd::kStopDaemon:
      return Report(Op::kStopDaemon, client_.StopDaemon(ctl::DaemonStop{ce.daemon.state}));
    case Cmd::kNone:
      break;
  }
  return Result(0);
}

Ipvsadm::Step Ipvsadm::Restore(const std::string& program) {
  Step last = Result(0);
  while (auto argv = ReadRestoreLine(in_, program)) {
    if (argv->size() <= 1) continue;
    last = ProcessOptions(*argv, true);
    if (last.exit) return last;
  }
  return last;
}

Ipvsadm::Step Ipvsadm::ListAll(unsigned format, bool json) {
  if (!(format & kFmtRule) && !json) Out(Banner(info_.version_code, info_.conn_tab_size));
  auto list = client_.GetServices();
  if (!list) {
    Err(IpvsStrerror(Op::kGetServices, list.error().code) + "\n");
    return Exit(1);
  }
  std::vector<ctl::ServiceEntry>& services = list->services;
  if (!(format & kFmtNoSort)) {
    SortServices(services);
    for (ctl::ServiceEntry& s : services) SortDests(s.dests);
  }
  if (json) {
    auto data_plane = client_.GetDataPlane();
    if (!data_plane) {
      Err(IpvsStrerror(Op::kGetServices, data_plane.error().code) + "\n");
      return Exit(1);
    }
    Out(TableJson(info_, services, *data_plane));
    return Result(0);
  }
  std::string text = Title(format);
  // The destinations are already in their final order; kFmtNoSort keeps it.
  for (const ctl::ServiceEntry& s : services) text += ServiceEntryText(s, format | kFmtNoSort);
  Out(text);
  return Result(0);
}

Ipvsadm::Step Ipvsadm::ListService(const ctl::ServiceKey& key, unsigned format, bool json) {
  auto entry = client_.GetService(key);
  if (!entry) {
    Err(IpvsStrerror(Op::kGetService, entry.error().code) + "\n");
    return Exit(1);
  }
  if (!(format & kFmtNoSort)) SortDests(entry->dests);
  if (json) {
    Out(ServicesJson(info_, {*entry}));
    return Result(0);
  }
  Out(Title(format) + ServiceEntryText(*entry, format | kFmtNoSort));
  return Result(0);
}

Ipvsadm::Step Ipvsadm::ListConns(unsigned format, bool json) {
  auto conns = client_.GetConns();
  if (!conns) {
    Err(IpvsStrerror(Op::kGetConns, conns.error().code) + "\n");
    return Exit(1);
  }
  if (json) {
    Out(ConnsJson(*conns));
    return Result(0);
  }
  std::string text = ConnTitle(format);
  for (const ctl::ConnRecord& c : conns->conns) text += ConnLine(c, format);
  Out(text);
  return Result(0);
}

Ipvsadm::Step Ipvsadm::ListTimeout(bool json) {
  auto t = client_.GetTimeouts();
  if (!t) return Exit(1);
  Out(json ? TimeoutJson(*t) : TimeoutLine(*t));
  return Result(0);
}

Ipvsadm::Step Ipvsadm::ListDaemon(bool json) {
  auto d = client_.GetDaemons();
  if (!d) return Exit(1);
  Out(json ? DaemonsJson(*d) : DaemonLines(*d));
  return Result(0);
}

}  // namespace ipvsd::cli

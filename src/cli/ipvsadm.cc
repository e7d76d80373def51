#include "cli/ipvsadm.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "cli/format.h"
#include "cli/json.h"
#include "cli/rules.h"

namespace ipvsd::cli {

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

std::string InitFailureText(int err, const std::string& socket_path) {
  std::string text = "Can't initialize ipvs: " + IpvsStrerror(Op::kInit, err) + "\n";
  switch (err) {
    case EPERM:
    case EACCES:
      return text + "ipvsd at " + socket_path + " takes commands from root only.\n";
    case ETIMEDOUT:
      return text + "ipvsd at " + socket_path + " did not answer in time: it may be stuck or overloaded.\n";
    case ENOENT:
      text += "No ipvsd is running with its control socket at " + socket_path + ".\n";
      break;
    case ECONNREFUSED:
      text += socket_path + " exists, but no ipvsd listens on it (an ipvsd that stopped left it behind).\n";
      break;
    default:
      text += "ipvsadm could not reach ipvsd at " + socket_path + ".\n";
      break;
  }
  return text +
         "Start ipvsd (systemctl start ipvsd, or ipvsd --iface IFACE), or point IPVSD_SOCKET or --socket\n"
         "at the control socket of the ipvsd that runs.\n";
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
  if (args.size() >= 2 && (args[1] == "--save-config" || args[1].starts_with("--save-config="))) {
    return SaveConfig(args);
  }
  if (args.size() == 1) {
    Step s = ListAll(kFmtNone, false);
    return s.exit ? s.value : 0;
  }
  Step s = ProcessOptions(args, false);
  // main() returns process_options()'s -1 as the status, which the shell sees as 255.
  return s.value & 0xff;
}

int Ipvsadm::SaveConfig(const std::vector<std::string>& args) {
  std::string path = kDefaultRulesPath;
  if (args[1].starts_with("--save-config=")) path = args[1].substr(14);
  if (args.size() == 3 && args[1] == "--save-config") path = args[2];
  if (args.size() > 3 || (args.size() == 3 && args[1] != "--save-config") || path.empty()) {
    Err(args[0] + ": --save-config takes one path at most, and no other option\n");
    return 2;
  }
  // The rules as ipvsadm -Sn prints them, gathered instead of printed.
  char* text = nullptr;
  size_t size = 0;
  FILE* buffer = open_memstream(&text, &size);
  if (!buffer) {
    Err(args[0] + ": " + std::strerror(errno) + "\n");
    return 1;
  }
  FILE* out = out_;
  out_ = buffer;
  Step listed = ListAll(kFmtRule | kFmtNumeric, false);
  out_ = out;
  std::fclose(buffer);
  std::string rules(text, size);
  std::free(text);
  if (listed.exit) return listed.value;
  if (Status st = WriteFileAtomically(path, rules); !st) {
    Err(args[0] + ": --save-config: " + st.error().message + "\n");
    return 1;
  }
  return 0;
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
    case Cmd::kZero:
      return Report(Op::kZero, client_.Zero(ZeroOf(ce)));
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
  // The whole input is read and parsed first; its changes then go to ipvsd as one batch,
  // applied all or nothing. Other commands (listings, sync daemons) run after it, in order.
  struct Change {
    size_t line;
    std::vector<std::string> argv;
    Op op;
  };
  std::vector<Change> changes;
  ctl::BatchRequest batch;
  std::vector<std::pair<size_t, Command>> others;
  size_t line = 0;
  while (auto argv = ReadRestoreLine(in_, program)) {
    ++line;
    if (argv->size() <= 1) continue;
    ParseOutcome p = ParseCommand(*argv);
    if (p.kind != ParseOutcome::kRun || p.command.cmd == Cmd::kRestore) {
      Step s = p.kind == ParseOutcome::kRun ? Execute(p.command, program, true) : ProcessOptions(*argv, true);
      RestoreStopped(program, line, *argv);
      return s.exit ? s : Exit(s.value & 0xff);
    }
    if (auto step = ChangeStep(p.command)) {
      batch.steps.push_back(std::move(step->first));
      changes.push_back(Change{line, std::move(*argv), step->second});
    } else {
      others.emplace_back(line, std::move(p.command));
    }
  }
  if (!batch.steps.empty()) {
    auto reply = client_.Batch(batch);
    if (!reply) {
      Err(IpvsStrerror(changes.front().op, reply.error().code) + "\n");
      return Result(-1);
    }
    if (reply->failed_step != ctl::kBatchApplied && reply->failed_step < changes.size()) {
      const Change& bad = changes[reply->failed_step];
      Err(IpvsStrerror(bad.op, static_cast<int>(reply->errcode)) + "\n");
      RestoreStopped(program, bad.line, bad.argv);
      return Result(-1);
    }
  }
  Step last = Result(0);
  for (const auto& [at, command] : others) {
    last = Execute(command, program, true);
    if (last.exit) return last;
  }
  return last;
}

void Ipvsadm::RestoreStopped(const std::string& program, size_t line, const std::vector<std::string>& argv) {
  std::string words;
  for (size_t i = 1; i < argv.size(); ++i) words += (i > 1 ? " " : "") + argv[i];
  Err(program + ": restore stopped at line " + std::to_string(line) + " (" + words + "); nothing was applied\n");
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
  // The daemon lists a page at a time; text goes out page by page (the title with the first,
  // so that a listing that fails at once prints only the error, as ipvsadm does), JSON whole.
  ctl::ConnList all;
  ctl::ConnCursor from;
  for (bool first = true;; first = false) {
    auto page = client_.GetConns(from);
    if (!page) {
      Err(IpvsStrerror(Op::kGetConns, page.error().code) + "\n");
      return Exit(1);
    }
    if (json) {
      all.conns.insert(all.conns.end(), page->conns.begin(), page->conns.end());
    } else {
      std::string text = first ? ConnTitle(format) : std::string();
      for (const ctl::ConnRecord& c : page->conns) text += ConnLine(c, format);
      Out(text);
    }
    if (!page->more) break;
    from = page->next;
  }
  if (json) Out(ConnsJson(all));
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

#include "cli/strerror.h"

#include <cerrno>
#include <cstring>
#include <optional>

namespace ipvsd::cli {
namespace {

struct Entry {
  std::optional<Op> op;  // nullopt: any operation
  int err;
  const char* message;
};

// libipvs.c's table, in its order (the first match wins).
const Entry kTable[] = {
    {Op::kAddService, EEXIST, "Service already exists"},
    {Op::kAddService, ENOENT, "Scheduler or persistence engine not found"},
    {Op::kEditService, ESRCH, "No such service"},
    {Op::kEditService, ENOENT, "Scheduler or persistence engine not found"},
    {Op::kDelService, ESRCH, "No such service"},
    {Op::kZero, ESRCH, "No such service"},
    {Op::kAddDest, ESRCH, "Service not defined"},
    {Op::kAddDest, EEXIST, "Destination already exists"},
    {Op::kEditDest, ESRCH, "Service not defined"},
    {Op::kEditDest, ENOENT, "No such destination"},
    {Op::kDelDest, ESRCH, "Service not defined"},
    {Op::kDelDest, ENOENT, "No such destination"},
    {Op::kStartDaemon, EEXIST, "Daemon has already run"},
    {Op::kStopDaemon, ESRCH, "No daemon is running"},
    {Op::kGetServices, ESRCH, "No such service"},
    {Op::kGetDests, ESRCH, "No such service"},
    {Op::kGetService, ESRCH, "No such service"},
    {std::nullopt, EPERM, "Permission denied (you must be root)"},
    {std::nullopt, EINVAL, "Invalid operation.  Possibly wrong module version, address not unicast, ..."},
    {std::nullopt, ENOPROTOOPT, "Protocol not available"},
    {std::nullopt, ENOMEM, "Memory allocation problem"},
    {std::nullopt, EOPNOTSUPP, "Operation not supported with IPv6"},
    {std::nullopt, EAFNOSUPPORT, "Operation not supported with specified address family"},
    {std::nullopt, EMSGSIZE, "Module is wrong version"},
};

}  // namespace

std::string IpvsStrerror(Op op, int err) {
  for (const Entry& e : kTable) {
    if ((!e.op || *e.op == op) && e.err == err) return e.message;
  }
  return std::strerror(err);
}

}  // namespace ipvsd::cli

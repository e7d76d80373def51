// File: cli/strerror.h
//
// ipvsadm's ipvs_strerror() (libipvs.c): the text printed for an error depends on the
// operation that failed and its errno, so that "ESRCH" reads "No such service" for -E but
// "Service not defined" for -a. Anything without an entry prints as strerror(errno).
#pragma once

#include <string>

namespace ipvsd::cli {

enum class Op {
  kInit, kFlush, kAddService, kEditService, kDelService, kZero, kAddDest, kEditDest, kDelDest,
  kSetTimeout, kStartDaemon, kStopDaemon, kGetServices, kGetDests, kGetService, kGetTimeout, kGetDaemon,
  kGetConns,
};

std::string IpvsStrerror(Op op, int err);

}  // namespace ipvsd::cli

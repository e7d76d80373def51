// File: health/script_security.h
//
// keepalived 2.2.7's script security (lib/notify.c check_script_secure, check_security): a
// script that runs as root (uid 0 or gid 0, or an executable set-uid / set-gid root) is safe
// only when no one but root can change what runs: the file and every directory on its path,
// symbolic links resolved, must be owned by root, and none of them may be writable by a
// non-root group or by everyone (a directory with the sticky bit, as /tmp, may). The caller
// decides what an unsafe script means: with enable_script_security it is not run, without it
// keepalived runs it and warns.
//
//   ScriptSecurity s = CheckScriptSecurity("/etc/keepalived/vip.sh up", 0, 0);
//   if (s.insecure) ...  // s.detail: "/etc/keepalived is writable by group 1000"
#pragma once

#include <sys/types.h>

#include <string>

namespace ipvsd::health {

struct ScriptSecurity {
  bool insecure = false;
  std::string detail;  // why, for the notice
};

// The program is COMMAND's first word; without a '/' it is searched in $PATH (or the system's
// default path) for a regular file UID:GID may execute, as keepalived's find_path. A program
// that cannot be found, or that runs as neither uid 0 nor gid 0 (nor set-uid / set-gid root),
// is not insecure: there is nothing to protect (the shell reports the one that is missing).
ScriptSecurity CheckScriptSecurity(const std::string& command, uid_t uid, gid_t gid);

}  // namespace ipvsd::health

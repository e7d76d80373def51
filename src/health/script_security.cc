// File: health/script_security.cc
#include "health/script_security.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <optional>
#include <vector>

namespace ipvsd::health {
namespace {

// keepalived's is_executable: root may run what has any execute bit; others need the bit of
// the class they fall in.
bool IsExecutableBy(const struct stat& st, uid_t uid, gid_t gid) {
  if (uid == 0) return (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;
  if (uid == st.st_uid) return (st.st_mode & S_IXUSR) != 0;
  return gid == st.st_gid ? (st.st_mode & S_IXGRP) != 0 : (st.st_mode & S_IXOTH) != 0;
}

std::optional<std::string> FindProgram(const std::string& word, uid_t uid, gid_t gid) {
  if (word.find('/') != std::string::npos) return word;
  std::string path;
  if (const char* env = std::getenv("PATH"); env != nullptr) {
    path = env;
  } else {
    path.resize(confstr(_CS_PATH, nullptr, 0));
    confstr(_CS_PATH, path.data(), path.size());
    path.resize(path.find('\0') == std::string::npos ? path.size() : path.find('\0'));
  }
  for (size_t start = 0; start <= path.size();) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    const std::string dir = path.substr(start, end - start);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + word;
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && IsExecutableBy(st, uid, gid)) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

// Each of "/", "/a", "/a/b", ... of the absolute PATH, links not followed: the owner must be
// root; a regular file or a directory without the sticky bit must not be writable by a
// non-root group or by everyone; every component but the last must be a directory and the
// last a regular file or a link. The first violation, or empty.
std::string PathViolation(const std::string& path) {
  std::vector<std::string> prefixes = {"/"};
  for (size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    if (path[slash - 1] != '/') prefixes.push_back(path.substr(0, slash));
  }
  if (path.size() > 1 && path.back() != '/') prefixes.push_back(path);
  for (size_t i = 0; i < prefixes.size(); ++i) {
    const std::string& p = prefixes[i];
    const bool last = i + 1 == prefixes.size();
    struct stat st {};
    if (fstatat(AT_FDCWD, p.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return p + " cannot be examined";
    if ((!last && !S_ISDIR(st.st_mode)) || (last && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))) {
      return p + " is of the wrong file type";
    }
    if (st.st_uid != 0) return p + " is owned by uid " + std::to_string(st.st_uid);
    const bool guarded = (S_ISDIR(st.st_mode) && !(st.st_mode & S_ISVTX)) || S_ISREG(st.st_mode);
    if (guarded && st.st_gid != 0 && (st.st_mode & S_IWGRP)) {
      return p + " is writable by group " + std::to_string(st.st_gid);
    }
    if (guarded && (st.st_mode & S_IWOTH)) return p + " is writable by everyone";
  }
  return "";
}

std::string Dirname(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

ScriptSecurity CheckScriptSecurity(const std::string& command, uid_t uid, gid_t gid) {
  const size_t start = command.find_first_not_of(" \t");
  if (start == std::string::npos) return {};
  const std::string word = command.substr(start, command.find_first_of(" \t", start) - start);
  const std::optional<std::string> program = FindProgram(word, uid, gid);
  if (!program) return {};
  char* real = realpath(program->c_str(), nullptr);
  if (real == nullptr) return {};
  const std::string resolved = real;
  std::free(real);
  struct stat st {};
  if (stat(resolved.c_str(), &st) != 0 || !IsExecutableBy(st, uid, gid)) return {};
  const bool runs_as_root = uid == 0 || gid == 0 || (st.st_uid == 0 && (st.st_mode & S_IXUSR) && (st.st_mode & S_ISUID)) ||
                            (st.st_gid == 0 && (st.st_mode & S_IXGRP) && (st.st_mode & S_ISGID));
  if (!runs_as_root) return {};
  std::string why = PathViolation(resolved);
  // A link to the program: whoever may replace the link decides what runs, too.
  struct stat link {};
  if (why.empty() && lstat(program->c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
    char* dir = realpath(Dirname(*program).c_str(), nullptr);
    if (dir != nullptr) {
      why = PathViolation(std::string(dir) + "/" + program->substr(program->rfind('/') + 1));
      std::free(dir);
    }
  }
  if (why.empty()) return {};
  return {true, why};
}

}  // namespace ipvsd::health

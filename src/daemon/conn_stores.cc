#include "daemon/conn_stores.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "base/log.h"

namespace ipvsd::daemon {
namespace {

constexpr char kNewSuffix[] = ".new";
constexpr char kTemplatesName[] = "templates";
constexpr char kConnsPrefix[] = "conns-";

std::string ConnsName(size_t worker) { return kConnsPrefix + std::to_string(worker); }

bool IsTableName(const std::string& name) {
  if (name == kTemplatesName) return true;
  const size_t n = std::strlen(kConnsPrefix);
  return name.size() > n && name.compare(0, n, kConnsPrefix) == 0 &&
         std::all_of(name.begin() + static_cast<long>(n), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Status MakeDirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    const std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) {
      return MakeError(errno, "connection store " + dir + ": creating " + part + ": " + std::strerror(errno));
    }
  }
  return Ok();
}

std::vector<std::string> DirNames(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

Result<std::unique_ptr<ConnStores>> ConnStores::Open(const std::string& dir, std::chrono::milliseconds wait) {
  if (Status st = MakeDirs(dir); !st) return st.error();
  const std::string lock_path = dir + "/lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return MakeError(errno, "connection store " + dir + ": opening its lock: " + std::strerror(errno));
  std::unique_ptr<ConnStores> stores(new ConnStores(dir, fd));
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char holder[32] = {};
    ssize_t n = ::pread(fd, holder, sizeof holder - 1, 0);
    std::string pid = n > 0 ? std::string(holder, static_cast<size_t>(n)) : "unknown";
    pid.erase(pid.find_last_not_of("\n ") + 1);
    if (err == EWOULDBLOCK) {
      return MakeError(EBUSY, "connection store " + dir + " is in use by another ipvsd (pid " + pid +
                                  "); give each ipvsd its own --conn-store DIR");
    }
    return MakeError(err, "connection store " + dir + ": locking: " + std::strerror(err));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return MakeError(errno, "connection store " + dir + ": writing its lock: " + std::strerror(errno));
  }
  return stores;
}

Status ConnStores::CreateTables(const std::vector<uint32_t>& capacities, uint32_t template_capacity) {
  // Files a run that died while starting left half made.
  for (const std::string& name : DirNames(dir_)) {
    if (EndsWith(name, kNewSuffix)) ::unlink((dir_ + "/" + name).c_str());
  }
  for (size_t w = 0; w < capacities.size(); ++w) {
    auto store = core::ConnStore::Create(dir_ + "/" + ConnsName(w) + kNewSuffix, capacities[w]);
    if (!store) return store.error();
    conns_.push_back(std::move(*store));
  }
  auto templates = core::ConnStore::Create(dir_ + "/" + kTemplatesName + kNewSuffix, template_capacity);
  if (!templates) return templates.error();
  templates_ = std::move(*templates);
  return Ok();
}

ConnStores::~ConnStores() { ::close(lock_fd_); }

std::vector<std::string> ConnStores::TableFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const std::string& name : DirNames(dir)) {
    if (IsTableName(name)) files.push_back(dir + "/" + name);
  }
  return files;
}

std::vector<std::string> ConnStores::PreviousFiles() const {
  std::vector<std::string> names;
  for (const std::string& path : TableFiles(dir_)) names.push_back(path.substr(dir_.size() + 1));
  return names;
}

ConnStores::Previous ConnStores::ReadPrevious() {
  Previous out;
  for (const std::string& name : PreviousFiles()) {
    const std::string path = dir_ + "/" + name;
    ++out.files;
    auto read = core::ReadConnStore(path);
    if (!read) {
      ++out.unreadable_files;
      const std::string aside = path + ".unreadable";
      ::rename(path.c_str(), aside.c_str());
      Log(LogLevel::kError, "%s; its connections are not adopted (file kept as %s)", read.error().message.c_str(),
          aside.c_str());
      continue;
    }
    core::StoredEntries& e = *read;
    out.entries.torn += e.torn;
    out.entries.templates.insert(out.entries.templates.end(), e.templates.begin(), e.templates.end());
    out.entries.conns.insert(out.entries.conns.end(), e.conns.begin(), e.conns.end());
  }
  return out;
}

Result<HashKey> ConnStores::SynCookieKey() {
  const std::string path = dir_ + "/syn-cookie-key";
  HashKey key{};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) {
    const ssize_t n = ::read(fd, &key, sizeof key);
    ::close(fd);
    if (n == static_cast<ssize_t>(sizeof key)) return key;
  }
  key = RandomHashKey();
  const std::string tmp = path + ".new";
  fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  const bool written = fd >= 0 && ::write(fd, &key, sizeof key) == static_cast<ssize_t>(sizeof key);
  if (fd >= 0) ::close(fd);
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return MakeError(err, "connection store " + dir_ + ": writing the SYN cookie key: " + std::strerror(err));
  }
  return key;
}

Status ConnStores::Commit() {
  std::vector<std::string> current;
  for (size_t w = 0; w < conns_.size(); ++w) current.push_back(ConnsName(w));
  current.push_back(kTemplatesName);
  for (const std::string& name : current) {
    const std::string path = dir_ + "/" + name;
    if (::rename((path + kNewSuffix).c_str(), path.c_str()) != 0) {
      return MakeError(errno, "connection store " + path + ": " + std::strerror(errno));
    }
  }
  // A previous run with more workers left tables this run no longer writes.
  for (const std::string& name : PreviousFiles()) {
    if (std::find(current.begin(), current.end(), name) == current.end()) ::unlink((dir_ + "/" + name).c_str());
  }
  return Ok();
}

}  // namespace ipvsd::daemon

// File: health/file_check.cc
#include "health/file_check.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ipvsd::health {

std::optional<int64_t> ReadTrackFileValue(const std::string& path) {
  // O_NONBLOCK: a FIFO put there must not stall the loop.
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  const ssize_t len = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (len <= 0) return 0;
  buf[len] = '\0';
  errno = 0;
  const long long value = std::strtoll(buf, nullptr, 0);
  if (errno != 0 || value < INT32_MIN || value > static_cast<long long>(INT32_MAX) + 1) return std::nullopt;
  return value;
}

FileVerdict JudgeTrackFile(int64_t value, int weight, bool reverse) {
  if (weight == 0) return {(value == 0) != reverse, 0};
  int64_t status = value * weight * (reverse ? -1 : 1);
  if (status <= INT32_MIN) return {false, 0};
  if (status > kIpvsWeightMax) status = kIpvsWeightMax;
  return {true, static_cast<int>(status)};
}

Status InitTrackFile(const TrackFileConfig& tf, bool reload) {
  if (tf.init == TrackFileConfig::Init::kNone) return Ok();
  struct stat st {};
  if (stat(tf.path.c_str(), &st) == 0) {
    if (tf.init == TrackFileConfig::Init::kCreate || reload) return Ok();
    if (!S_ISREG(st.st_mode)) {
      return MakeError(EINVAL, tf.where + ": cannot initialise track_file " + tf.name + ": " + tf.path +
                                   " is not a regular file");
    }
  }
  errno = 0;
  FILE* f = std::fopen(tf.path.c_str(), "w");
  bool written = f != nullptr && std::fprintf(f, "%d\n", tf.init_value) > 0;
  if (f != nullptr) written = std::fclose(f) == 0 && written;
  if (!written) {
    const int code = errno != 0 ? errno : EIO;
    return MakeError(code, tf.where + ": cannot initialise track_file " + tf.name + ": " + tf.path + ": " +
                               std::strerror(code));
  }
  return Ok();
}

}  // namespace ipvsd::health

// File: health/file_check.h
//
// FILE_CHECK, as keepalived 2.2.7's check_file.c and trackers/track_file.c define it: a
// track_file holds a number; each FILE_CHECK naming it turns that number into a verdict on its
// real server and, with a weight, into an amount added to the server's weight. Pure functions
// plus the two file accesses (reading the value, init_file's writing); the daemon reads the
// file at every delay_loop of the checker (docs/healthd.md).
//
//   std::optional<int64_t> v = ReadTrackFileValue(check.file_path);  // nullopt: keep the last verdict
//   FileVerdict verdict = JudgeTrackFile(*v, check.file_weight, check.file_reverse);
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "health/config.h"

namespace ipvsd::health {

// keepalived 2.2.7's IPVS_WEIGHT_MAX (weights are 32-bit): the largest weight, and of a
// FILE_CHECK's weight multiplier either way.
inline constexpr int kIpvsWeightMax = INT32_MAX;

// The file's value as keepalived's process_track_file reads it: the first 127 bytes through
// strtol with base 0 (so "0x10" is 16, "5 apples" is 5 and text without a number is 0); a file
// that is missing, cannot be opened or is empty is 0. nullopt when the number overflows or lies
// outside -2^31 .. 2^31 (keepalived logs "Invalid number" and keeps the previous state).
std::optional<int64_t> ReadTrackFileValue(const std::string& path);

struct FileVerdict {
  bool up = true;
  int weight_offset = 0;  // added to the real server's weight while up
  friend bool operator==(const FileVerdict&, const FileVerdict&) = default;
};

// WEIGHT 0: the value only says up or down; 0 is up and anything else down, or with REVERSE
// the other way round. Otherwise value x WEIGHT (negated with REVERSE), at most
// kIpvsWeightMax, is added to the weight, and -2^31 or less fails the server (keepalived
// 2.2.7's man page: "If the result is <= [-]2147483648 then the checker will be in the FAULT
// state").
FileVerdict JudgeTrackFile(int64_t value, int weight, bool reverse);

// init_file: writes "VALUE\n" when the file is missing, or with overwrite always, but on a
// reload (RELOAD) never over an existing file, as track_file_end_handler does. Overwriting
// something that is not a regular file is an error; so is a file that cannot be written.
Status InitTrackFile(const TrackFileConfig& track_file, bool reload);

}  // namespace ipvsd::health

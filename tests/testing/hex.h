// File: testing/hex.h
//
// Hex helpers for golden tests: frames are written in fixtures as hex strings (spaces and
// newlines ignored) and a mismatch is printed as an offset-annotated dump of both sides.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ipvsd::testing {

// "45 00 00 1c ..." -> bytes. Aborts the test binary on a malformed literal (a fixture bug).
std::vector<uint8_t> FromHex(std::string_view hex);
std::string ToHex(const uint8_t* data, size_t len);
// Both frames side by side, 16 bytes a row, rows that differ marked with '*'.
std::string DiffDump(const std::vector<uint8_t>& expected, const std::vector<uint8_t>& actual);

}  // namespace ipvsd::testing

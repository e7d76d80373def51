#include "tests/testing/hex.h"

#include <cstdio>
#include <cstdlib>

namespace ipvsd::testing {
namespace {
int Nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::vector<uint8_t> FromHex(std::string_view hex) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\n' || c == '\t') continue;
    int n = Nibble(c);
    if (n < 0) {
      std::fprintf(stderr, "FromHex: bad character '%c'\n", c);
      std::abort();
    }
    if (hi < 0) {
      hi = n;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | n));
      hi = -1;
    }
  }
  if (hi >= 0) {
    std::fprintf(stderr, "FromHex: odd number of digits\n");
    std::abort();
  }
  return out;
}

std::string ToHex(const uint8_t* data, size_t len) {
  std::string s;
  char b[4];
  for (size_t i = 0; i < len; ++i) {
    std::snprintf(b, sizeof b, i ? " %02x" : "%02x", data[i]);
    s += b;
  }
  return s;
}

std::string DiffDump(const std::vector<uint8_t>& expected, const std::vector<uint8_t>& actual) {
  std::string out = "offset  expected                                          actual\n";
  size_t n = std::max(expected.size(), actual.size());
  for (size_t row = 0; row < n; row += 16) {
    std::string e, a;
    bool differs = false;
    char b[4];
    for (size_t i = row; i < row + 16; ++i) {
      if (i < expected.size()) { std::snprintf(b, sizeof b, "%02x ", expected[i]); e += b; } else { e += "   "; }
      if (i < actual.size()) { std::snprintf(b, sizeof b, "%02x ", actual[i]); a += b; } else { a += "   "; }
      if (i >= expected.size() || i >= actual.size() || expected[i] != actual[i]) differs = true;
    }
    char head[24];
    std::snprintf(head, sizeof head, "%c%05zx  ", differs ? '*' : ' ', row);
    out += head + e + " " + a + "\n";
  }
  return out;
}

}  // namespace ipvsd::testing

// File: base/siphash.cc
//
// RandomHashKey() (siphash.h).
#include "base/siphash.h"

#include <sys/random.h>

namespace ipvsd {

HashKey RandomHashKey() {
  HashKey key{};
  // With flags 0 and at most 256 bytes, getrandom() returns them all once the pool is
  // initialised (it blocks until then) and is not interrupted by signals.
  [[maybe_unused]] ssize_t n = getrandom(&key, sizeof(key), 0);
  return key;
}

}  // namespace ipvsd

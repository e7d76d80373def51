// File: base/prefetch.h
//
// Prefetch() asks for the cache line holding p ahead of its use. It is an asm statement
// rather than __builtin_prefetch because GCC's dead-code elimination drops a builtin prefetch
// whose address comes from a load that nothing else uses — exactly the second stage of a
// staged lookup (GCC 12 removed every entry prefetch of the connection lookup).
#pragma once

namespace ipvsd {

inline void Prefetch(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#elif defined(__aarch64__)
  asm volatile("prfm pldl1keep, %0" : : "Q"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p);
#endif
}

}  // namespace ipvsd

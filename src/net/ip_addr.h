// File: net/ip_addr.h
//
// Address value types. RawAddr holds an IPv4 or IPv6 address in network byte order (IPv4 in
// the first four bytes, the rest zero) and is what fixed-size tables store; IpAddr adds the
// family. Family values are Linux's AF_INET/AF_INET6 so that they sort as ipvsadm sorts them
// and travel unchanged on the control socket.
//
//   Result<IpAddr> a = IpAddr::Parse("198.18.0.1");
//   a->ToString();  // "198.18.0.1"
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "base/result.h"

namespace ipvsd::net {

enum class Family : uint8_t { kUnspec = 0, kInet = 2, kInet6 = 10 };

inline constexpr int AddrLength(Family f) { return f == Family::kInet6 ? 16 : 4; }

struct RawAddr {
  alignas(4) std::array<uint8_t, 16> bytes{};

  static RawAddr FromV4(uint32_t host_order) {
    RawAddr a;
    a.bytes[0] = static_cast<uint8_t>(host_order >> 24);
    a.bytes[1] = static_cast<uint8_t>(host_order >> 16);
    a.bytes[2] = static_cast<uint8_t>(host_order >> 8);
    a.bytes[3] = static_cast<uint8_t>(host_order);
    return a;
  }
  static RawAddr FromBytes(const uint8_t* p, Family f) {
    RawAddr a;
    std::memcpy(a.bytes.data(), p, static_cast<size_t>(AddrLength(f)));
    return a;
  }
  // The IPv4 address in host byte order.
  uint32_t V4() const {
    return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) | bytes[3];
  }
  // The i-th 32-bit word in host byte order (IPv6 hashing folds the four words).
  uint32_t Word(int i) const {
    return (uint32_t{bytes[4 * i]} << 24) | (uint32_t{bytes[4 * i + 1]} << 16) |
           (uint32_t{bytes[4 * i + 2]} << 8) | bytes[4 * i + 3];
  }
  // IPv4: the address; IPv6: XOR of its four words, as the kernel's dh/sh/mh/lblc fold it.
  uint32_t Fold(Family f) const { return f == Family::kInet6 ? Word(0) ^ Word(1) ^ Word(2) ^ Word(3) : V4(); }
  bool IsZero() const {
    for (uint8_t b : bytes) if (b) return false;
    return true;
  }
  // Two 64-bit compares: this runs on every connection lookup.
  friend bool operator==(const RawAddr& a, const RawAddr& b) {
    uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a.bytes.data(), 8);
    std::memcpy(&a1, a.bytes.data() + 8, 8);
    std::memcpy(&b0, b.bytes.data(), 8);
    std::memcpy(&b1, b.bytes.data() + 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  friend auto operator<=>(const RawAddr&, const RawAddr&) = default;
};
static_assert(std::is_trivially_copyable_v<RawAddr> && sizeof(RawAddr) == 16);

struct IpAddr {
  RawAddr raw;
  Family family = Family::kUnspec;

  static IpAddr V4(uint32_t host_order) { return IpAddr{RawAddr::FromV4(host_order), Family::kInet}; }
  // Dotted quad, or any IPv6 text form inet_pton accepts (no brackets).
  static Result<IpAddr> Parse(std::string_view text);
  // inet_ntop form.
  std::string ToString() const;
  bool is_v6() const { return family == Family::kInet6; }

  friend bool operator==(const IpAddr&, const IpAddr&) = default;
  // Family first, then the address bytes (numeric order): every IPv4 address sorts before
  // every IPv6 one, as ipvsadm's ipvs_cmp_services orders them. A defaulted <=> would compare
  // the bytes first, because raw is the first member.
  friend std::strong_ordering operator<=>(const IpAddr& a, const IpAddr& b) {
    if (auto c = a.family <=> b.family; c != 0) return c;
    return a.raw <=> b.raw;
  }
};
static_assert(std::is_trivially_copyable_v<IpAddr>);

// Applies a persistence granularity: IPv4 netmask (host order) or IPv6 prefix length.
RawAddr MaskV4(const RawAddr& a, uint32_t netmask_host_order);
RawAddr MaskV6(const RawAddr& a, int prefix_len);

// An address and a port (host order).
struct Endpoint {
  IpAddr addr;
  uint16_t port = 0;
  // "a.b.c.d:port" or "[v6]:port".
  std::string ToString() const;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

}  // namespace ipvsd::net
